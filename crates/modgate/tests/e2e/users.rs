//! Users and personal tokens: `modgate user` edits an htpasswd file a running server reads
//! again within a second, and the token API under `/-/api/tokens` (with the admin endpoints
//! beside it) answers JSON and keeps users apart.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::{
    Auth, GoEnv, Modgate, Reply, TestCa, api_path, go_clients, modgate_command, module_zip,
    private_tree, temp_dir, tls_config, wait_until, write_file, write_htpasswd,
};

/// One private route bob may publish to; alice, in htpasswd with him, is the admin.
const ROUTES: &str = r#"
[[route]]
prefix = "corp.example"
private = true
write_users = ["bob"]
"#;

/// A private server over TLS with its users, for the tests of identities.
pub struct IdentityServer {
    pub server: Modgate,
    pub ca: TestCa,
    pub dir: tempfile::TempDir,
}

impl IdentityServer {
    pub fn start() -> IdentityServer {
        let dir = temp_dir();
        let store = private_tree(&dir.path().join("store"));
        let ca = TestCa::create(dir.path());
        write_htpasswd(
            &dir.path().join("htpasswd"),
            &[("alice", "a-pw"), ("bob", "b-pw")],
        );
        let config = dir.path().join("modgate.toml");
        write_file(&config, tls_config(&["alice"], ROUTES));
        let server = Modgate::start(store.root(), Some(&config), Some(&ca.ca));
        IdentityServer { server, ca, dir }
    }

    pub fn htpasswd(&self) -> PathBuf {
        self.dir.path().join("htpasswd")
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// One request with `auth` and an optional JSON body.
    pub fn call(&self, method: &str, path: &str, auth: Auth<'_>, body: Option<&str>) -> Reply {
        let header = auth.header();
        let mut headers = vec![("content-type", "application/json")];
        if let Some(header) = &header {
            headers.push(("authorization", header.as_str()));
        }
        let body = body.map(|b| b.as_bytes().to_vec());
        self.server.http().send_body(method, path, &headers, body)
    }

    /// A go environment for this server trusting the test CA, without credentials.
    pub fn go_env(&self, client: &crate::support::GoClient) -> GoEnv {
        let mut env = GoEnv::new(client, &self.server.url());
        env.set("SSL_CERT_FILE", &self.ca.ca.display().to_string());
        env
    }
}

/// `modgate ARGS` with `stdin` and `env`; (exit code, stdout, stderr).
pub fn modgate(args: &[&str], stdin: &str, env: &[(&str, &Path)]) -> (i32, String, String) {
    let mut child = modgate_command()
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_os_str())))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning modgate");
    // A command that refuses its arguments exits before it reads: a closed pipe is fine.
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe,
            "writing stdin: {e}"
        );
    }
    let out = child.wait_with_output().expect("waiting for modgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The body as JSON.
pub fn json(reply: &Reply) -> Value {
    serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", reply.text()))
}

/// A JSON error: the status, `{"error": "one line"}`, and the realm on a 401.
fn assert_json_error(reply: &Reply, status: u16, what: &str) -> String {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    let error = json(reply)["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        !error.is_empty() && !error.contains('\n'),
        "{what}: {error:?}"
    );
    if status == 401 {
        let challenge = reply.header("www-authenticate").unwrap_or_default();
        assert!(
            challenge.starts_with("Basic realm=\"modgate\""),
            "{what}: WWW-Authenticate {challenge:?}"
        );
    }
    error
}

const INFO: &str = "/corp.example/b/@v/v1.0.0.info";

/// `modgate user ACTION [NAME] --htpasswd FILE [--password-stdin]`, the password on stdin.
fn user(action: &str, name: &str, file: &Path, password: Option<&str>) -> (i32, String, String) {
    let file = file.to_str().expect("a UTF-8 path");
    let mut args = vec!["user", action];
    if !name.is_empty() {
        args.push(name);
    }
    args.extend(["--htpasswd", file]);
    if password.is_some() {
        args.push("--password-stdin");
    }
    let stdin = password.map(|p| format!("{p}\n")).unwrap_or_default();
    modgate(&args, &stdin, &[])
}

/// Whether `auth` gets `status` for a private file within a few seconds.
fn answers_within_seconds(f: &IdentityServer, auth: Auth<'_>, status: u16) -> bool {
    wait_until(Duration::from_secs(5), || {
        f.call("GET", INFO, auth, None).status == status
    })
}

#[test]
#[ignore = "needs go"]
fn users_added_while_serving_download_and_removed_ones_are_refused() {
    let f = IdentityServer::start();
    let file = f.htpasswd();
    let (code, _, stderr) = user("add", "carol", &file, Some("c-pw"));
    assert_eq!(code, 0, "{stderr}");
    let carol = Auth::Basic("carol", "c-pw");
    assert!(
        answers_within_seconds(&f, carol, 200),
        "the new user is not in force"
    );
    for go in go_clients() {
        let mut env = f.go_env(&go);
        env.netrc("127.0.0.1", f.server.port(), "carol", "c-pw");
        env.download(&["corp.example/b@v1.0.0"]);
    }

    let (code, _, stderr) = user("passwd", "carol", &file, Some("c-new"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        answers_within_seconds(&f, carol, 401),
        "the old password still works"
    );
    let carol = Auth::Basic("carol", "c-new");
    assert_eq!(f.call("GET", INFO, carol, None).status, 200);

    let (carol_token, _) = new_token(&f, carol, "ci");
    let (code, _, stderr) = user("remove", "carol", &file, None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        answers_within_seconds(&f, carol, 401),
        "a removed user still reads"
    );
    let reply = f.call("GET", INFO, Auth::Bearer(&carol_token), None);
    assert_eq!(reply.status, 401, "a removed user's token still reads");
    let reply = f.call("GET", INFO, carol, None);
    let challenge = reply.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Basic realm=\"modgate\""),
        "{challenge:?}"
    );
    let go = go_clients().pop().expect("a go client");
    let mut env = f.go_env(&go);
    env.netrc("127.0.0.1", f.server.port(), "carol", "c-new");
    let failed = env.download_each(&["corp.example/b@v1.0.0"]);
    assert!(failed[0].error.is_some(), "{:?}", failed[0]);
}

