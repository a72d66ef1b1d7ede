//! The real `go` command against a running modgate, with every client `go_clients()` finds
//! (Go 1.19 and a current Go in CI). These need `go`, so they are ignored by default; CI runs
//! them with `--include-ignored`.

use std::path::Path;
use std::process::Command;

use crate::support::{
    Backend, GoEnv, Modgate, Second, Storage, TestCa, copy_tree, digest_tree, file_url, go_clients,
    private_tree, public_tree, temp_dir, tls_config, write_htpasswd,
};

/// An upper-case path, a `/v2` module, `+incompatible` without a go.mod, and pre-releases
/// with lower- and upper-case tags: each is escaped or hashed differently.
const ODD_VERSIONS: &[&str] = &[
    "example.com/Corp/Lib@v1.0.0",
    "example.com/hello/v2@v2.0.0",
    "example.com/legacy@v2.0.0+incompatible",
    "example.com/hello@v1.3.0-rc.1",
    "example.com/Upper@v0.1.0-RC1",
];

/// With TLS and users from htpasswd (`tls_config`): the realm, and one private route.
const PRIVATE_REST: &str = r#"
[server]
realm = "modgate"

[[route]]
prefix = "corp.example"
private = true
"#;

/// main imports a package below a's root (so `go` probes `corp.example/a/util`, a descendant
/// of a held module, as a module path) and `b`; `a/util` imports `a`, which imports `b`.
/// Importing `a` directly as well would let `go` find `a/util` inside it without the probe
/// mattering. `println` keeps the build off `fmt`, which a fresh build cache would otherwise
/// compile for every case.
const MAIN_GO: &str = r#"package main

import (
	"corp.example/a/util"
	"corp.example/b"
)

func main() { println(util.Twice("c"), b.B()) }
"#;

/// A private setup: store, CA, users and config in one directory, modgate serving it (for
/// S3, the store is imported into a bucket prefix and the bucket is served).
struct PrivateProxy {
    // Field order is drop order: modgate before the S3 server it uses.
    server: Modgate,
    _backend: Backend,
    ca: TestCa,
    dir: tempfile::TempDir,
}

impl PrivateProxy {
    fn start(storage: Storage, prefix: &str) -> PrivateProxy {
        let backend = Backend::new(storage, prefix);
        let dir = temp_dir();
        let store = private_tree(&dir.path().join("store"));
        let ca = TestCa::create(dir.path());
        write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
        let config = dir.path().join("modgate.toml");
        let server = backend.serve(
            store.root(),
            &config,
            &tls_config(&[], PRIVATE_REST),
            Some(&ca.ca),
        );
        PrivateProxy {
            server,
            _backend: backend,
            ca,
            dir,
        }
    }

    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("store")
    }

    /// A go environment that trusts the test CA.
    fn go_env(&self, client: &crate::support::GoClient, goproxy: &str) -> GoEnv {
        let mut env = GoEnv::new(client, goproxy);
        env.set("SSL_CERT_FILE", &self.ca.ca.display().to_string());
        env
    }
}

