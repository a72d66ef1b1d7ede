//! The web UI against the whole router in this process, over real HTTP: every page's status
//! for nobody, a user and an admin; a user never sees a module of a route they may not read,
//! on any page; CSRF, the Content-Security-Policy and the session cookie; the module page's
//! README, marks and provenance.

mod setup;

use setup::{As, Setup};

/// Every page, and its status for nobody, bob (a user) and alice (an admin).
#[rustfmt::skip]
const PAGES: &[(&str, [u16; 3])] = &[
    ("/-/", [200, 200, 200]),
    ("/-/?q=many&page=2", [200, 200, 200]),
    ("/-/mod/corp.example/secret", [303, 404, 200]),
    ("/-/mod/corp.example/secret?v=v1.0.0", [303, 404, 200]),
    ("/-/mod/corp.example/nothere", [303, 404, 404]),
    ("/-/mod/team.example/tool", [303, 200, 200]),
    ("/-/mod/public.example/pub", [200, 200, 200]),
    ("/-/mod/public.example/pub?v=v9.9.9", [404, 404, 404]),
    ("/-/connect", [200, 200, 200]),
    ("/-/login", [200, 200, 200]),
    ("/-/tokens", [303, 200, 200]),
    ("/-/admin", [303, 403, 200]),
    ("/-/admin/users", [303, 403, 200]),
    ("/-/admin/tokens", [303, 403, 200]),
    ("/-/admin/events", [303, 403, 200]),
    ("/-/admin/health", [303, 403, 200]),
    ("/-/no/such/page", [404, 404, 404]),
    ("/", [303, 303, 303]),
];

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[tokio::test]
async fn every_page_for_nobody_a_user_and_an_admin() {
    let setup = Setup::start().await;
    let mut failed = Vec::new();
    for (path, statuses) in PAGES {
        for (who, want) in [As::Nobody, As::User("bob"), As::User("alice")]
            .into_iter()
            .zip(statuses)
        {
            let reply = setup.get(path, who).await;
            let name = match who {
                As::User(user) => user,
                _ => "nobody",
            };
            if reply.status != *want {
                failed.push(format!("{path} as {name}: {} (want {want})", reply.status));
            }
            assert_eq!(reply.header("content-security-policy"), CSP, "{path}");
            assert_eq!(reply.header("x-content-type-options"), "nosniff", "{path}");
            assert_eq!(reply.header("referrer-policy"), "same-origin", "{path}");
            assert_eq!(reply.header("cache-control"), "no-store", "{path}");
            if reply.status == 303 && *path != "/" {
                assert!(
                    reply.header("location").starts_with("/-/login?next="),
                    "{path}"
                );
            }
            if reply.status != 303 {
                assert!(
                    reply.body.contains("<nav id=\"nav\">"),
                    "{path}: {}",
                    reply.body
                );
                assert!(
                    !reply.body.contains("style=") && !reply.body.contains("<script>"),
                    "{path}"
                );
            }
        }
    }
    assert!(
        failed.is_empty(),
        "pages that failed:\n{}",
        failed.join("\n")
    );
    // The go command never asks for HTML: `/` is still a GOPROXY path for it.
    let plain = setup
        .client
        .get(format!("{}/", setup.base))
        .send()
        .await
        .expect("a response");
    assert_eq!(plain.status().as_u16(), 404);
}

