//! HTTP-level behaviour of a running modgate without the go command: hostile and malformed
//! requests, caching headers, the not-found policy of private routes, and the ops endpoints.
//! Every refusal must be one line of `text/plain` (the go command shows it, spec 1.5) and
//! must leave the store exactly as it was.

use std::collections::BTreeMap;

use crate::support::{
    Modgate, Reply, TreeBuilder, digest_tree, private_tree, public_tree, raw_request, temp_dir,
    write_file, write_htpasswd,
};

/// A public catch-all open to anyone, a private route that refuses what it lacks, and one that
/// answers a plain 404 instead.
const CONFIG: &str = r#"
[server]
realm = "modgate"

[auth]
htpasswd = "htpasswd"

[[route]]
prefix = "*"
anonymous = true

[[route]]
prefix = "corp.example"
private = true

[[route]]
prefix = "team.example"
private = true
missing = "not-found"
"#;

/// `alice:s3cret`.
const ALICE: (&str, &str) = ("authorization", "Basic YWxpY2U6czNjcmV0");

struct Fixture {
    dir: tempfile::TempDir,
    server: Modgate,
    before: BTreeMap<String, String>,
}

impl Fixture {
    fn start() -> Fixture {
        let dir = temp_dir();
        let store = dir.path().join("store");
        public_tree(&store);
        private_tree(&store);
        TreeBuilder::new(&store).add(
            "team.example/x",
            "v1.0.0",
            "2024-02-01T00:00:00Z",
            &[
                ("go.mod", "module team.example/x\n\ngo 1.19\n"),
                ("x.go", "package x\n"),
            ],
        );
        write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
        let config = dir.path().join("modgate.toml");
        write_file(&config, CONFIG);
        let before = digest_tree(&store);
        let server = Modgate::start(&store, Some(&config), None);
        Fixture {
            dir,
            server,
            before,
        }
    }

    fn get(&self, path: &str) -> Reply {
        self.server.http().get(path)
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.server.http().send("GET", path, headers)
    }

    /// A request line sent as it is, past any URL normalisation.
    fn raw(&self, request_line: &str) -> Reply {
        raw_request(self.server.port(), request_line)
    }

    fn stored(&self, module: &str, version: &str, extension: &str) -> Vec<u8> {
        let tree = TreeBuilder::new(self.dir.path().join("store"));
        std::fs::read(tree.file(module, version, extension)).expect("reading a stored file")
    }

    fn assert_store_unchanged(&self) {
        assert_eq!(
            digest_tree(&self.dir.path().join("store")),
            self.before,
            "a request changed the store"
        );
    }
}

