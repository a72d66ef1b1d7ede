//! The web UI's site for the browser tests: the real binary over TLS (the test CA), users from
//! an htpasswd file (alice, named in `[auth] admins`; bob, who may read one route only), a few
//! modules published through the API, and a headless Chromium that trusts the test CA.

use std::path::PathBuf;

use testkit::browser::Browser;

use super::{
    Auth, Modgate, Reply, TestCa, TreeBuilder, api_path, module_zip, temp_dir, tls_config,
    write_file,
};
use super::{parse_published, write_htpasswd};

/// The administrator and the ordinary user, with their passwords.
pub const ADMIN: (&str, &str) = ("alice", "alice-s3cret");
pub const USER: (&str, &str) = ("bob", "bob-s3cret");

/// alice administers and reads everything; bob reads corp.example only; secret.example is
/// alice's alone. Nothing is anonymous.
const ROUTES: &str = r#"
[[route]]
prefix = "corp.example"
private = true
users = ["alice", "bob"]
write_users = ["alice"]

[[route]]
prefix = "secret.example"
private = true
users = ["alice"]
write_users = ["alice"]
"#;

/// The README of corp.example/lib v1.1.0, Markdown the module page renders.
const README: &str = "# lib\n\nA **library** for the browser tests.\n\n- one\n- two\n";

/// What the site holds: (module, version, files); published in this order.
/// A module's files: (name in the zip, contents).
type Files = &'static [(&'static str, &'static str)];

const MODULES: &[(&str, &str, Files)] = &[
    (
        "corp.example/lib",
        "v1.0.0",
        &[
            ("go.mod", "module corp.example/lib\n\ngo 1.19\n"),
            ("lib.go", "package lib\n"),
        ],
    ),
    (
        "corp.example/lib",
        "v1.1.0",
        &[
            ("go.mod", "module corp.example/lib\n\ngo 1.21\n"),
            ("README.md", README),
            ("lib.go", "package lib\n"),
            ("sub/sub.go", "package sub\n"),
        ],
    ),
    (
        "corp.example/tool",
        "v0.1.0",
        &[
            (
                "go.mod",
                "// Deprecated: use corp.example/lib.\nmodule corp.example/tool\n\ngo 1.19\n",
            ),
            ("main.go", "package main\n\nfunc main() {}\n"),
        ],
    ),
    (
        "corp.example/util/strings",
        "v2.0.0+incompatible",
        &[("strings.go", "package strings\n")],
    ),
    (
        "secret.example/hidden",
        "v1.0.0",
        &[
            ("go.mod", "module secret.example/hidden\n\ngo 1.19\n"),
            ("hidden.go", "package hidden\n"),
        ],
    ),
];

/// Modules bob may read, sorted by path.
pub const BOBS_MODULES: &[&str] = &[
    "corp.example/lib",
    "corp.example/tool",
    "corp.example/util/strings",
];

/// The store, the CA, the server and the htpasswd file (writable: the admin pages add users).
pub struct UiSite {
    /// Holds the store, the config and the CA's files.
    _dir: tempfile::TempDir,
    pub ca: TestCa,
    pub server: Modgate,
    pub htpasswd: PathBuf,
}

impl UiSite {
    pub fn start() -> UiSite {
        Self::start_with_stored(0)
    }

    /// Like `start`, with `count` more modules (`corp.example/many/mNNN` v1.0.0) copied into
    /// the store before the server starts, as a tree modgate did not write.
    pub fn start_with_stored(count: usize) -> UiSite {
        let dir = temp_dir();
        let tree = TreeBuilder::new(dir.path().join("store"));
        for i in 0..count {
            let module = format!("corp.example/many/m{i:03}");
            let go_mod = format!("module {module}\n\ngo 1.19\n");
            let files = [("go.mod", go_mod.as_str()), ("m.go", "package m\n")];
            tree.add(&module, "v1.0.0", "2024-01-02T03:04:05Z", &files);
        }
        let ca = TestCa::create(dir.path());
        let htpasswd = dir.path().join("htpasswd");
        write_htpasswd(&htpasswd, &[ADMIN, USER]);
        let config = dir.path().join("modgate.toml");
        write_file(&config, tls_config(&[ADMIN.0], ROUTES));
        let store = dir.path().join("store");
        let server = Modgate::start(&store, Some(&config), Some(&ca.ca));
        let site = UiSite {
            _dir: dir,
            ca,
            server,
            htpasswd,
        };
        for (module, version, files) in MODULES {
            site.publish(module, version, files);
        }
        site
    }

    /// Publishes a version through the API as alice.
    pub fn publish(&self, module: &str, version: &str, files: &[(&str, &str)]) {
        let zip = module_zip(module, version, files);
        let auth = Auth::Basic(ADMIN.0, ADMIN.1).header().expect("basic");
        let reply = self.server.http().send_body(
            "PUT",
            &api_path(module, version),
            &[
                ("authorization", &auth),
                ("content-type", "application/zip"),
            ],
            Some(zip),
        );
        parse_published(&reply, &format!("publishing {module}@{version}"));
    }

    /// `https://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// `https://127.0.0.1:PORT`, the origin the pages are served from.
    pub fn origin(&self) -> String {
        self.server.url()
    }

    /// A headless Chromium that trusts the test CA; screenshots under `test`.
    pub fn browser(&self, test: &str) -> Browser {
        Browser::start(test, Some(&self.ca.ca))
    }

    /// Signs in through the login form, starting from `/-/login?next=/-/`, and waits for the
    /// modules page.
    pub fn sign_in(&self, browser: &Browser, (user, password): (&str, &str)) {
        browser.goto(&self.url("/-/login?next=/-/"));
        self.submit_login(browser, user, password);
        browser.wait_for("#whoami");
        assert_eq!(browser.text("#whoami"), user, "signed in as {user}");
    }

    /// Fills and sends `form#login` on the page shown.
    pub fn submit_login(&self, browser: &Browser, user: &str, password: &str) {
        browser.fill("form#login input[name=username]", user);
        browser.fill("form#login input[name=password]", password);
        browser.click("form#login #login-submit");
    }

    /// Signs out through `form#sign-out`.
    pub fn sign_out(&self, browser: &Browser) {
        browser.click("form#sign-out button, form#sign-out input[type=submit]");
        browser.wait_for("a#sign-in, form#login");
    }

    /// One request to the server with these credentials.
    pub fn get(&self, path: &str, auth: Auth) -> Reply {
        let header = auth.header();
        let headers: Vec<(&str, &str)> = header
            .as_deref()
            .map(|h| vec![("authorization", h), ("accept", "text/html")])
            .unwrap_or_else(|| vec![("accept", "text/html")]);
        self.server.http().send("GET", path, &headers)
    }
}

/// Asserts that `text` (a page's) names none of the modules bob may not read.
#[track_caller]
pub fn assert_no_secret(text: &str, page: &str) {
    assert!(
        !text.contains("secret.example"),
        "{page}: bob's page names secret.example:\n{text}"
    );
}
