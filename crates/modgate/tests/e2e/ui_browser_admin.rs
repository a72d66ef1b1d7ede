//! The web UI's admin pages in a real browser (see `ui_browser.rs`), and what an ordinary
//! user's pages show of modules he may not read.

use testkit::browser::Browser;

use crate::support::{ADMIN, Auth, USER, UiSite, assert_no_secret};

/// The admin pages as alice: users (one added, signed in as, removed), every token, the events
/// those left, and health.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_admin_pages() {
    let site = UiSite::start();
    let browser = site.browser("admin");
    site.sign_in(&browser, ADMIN);
    assert!(
        browser.texts("nav#nav a").iter().any(|t| t == "Admin"),
        "no Admin link for alice"
    );
    assert_eq!(
        browser.text("#count"),
        "4 modules",
        "alice reads every route"
    );
    browser.screenshot("modules-admin");

    browser.click("nav#nav a[href='/-/admin']");
    browser.wait_for("a[href='/-/admin/users']");
    for page in ["users", "tokens", "events", "health"] {
        assert!(
            browser.exists(&format!("a[href='/-/admin/{page}']")),
            "no link to {page}"
        );
    }
    browser.screenshot("admin");

    users_added_and_removed(&site, &browser);

    // A token of alice's, on the page of every token.
    site.sign_in(&browser, ADMIN);
    browser.goto(&site.url("/-/tokens"));
    browser.fill("form#new-token input[name=label]", "ci");
    browser.click("form#new-token button, form#new-token input[type=submit]");
    browser.wait_for("code#new-token-value");
    browser.goto(&site.url("/-/admin/tokens"));
    browser.wait_for("table#tokens tr.token");
    assert_eq!(browser.texts("table#tokens tr.token td.user"), ["alice"]);
    assert_eq!(browser.texts("table#tokens tr.token td.label"), ["ci"]);
    assert!(browser.exists("table#tokens tr.token form.revoke"));
    browser.screenshot("admin-tokens");

    // The events: carol's addition and removal, her failed sign-in, the token.
    browser.goto(&site.url("/-/admin/events"));
    browser.wait_for("table#events tr.event");
    let events = browser.text("table#events");
    let rows: Vec<String> = browser.texts("table#events tr.event");
    let row = |action: &str, target: &str| {
        rows.iter()
            .any(|r| r.contains(action) && r.split_whitespace().any(|w| w == target))
    };
    assert!(
        row("user.add", "carol") && row("user.remove", "carol"),
        "{events}"
    );
    assert!(row("sign-in", "carol"), "carol's failed sign-in: {events}");
    assert!(row("token.create", "alice"), "{events}");
    assert!(
        !events.contains("carol-s3cret"),
        "an event holds a password"
    );
    browser.screenshot("admin-events");

    browser.goto(&site.url("/-/admin/health"));
    assert_eq!(browser.text("#ready"), "ready");
    assert!(browser.count("table#metrics tr") >= 2, "a few figures");
    browser.screenshot("admin-health");
}

/// A user added on the users page can sign in (and reads nothing); removed, can no longer.
fn users_added_and_removed(site: &UiSite, browser: &Browser) {
    // A user added on the page can sign in (and reads nothing); removed, can no longer.
    browser.click("a[href='/-/admin/users']");
    browser.wait_for("form#new-user");
    assert_eq!(
        browser.texts("table#users tr.user td.name"),
        ["alice", "bob"]
    );
    browser.screenshot("users");
    browser.fill("form#new-user input[name=username]", "carol");
    browser.fill("form#new-user input[name=password]", "carol-s3cret");
    browser.click("form#new-user button, form#new-user input[type=submit]");
    browser.goto(&site.url("/-/admin/users"));
    browser.wait_for("table#users");
    assert_eq!(
        browser.texts("table#users tr.user td.name"),
        ["alice", "bob", "carol"]
    );
    let htpasswd = std::fs::read_to_string(&site.htpasswd).expect("htpasswd");
    assert!(
        htpasswd.contains("carol:$2"),
        "carol is not in the htpasswd file:\n{htpasswd}"
    );
    browser.screenshot("users-added");

    site.sign_out(browser);
    site.sign_in(browser, ("carol", "carol-s3cret"));
    assert_eq!(browser.text("#count"), "0 modules", "carol has no route");
    assert!(!browser.texts("nav#nav a").iter().any(|t| t == "Admin"));
    browser.screenshot("carol");
    site.sign_out(browser);

    site.sign_in(browser, ADMIN);
    browser.goto(&site.url("/-/admin/users"));
    browser.click_in_row(
        "table#users tr.user",
        "td.name",
        "carol",
        "form.remove-user button, form.remove-user input[type=submit]",
    );
    browser.goto(&site.url("/-/admin/users"));
    browser.wait_for("table#users");
    assert_eq!(
        browser.texts("table#users tr.user td.name"),
        ["alice", "bob"]
    );
    browser.screenshot("users-removed");
    site.sign_out(browser);
    browser.goto(&site.url("/-/login?next=/-/"));
    site.submit_login(browser, "carol", "carol-s3cret");
    assert_eq!(
        browser.text("#error"),
        "wrong user name or password",
        "a removed user signed in"
    );
}

