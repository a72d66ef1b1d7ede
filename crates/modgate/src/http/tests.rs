//! The protocol's status table (README, "What a route answers"), row by row, against the whole
//! router in this process: the app built from a config as `serve` builds it, on a
//! `127.0.0.1:0` listener, asked over real HTTP. The end-to-end tests in `tests/e2e` drive the
//! real binary with the real `go` commands; these are the quick ones, one per row.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{AppState, router};
use crate::config::Config;

/// A store and a config with one route of each kind, and users `alice` (reads `corp.example`)
/// and `bob` (does not).
struct Setup {
    _dir: tempfile::TempDir,
    base: String,
    client: reqwest::Client,
    _server: tokio::task::JoinHandle<()>,
}

const CONFIG: &str = r#"
[auth]
htpasswd = "htpasswd"
admins = ["alice"]

[private_sumdb]
name = "sum.corp.example"
key_file = "sumdb.key"

[upstream]
offline = true

[[filter]]
module = "corp.example/vuln"
versions = "< v1.1.0"
action = "deny"
reason = "CVE-2099-0001: upgrade to v1.1.0"

[[route]]
prefix = "corp.example"
private = true
users = ["alice"]

[[route]]
prefix = "public.example"
anonymous = true

[[route]]
prefix = "gateway.example"
source = "upstream"
anonymous = true
"#;

/// `(module, version)` held in the store.
const HELD: &[(&str, &str)] = &[
    ("corp.example/a", "v1.0.0"),
    ("corp.example/vuln", "v1.0.0"),
    ("corp.example/vuln", "v1.1.0"),
    ("public.example/b", "v1.0.0"),
    ("gateway.example/c", "v1.0.0"),
];

impl Setup {
    async fn start() -> Setup {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = dir.path().join("store");
        for (module, version) in HELD {
            write_version(&store, module, version);
        }
        // A module whose version directory is a file: reading it fails, as a broken disk would.
        std::fs::create_dir_all(store.join("corp.example/broken")).expect("mkdir");
        std::fs::write(store.join("corp.example/broken/@v"), b"not a directory").expect("write");
        write_htpasswd(dir.path(), &["alice", "bob"]);
        let (signer_key, _) =
            gomod::note::generate_key("sum.corp.example", &[1; 32]).expect("a key");
        std::fs::write(dir.path().join("sumdb.key"), signer_key).expect("key file");
        let (base, server) = serve(CONFIG, dir.path(), store).await;
        Setup {
            _dir: dir,
            base,
            client: reqwest::Client::new(),
            _server: server,
        }
    }

    /// Status, headers and body of `method path`, as `user` (with password `user-pw`).
    async fn ask(&self, method: &str, path: &str, user: Option<&str>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(user) = user {
            request = request.basic_auth(user, Some(format!("{user}-pw")));
        }
        let response = request.send().await.expect("a response");
        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let (cache_control, authenticate) = (header("cache-control"), header("www-authenticate"));
        let body = response.text().await.expect("a body");
        Reply {
            status,
            cache_control,
            authenticate,
            body,
        }
    }
}

/// `dir/htpasswd` with `users`, each with the password `USER-pw`.
pub(super) fn write_htpasswd(dir: &Path, users: &[&str]) {
    let hashes: String = users
        .iter()
        .map(|user| {
            let hash = bcrypt::hash(format!("{user}-pw"), 4).expect("bcrypt");
            format!("{user}:{hash}\n")
        })
        .collect();
    std::fs::write(dir.join("htpasswd"), hashes).expect("htpasswd");
}

/// The app `serve` builds from `config` (its paths relative to `dir`) over `store`, on a
/// `127.0.0.1:0` listener: its base URL and the task serving it.
pub(super) async fn serve(
    config: &str,
    dir: &Path,
    store: PathBuf,
) -> (String, tokio::task::JoinHandle<()>) {
    let config = Config::for_test(config, dir, Some(store)).expect("a valid config");
    let service = Arc::new(crate::app::service(&config, None).expect("the service"));
    let state = Arc::new(AppState::new(
        service,
        "modgate",
        crate::telemetry::metrics(),
    ));
    let app = router(state, config.request_timeout, config.request_log)
        .into_make_service_with_connect_info::<SocketAddr>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let base = format!("http://{}", listener.local_addr().expect("the address"));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, server)
}

struct Reply {
    status: u16,
    cache_control: String,
    authenticate: String,
    body: String,
}

