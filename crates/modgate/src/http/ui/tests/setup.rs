//! The UI tests' server: a store with modules of every origin, users, and a client.

use std::path::Path;

use bytes::Bytes;
use gomod::ModuleVersion;

use crate::http::tests::{serve, write_htpasswd};
use crate::storage::Store;
use crate::writer::{VersionWriter, check};

/// alice: admin, reads and publishes `corp.example`; bob: reads `team.example` only.
pub(super) const CONFIG: &str = r#"
[server]
trusted_proxies = ["127.0.0.1/32"]

[auth]
htpasswd = "htpasswd"
admins = ["alice"]

[upstream]
offline = true

[[filter]]
module = "team.example/tool"
action = "deny"
reason = "abandoned: use team.example/next"

[[route]]
prefix = "corp.example"
private = true
users = ["alice"]
write_users = ["alice"]

[[route]]
prefix = "team.example"
private = true
users = ["bob", "alice"]

[[route]]
prefix = "public.example"
anonymous = true

[[route]]
prefix = "gateway.example"
source = "upstream"
anonymous = true
"#;

const SECRET_GO_MOD: &str = "// Deprecated: use corp.example/next.\nmodule corp.example/secret\n\ngo 1.20\n\nretract v1.0.0 // leaks keys\n";

pub(super) struct Setup {
    _dir: tempfile::TempDir,
    pub base: String,
    pub client: reqwest::Client,
    _server: tokio::task::JoinHandle<()>,
}

pub(super) struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Asserts that the body holds `text`.
    #[track_caller]
    pub fn assert_body_has(&self, text: &str) {
        assert!(self.body.contains(text), "{text:?} in:\n{}", self.body);
    }

    /// The value of the first hidden `csrf` input.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a csrf input")
            + 19;
        let end = self.body[start..].find('"').expect("the value's end");
        self.body[start..start + end].to_owned()
    }
}

/// Who asks: nobody, Basic auth, or a session cookie.
#[derive(Clone, Copy)]
pub(super) enum As<'a> {
    Nobody,
    User(&'a str),
    Cookie(&'a str),
}

impl Setup {
    pub async fn start() -> Setup {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = dir.path().join("store");
        write_htpasswd(dir.path(), &["alice", "bob"]);
        // Copied in by hand: modgate did not write these.
        copy_version(&store, "team.example/tool", "v0.1.0");
        copy_version(&store, "public.example/pub", "v1.0.0");
        for i in 0..120 {
            copy_version(&store, &format!("public.example/many{i:03}"), "v1.0.0");
        }
        copy_version(&store, "public.example/x/manyfold", "v1.0.0");
        cache_upstream(&store, "gateway.example/up", "v1.2.3").await;

        let (base, server) = serve(CONFIG, dir.path(), store).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let setup = Setup {
            _dir: dir,
            base,
            client,
            _server: server,
        };
        for version in ["v1.0.0", "v1.1.0"] {
            setup.publish("corp.example/secret", version).await;
        }
        setup
    }

    /// Publishes `module@version` (under `corp.example`) through the API, as alice.
    pub async fn publish(&self, module: &str, version: &str) {
        let go_mod = SECRET_GO_MOD.replace("corp.example/secret", module);
        let zip = module_zip(
            module,
            version,
            &[
                ("go.mod", go_mod.as_str()),
                ("secret.go", "package secret\n"),
                ("inner/inner.go", "package inner\n"),
                (
                    "README.md",
                    "# Secret\n\nSee <script>alert('x')</script> **this**.\n",
                ),
            ],
        );
        let response = self
            .client
            .put(format!("{}/api/v1/{module}/@v/{version}.zip", self.base))
            .basic_auth("alice", Some("alice-pw"))
            .body(zip)
            .send()
            .await
            .expect("a response");
        assert_eq!(
            response.status().as_u16(),
            201,
            "{:?}",
            response.text().await
        );
    }

    /// `path` as `who`: a GET, or a POST of `form`.
    async fn ask(&self, path: &str, who: As<'_>, form: Option<&[(&str, &str)]>) -> Reply {
        let url = format!("{}{path}", self.base);
        let request = match form {
            None => self.client.get(url),
            Some(form) => self.client.post(url).form(form),
        };
        let request = match who {
            As::Nobody => request,
            As::User(user) => request.basic_auth(user, Some(format!("{user}-pw"))),
            As::Cookie(cookie) => request.header("cookie", format!("modgate_session={cookie}")),
        };
        let response = request
            .header("accept", "text/html")
            .send()
            .await
            .expect("a response");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a body"),
        }
    }

    pub async fn get(&self, path: &str, who: As<'_>) -> Reply {
        self.ask(path, who, None).await
    }

    /// Sends `form` to `path`.
    pub async fn post(&self, path: &str, who: As<'_>, form: &[(&str, &str)]) -> Reply {
        self.ask(path, who, Some(form)).await
    }

    /// Signs in by the form; the session cookie's value.
    pub async fn sign_in(&self, user: &str) -> String {
        let form = self.get("/-/login", As::Nobody).await;
        let password = format!("{user}-pw");
        let csrf = form.csrf();
        let fields = [
            ("username", user),
            ("password", &password),
            ("csrf", &csrf),
            ("next", "/-/"),
        ];
        let reply = self.post("/-/login", As::Nobody, &fields).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        let cookie = reply.header("set-cookie");
        let value = cookie
            .strip_prefix("modgate_session=")
            .and_then(|rest| rest.split(';').next())
            .expect("a session cookie");
        value.to_owned()
    }
}

fn module_zip(module: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for (name, text) in files {
        zip.start_file(format!("{module}@{version}/{name}"), options)
            .expect("a zip entry");
        std::io::Write::write_all(&mut zip, text.as_bytes()).expect("zip data");
    }
    zip.finish().expect("a zip").into_inner()
}

/// A version copied into the store by hand: `.info` and `.mod` only.
fn copy_version(store: &Path, module: &str, version: &str) {
    let dir = store.join(module).join("@v");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let info = format!(r#"{{"Version":"{version}","Time":"2024-01-02T03:04:05Z"}}"#);
    std::fs::write(dir.join(format!("{version}.info")), info).expect("write");
    std::fs::write(
        dir.join(format!("{version}.mod")),
        format!("module {module}\n"),
    )
    .expect("write");
}

/// A version cached from upstream, as the upstream source stores one.
async fn cache_upstream(store: &Path, module: &str, version: &str) {
    let writer = VersionWriter::new(Store::directory(store).expect("a store"), None);
    let version = ModuleVersion::parse(module, version).expect("valid");
    let go_mod =
        check::go_mod(&version, Bytes::from(format!("module {module}\n"))).expect("go.mod");
    let info = format!(
        r#"{{"Version":"{}","Time":"2023-05-06T07:08:09Z"}}"#,
        version.version()
    );
    writer
        .cache_version(&version, Bytes::from(info), &go_mod)
        .await
        .expect("cached");
}
