//! The web UI through the real binary: over TLS (the session cookie is `Secure`, the connect
//! page names the port and hints at the private CA), and the origin of versions as the
//! gateway's upstream cache and a copied tree left them. The browser tests (Chromium) are in
//! their own module; these need only HTTP.

use crate::support::{
    Gateway, Http, Modgate, TestCa, temp_dir, tls_config, write_file, write_htpasswd,
};

/// A client that does not follow redirects: a sign-in's cookie comes with its 303.
fn no_redirects(ca: &std::path::Path) -> reqwest::Client {
    let pem = std::fs::read(ca).expect("reading the CA");
    reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
}

fn hidden_csrf(page: &str) -> String {
    let start = page.find("name=\"csrf\" value=\"").expect("a csrf input") + 19;
    let end = page[start..].find('"').expect("the value's end");
    page[start..start + end].to_owned()
}

#[test]
fn ui_over_tls_signs_in_with_a_secure_cookie_and_hints_at_the_ca() {
    let dir = temp_dir();
    let ca = TestCa::create(dir.path());
    write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "alice-pw")]);
    let config = dir.path().join("modgate.toml");
    let routes = "[[route]]\nprefix = \"corp.example\"\nprivate = true\nusers = [\"alice\"]\n";
    write_file(&config, tls_config(&[], routes));
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).expect("store");
    let server = Modgate::start(&store, Some(&config), Some(&ca.ca));
    let http = Http::new(&server.url(), Some(&ca.ca));
    let client = no_redirects(&ca.ca);
    let base = server.url();
    http.runtime().block_on(async {
        // Nobody may read anything: every page sends to the sign-in form.
        let home = client
            .get(format!("{base}/-/"))
            .send()
            .await
            .expect("a response");
        assert_eq!(home.status().as_u16(), 303);
        let login = client
            .get(format!("{base}/-/login"))
            .send()
            .await
            .expect("a response");
        let csrf = hidden_csrf(&login.text().await.expect("a page"));
        let form = [
            ("username", "alice"),
            ("password", "alice-pw"),
            ("csrf", csrf.as_str()),
            ("next", "/-/connect"),
        ];
        let signed_in = client
            .post(format!("{base}/-/login"))
            .form(&form)
            .send()
            .await
            .expect("a response");
        assert_eq!(signed_in.status().as_u16(), 303);
        let cookie = signed_in
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .expect("a session cookie")
            .to_owned();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        let session = cookie.split(';').next().expect("name=value").to_owned();
        let connect = client
            .get(format!("{base}/-/connect"))
            .header("cookie", session)
            .send()
            .await
            .expect("a response");
        assert_eq!(connect.status().as_u16(), 200);
        let page = connect.text().await.expect("a page");
        let port = server.port();
        assert!(
            page.contains(&format!("go env -w GOPROXY=https://127.0.0.1:{port}\n")),
            "{page}"
        );
        assert!(page.contains("GONOSUMDB=corp.example\n"), "{page}");
        assert!(
            page.contains("machine 127.0.0.1 login alice password"),
            "{page}"
        );
        assert!(
            page.contains(&format!("machine 127.0.0.1:{port} login alice")),
            "{page}"
        );
        assert!(
            page.contains("id=\"ca-hint\""),
            "the test CA is no system CA: {page}"
        );
        assert!(!page.contains("alice-pw"));
    });
}

#[test]
fn ui_shows_where_each_version_came_from() {
    let gateway = Gateway::start("", "");
    let http = gateway.server.http();
    for file in ["info", "zip"] {
        let reply = http.get(&format!("/example.com/words/@v/v1.1.0.{file}"));
        assert_eq!(reply.status, 200, "{file}: {}", reply.text());
    }
    let only_mod = http.get("/example.com/words/@v/v1.0.0.mod");
    assert_eq!(only_mod.status, 200);

    let page = http.get("/-/mod/example.com/words");
    assert_eq!(page.status, 200, "{}", page.text());
    let page = page.text();
    let row = |version: &str| {
        let at = page
            .find(&format!("?v={version}\">{version}</a>"))
            .unwrap_or_else(|| panic!("{version} is listed: {page}"));
        page[at..at + page[at..].find("</tr>").expect("a row's end")].to_owned()
    };
    let cached = row("v1.1.0");
    assert!(
        cached.contains("<td class=\"source\">upstream</td>"),
        "{cached}"
    );
    assert!(cached.contains("<td class=\"h1\">h1:"), "{cached}");
    assert!(
        cached.contains("<td class=\"time\">2023-02-01T00:00:00Z</td>"),
        "{cached}"
    );
    // Only its go.mod is cached: no h1: yet.
    let half = row("v1.0.0");
    assert!(
        half.contains("<td class=\"source\">upstream</td><td class=\"by\""),
        "{half}"
    );
    assert!(half.contains("<td class=\"h1\"></td>"), "{half}");
    assert!(
        page.contains("<li><code>example.com/words</code></li>"),
        "{page}"
    );

    // The private tree was copied in: modgate did not write it.
    let copied = http.get("/-/mod/corp.example/b").text();
    assert!(
        copied.contains("<td class=\"source\">stored</td>"),
        "{copied}"
    );
    let list = http.get("/-/?q=example").text();
    assert!(
        list.contains(">corp.example/a</a>") && list.contains(">example.com/words</a>"),
        "{list}"
    );
}