#[tokio::test]
async fn a_user_never_sees_a_module_of_a_route_they_may_not_read() {
    let setup = Setup::start().await;
    let mut pages: Vec<String> = PAGES
        .iter()
        .map(|(path, _)| path.to_string())
        .filter(|path| !path.starts_with("/-/mod/corp.example"))
        .collect();
    pages.extend(
        [
            "/-/?q=corp",
            "/-/?q=secret",
            "/-/?q=corp.example/secret",
            "/-/?page=3",
        ]
        .map(String::from),
    );
    for path in &pages {
        for who in [As::User("bob"), As::Nobody] {
            let reply = setup.get(path, who).await;
            // The search box shows what was typed; nothing else may name the module.
            let query = path
                .split("q=")
                .nth(1)
                .map(|q| q.split('&').next().unwrap_or(q));
            let body = match query {
                Some(q) => reply.body.replace(&format!("value=\"{q}\""), ""),
                None => reply.body.clone(),
            };
            assert!(!body.contains("corp.example"), "{path}: {body}");
        }
    }
    // Asking for it by name: the same answer as for a module that does not exist.
    let held = setup
        .get("/-/mod/corp.example/secret", As::User("bob"))
        .await;
    let absent = setup
        .get("/-/mod/corp.example/nothere", As::User("bob"))
        .await;
    assert_eq!((held.status, absent.status), (404, 404));
    assert_eq!(held.body.replace("secret", "nothere"), absent.body);
    // alice sees it, and bob's list counts only what he may read.
    let list = setup.get("/-/?q=corp", As::User("alice")).await;
    list.assert_body_has(">corp.example/secret</a>");
    let bob = setup.get("/-/", As::User("bob")).await;
    bob.assert_body_has("<p id=\"count\">124 modules</p>");
}

#[tokio::test]
async fn the_list_is_searched_and_paged() {
    let setup = Setup::start().await;
    let first = setup.get("/-/?q=many", As::Nobody).await;
    first.assert_body_has("<p id=\"count\">121 modules</p>");
    assert_eq!(first.body.matches("<a class=\"module\"").count(), 50);
    assert!(first.body.contains("id=\"next\"") && !first.body.contains("id=\"prev\""));
    let last = setup.get("/-/?q=many&page=3", As::Nobody).await;
    assert_eq!(last.body.matches("<a class=\"module\"").count(), 21);
    assert!(last.body.contains("id=\"prev\"") && !last.body.contains("id=\"next\""));
    // Path prefixes first, then paths that contain the text elsewhere.
    let prefix = setup.get("/-/?q=public.example/x", As::Nobody).await;
    prefix.assert_body_has(">public.example/x/manyfold</a>");
    let order = setup.get("/-/?q=manyf", As::Nobody).await;
    order.assert_body_has("<p id=\"count\">1 modules</p>");
}

#[tokio::test]
async fn forms_need_their_csrf_token() {
    let setup = Setup::start().await;
    let alice = As::User("alice");
    for token in ["", "forged"] {
        let reply = setup
            .post("/-/tokens", alice, &[("label", "ci"), ("csrf", token)])
            .await;
        assert_eq!(reply.status, 403);
        reply.assert_body_has("form expired, reload the page");
        let reply = setup
            .post(
                "/-/admin/users",
                alice,
                &[("username", "eve"), ("password", "x"), ("csrf", token)],
            )
            .await;
        assert_eq!(reply.status, 403);
        let reply = setup
            .post(
                "/-/login",
                As::Nobody,
                &[
                    ("username", "alice"),
                    ("password", "alice-pw"),
                    ("csrf", token),
                ],
            )
            .await;
        assert_eq!(reply.status, 403);
    }
    // bob's token is not alice's.
    let bobs = setup.get("/-/tokens", As::User("bob")).await.csrf();
    let reply = setup
        .post("/-/tokens", alice, &[("label", "ci"), ("csrf", &bobs)])
        .await;
    assert_eq!(reply.status, 403);
    let csrf = setup.get("/-/tokens", alice).await.csrf();
    let reply = setup
        .post("/-/tokens", alice, &[("label", "ci"), ("csrf", &csrf)])
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.assert_body_has("<code id=\"new-token-value\">mg_");
    let start = reply
        .body
        .find("<code id=\"new-token-value\">")
        .expect("the token")
        + 27;
    let token = &reply.body[start..start + reply.body[start..].find('<').expect("its end")];
    let listed = setup.get("/-/tokens", alice).await;
    listed.assert_body_has("<td class=\"label\">ci</td>");
    assert!(!listed.body.contains(token), "a token is shown once");
}