#[test]
fn malformed_paths_and_versions_are_one_line_404s() {
    let f = Fixture::start();
    let long = format!("/example.com/{}/@v/list", "a".repeat(2100));
    let cases = [
        // Dot elements, sent raw: a URL parser would resolve them before they left.
        "/example.com/../hello/@v/list",
        "/example.com/hello/../hello/@v/v1.0.0.info",
        "/example.com/./hello/@v/list",
        "/example.com/hello/@v/../@v/list",
        "/%2e%2e/etc/passwd/@v/list",
        // An encoded slash or NUL.
        "/example.com%2Fhello/@v/list",
        "/example.com%2fhello/@v/v1.0.0.info",
        "/example.com/hello%00/@v/list",
        "/example.com/hello/@v/v1.0.0%00.info",
        // Broken `!` escapes, and capitals that should have been escaped.
        "/example.com/!!corp/!lib/@v/list",
        "/example.com/!corp/!lib!/@v/list",
        "/example.com/!1corp/@v/list",
        "/example.com/Corp/Lib/@v/list",
        "/example.com/Corp/Lib/@v/v1.0.0.zip",
        "/example.com/!upper/@v/v0.1.0-RC1.zip",
        "/example.com/!upper/@v/v0.1.0-!r!!c1.info",
        // `.mod` and `.zip` exist only for canonical versions.
        "/example.com/hello/@v/v1.0.mod",
        "/example.com/hello/@v/v1.0.zip",
        "/example.com/hello/@v/v1.0.0+meta.mod",
        "/example.com/hello/@v/v1.0.0+meta.zip",
        // Malformed versions, a wrong major version, and unknown files.
        "/example.com/hello/@v/1.0.0.info",
        "/example.com/hello/@v/v1.0.0.0.mod",
        "/example.com/hello/@v/v01.0.0.zip",
        "/example.com/hello/@v/v1.0.0-.info",
        "/example.com/hello/@v/.info",
        "/example.com/hello/@v/V1.0.0.info",
        "/example.com/hello/@v/v2.0.0.mod",
        "/example.com/hello/v2/@v/v1.0.0.zip",
        "/example.com/hello/@v/v1.0.0.txt",
        "/example.com/hello/@v/v1.0.0",
        "/example.com/hello/@v/",
        "/example.com/hello",
        "/",
        &long,
    ];
    for path in cases {
        let reply = f.raw(&format!("GET {path} HTTP/1.1"));
        reply.assert_error(404, path);
    }
    // Rights come before parsing on a private route: a stranger learns nothing, not even
    // whether the path is well-formed.
    let reply = f.raw("GET /corp.example/../a/@v/list HTTP/1.1");
    reply.assert_error(401, "malformed private path without credentials");
    let reply = f.raw(&format!(
        "GET /corp.example/../a/@v/list HTTP/1.1\r\n{}: {}",
        ALICE.0, ALICE.1
    ));
    reply.assert_error(404, "malformed private path with credentials");
    f.assert_store_unchanged();
}

#[test]
fn oversized_requests_are_refused() {
    let f = Fixture::start();
    let long_path = format!("/example.com/{}/@v/list", "a".repeat(4096));
    f.get(&long_path).assert_error(404, "path over 2048 bytes");
    let big = "x".repeat(64 * 1024);
    let reply = f.get_with("/example.com/hello/@v/list", &[("x-filler", &big)]);
    assert_eq!(reply.status, 431, "64 KiB header: {:?}", reply.text());
    // The server is still there for well-behaved clients.
    assert_eq!(f.get("/example.com/hello/@v/list").status, 200);
    f.assert_store_unchanged();
}

#[test]
fn bad_credentials_get_401_with_a_challenge() {
    let f = Fixture::start();
    let cases = [
        ("Basic !!!notbase64", "bad base64"),
        ("Basic YWxpY2U=", "no colon"),
        ("Basic", "no credentials"),
        ("Bearer", "unknown scheme"),
        ("Digest username=\"alice\"", "unknown scheme"),
        ("Basic YWxpY2U6d3Jvbmc=", "wrong password"),
        ("Basic bWFsbG9yeTpzM2NyZXQ=", "unknown user"),
    ];
    // On a public path too: a typo in .netrc should show at once, not as a missing module.
    for path in [
        "/example.com/hello/@v/list",
        "/corp.example/a/@v/v1.0.0.info",
    ] {
        for (value, what) in cases {
            let reply = f.get_with(path, &[("authorization", value)]);
            let what = format!("{what} ({value}) on {path}");
            reply.assert_error(401, &what);
            assert_challenge(&reply, &what);
        }
    }
    let reply = f.get_with(
        "/corp.example/a/@v/v1.0.0.info",
        &[("authorization", "Basic YWxpY2U6d3Jvbmc=")],
    );
    let line = reply.assert_error(401, "wrong password");
    assert!(
        line.contains("wrong user name or password") && !line.contains("wrong\""),
        "{line}"
    );
    let reply = f.get("/corp.example/a/@v/v1.0.0.info");
    let line = reply.assert_error(401, "no credentials on a private route");
    assert_challenge(&reply, "no credentials");
    assert!(line.contains("authentication required"), "{line}");
    f.assert_store_unchanged();
}

fn assert_challenge(reply: &Reply, what: &str) {
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Basic realm=\"modgate\""),
        "{what}: WWW-Authenticate {challenge:?}"
    );
}

