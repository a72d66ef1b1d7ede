//! The web UI's account pages in a real browser (see `ui_browser.rs`): the connect page and its
//! copy buttons, and personal tokens made, used and revoked.

use testkit::browser::Browser;

use crate::support::{Auth, USER, UiSite, assert_no_secret};

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

    // A form whose csrf value is not the session's is refused.
    browser.fill("form#new-token input[name=label]", "forged");
    browser.execute(
        "document.querySelector('form#new-token input[name=csrf]').value = 'forged';",
        vec![],
    );
    browser.click("form#new-token button, form#new-token input[type=submit]");
    browser.wait_for("nav#nav");
    assert!(
        browser
            .page_text()
            .contains("form expired, reload the page"),
        "{}",
        browser.page_text()
    );
    browser.screenshot("token-forged");
    browser.goto(&site.url("/-/tokens"));
    assert_eq!(
        browser.count("table#tokens tr.token"),
        0,
        "a forged form made a token"
    );

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

    listed_then_revoked(&site, &browser, &token);
}

/// The token listed without its secret; revoked from the page, refused.
fn listed_then_revoked(site: &UiSite, browser: &Browser, token: &str) {
    let list = "/corp.example/lib/@v/list";
    browser.goto(&site.url("/-/tokens"));
    browser.wait_for("table#tokens tr.token");
    assert_eq!(browser.texts("table#tokens tr.token td.label"), ["laptop"]);
    assert!(!browser.text("table#tokens tr.token td.created").is_empty());
    assert!(
        !browser.page_text().contains(token),
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
        status = site.get(list, Auth::Bearer(token)).status;
        status == 401
    });
    assert!(refused, "a revoked token still answers {status}");
}