#[test]
#[ignore = "needs go"]
fn downloads_hash_the_same_as_from_a_file_proxy() {
    downloads_hash_the_same_as_from_a_file_proxy_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn downloads_hash_the_same_as_from_a_file_proxy_on_s3() {
    downloads_hash_the_same_as_from_a_file_proxy_with(Storage::S3);
}

fn downloads_hash_the_same_as_from_a_file_proxy_with(storage: Storage) {
    let backend = Backend::new(storage, "goproxy-downloads");
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let before = digest_tree(tree.root());
    let server = backend.serve(tree.root(), &dir.path().join("modgate.toml"), "", None);
    for go in go_clients() {
        let want = GoEnv::new(&go, &file_url(tree.root())).download(ODD_VERSIONS);
        let got = GoEnv::new(&go, &server.url()).download(ODD_VERSIONS);
        assert_eq!(got, want, "{}", go.version);
    }
    // Only a directory store is on disk to compare; the tree is just import's source for S3.
    assert_eq!(
        digest_tree(tree.root()),
        before,
        "serving changed the store"
    );
}

#[test]
#[ignore = "needs go"]
fn versions_and_latest_are_what_go_expects() {
    versions_and_latest_are_what_go_expects_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn versions_and_latest_are_what_go_expects_on_s3() {
    versions_and_latest_are_what_go_expects_with(Storage::S3);
}

fn versions_and_latest_are_what_go_expects_with(storage: Storage) {
    let backend = Backend::new(storage, "goproxy-versions");
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let server = backend.serve(tree.root(), &dir.path().join("modgate.toml"), "", None);
    for go in go_clients() {
        let env = GoEnv::new(&go, &server.url());
        let app = env.app(&[]);
        for (module, want) in [
            (
                "example.com/hello",
                "example.com/hello v1.0.0 v1.1.0 v1.2.0 v1.3.0-rc.1",
            ),
            ("example.com/Corp/Lib", "example.com/Corp/Lib v1.0.0"),
            ("example.com/nover", "example.com/nover"),
        ] {
            let out = env
                .run(Some(&app), &["list", "-m", "-versions", module])
                .success();
            assert_eq!(out.stdout.trim(), want, "{}", out.describe());
        }

        // `latest` is the highest release, not the newer pre-release; for a module with only
        // pseudo-versions (an empty `list`), it is the newest one by time.
        let env = GoEnv::new(&go, &server.url());
        let app = env.app(&[]);
        env.run(Some(&app), &["get", "example.com/hello@latest"])
            .success();
        env.run(Some(&app), &["get", "example.com/nover@latest"])
            .success();
        let out = env
            .run(
                Some(&app),
                &["list", "-m", "example.com/hello", "example.com/nover"],
            )
            .success();
        assert_eq!(
            out.stdout.lines().collect::<Vec<_>>(),
            [
                "example.com/hello v1.2.0",
                "example.com/nover v0.0.0-20230701120000-0123456789ab"
            ],
            "{}",
            out.describe()
        );
    }
}

#[test]
#[ignore = "needs go"]
fn private_modules_build_over_https_with_credentials() {
    private_modules_build_over_https_with_credentials_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn private_modules_build_over_https_with_credentials_on_s3() {
    private_modules_build_over_https_with_credentials_with(Storage::S3);
}

fn private_modules_build_over_https_with_credentials_with(storage: Storage) {
    let proxy = PrivateProxy::start(storage, "goproxy-private");
    let server = &proxy.server;
    for go in go_clients() {
        let from_netrc = {
            let mut env = proxy.go_env(&go, &server.url());
            env.netrc("127.0.0.1", server.port(), "alice", "s3cret");
            env
        };
        let from_url = proxy.go_env(&go, &server.url_with("alice", "s3cret"));
        for (env, get_first) in [(from_netrc, true), (from_url, false)] {
            let app = env.app(&[("main.go", MAIN_GO)]);
            // `go get` of a package resolves its module the same way, through the probes.
            if get_first {
                env.run(Some(&app), &["get", "corp.example/a/util"])
                    .success();
            }
            env.run(Some(&app), &["build", "-o", "app", "."]).success();
            let run = Command::new(app.join("app"))
                .output()
                .expect("running the program");
            // println writes to stderr.
            assert_eq!(
                String::from_utf8_lossy(&run.stderr).trim(),
                "a+bcc b",
                "{}",
                go.version
            );
            let go_sum = std::fs::read_to_string(app.join("go.sum")).expect("go.sum");
            assert!(
                go_sum.contains("corp.example/a v1.0.0 h1:")
                    && go_sum.contains("corp.example/b v1.0.0 h1:"),
                "{go_sum}"
            );
        }
    }
}

#[test]
#[ignore = "needs go"]
fn public_modules_fall_through_and_private_names_never_leak() {
    public_modules_fall_through_and_private_names_never_leak_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn public_modules_fall_through_and_private_names_never_leak_on_s3() {
    public_modules_fall_through_and_private_names_never_leak_with(Storage::S3);
}

fn public_modules_fall_through_and_private_names_never_leak_with(storage: Storage) {
    let proxy = PrivateProxy::start(storage, "goproxy-fallthrough");
    let server = &proxy.server;
    let dir = temp_dir();
    let public = public_tree(&dir.path().join("public"));
    let second = Second::start(public.root());
    let both = |modgate: &str| format!("{modgate},{}", second.url());

    for go in go_clients() {
        // The public module comes from SECOND, the private one from modgate, byte for byte
        // what a file proxy of each tree gives.
        let mut env = proxy.go_env(&go, &both(&server.url()));
        env.netrc("127.0.0.1", server.port(), "alice", "s3cret");
        let got = env.download(&["example.com/hello@v1.0.0", "corp.example/a@v1.0.0"]);
        let want_public =
            GoEnv::new(&go, &file_url(public.root())).download(&["example.com/hello@v1.0.0"]);
        let want_private =
            GoEnv::new(&go, &file_url(&proxy.store())).download(&["corp.example/a@v1.0.0"]);
        assert_eq!(got[0], want_public[0], "{}", go.version);
        assert_eq!(got[1], want_private[0], "{}", go.version);
        let seen = second.take_requests();
        assert!(
            seen.iter().any(|p| p == "/example.com/hello/@v/v1.0.0.zip"),
            "SECOND did not serve the public module: {seen:?}"
        );
        assert_private_never_asked(&seen);

        // A version modgate does not hold is refused, not passed on.
        let out = env
            .run(None, &["mod", "download", "corp.example/a@v9.9.9"])
            .failure();
        assert!(
            out.stderr.contains("403 Forbidden")
                && out.stderr.contains("no such version in this private proxy"),
            "{}",
            out.describe()
        );
        assert_private_never_asked(&second.take_requests());

        // A wrong password stops the go command with modgate's reason.
        let env = proxy.go_env(&go, &both(&server.url_with("alice", "wrong")));
        let out = env
            .run(None, &["mod", "download", "corp.example/a@v1.0.0"])
            .failure();
        assert!(
            out.stderr.contains("401 Unauthorized")
                && out
                    .stderr
                    .contains("server response: wrong user name or password"),
            "{}",
            out.describe()
        );
        assert_private_never_asked(&second.take_requests());

        // No credentials at all: the same, with a hint where to put them.
        let env = proxy.go_env(&go, &both(&server.url()));
        let out = env
            .run(None, &["mod", "download", "corp.example/a@v1.0.0"])
            .failure();
        assert!(
            out.stderr.contains("401 Unauthorized")
                && out.stderr.contains("authentication required"),
            "{}",
            out.describe()
        );
        assert_private_never_asked(&second.take_requests());
    }
}

fn assert_private_never_asked(paths: &[String]) {
    let leaked: Vec<_> = paths
        .iter()
        .filter(|p| p.contains("corp.example"))
        .collect();
    assert!(leaked.is_empty(), "SECOND was asked for {leaked:?}");
}

/// Directory store only: the point is that a GOMODCACHE copied as it is (with `.lock`,
/// `.ziphash` and `list` files) serves unchanged, and that is about files on disk.
#[test]
#[ignore = "needs go"]
fn a_module_cache_is_served_as_it_is() {
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let mut specs = ODD_VERSIONS.to_vec();
    specs.push("example.com/hello@v1.2.0");
    for go in go_clients() {
        let filler = GoEnv::new(&go, &file_url(tree.root()));
        let want = filler.download(&specs);
        let store = temp_dir();
        copy_tree(&filler.download_cache(), store.path());
        assert_has_cache_extras(store.path());
        let before = digest_tree(store.path());

        let server = Modgate::start(store.path(), None, None);
        let env = GoEnv::new(&go, &server.url());
        assert_eq!(env.download(&specs), want, "{}", go.version);
        // The cache's `list` names only what was downloaded; modgate agrees.
        let app = env.app(&[]);
        let out = env
            .run(
                Some(&app),
                &["list", "-m", "-versions", "example.com/hello"],
            )
            .success();
        assert_eq!(
            out.stdout.trim(),
            "example.com/hello v1.2.0 v1.3.0-rc.1",
            "{}",
            out.describe()
        );
        drop(server);
        assert_eq!(
            digest_tree(store.path()),
            before,
            "serving changed the copied cache"
        );
    }
}

/// The copy must really be a module cache, with the files a hand-made tree lacks.
fn assert_has_cache_extras(store: &Path) {
    let names: Vec<String> = digest_tree(store).into_keys().collect();
    for extension in [".lock", ".ziphash"] {
        assert!(
            names.iter().any(|n| n.ends_with(extension)),
            "no {extension} file in {names:?}"
        );
    }
    assert!(
        names.iter().any(|n| n.ends_with("@v/list")),
        "no list in {names:?}"
    );
}
