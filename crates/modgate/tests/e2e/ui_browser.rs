//! The web UI in a real browser (issue 15): headless Chromium (Debian's, over WebDriver, see
//! `testkit::browser`) against the real binary over TLS, trusting the test CA. Each test checks
//! the pages' text and element ids (README's "Web UI"; the ids are the UI's contract with these
//! tests), never pixels, and saves a screenshot of every page it visits under
//! `target/ui-screenshots/<test>/`.
//!
//! `#[ignore]`d like the go-driven tests (they need chromium, chromium-driver and certutil);
//! `scripts/test.sh` installs those and runs them.

use serde_json::json;
use testkit::browser::Browser;

use crate::support::{ADMIN, Auth, BOBS_MODULES, Modgate, TestCa, USER, UiSite, temp_dir};
use crate::support::{assert_no_secret, write_file};

/// The harness itself, on a page that is not the UI's: Chromium reaches modgate over TLS
/// because it trusts the test CA (and only because: without it the page is an error page), and
/// its clipboard can be written and read back by a page once the permission is granted.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_harness_trusts_the_test_ca_and_reads_the_clipboard() {
    let dir = temp_dir();
    let ca = TestCa::create(dir.path());
    let config = dir.path().join("modgate.toml");
    write_file(&config, "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n");
    let server = Modgate::start(&dir.path().join("store"), Some(&config), Some(&ca.ca));

    let browser = Browser::start("harness", Some(&ca.ca));
    browser.goto(&format!("{}/healthz", server.url()));
    browser.screenshot("healthz");
    assert_eq!(browser.page_text().trim(), "ok", "/healthz over TLS");

    // The permission granted, a page writes the clipboard and reads the same text back.
    browser.grant_clipboard(&server.url());
    let written = browser.execute_async(
        "const done = arguments[arguments.length - 1];\
         navigator.clipboard.writeText(arguments[0]).then(() => done('ok'), e => done(String(e)));",
        vec![json!("GOPROXY=https://example\n")],
    );
    assert_eq!(written, json!("ok"), "writing the clipboard");
    assert_eq!(browser.read_clipboard(), "GOPROXY=https://example\n");
    drop(browser);

    // A browser that does not trust the CA gets no page from the server.
    let untrusting = Browser::start("harness-untrusted", None);
    untrusting.goto(&format!("{}/healthz", server.url()));
    untrusting.screenshot("healthz-untrusted");
    let text = untrusting.page_text();
    assert!(
        text.contains("not private") || text.contains("ERR_CERT"),
        "an untrusted certificate was accepted: {text}"
    );
}

/// The path and query of the page shown (`/-/?q=lib`).
fn shown(browser: &Browser) -> String {
    let url = browser.current_url();
    let rest = url.splitn(4, '/').nth(3).unwrap_or_default();
    format!("/{rest}")
}

