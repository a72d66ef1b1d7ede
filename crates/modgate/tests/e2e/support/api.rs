//! The publishing API from the tests' side: a server over a store and a TMPDIR the test can
//! look into, tokens and users with and without the right to publish, and the credentials of
//! one request.

use std::path::{Path, PathBuf};

use base64::Engine;

use super::{
    Modgate, Published, Reply, Token, TreeBuilder, api_path, describe, files_below,
    modgate_command, new_token, parse_published, temp_dir, write_file, write_htpasswd,
};

/// Tokens `ci` (may publish to corp.example and gopkg.in) and `reader` (may not); users alice
/// (named in write_users), bob (through the group in write_groups) and carol (neither). Reading
/// is open, so the tests can look at what was published.
fn config_for(ci: &Token, reader: &Token) -> String {
    format!(
        r#"
[auth]
htpasswd = "htpasswd"

{}
{}
[auth.groups]
release = ["bob"]

[[route]]
prefix = "corp.example"
anonymous = true
write_users = ["ci", "alice"]
write_groups = ["release"]

[[route]]
prefix = "gopkg.in"
anonymous = true
write_users = ["ci"]

[[route]]
prefix = "*"
anonymous = true
"#,
        ci.config, reader.config
    )
}

pub const GO_MOD: &str = "module corp.example/m\n\ngo 1.19\n";
pub const M_GO: &str = "package m\n\nconst V = 1\n";

/// Credentials for one request.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

impl Auth<'_> {
    /// The `Authorization` value, if any.
    pub fn header(self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic(user, password) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
    }
}

/// A store, a server whose temp directory is ours to inspect, and two tokens.
pub struct Api {
    pub dir: tempfile::TempDir,
    pub store: PathBuf,
    /// The server's TMPDIR, where uploads are spooled.
    pub tmp: PathBuf,
    pub config: PathBuf,
    pub server: Modgate,
    pub ci: Token,
    pub reader: Token,
}

impl Api {
    pub fn start() -> Api {
        let dir = temp_dir();
        let store = dir.path().join("store");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("creating TMPDIR");
        let (ci, reader) = (new_token("ci"), new_token("reader"));
        write_htpasswd(
            &dir.path().join("htpasswd"),
            &[("alice", "s3cret"), ("bob", "hunter2"), ("carol", "pa55")],
        );
        let config = dir.path().join("modgate.toml");
        write_file(&config, config_for(&ci, &reader));
        let server = start_server(&store, &config, &tmp);
        Api {
            dir,
            store,
            tmp,
            config,
            server,
            ci,
            reader,
        }
    }

    pub fn ci(&self) -> Auth<'_> {
        Auth::Bearer(&self.ci.secret)
    }

    pub fn put(&self, module: &str, version: &str, zip: Vec<u8>, auth: Auth) -> Reply {
        self.send("PUT", &api_path(module, version), zip, None, auth)
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
        auth: Auth,
    ) -> Reply {
        let authorization = auth.header();
        let mut headers = vec![("content-type", content_type.unwrap_or("application/zip"))];
        if let Some(value) = authorization.as_deref() {
            headers.push(("authorization", value));
        }
        self.server
            .http()
            .send_body(method, path, &headers, Some(body))
    }

    pub fn publish(&self, module: &str, version: &str, zip: Vec<u8>) -> Published {
        let reply = self.put(module, version, zip, self.ci());
        parse_published(&reply, &format!("publishing {module}@{version}"))
    }

    pub fn stored(&self, module: &str, version: &str, extension: &str) -> Option<Vec<u8>> {
        std::fs::read(TreeBuilder::new(&self.store).file(module, version, extension)).ok()
    }

    /// Nothing left in the staging area or the server's temp directory.
    pub fn assert_no_leftovers(&self, what: &str) {
        assert_eq!(
            files_below(&self.store.join(".modgate-staging")),
            Vec::<String>::new(),
            "{what}: staging leftovers"
        );
        assert_eq!(
            files_below(&self.tmp),
            Vec::<String>::new(),
            "{what}: temp files left"
        );
    }
}

pub fn start_server(store: &Path, config: &Path, tmp: &Path) -> Modgate {
    Modgate::start_with_env(store, Some(config), None, &[], &[("TMPDIR", tmp)])
}

/// `modgate verify --store` finds nothing to report.
pub fn assert_verify_clean(store: &Path) {
    let output = modgate_command()
        .args(["verify", "--store"])
        .arg(store)
        .output()
        .expect("running modgate verify");
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(", 0 with problems"),
        "{}",
        describe(&output)
    );
}