/// bob reads corp.example only: no page he can open names secret.example (page text), the
/// module itself is as absent as one that does not exist, and the admin pages answer 403. The
/// same pages show alice the module, so the checks are not vacuous.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_ordinary_user_sees_only_his_route() {
    let site = UiSite::start();
    let browser = site.browser("ordinary-user");
    site.sign_in(&browser, USER);
    let pages = [
        ("modules", "/-/"),
        ("search-secret", "/-/?q=secret"),
        ("search-hidden", "/-/?q=hidden"),
        ("search-example", "/-/?q=example"),
        ("module-missing", "/-/mod/corp.example/missing"),
        ("connect", "/-/connect"),
        ("tokens", "/-/tokens"),
        ("admin", "/-/admin"),
        ("admin-users", "/-/admin/users"),
        ("admin-tokens", "/-/admin/tokens"),
        ("admin-events", "/-/admin/events"),
    ];
    for (name, path) in pages {
        browser.goto(&site.url(path));
        browser.wait_for("nav#nav");
        assert_no_secret(&browser.page_text(), path);
        browser.screenshot(name);
    }
    // The module bob may not read: the page of one that does not exist (which names the path
    // asked for, and nothing else).
    browser.goto(&site.url("/-/mod/secret.example/hidden"));
    let hidden = browser.page_text();
    browser.screenshot("module-hidden");
    browser.goto(&site.url("/-/mod/corp.example/missing"));
    let missing = browser.page_text();
    assert!(missing.contains("no such module"), "{missing}");
    assert_eq!(
        hidden.replace("secret.example/hidden", "corp.example/missing"),
        missing,
        "a module bob may not read is not like one that does not exist"
    );
    for path in ["/-/admin", "/-/admin/users"] {
        browser.goto(&site.url(path));
        let text = browser.page_text();
        assert!(text.contains("403"), "{path} for bob: {text}");
        assert!(
            !browser.exists("table#users, form#new-user"),
            "bob sees the users"
        );
    }

    // The statuses, with Basic auth (which every page accepts).
    let bob = Auth::Basic(USER.0, USER.1);
    let alice = Auth::Basic(ADMIN.0, ADMIN.1);
    for path in [
        "/-/admin",
        "/-/admin/users",
        "/-/admin/tokens",
        "/-/admin/events",
        "/-/admin/health",
    ] {
        assert_eq!(site.get(path, bob).status, 403, "bob: {path}");
        assert_eq!(site.get(path, alice).status, 200, "alice: {path}");
    }
    assert_eq!(site.get("/-/mod/secret.example/hidden", bob).status, 404);
    assert_eq!(site.get("/-/mod/corp.example/missing", bob).status, 404);
    let seen = site.get("/-/mod/secret.example/hidden", alice);
    assert_eq!(seen.status, 200);
    assert!(seen.text().contains("secret.example/hidden"));
    let listed = site.get("/-/?q=example", alice);
    assert!(
        listed.text().contains("secret.example/hidden"),
        "alice's list"
    );
}