#[tokio::test]
async fn sign_in_sets_a_strict_session_cookie() {
    let setup = Setup::start().await;
    let form = setup.get("/-/login?next=/-/connect", As::Nobody).await;
    form.assert_body_has("id=\"login\" method=\"post\" action=\"/-/login\"");
    let csrf = form.csrf();
    let wrong = [
        ("username", "alice"),
        ("password", "nope"),
        ("csrf", &csrf),
        ("next", "/-/connect"),
    ];
    let reply = setup.post("/-/login", As::Nobody, &wrong).await;
    assert_eq!(reply.status, 401);
    reply.assert_body_has("<p id=\"error\">wrong user name or password</p>");
    let right = [
        ("username", "alice"),
        ("password", "alice-pw"),
        ("csrf", &csrf),
        ("next", "/-/connect"),
    ];
    let reply = setup.post("/-/login", As::Nobody, &right).await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.header("location"), "/-/connect");
    let cookie = reply.header("set-cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    // Only a page of the UI as the next stop.
    let away = [
        ("username", "alice"),
        ("password", "alice-pw"),
        ("csrf", &csrf),
        ("next", "https://evil.example/"),
    ];
    let reply = setup.post("/-/login", As::Nobody, &away).await;
    assert_eq!(reply.header("location"), "/-/");

    let session = setup.sign_in("alice").await;
    let page = setup.get("/-/", As::Cookie(&session)).await;
    page.assert_body_has("<span id=\"whoami\">alice</span>");
    page.assert_body_has("<form class=\"inline\" id=\"sign-out\"");
    assert_eq!(
        setup.get("/-/admin", As::Cookie(&session)).await.status,
        200
    );
    // A forged cookie is nobody.
    let forged = session.replace(".YWxpY2U.", ".Ym9i.");
    assert_ne!(forged, session);
    let page = setup.get("/-/tokens", As::Cookie(&forged)).await;
    assert_eq!(page.status, 303);
    // Signing out needs the session's token, and clears the cookie.
    let csrf = page_csrf(&setup, &session).await;
    let out = setup
        .post("/-/logout", As::Cookie(&session), &[("csrf", &csrf)])
        .await;
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
}

async fn page_csrf(setup: &Setup, session: &str) -> String {
    setup.get("/-/tokens", As::Cookie(session)).await.csrf()
}

#[tokio::test]
async fn module_pages_show_readme_marks_and_provenance() {
    let setup = Setup::start().await;
    let page = setup
        .get("/-/mod/corp.example/secret", As::User("alice"))
        .await;
    let body = &page.body;
    page.assert_body_has("<h1 id=\"module\">corp.example/secret</h1>");
    // README.md rendered and sanitized.
    page.assert_body_has("<div id=\"readme\"><h1>Secret</h1>");
    assert!(
        body.contains("<strong>this</strong>") && !body.contains("alert("),
        "{body}"
    );
    // Newest first; v1.0.0 retracted; the latest's go.mod deprecates the module.
    let v110 = body
        .find("<td class=\"v\"><a href=\"/-/mod/corp.example/secret?v=v1.1.0\"")
        .expect("v1.1.0");
    let v100 = body
        .find("<td class=\"v\"><a href=\"/-/mod/corp.example/secret?v=v1.0.0\"")
        .expect("v1.0.0");
    assert!(v110 < v100);
    let row_of = |at: usize| &body[at..at + body[at..].find("</tr>").expect("a row's end")];
    assert!(
        row_of(v100).contains("class=\"mark retracted\" title=\"leaks keys\""),
        "{body}"
    );
    assert!(row_of(v110).contains("class=\"mark deprecated\""), "{body}");
    assert!(row_of(v110).contains("<td class=\"source\">published</td>"));
    assert!(row_of(v110).contains(">alice</td>"), "{}", row_of(v110));
    assert!(row_of(v110).contains("<td class=\"h1\">h1:"));
    page.assert_body_has("<pre id=\"gomod\">// Deprecated: use corp.example/next.");
    page.assert_body_has(
        "<li><code>corp.example/secret</code></li><li><code>corp.example/secret/inner</code></li>",
    );

    let upstream = setup.get("/-/mod/gateway.example/up", As::Nobody).await;
    upstream.assert_body_has("<td class=\"source\">upstream</td>");
    upstream.assert_body_has("<td class=\"time\">2023-05-06T07:08:09Z</td>");
    // A filter's denial is shown, with its reason, rather than hidden.
    let denied = setup
        .get("/-/mod/team.example/tool", As::User("alice"))
        .await;
    assert!(
        denied
            .body
            .contains("class=\"mark denied\" title=\"abandoned: use team.example/next\""),
        "{}",
        denied.body
    );
    let stored = setup.get("/-/mod/public.example/pub", As::Nobody).await;
    stored.assert_body_has("<td class=\"source\">stored</td>");
    assert!(!stored.body.contains("id=\"readme\""), "no zip, no README");
}