fn write_version(store: &Path, module: &str, version: &str) {
    let dir = store.join(module).join("@v");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = |ext: &str, text: String| {
        std::fs::write(dir.join(format!("{version}.{ext}")), text).expect("write")
    };
    file(
        "info",
        format!(r#"{{"Version":"{version}","Time":"2024-01-02T03:04:05Z"}}"#),
    );
    file("mod", format!("module {module}\n"));
    // Stored, not compressed: the text shows in the body.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(format!("{module}@{version}/README"), stored)
        .expect("a zip entry");
    std::io::Write::write_all(
        &mut zip,
        format!("the zip of {module}@{version}").as_bytes(),
    )
    .expect("zip data");
    let zip = zip.finish().expect("a zip").into_inner();
    std::fs::write(dir.join(format!("{version}.zip")), zip).expect("write");
}

/// One row of the table: a request, and the status and body its answer must have.
struct Row {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    user: Option<&'static str>,
    status: u16,
    /// Text the body (a JSON answer, a file or a one-line reason) must hold.
    says: &'static str,
}

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { what: "found", method: "GET", path: "/public.example/b/@v/v1.0.0.info", user: None, status: 200, says: "\"Version\":\"v1.0.0\"" },
    Row { what: "found, a zip", method: "GET", path: "/public.example/b/@v/v1.0.0.zip", user: None, status: 200, says: "the zip of public.example/b@v1.0.0" },
    Row { what: "found, a list", method: "GET", path: "/public.example/b/@v/list", user: None, status: 200, says: "v1.0.0\n" },
    Row { what: "found, @latest", method: "GET", path: "/public.example/b/@latest", user: None, status: 200, says: "v1.0.0" },
    Row { what: "not held, public route", method: "GET", path: "/public.example/none/@v/list", user: None, status: 404, says: "not found" },
    Row { what: "outside every route", method: "GET", path: "/other.example/x/@v/list", user: None, status: 404, says: "not served by this proxy" },
    Row { what: "not held, private route", method: "GET", path: "/corp.example/secret/@v/list", user: Some("alice"), status: 403, says: "not asking elsewhere" },
    Row { what: "no such version, private route", method: "GET", path: "/corp.example/a/@v/v9.9.9.info", user: Some("alice"), status: 403, says: "no such version" },
    Row { what: "an import probe below a held module", method: "GET", path: "/corp.example/a/sub/@v/list", user: Some("alice"), status: 404, says: "not a module" },
    Row { what: "an import probe above a held module", method: "GET", path: "/corp.example/@v/list", user: Some("alice"), status: 404, says: "not a module" },
    Row { what: "missing credentials", method: "GET", path: "/corp.example/a/@v/v1.0.0.info", user: None, status: 401, says: "authentication required" },
    Row { what: "wrong credentials, even on a public route", method: "GET", path: "/public.example/b/@v/list", user: Some("mallory"), status: 401, says: "wrong user name or password" },
    Row { what: "a user the route does not name", method: "GET", path: "/corp.example/a/@v/v1.0.0.info", user: Some("bob"), status: 403, says: "may not read" },
    Row { what: "credentials first: a stranger learns nothing of a malformed path", method: "GET", path: "/corp.example/a/@v/v1.0.0.txt", user: None, status: 401, says: "authentication required" },
    Row { what: "malformed version", method: "GET", path: "/corp.example/a/@v/v1.0.mod", user: Some("alice"), status: 404, says: "not canonical" },
    Row { what: "malformed path", method: "GET", path: "/public.example/Upper/@v/list", user: None, status: 404, says: "invalid escaping" },
    Row { what: "not a GOPROXY path", method: "GET", path: "/", user: None, status: 404, says: "not a GOPROXY path" },
    Row { what: "denied by a filter", method: "GET", path: "/corp.example/vuln/@v/v1.0.0.zip", user: Some("alice"), status: 403, says: "CVE-2099-0001" },
    Row { what: "denied versions are left out of the list", method: "GET", path: "/corp.example/vuln/@v/list", user: Some("alice"), status: 200, says: "v1.1.0\n" },
    Row { what: "an upstream route while offline, not stored", method: "GET", path: "/gateway.example/none/@v/v1.0.0.info", user: None, status: 403, says: "offline" },
    Row { what: "an upstream route while offline, stored", method: "GET", path: "/gateway.example/c/@v/v1.0.0.mod", user: None, status: 200, says: "module gateway.example/c" },
    Row { what: "storage failure", method: "GET", path: "/corp.example/broken/@v/list", user: Some("alice"), status: 503, says: "storage unavailable" },
    Row { what: "the protocol is read-only", method: "POST", path: "/public.example/b/@v/list", user: None, status: 405, says: "read-only" },
    Row { what: "checksum log: supported, for whoever may read a route", method: "GET", path: "/sumdb/sum.corp.example/supported", user: None, status: 200, says: "" },
    Row { what: "checksum log: a lookup needs the route's credentials", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/a@v1.0.0", user: None, status: 401, says: "authentication required" },
    Row { what: "checksum log: a lookup needs the route's rights", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/a@v1.0.0", user: Some("bob"), status: 403, says: "may not read" },
    Row { what: "checksum log: a stored version is logged on its first lookup", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/a@v1.0.0", user: Some("alice"), status: 200, says: "corp.example/a v1.0.0 h1:" },
    Row { what: "checksum log: not held, private route", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/secret@v1.0.0", user: Some("alice"), status: 403, says: "not asking elsewhere" },
    Row { what: "checksum log: not held, public route", method: "GET", path: "/sumdb/sum.corp.example/lookup/public.example/none@v1.0.0", user: None, status: 404, says: "not found" },
    Row { what: "checksum log: denied by a filter", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/vuln@v1.0.0", user: Some("alice"), status: 403, says: "CVE-2099-0001" },
    Row { what: "checksum log: a malformed lookup", method: "GET", path: "/sumdb/sum.corp.example/lookup/corp.example/a", user: Some("alice"), status: 404, says: "expected <module>@<version>" },
    Row { what: "checksum log: the signed head", method: "GET", path: "/sumdb/sum.corp.example/latest", user: None, status: 200, says: "go.sum database tree\n" },
    Row { what: "checksum log: a hash tile", method: "GET", path: "/sumdb/sum.corp.example/tile/8/0/000.p/1", user: None, status: 200, says: "" },
    Row { what: "checksum log: a tile beyond the tree", method: "GET", path: "/sumdb/sum.corp.example/tile/8/0/001", user: None, status: 404, says: "beyond the tree" },
    Row { what: "checksum log: data tiles name every module", method: "GET", path: "/sumdb/sum.corp.example/tile/8/data/000.p/1", user: Some("bob"), status: 403, says: "admins only" },
    Row { what: "checksum log: data tiles for admins", method: "GET", path: "/sumdb/sum.corp.example/tile/8/data/000.p/1", user: Some("alice"), status: 200, says: " v1.0.0 h1:" },
    Row { what: "another checksum database", method: "GET", path: "/sumdb/sum.other.example/latest", user: None, status: 404, says: "sum.other.example" },
    Row { what: "public checksum database offline: supported", method: "GET", path: "/sumdb/sum.golang.org/supported", user: None, status: 200, says: "" },
    Row { what: "public checksum database offline: a lookup with no stored proof is a failure", method: "GET", path: "/sumdb/sum.golang.org/lookup/golang.org/x/mod@v0.7.0", user: None, status: 502, says: "offline" },
    Row { what: "public checksum database offline: a tile not stored is a failure", method: "GET", path: "/sumdb/sum.golang.org/tile/8/0/000.p/3", user: None, status: 502, says: "offline" },
];

#[tokio::test]
async fn every_row_of_the_status_table() {
    let setup = Setup::start().await;
    let mut failed = Vec::new();
    // Twice: the second pass answers immutable files from the kept answers, which must give
    // the same answer, access check included.
    for pass in ["first", "second"] {
        for row in ROWS {
            let reply = setup.ask(row.method, row.path, row.user).await;
            if reply.status != row.status || !reply.body.contains(row.says) {
                failed.push(format!(
                    "{pass} pass, {}: {} {}: {} {:?}",
                    row.what, row.method, row.path, reply.status, reply.body
                ));
            }
            if reply.status >= 400 {
                let line = reply.body.strip_suffix('\n').unwrap_or(&reply.body);
                assert!(
                    !line.is_empty() && !line.contains('\n'),
                    "{}: {:?}",
                    row.what,
                    reply.body
                );
                assert_eq!(reply.cache_control, "no-store", "{}", row.what);
            }
            if reply.status == 401 {
                assert!(
                    reply.authenticate.starts_with("Basic realm=\"modgate\""),
                    "{}",
                    row.what
                );
            }
        }
    }
    assert!(
        failed.is_empty(),
        "rows that failed:\n{}",
        failed.join("\n")
    );
}

#[tokio::test]
async fn versions_are_immutable_and_lists_short_lived() {
    let setup = Setup::start().await;
    for (path, lifetime) in [
        (
            "/public.example/b/@v/v1.0.0.info",
            "public, max-age=31536000, immutable",
        ),
        (
            "/public.example/b/@v/v1.0.0.mod",
            "public, max-age=31536000, immutable",
        ),
        (
            "/public.example/b/@v/v1.0.0.zip",
            "public, max-age=31536000, immutable",
        ),
        ("/public.example/b/@v/list", "public, max-age=60"),
        ("/public.example/b/@latest", "public, max-age=60"),
        // Not canonical, so tomorrow it may name another version.
        (
            "/public.example/b/@v/v1.0.0+meta.info",
            "public, max-age=60",
        ),
    ] {
        let reply = setup.ask("GET", path, None).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.cache_control, lifetime, "{path}");
    }
}