/// Signing in through the form (a wrong password first), the Secure session cookie, the
/// modules page, searching, a module's page at its latest and at an older version, signing out.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_sign_in_search_and_open_a_module() {
    let site = UiSite::start();
    let browser = site.browser("sign-in-search-module");

    // A browser asking for / is sent to the UI, and anonymous, to the login form.
    browser.goto(&site.url("/"));
    browser.wait_for("form#login");
    assert!(
        shown(&browser).starts_with("/-/login"),
        "{}",
        shown(&browser)
    );
    assert!(
        browser.exists("form#login input[name=csrf]"),
        "the form's csrf field"
    );
    browser.screenshot("login");

    site.submit_login(&browser, USER.0, "not-the-password");
    assert_eq!(browser.text("#error"), "wrong user name or password");
    assert!(!browser.exists("#whoami"), "a wrong password signed in");
    browser.screenshot("login-failed");

    site.submit_login(&browser, USER.0, USER.1);
    browser.wait_for("#whoami");
    assert_eq!(
        shown(&browser),
        "/-/",
        "back where the sign-in was asked for"
    );
    assert_eq!(browser.text("#whoami"), "bob");
    let session = browser.cookies();
    let cookie = session.iter().find(|c| c.0 == "modgate_session");
    let (_, _, secure, http_only) =
        cookie.unwrap_or_else(|| panic!("no session cookie: {session:?}"));
    assert!(
        *secure && *http_only,
        "the session cookie is Secure and HttpOnly over TLS"
    );
    let nav = browser.texts("nav#nav a");
    for link in ["Modules", "Connect", "Tokens"] {
        assert!(nav.iter().any(|t| t == link), "nav {nav:?} lacks {link}");
    }
    assert!(
        !nav.iter().any(|t| t == "Admin"),
        "bob is shown Admin: {nav:?}"
    );

    // Every module bob may read, sorted, each linking to its page.
    assert_eq!(browser.text("#count"), "3 modules");
    assert_eq!(browser.texts("ul#modules a.module"), BOBS_MODULES);
    let hrefs = browser.attrs("ul#modules a.module", "href");
    assert!(
        hrefs
            .iter()
            .flatten()
            .all(|h| h.contains("/-/mod/corp.example/")),
        "{hrefs:?}"
    );
    assert!(
        !browser.exists("a#next") && !browser.exists("a#prev"),
        "one page only"
    );
    assert_no_secret(&browser.page_text(), "modules");
    browser.screenshot("modules");

    // Searching: a part of a path, then something only alice may read.
    browser.fill("form#search input[name=q]", "tool");
    browser.press_enter("form#search input[name=q]");
    browser.wait_for("#count");
    assert_eq!(shown(&browser), "/-/?q=tool");
    assert!(
        browser.text("#count").starts_with("1 module"),
        "{}",
        browser.text("#count")
    );
    assert_eq!(browser.texts("ul#modules a.module"), ["corp.example/tool"]);
    browser.screenshot("search");
    browser.goto(&site.url("/-/?q=secret"));
    assert_eq!(browser.text("#count"), "0 modules");
    assert_no_secret(&browser.page_text(), "search for secret");

    // A module's page, from the list: its latest version first.
    browser.goto(&site.url("/-/?q=lib"));
    browser.click("ul#modules a.module");
    browser.wait_for("h1#module");
    assert_eq!(browser.text("h1#module"), "corp.example/lib");
    assert_eq!(browser.texts("tr.version td.v"), ["v1.1.0", "v1.0.0"]);
    assert_eq!(
        browser.texts("tr.version td.source"),
        ["published", "published"]
    );
    assert_eq!(browser.texts("tr.version td.by"), ["alice", "alice"]);
    for h1 in browser.texts("tr.version td.h1") {
        assert!(h1.starts_with("h1:") && h1.ends_with('='), "{h1}");
    }
    for time in browser.texts("tr.version td.time") {
        assert!(
            time::OffsetDateTime::parse(&time, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{time}"
        );
    }
    assert!(
        browser.text("pre#gomod").contains("go 1.21"),
        "the latest go.mod"
    );
    assert!(
        browser
            .text("#readme")
            .contains("A library for the browser tests.")
    );
    assert_eq!(
        browser.text("#readme strong"),
        "library",
        "Markdown rendered"
    );
    assert_eq!(
        browser.texts("ul#packages > li"),
        ["corp.example/lib", "corp.example/lib/sub"]
    );
    browser.screenshot("module");

    // An older version: its own go.mod and packages, no README.
    browser.goto(&site.url("/-/mod/corp.example/lib?v=v1.0.0"));
    browser.wait_for("pre#gomod");
    assert!(browser.text("pre#gomod").contains("go 1.19"));
    assert!(!browser.exists("#readme"), "v1.0.0 has no README");
    assert_eq!(browser.texts("ul#packages > li"), ["corp.example/lib"]);
    browser.screenshot("module-older");

    // A deprecated module is marked.
    browser.goto(&site.url("/-/mod/corp.example/tool"));
    browser.wait_for("h1#module");
    assert!(
        browser.exists("tr.version span.deprecated"),
        "corp.example/tool is deprecated"
    );
    browser.screenshot("module-deprecated");

    // Signing out: anonymous again, and the modules page asks for a sign-in.
    site.sign_out(&browser);
    browser.goto(&site.url("/-/"));
    browser.wait_for("form#login");
    assert!(
        shown(&browser).starts_with("/-/login?next="),
        "{}",
        shown(&browser)
    );
    browser.screenshot("signed-out");
}