#[test]
fn modgate_user_lists_and_refuses_with_one_line_and_an_exit_code() {
    let dir = temp_dir();
    let file = dir.path().join("htpasswd");
    assert_eq!(user("add", "bob", &file, Some("pw")).0, 0);
    assert_eq!(user("add", "alice", &file, Some("pw")).0, 0);
    let mode = std::fs::metadata(&file).expect("htpasswd").permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    let (code, stdout, _) = user("list", "", &file, None);
    assert_eq!((code, stdout.as_str()), (0, "alice\nbob\n"));
    let (code, _, stderr) = user("add", "x:y", &file, Some("pw"));
    assert_eq!(code, 2, "a name with ':' is a usage error: {stderr}");
    let (code, _, stderr) = user("add", "dave", &file, None);
    assert_eq!(code, 2, "no terminal and no --password-stdin: {stderr}");
    let (code, _, stderr) = user("add", "dave", &file, Some(""));
    assert_eq!(code, 2, "an empty password: {stderr}");
    let (code, _, stderr) = user("add", "bob", &file, Some("pw"));
    assert_eq!(code, 1, "{stderr}");
    let (code, _, stderr) = user("remove", "nobody", &file, None);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr, "modgate: no user \"nobody\"\n");
    let (_, stdout, _) = user("list", "", &file, None);
    assert_eq!(stdout, "alice\nbob\n", "failures changed nothing");
}

#[test]
fn the_token_api_refuses_strangers_with_the_realm() {
    let f = IdentityServer::start();
    let tokens = "/-/api/tokens";
    assert_json_error(
        &f.call("POST", tokens, Auth::None, None),
        401,
        "no credentials",
    );
    assert_json_error(
        &f.call("GET", tokens, Auth::None, None),
        401,
        "no credentials",
    );
    let wrong = Auth::Basic("bob", "guess-1234");
    assert_json_error(&f.call("POST", tokens, wrong, None), 401, "wrong password");
    let bad = Auth::Bearer("mg_not-a-token");
    assert_json_error(&f.call("GET", tokens, bad, None), 401, "unknown token");
    let bob = Auth::Basic("bob", "b-pw");
    let reply = f.call("POST", tokens, bob, Some("{not json"));
    assert_json_error(&reply, 400, "a body that is not JSON");
}

/// bob's new token: (token, id).
fn new_token(f: &IdentityServer, auth: Auth<'_>, label: &str) -> (String, String) {
    let body = serde_json::json!({ "label": label }).to_string();
    let reply = f.call("POST", "/-/api/tokens", auth, Some(&body));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let created = json(&reply);
    assert_eq!(created["label"], label);
    let token = created["token"].as_str().expect("token").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(token.starts_with("mg_") && id.len() == 12, "{created}");
    (token, id)
}

#[test]
fn tokens_act_as_their_owner_and_are_kept_apart() {
    let f = IdentityServer::start();
    let (alice, bob) = (Auth::Basic("alice", "a-pw"), Auth::Basic("bob", "b-pw"));
    let (bob_token, bob_id) = new_token(&f, bob, "laptop");
    let bearer = Auth::Bearer(&bob_token);
    assert_eq!(
        f.call("GET", INFO, bearer, None).status,
        200,
        "a token reads as its owner"
    );
    let listed = json(&f.call("GET", "/-/api/tokens", bearer, None));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(
        (&listed[0]["id"], &listed[0]["user"]),
        (&bob_id.as_str().into(), &"bob".into())
    );
    assert!(
        !listed.to_string().contains(&bob_token),
        "a list never shows a token"
    );
    let stored = std::fs::read_dir(f.store().join(".modgate/auth/tokens"))
        .expect("the tokens' directory")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("record"))
        .collect::<String>();
    assert!(
        stored.contains(&bob_id) && !stored.contains(&bob_token),
        "{stored}"
    );

    let (_, alice_id) = new_token(&f, alice, "admin");
    // Another user's token is not found, rather than forbidden: ids cannot be probed.
    let other = format!("/-/api/tokens/{alice_id}");
    assert_json_error(
        &f.call("DELETE", &other, bearer, None),
        404,
        "another's token",
    );
    let all = json(&f.call("GET", "/-/api/tokens?all=1", alice, None));
    assert_eq!(all.as_array().map(Vec::len), Some(2), "{all}");

    let revoke = format!("/-/api/tokens/{bob_id}");
    assert_eq!(f.call("DELETE", &revoke, bob, None).status, 204);
    let reply = f.call("GET", INFO, bearer, None);
    assert_eq!(
        reply.status, 401,
        "a revoked token is refused at once on this server"
    );
    assert_json_error(&f.call("DELETE", &revoke, bob, None), 404, "revoked twice");
    assert!(
        !f.server.stderr().contains(&bob_token),
        "a token in the log"
    );
}

