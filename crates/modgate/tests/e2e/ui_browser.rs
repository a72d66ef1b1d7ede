//! The web UI in a real browser (issue 15): headless Chromium (Debian's, over WebDriver, see
//! `testkit::browser`) against the real binary over TLS, trusting the test CA. Each test checks
//! the pages' text and element ids (README's "Web UI"; the ids are the UI's contract with these
//! tests), never pixels, and saves a screenshot of every page it visits under
//! `target/ui-screenshots/<test>/`. Here: the harness itself, signing in, the modules page
//! and search, module pages; the account pages are in `ui_browser_account.rs`, the admin pages
//! and an ordinary user's view in `ui_browser_admin.rs`.
//!
//! `#[ignore]`d like the go-driven tests (they need chromium, chromium-driver and certutil);
//! `scripts/test.sh` installs those and runs them.

use serde_json::json;
use testkit::browser::Browser;

use crate::support::{BOBS_MODULES, Modgate, TestCa, USER, UiSite, temp_dir};
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

    sign_in_through_the_form(&site, &browser);
    modules_and_search(&site, &browser);
    module_pages(&site, &browser);
    signing_out_and_back(&site, &browser);
}

fn sign_in_through_the_form(site: &UiSite, browser: &Browser) {
    // A browser asking for / is sent to the UI, and anonymous, to the login form.
    browser.goto(&site.url("/"));
    browser.wait_for("form#login");
    assert!(shown(browser).starts_with("/-/login"), "{}", shown(browser));
    assert!(
        browser.exists("form#login input[name=csrf]"),
        "the form's csrf field"
    );
    browser.screenshot("login");

    site.submit_login(browser, USER.0, "not-the-password");
    assert_eq!(browser.text("#error"), "wrong user name or password");
    assert!(!browser.exists("#whoami"), "a wrong password signed in");
    browser.screenshot("login-failed");

    site.submit_login(browser, USER.0, USER.1);
    browser.wait_for("#whoami");
    assert_eq!(
        shown(browser),
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
}

fn modules_and_search(site: &UiSite, browser: &Browser) {
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
    assert_eq!(shown(browser), "/-/?q=tool");
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
}

fn module_pages(site: &UiSite, browser: &Browser) {
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
}

fn signing_out_and_back(site: &UiSite, browser: &Browser) {
    // Signing out: anonymous again, and a module's page asks for a sign-in, then comes back.
    site.sign_out(browser);
    browser.goto(&site.url("/-/mod/corp.example/tool"));
    browser.wait_for("form#login");
    assert!(
        shown(browser).starts_with("/-/login?next="),
        "{}",
        shown(browser)
    );
    assert_eq!(
        browser
            .attr("form#login input[name=next]", "value")
            .as_deref(),
        Some("/-/mod/corp.example/tool")
    );
    browser.screenshot("signed-out");
    site.submit_login(browser, USER.0, USER.1);
    browser.wait_for("h1#module");
    assert_eq!(
        browser.text("h1#module"),
        "corp.example/tool",
        "back to the page asked for"
    );
}

/// 50 modules a page, sorted, `a#next` and `a#prev` between pages, and a version copied into
/// the store by hand shown as `stored`, with nobody as its publisher.
#[test]
#[ignore = "needs chromium and chromium-driver (scripts/test.sh installs them)"]
fn ui_browser_pages_of_modules() {
    let site = UiSite::start_with_stored(60);
    let browser = site.browser("pages");
    site.sign_in(&browser, USER);
    assert_eq!(browser.text("#count"), "63 modules");
    let first = browser.texts("ul#modules a.module");
    assert_eq!(first.len(), 50, "50 a page");
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(first, sorted, "sorted by path");
    assert!(!browser.exists("a#prev"), "page 1 has no previous page");
    browser.screenshot("page-1");

    browser.click("a#next");
    browser.wait_for("a#prev");
    let second = browser.texts("ul#modules a.module");
    assert_eq!(second.len(), 13, "the rest: {second:?}");
    assert!(first.last() < second.first(), "page 2 follows page 1");
    assert!(!browser.exists("a#next"), "the last page has no next page");
    assert_no_secret(&browser.page_text(), "page 2");
    browser.screenshot("page-2");
    browser.click("a#prev");
    browser.wait_for("ul#modules");
    assert_eq!(browser.texts("ul#modules a.module"), first);

    browser.goto(&site.url("/-/mod/corp.example/many/m007"));
    browser.wait_for("h1#module");
    assert_eq!(browser.texts("tr.version td.source"), ["stored"]);
    assert_eq!(browser.texts("tr.version td.by"), [""]);
    browser.screenshot("module-stored");
}
