//! `modgate login` and `modgate auth` with the current go command: GOAUTH='modgate auth'
//! downloads a private module with no `.netrc` and no password in GOPROXY, and a revoked token
//! stops working. Go 1.19 (no GOAUTH) keeps using `.netrc` on the same server.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::{Auth, GoClient, go_clients, temp_dir};
use crate::users::{IdentityServer, json, modgate};

/// Where `modgate login` keeps its tokens and what it needs: a home of its own, and the test
/// CA through `SSL_CERT_FILE` (as a company CA would be).
struct Client {
    home: tempfile::TempDir,
    ca: PathBuf,
}

impl Client {
    fn config(&self) -> PathBuf {
        self.home.path().join("config")
    }

    fn run(&self, args: &[&str], stdin: &str) -> (i32, String, String) {
        let config = self.config();
        let env: [(&str, &Path); 3] = [
            ("HOME", self.home.path()),
            ("XDG_CONFIG_HOME", &config),
            ("SSL_CERT_FILE", &self.ca),
        ];
        modgate(args, stdin, &env)
    }

    /// `modgate login` to `url` as bob, with `password` on stdin.
    fn login_as_bob(&self, url: &str, password: &str) -> (i32, String, String) {
        let args = [
            "login",
            "--server",
            url,
            "--user",
            "bob",
            "--password-stdin",
        ];
        self.run(&args, &format!("{password}\n"))
    }
}

/// `modgate login` as bob: refused with a wrong password, then a token kept with mode 0600
/// and never printed. Returns the token.
fn login(f: &IdentityServer, client: &Client) -> String {
    let url = f.server.url();
    let (code, stdout, stderr) = client.login_as_bob(&url, "wrong");
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    let file = client.config().join("modgate/tokens.json");
    assert!(!file.exists());

    let (code, stdout, stderr) = client.login_as_bob(&url, "b-pw");
    assert_eq!(code, 0, "{stderr}");
    let mode = std::fs::metadata(&file)
        .expect("tokens.json")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).expect("reading")).expect("JSON");
    let token = stored[&url]
        .as_str()
        .expect("a token for the server")
        .to_owned();
    assert!(
        !stdout.contains(&token) && !stderr.contains(&token),
        "the token is not printed unless asked"
    );
    token
}

/// `modgate auth` prints `token` for the server in `go help goauth`'s format, on the first
/// call and for a URL on the server; nothing for another server.
fn assert_auth_prints(f: &IdentityServer, client: &Client, token: &str) {
    let url = f.server.url();
    let (code, all, _) = client.run(&["auth"], "");
    assert_eq!(code, 0);
    assert_eq!(all, format!("{url}\n\nAuthorization: Bearer {token}\n\n"));
    let asked = format!("{url}/corp.example/b/@v/list");
    let (_, one, _) = client.run(&["auth", &asked], "HTTP/1.1 401 Unauthorized\n\n");
    assert_eq!(one, all);
    let (_, none, _) = client.run(&["auth", "https://elsewhere.example/x"], "");
    assert_eq!(none, "");
}

/// Logging in again replaces the token, on the server too. Returns the new token.
fn login_again(f: &IdentityServer, client: &Client, token: &str) -> String {
    let (code, _, stderr) = client.login_as_bob(&f.server.url(), "b-pw");
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("revoked the token this one replaces"),
        "{stderr}"
    );
    assert_eq!(
        f.call("GET", "/-/api/tokens", Auth::Bearer(token), None)
            .status,
        401
    );
    let (_, all, _) = client.run(&["auth"], "");
    all.lines()
        .find_map(|l| l.strip_prefix("Authorization: Bearer "))
        .expect("the new token")
        .to_owned()
}

#[test]
#[ignore = "needs go"]
fn goauth_downloads_with_the_token_of_modgate_login_until_it_is_revoked() {
    let f = IdentityServer::start();
    let client = Client {
        home: temp_dir(),
        ca: f.ca.ca.clone(),
    };
    let token = login(&f, &client);
    assert_auth_prints(&f, &client, &token);

    // GOPROXY without credentials, no .netrc: only GOAUTH can sign the requests.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_modgate"))
        .parent()
        .expect("bin dir");
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let goauth_env = |go: &GoClient| {
        let mut env = f.go_env(go);
        env.set("GOAUTH", "modgate auth")
            .set("PATH", &path)
            .set("XDG_CONFIG_HOME", &client.config().display().to_string());
        env
    };
    for go in go_clients() {
        if go.minor() >= 24 {
            goauth_env(&go).download(&["corp.example/b@v1.0.0"]);
        } else {
            // Go 1.19 has no GOAUTH: .netrc on the same server.
            let mut env = f.go_env(&go);
            env.netrc("127.0.0.1", f.server.port(), "bob", "b-pw");
            env.download(&["corp.example/b@v1.0.0"]);
        }
    }

    let token = login_again(&f, &client, &token);
    goauth_env(&current_go()).download(&["corp.example/b@v1.0.0"]);

    let listed = json(&f.call("GET", "/-/api/tokens", Auth::Basic("bob", "b-pw"), None));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let id = listed[0]["id"]
        .as_str()
        .expect("the login's token")
        .to_owned();
    let label = listed[0]["label"].as_str().unwrap_or_default();
    assert!(label.starts_with("modgate login on "), "{label}");
    let revoke = f.call(
        "DELETE",
        &format!("/-/api/tokens/{id}"),
        Auth::Bearer(&token),
        None,
    );
    assert_eq!(revoke.status, 204, "{}", revoke.text());
    let failed = goauth_env(&current_go()).download_each(&["corp.example/b@v1.0.0"]);
    let error = failed[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("401"),
        "a revoked token must fail: {:?}",
        failed[0]
    );
}

/// The go client with GOAUTH (1.24+).
fn current_go() -> GoClient {
    go_clients()
        .into_iter()
        .find(|go| go.minor() >= 24)
        .expect("a go client with GOAUTH (1.24+)")
}