#[test]
fn only_get_and_head_are_allowed() {
    let f = Fixture::start();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let reply = f
            .server
            .http()
            .send(method, "/example.com/hello/@v/v1.0.0.zip", &[]);
        reply.assert_error(405, method);
    }
    f.assert_store_unchanged();
}

#[test]
fn caching_headers_etags_and_head() {
    let f = Fixture::start();
    let immutable = [
        "/example.com/hello/@v/v1.0.0.info",
        "/example.com/hello/@v/v1.0.0.mod",
        "/example.com/hello/@v/v1.0.0.zip",
        "/example.com/!corp/!lib/@v/v1.0.0.zip",
        "/example.com/%21upper/@v/v0.1.0-%21r%21c1.mod",
        "/example.com/legacy/@v/v2.0.0+incompatible.zip",
    ];
    let short_lived = ["/example.com/hello/@v/list", "/example.com/hello/@latest"];
    for path in immutable.iter().chain(&short_lived) {
        let reply = f.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        let cache_control = reply.header("cache-control").unwrap_or_default();
        if immutable.contains(path) {
            assert!(
                cache_control.contains("immutable") && cache_control.contains("max-age="),
                "{path}: Cache-Control {cache_control:?}"
            );
        } else {
            assert!(
                !cache_control.contains("immutable") && max_age(cache_control) <= 300,
                "{path}: Cache-Control {cache_control:?}"
            );
        }

        let etag = reply
            .header("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_owned();
        let again = f.get_with(path, &[("if-none-match", &etag)]);
        assert_eq!(again.status, 304, "{path} with If-None-Match {etag}");
        assert!(again.body.is_empty(), "{path}: 304 with a body");
        let other = f.get_with(path, &[("if-none-match", "\"something-else\"")]);
        assert_eq!(other.status, 200, "{path} with another ETag");

        let head = f.server.http().send("HEAD", path, &[]);
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has a body");
        assert_eq!(
            head.header("content-length"),
            Some(reply.body.len().to_string().as_str()),
            "HEAD {path}: Content-Length"
        );
        assert_eq!(
            head.header("etag"),
            Some(etag.as_str()),
            "HEAD {path}: ETag"
        );
    }

    // Zips are already deflated, and a gzip-encoded body could not be resumed (spec 1.6).
    let zip = f.get_with(
        "/example.com/hello/@v/v1.0.0.zip",
        &[("accept-encoding", "gzip, deflate, br")],
    );
    let stored = f.stored("example.com/hello", "v1.0.0", "zip");
    assert_eq!(zip.header("content-encoding"), None);
    assert_eq!(
        zip.header("content-length"),
        Some(stored.len().to_string().as_str())
    );
    assert_eq!(zip.body, stored, "the zip is not served byte for byte");
    f.assert_store_unchanged();
}

/// `max-age=N` from a Cache-Control value; absent counts as unbounded.
fn max_age(cache_control: &str) -> u64 {
    cache_control
        .split(',')
        .filter_map(|d| d.trim().strip_prefix("max-age="))
        .find_map(|n| n.parse().ok())
        .unwrap_or(u64::MAX)
}

#[test]
fn list_latest_and_non_canonical_info() {
    let f = Fixture::start();
    let list = f.get("/example.com/hello/@v/list");
    assert_eq!(list.status, 200);
    assert_eq!(list.text(), "v1.0.0\nv1.1.0\nv1.2.0\nv1.3.0-rc.1\n");

    // Known, but no tagged versions: 200 with an empty body, or @latest queries fail.
    let nover = f.get("/example.com/nover/@v/list");
    assert_eq!((nover.status, nover.text()), (200, String::new()));
    let latest = f.get("/example.com/nover/@latest");
    assert_eq!(latest.status, 200);
    assert_eq!(
        latest.body,
        f.stored(
            "example.com/nover",
            "v0.0.0-20230701120000-0123456789ab",
            "info"
        )
    );
    let latest = f.get("/example.com/hello/@latest");
    assert_eq!(latest.body, f.stored("example.com/hello", "v1.2.0", "info"));

    // The go command asks for `v1.0.0+meta.info` first; the canonical answer saves a retry.
    let info = f.get("/example.com/hello/@v/v1.0.0+meta.info");
    assert_eq!(info.status, 200, "{}", info.text());
    assert_eq!(info.body, f.stored("example.com/hello", "v1.0.0", "info"));

    // Escaped upper case, with `!` sent raw or as %21, both decode to the same module.
    for path in [
        "/example.com/!corp/!lib/@v/v1.0.0.mod",
        "/example.com/%21corp/%21lib/@v/v1.0.0.mod",
    ] {
        let reply = f.get(path);
        assert_eq!(reply.status, 200, "{path}");
        assert_eq!(
            reply.body,
            f.stored("example.com/Corp/Lib", "v1.0.0", "mod")
        );
    }
    // A plain 404 for what the public route does not hold, so `go` may ask the next proxy.
    f.get("/example.com/nothing/@v/list")
        .assert_error(404, "unknown public module");
    f.get("/example.com/hello/@v/v1.9.9.info")
        .assert_error(404, "unknown public version");
    f.assert_store_unchanged();
}

#[test]
fn private_routes_refuse_what_they_lack_except_import_probes() {
    let f = Fixture::start();
    let as_alice = |path: &str| f.get_with(path, &[ALICE]);
    let ok = as_alice("/corp.example/a/@v/v1.0.0.info");
    assert_eq!(ok.status, 200, "{}", ok.text());

    let refused = [
        "/corp.example/a/@v/v1.9.9.info",
        "/corp.example/a/@v/v1.9.9.mod",
        "/corp.example/a/@v/v1.9.9.zip",
        // What `go mod download corp.example/a@v9.9.9` asks: a version no v1 module can have.
        "/corp.example/a/@v/v9.9.9.info",
        "/corp.example/zzz/@v/list",
        "/corp.example/zzz/@latest",
        "/corp.example/zzz/@v/v1.0.0.info",
    ];
    for path in refused {
        as_alice(path).assert_error(403, path);
    }
    // The go command probes every prefix of an import path, and the import path itself;
    // anything but 404 there breaks `go get` and `go build`.
    let probes = [
        "/corp.example/@v/list",
        "/corp.example/@latest",
        "/corp.example/a/sub/pkg/@v/list",
        "/corp.example/a/sub/@latest",
    ];
    for path in probes {
        as_alice(path).assert_error(404, path);
    }
    // With `missing = "not-found"`, all of them are plain 404s.
    for path in [
        "/team.example/x/@v/v1.9.9.info",
        "/team.example/x/@v/v1.9.9.zip",
        "/team.example/zzz/@v/list",
        "/team.example/@v/list",
        "/team.example/x/sub/pkg/@v/list",
    ] {
        as_alice(path).assert_error(404, path);
    }
    f.assert_store_unchanged();
}

#[test]
fn without_a_catch_all_route_unrouted_paths_are_404() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    public_tree(&store);
    private_tree(&store);
    let config = dir.path().join("modgate.toml");
    write_file(
        &config,
        "[[route]]\nprefix = \"corp.example\"\nprivate = true\n",
    );
    let server = Modgate::start(&store, Some(&config), None);
    // Held in the store, but outside every route.
    server
        .http()
        .get("/example.com/hello/@v/v1.0.0.info")
        .assert_error(404, "unrouted module");
    let ok = server.http().get("/corp.example/a/@v/list");
    assert_eq!((ok.status, ok.text()), (200, "v1.0.0\n".to_owned()));
}

#[test]
fn health_readiness_and_metrics() {
    let f = Fixture::start();
    for path in ["/healthz", "/readyz"] {
        let reply = f.get(path);
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
    }
    // Some traffic first, so the counter has samples.
    assert_eq!(f.get("/example.com/hello/@v/list").status, 200);
    assert_eq!(f.get("/example.com/nothing/@v/list").status, 404);
    let metrics = f.get("/metrics");
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    assert!(
        text.lines()
            .any(|l| l.starts_with("modgate_http_requests_total{")),
        "{text}"
    );
}