/// Publishes corp.example/c v1.0.0 as `auth`, who gets `status`.
fn publish_as(f: &IdentityServer, auth: Auth<'_>, status: u16) {
    let zip = module_zip(
        "corp.example/c",
        "v1.0.0",
        &[("go.mod", "module corp.example/c\n\ngo 1.19\n")],
    );
    let header = auth.header().expect("credentials");
    let headers = [("authorization", header.as_str())];
    let path = api_path("corp.example/c", "v1.0.0");
    let reply = f.server.http().send_body("PUT", &path, &headers, Some(zip));
    assert_eq!(reply.status, status, "{}", reply.text());
}

/// Every admin endpoint refuses `auth` (a user who is not an admin) with 403.
fn assert_admins_only(f: &IdentityServer, auth: Auth<'_>) {
    for (method, path, body) in [
        ("GET", "/-/api/tokens?all=1", None),
        ("GET", "/-/api/tokens?user=alice", None),
        (
            "POST",
            "/-/api/tokens",
            Some(r#"{"label": "x", "user": "alice"}"#),
        ),
        ("GET", "/-/api/users", None),
        (
            "POST",
            "/-/api/users",
            Some(r#"{"user": "eve", "password": "pw"}"#),
        ),
        ("DELETE", "/-/api/users/alice", None),
        (
            "PUT",
            "/-/api/users/alice/password",
            Some(r#"{"password": "pw"}"#),
        ),
        ("GET", "/-/api/events", None),
    ] {
        assert_json_error(
            &f.call(method, path, auth, body),
            403,
            &format!("{method} {path}"),
        );
    }
}

#[test]
fn admin_endpoints_are_for_admins_and_every_change_is_audited() {
    let f = IdentityServer::start();
    let (alice, bob) = (Auth::Basic("alice", "a-pw"), Auth::Basic("bob", "b-pw"));
    assert_eq!(
        f.call("GET", INFO, Auth::Basic("bob", "guess-1234"), None)
            .status,
        401
    );
    assert_admins_only(&f, bob);
    publish_as(&f, bob, 201);
    publish_as(&f, alice, 403);
    let users = json(&f.call("GET", "/-/api/users", alice, None));
    assert_eq!(users, serde_json::json!(["alice", "bob"]));
    let body = r#"{"user": "dave", "password": "d-pw"}"#;
    let reply = f.call("POST", "/-/api/users", alice, Some(body));
    assert_eq!(reply.status, 201, "{}", reply.text());
    let dave = Auth::Basic("dave", "d-pw");
    assert_eq!(f.call("GET", INFO, dave, None).status, 200);
    let own = f.call(
        "PUT",
        "/-/api/users/dave/password",
        dave,
        Some(r#"{"password": "d-new"}"#),
    );
    assert_eq!(
        own.status,
        204,
        "a user sets their own password: {}",
        own.text()
    );
    assert_eq!(f.call("GET", INFO, dave, None).status, 401);
    let (dave_token, _) = new_token(&f, Auth::Basic("dave", "d-new"), "ci");
    let gone = f.call("DELETE", "/-/api/users/dave", alice, None);
    assert_eq!(gone.status, 204, "{}", gone.text());
    let reply = f.call("GET", INFO, Auth::Bearer(&dave_token), None);
    assert_eq!(reply.status, 401, "a removed user's tokens go with them");

    let events = json(&f.call("GET", "/-/api/events?limit=100", alice, None)).to_string();
    for action in [
        "token.create",
        "token.revoke",
        "user.add",
        "user.passwd",
        "user.remove",
    ] {
        assert!(events.contains(action), "{action} not in {events}");
    }
    assert!(
        events.contains("sign-in"),
        "a failed sign-in is audited: {events}"
    );
    assert!(
        events.contains("publish"),
        "publishing is audited: {events}"
    );
    for secret in [dave_token.as_str(), "d-pw", "d-new", "guess-1234"] {
        assert!(
            !events.contains(secret),
            "{secret:?} in the audit events: {events}"
        );
    }
}