#[tokio::test]
async fn connect_names_only_what_the_user_may_read() {
    let setup = Setup::start().await;
    let alice = setup.get("/-/connect", As::User("alice")).await;
    assert!(
        alice
            .body
            .contains("GONOSUMDB=corp.example,public.example,team.example\n"),
        "{}",
        alice.body
    );
    alice.assert_body_has("GONOPROXY=none");
    alice.assert_body_has("login alice password YOUR-PASSWORD-OR-TOKEN");
    alice.assert_body_has("data-copy=\"connect-env\"");
    let bob = setup.get("/-/connect", As::User("bob")).await;
    bob.assert_body_has("GONOSUMDB=public.example,team.example\n");
    assert!(!bob.body.contains("bob-pw"));
    assert!(!bob.body.contains("id=\"ca-hint\""));
}

#[tokio::test]
async fn a_published_module_is_listed_at_once() {
    let setup = Setup::start().await;
    let before = setup
        .get("/-/?q=corp.example/fresh", As::User("alice"))
        .await;
    before.assert_body_has("<p id=\"count\">0 modules</p>");
    setup.publish("corp.example/fresh", "v0.1.0").await;
    let after = setup
        .get("/-/?q=corp.example/fresh", As::User("alice"))
        .await;
    after.assert_body_has(">corp.example/fresh</a>");
}

#[tokio::test]
async fn admins_add_and_remove_users_and_a_removed_user_is_signed_out() {
    let setup = Setup::start().await;
    let alice = As::User("alice");
    let csrf = setup.get("/-/admin/users", alice).await.csrf();
    let fields = [
        ("username", "carol"),
        ("password", "carol-pw"),
        ("csrf", csrf.as_str()),
    ];
    let added = setup.post("/-/admin/users", alice, &fields).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let users = setup.get("/-/admin/users", alice).await;
    users.assert_body_has("<td class=\"name\">carol</td>");
    // bob is no admin: the form is refused whatever it carries.
    let bobs = setup.get("/-/tokens", As::User("bob")).await.csrf();
    let fields = [("csrf", bobs.as_str())];
    let refused = setup
        .post("/-/admin/users/carol/remove", As::User("bob"), &fields)
        .await;
    assert_eq!(refused.status, 403);

    let carol = setup.sign_in("carol").await;
    assert_eq!(setup.get("/-/tokens", As::Cookie(&carol)).await.status, 200);
    let fields = [("csrf", csrf.as_str())];
    let removed = setup
        .post("/-/admin/users/carol/remove", alice, &fields)
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert_eq!(setup.get("/-/tokens", As::Cookie(&carol)).await.status, 303);
    let events = setup.get("/-/admin/events", alice).await;
    assert!(
        events
            .body
            .contains("<td class=\"action\">user.remove</td>"),
        "{}",
        events.body
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_that_ends_tls_urls_are_https_and_cookies_secure() {
    let setup = Setup::start().await;
    let forwarded = |path: &str| {
        setup
            .client
            .get(format!("{}{path}", setup.base))
            .basic_auth("bob", Some("bob-pw"))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "modgate.corp.example")
    };
    let page = forwarded("/-/connect").send().await.expect("a response");
    let page = page.text().await.expect("a page");
    assert!(
        page.contains("go env -w GOPROXY=https://modgate.corp.example\n"),
        "{page}"
    );
    assert!(
        page.contains("machine modgate.corp.example login bob"),
        "{page}"
    );
    let login = setup.get("/-/login", As::Nobody).await;
    let csrf = login.csrf();
    let form = [
        ("username", "bob"),
        ("password", "bob-pw"),
        ("csrf", csrf.as_str()),
    ];
    let signed_in = setup
        .client
        .post(format!("{}/-/login", setup.base))
        .header("x-forwarded-proto", "https")
        .form(&form)
        .send()
        .await
        .expect("a response");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok());
    assert!(cookie.is_some_and(|c| c.contains("; Secure")), "{cookie:?}");
}