/// The connect page's lines for bob, and what each copy button puts in the clipboard: exactly
/// the text of its block, read back by the page with `navigator.clipboard.readText()`.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_connect_page_and_its_copy_buttons() {
    let site = UiSite::start();
    let browser = site.browser("connect");
    site.sign_in(&browser, USER);
    browser.click("nav#nav a[href='/-/connect']");
    browser.wait_for("pre#connect-env");
    let origin = site.origin();
    let env = browser.text("pre#connect-env");
    assert!(
        env.contains(&format!("go env -w GOPROXY={origin}")),
        "{env}"
    );
    assert!(env.contains("GONOPROXY=none"), "{env}");
    assert!(
        env.contains("GOSUMDB=") || env.contains("GONOSUMDB="),
        "{env}"
    );
    let netrc = browser.text("pre#connect-netrc");
    let port = site.server.port();
    assert!(netrc.contains("machine 127.0.0.1"), "{netrc}");
    assert!(
        netrc.contains(&format!("machine 127.0.0.1:{port}")),
        "{netrc}"
    );
    assert!(netrc.contains("login bob"), "{netrc}");
    let goauth = browser.text("pre#connect-goauth");
    assert!(goauth.contains("GOAUTH='modgate auth'"), "{goauth}");
    assert!(
        goauth.contains(&format!("modgate login --server {origin}")),
        "{goauth}"
    );
    assert!(
        !browser.page_text().contains(USER.1),
        "the connect page shows the password"
    );
    assert!(
        browser.exists("#ca-hint"),
        "the test CA is no system's: a hint is due"
    );
    assert_no_secret(&browser.page_text(), "connect");
    browser.screenshot("connect");

    browser.grant_clipboard(&origin);
    let targets = browser.attrs("button.copy", "data-copy");
    let targets: Vec<String> = targets.into_iter().flatten().collect();
    for block in ["connect-env", "connect-netrc", "connect-goauth"] {
        assert!(
            targets.iter().any(|t| t == block),
            "no copy button for {block}: {targets:?}"
        );
    }
    for block in &targets {
        // Something else in the clipboard first, so a button that copies nothing fails.
        browser.execute_async(
            "const done = arguments[arguments.length - 1];\
             navigator.clipboard.writeText('before').then(() => done(1), () => done(0));",
            vec![],
        );
        let button = format!("button.copy[data-copy='{block}']");
        browser.click(&button);
        // The label says "Copied" once the copy is done, for 1.5 s.
        let said = crate::support::wait_until(std::time::Duration::from_secs(5), || {
            browser.text(&button) == "Copied"
        });
        assert!(said, "the {block} button never said it copied");
        let expected = browser.text(&format!("pre#{block}"));
        let mut copied = String::new();
        crate::support::wait_until(std::time::Duration::from_secs(5), || {
            copied = browser.read_clipboard();
            copied != "before"
        });
        assert_eq!(
            copied.trim_end(),
            expected.trim_end(),
            "what the {block} button copied"
        );
        browser.screenshot(&format!("copied-{block}"));
    }
}

/// A personal token made on the tokens page works as a Bearer token on the GOPROXY protocol
/// with bob's rights (and no more), is listed without its secret, and stops working once
/// revoked from the page.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_create_use_and_revoke_a_token() {
    let site = UiSite::start();
    let browser = site.browser("tokens");
    site.sign_in(&browser, USER);
    browser.click("nav#nav a[href='/-/tokens']");
    browser.wait_for("form#new-token");
    assert!(
        browser.exists("form#new-token input[name=csrf]"),
        "the form's csrf field"
    );
    assert_eq!(
        browser.count("table#tokens tr.token"),
        0,
        "bob has no token yet"
    );
    browser.screenshot("tokens-empty");

    browser.fill("form#new-token input[name=label]", "laptop");
    browser.click("form#new-token button, form#new-token input[type=submit]");
    let token = browser.text("code#new-token-value");
    assert!(token.len() >= 20, "a token: {token:?}");
    browser.screenshot("token-created");

    let list = "/corp.example/lib/@v/list";
    let reply = site.get(list, Auth::Bearer(&token));
    assert_eq!(
        (reply.status, reply.text()),
        (200, "v1.0.0\nv1.1.0\n".to_owned()),
        "{list}"
    );
    let hidden = site.get("/secret.example/hidden/@v/list", Auth::Bearer(&token));
    assert!(
        matches!(hidden.status, 403 | 404),
        "bob's token reads secret.example: {}",
        hidden.status
    );

    browser.goto(&site.url("/-/tokens"));
    browser.wait_for("table#tokens tr.token");
    assert_eq!(browser.texts("table#tokens tr.token td.label"), ["laptop"]);
    assert!(!browser.text("table#tokens tr.token td.created").is_empty());
    assert!(
        !browser.page_text().contains(&token),
        "the token is shown again"
    );
    browser.screenshot("tokens");

    browser.click_in_row(
        "table#tokens tr.token",
        "td.label",
        "laptop",
        "form.revoke button, form.revoke input[type=submit]",
    );
    browser.goto(&site.url("/-/tokens"));
    browser.wait_for("form#new-token");
    assert_eq!(
        browser.count("table#tokens tr.token"),
        0,
        "revoked, still listed"
    );
    browser.screenshot("token-revoked");
    // Verifications are remembered for a few seconds at most.
    let mut status = 0;
    let refused = crate::support::wait_until(std::time::Duration::from_secs(15), || {
        status = site.get(list, Auth::Bearer(&token)).status;
        status == 401
    });
    assert!(refused, "a revoked token still answers {status}");
}

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

    site.sign_out(&browser);
    site.sign_in(&browser, ("carol", "carol-s3cret"));
    assert_eq!(browser.text("#count"), "0 modules", "carol has no route");
    assert!(!browser.texts("nav#nav a").iter().any(|t| t == "Admin"));
    browser.screenshot("carol");
    site.sign_out(&browser);

    site.sign_in(&browser, ADMIN);
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
    site.sign_out(&browser);
    browser.goto(&site.url("/-/login?next=/-/"));
    site.submit_login(&browser, "carol", "carol-s3cret");
    assert_eq!(
        browser.text("#error"),
        "wrong user name or password",
        "a removed user signed in"
    );

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
    browser.goto(&site.url("/-/admin/users"));
    assert!(!browser.exists("table#users"), "bob sees the users");

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
