//! What an upstream gateway refuses: filtered modules and versions (with the rule's reason),
//! anything not stored while offline, a private route that would ask upstream, and an upstream
//! whose certificate it cannot trust; and `modgate prefetch`, which warms it.

use crate::support::{
    Gateway, GoEnv, Modgate, TestCa, digest_tree, go_clients, public_tree, temp_dir, write_file,
};

#[test]
fn offline_mode_serves_the_store_and_refuses_the_rest() {
    let gateway = Gateway::start("offline = true", "");
    let http = gateway.server.http();
    assert_eq!(http.get("/corp.example/a/@v/v1.0.0.info").status, 200);
    let reason = http
        .get("/example.com/greet/@v/v1.0.0.info")
        .assert_error(403, "offline");
    assert!(reason.contains("offline"), "{reason}");
    assert!(gateway.second().requests().is_empty());
    let before = digest_tree(&gateway.store);
    http.get("/example.com/greet/@v/list")
        .assert_error(403, "offline list");
    assert_eq!(digest_tree(&gateway.store), before);
    // Nor is the checksum database asked.
    let reason = http
        .get("/sumdb/sumdb.test/lookup/example.com/greet@v1.0.0")
        .assert_error(502, "offline lookup");
    assert!(reason.contains("offline"), "{reason}");
    assert!(gateway.sumdb.requests().is_empty());
}

#[test]
fn private_routes_cannot_use_upstream() {
    let dir = temp_dir();
    let config = dir.path().join("modgate.toml");
    write_file(
        &config,
        "[[route]]\nprefix = \"corp.example\"\nprivate = true\nsource = \"upstream\"\n",
    );
    let out = crate::support::modgate_command()
        .args(["serve", "--config"])
        .arg(&config)
        .output()
        .expect("running modgate");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("route[0].source"), "{stderr}");
}

const FILTERS: &str = r#"
[[filter]]
module = "example.com/words"
versions = "< v1.1.0"
reason = "CVE-2099-0001: words before v1.1.0 leak secrets"

[[filter]]
module = "example.com/legacy"
reason = "license not approved"
"#;

#[test]
fn filters_deny_with_their_reason_before_anything_is_fetched() {
    let gateway = Gateway::start("", FILTERS);
    let http = gateway.server.http();
    let reason = http
        .get("/example.com/words/@v/v1.0.0.info")
        .assert_error(403, "denied version");
    assert!(reason.contains("CVE-2099-0001"), "{reason}");
    http.get("/example.com/words/@v/v1.0.0.zip")
        .assert_error(403, "denied zip");
    // The list leaves the denied version out, so `go get -u` never picks it.
    assert_eq!(http.get("/example.com/words/@v/list").text(), "v1.1.0\n");
    assert_eq!(http.get("/example.com/words/@v/v1.1.0.info").status, 200);
    let reason = http
        .get("/example.com/legacy/@v/list")
        .assert_error(403, "denied module");
    assert!(reason.contains("license not approved"), "{reason}");
    let asked = gateway.second().requests();
    assert!(
        asked
            .iter()
            .all(|p| !p.contains("legacy") && !p.contains("words/@v/v1.0.0")),
        "{asked:?}"
    );
}

#[test]
#[ignore = "needs go"]
fn the_go_command_shows_a_filter_reason() {
    let gateway = Gateway::start("", FILTERS);
    for go in go_clients() {
        let env = GoEnv::new(&go, &gateway.server.url());
        let out = env
            .run(None, &["mod", "download", "example.com/words@v1.0.0"])
            .failure();
        assert!(
            out.stderr.contains("403 Forbidden") && out.stderr.contains("CVE-2099-0001"),
            "{}",
            out.describe()
        );
        // `@latest` passes over nothing here, but `go get` of the module picks an allowed one.
        let app = env.app(&[]);
        env.run(Some(&app), &["get", "example.com/words"]).success();
        let go_mod = std::fs::read_to_string(app.join("go.mod")).expect("go.mod");
        assert!(go_mod.contains("example.com/words v1.1.0"), "{go_mod}");
    }
}

#[test]
fn prefetch_warms_the_store_from_a_go_sum_and_specs() {
    let gateway = Gateway::start("", "");
    let dir = temp_dir();
    let go_sum = dir.path().join("go.sum");
    write_file(
        &go_sum,
        "example.com/greet v1.0.0 h1:ignored=\nexample.com/greet v1.0.0/go.mod h1:ignored=\nexample.com/words v1.0.0/go.mod h1:ignored=\n",
    );
    let out = crate::support::modgate_command()
        .args(["prefetch", "--config"])
        .arg(gateway.dir.path().join("modgate.toml"))
        .arg("--store")
        .arg(&gateway.store)
        .arg(&go_sum)
        .arg("example.com/hello@v1.2.0")
        .output()
        .expect("running modgate prefetch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("prefetched 3 versions, 0 failed"),
        "{stdout}"
    );
    assert!(gateway.stored("example.com/greet", "v1.0.0", "zip"));
    assert!(gateway.stored("example.com/hello", "v1.2.0", "zip"));
    assert!(gateway.stored("example.com/words", "v1.0.0", "mod"));
    assert!(!gateway.stored("example.com/words", "v1.0.0", "zip"));

    // A version upstream does not have fails the command, naming it.
    let out = crate::support::modgate_command()
        .args(["prefetch", "--config"])
        .arg(gateway.dir.path().join("modgate.toml"))
        .arg("--store")
        .arg(&gateway.store)
        .arg("example.com/hello@v1.9.0")
        .output()
        .expect("running modgate prefetch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("failed example.com/hello@v1.9.0"),
        "{stdout}"
    );
}

/// Outbound connections trust the system's CAs and `[network] ca_file`: a gateway whose
/// upstream proxy has a certificate from a company CA fetches through it once the CA is
/// configured, and answers 502 (never 404) while it is not.
#[test]
fn an_upstream_over_tls_is_trusted_through_the_configured_ca() {
    let dir = temp_dir();
    // The upstream: a modgate serving a public tree over TLS, its certificate from a test CA.
    let upstream_dir = dir.path().join("upstream");
    let tree = public_tree(&upstream_dir.join("store"));
    let ca = TestCa::create(&upstream_dir);
    let upstream_config = upstream_dir.join("modgate.toml");
    write_file(
        &upstream_config,
        "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n",
    );
    let upstream = Modgate::start(tree.root(), Some(&upstream_config), Some(&ca.ca));
    let gateway = |name: &str, network: &str| {
        let config = dir.path().join(format!("{name}.toml"));
        write_file(
            &config,
            format!(
                "{network}\n[upstream]\nproxies = \"{}\"\n\n[sumdb]\nverify = false\n\n\
                 [[route]]\nprefix = \"*\"\nsource = \"upstream\"\n",
                upstream.url()
            ),
        );
        Modgate::start(&dir.path().join(name), Some(&config), None)
    };
    let path = "/example.com/hello/@v/v1.0.0.mod";
    let untrusting = gateway("untrusting", "");
    let reply = untrusting.http().get(path);
    assert_eq!(reply.status, 502, "{}", reply.text());
    let ca_line = format!("[network]\nca_file = \"{}\"\n", ca.ca.display());
    let trusting = gateway("trusting", &ca_line);
    let reply = trusting.http().get(path);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().starts_with("module example.com/hello"));
}
