//! The audit log (issue 16) through the real binary: publish, token, user, delete and restore
//! events and repeated failed sign-ins (Basic, token and the sign-in form alike, from one
//! address) as JSON lines in `[audit] file` and on stderr, the CLI's changes appended to the
//! same file; and no password or token used in any of it, or in the access log.

use std::io::Write;
use std::process::Stdio;

use crate::support::{
    Modgate, Reply, api_path, describe, modgate_command, module_zip, temp_dir, write_file,
    write_htpasswd,
};

const ALICE_PW: &str = "alice-Pw-8d1e";
const BOB_PW: &str = "bob-Pw-51c2";
const GUESS: &str = "guess-Pw-77aa";
const BOGUS_TOKEN: &str = "mg_bogusbogusbogus0123456789";
const CAROL_PW: &str = "carol-Pw-3f09";
const CAROL_PW2: &str = "carol-Pw-9e42";
const DAVE_PW: &str = "dave-Pw-02bd";

const CONFIG: &str = r#"
[auth]
htpasswd = "htpasswd"
admins = ["alice"]

[audit]
file = "audit.log"
stderr = true

[storage]
path = "store"

[[route]]
prefix = "corp.example"
anonymous = true
write_users = ["alice"]
"#;

fn basic(user: &str, password: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

fn json(reply: &Reply, status: u16, what: &str) -> serde_json::Value {
    assert_eq!(reply.status, status, "{what}: {}", reply.text());
    serde_json::from_slice(&reply.body).unwrap_or(serde_json::Value::Null)
}

/// A failed sign-in through the web UI's form.
fn form_sign_in(server: &Modgate, user: &str, password: &str) {
    let http = server.http();
    let page = http.get("/-/login").text();
    let start = page.find("name=\"csrf\" value=\"").expect("a csrf input") + 19;
    let end = page[start..].find('"').expect("the value's end");
    let csrf = &page[start..start + end];
    let form = format!("username={user}&password={password}&csrf={csrf}&next=%2F-%2F");
    let reply = http.send_body(
        "POST",
        "/-/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        Some(form.into_bytes()),
    );
    assert!(reply.status != 303, "a wrong password signed in");
}

/// The server and the files beside it.
struct Site {
    dir: tempfile::TempDir,
    server: Modgate,
}

impl Site {
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    fn as_alice(&self, method: &str, path: &str, body: &str) -> Reply {
        let alice = basic("alice", ALICE_PW);
        self.server.http().send_body(
            method,
            path,
            &[
                ("authorization", &alice),
                ("content-type", "application/json"),
            ],
            Some(body.as_bytes().to_vec()),
        )
    }
}

fn lib_zip() -> Vec<u8> {
    module_zip(
        "corp.example/lib",
        "v1.0.0",
        &[
            ("go.mod", "module corp.example/lib\n\ngo 1.19\n"),
            ("lib.go", "package lib\n"),
        ],
    )
}

#[test]
fn every_change_and_repeated_failure_is_audited_and_no_secret_is_logged() {
    let dir = temp_dir();
    write_htpasswd(
        &dir.path().join("htpasswd"),
        &[("alice", ALICE_PW), ("bob", BOB_PW)],
    );
    let config = dir.path().join("modgate.toml");
    write_file(&config, CONFIG);
    let server = Modgate::start(&dir.path().join("store"), Some(&config), None);
    let site = Site { dir, server };
    let (token, token_id) = publish_with_a_new_token(&site);
    fail_ten_sign_ins(&site);
    change_users_delete_revoke(&site, &token_id);
    let outputs = change_by_cli(&site);
    let audit = std::fs::read_to_string(site.path("audit.log")).expect("the audit file");
    assert_events(&audit, &token_id);
    let stderr = site.server.stderr();
    assert!(
        stderr.contains(r#""action":"delete""#),
        "stderr has the JSON lines:\n{stderr}"
    );
    let mut logs = vec![
        ("the audit file", audit),
        ("the server's stderr and access log", stderr),
    ];
    logs.extend(outputs);
    for secret in [
        ALICE_PW,
        BOB_PW,
        GUESS,
        BOGUS_TOKEN,
        CAROL_PW,
        CAROL_PW2,
        DAVE_PW,
        &token,
        // The token's secret part alone, after its prefix.
        &token[token.len() - 16..],
    ] {
        for (name, text) in &logs {
            assert!(
                !text.contains(secret),
                "{name} holds the secret {secret:?}:\n{text}"
            );
        }
    }
}

/// A personal token for alice, used to publish; its secret and id.
fn publish_with_a_new_token(site: &Site) -> (String, String) {
    let created = json(
        &site.as_alice("POST", "/-/api/tokens", r#"{"label": "ci"}"#),
        201,
        "token",
    );
    let token = created["token"].as_str().expect("a token").to_owned();
    let token_id = created["id"].as_str().expect("an id").to_owned();
    let bearer = format!("Bearer {token}");
    let published = site.server.http().send_body(
        "PUT",
        &api_path("corp.example/lib", "v1.0.0"),
        &[("authorization", &bearer)],
        Some(lib_zip()),
    );
    assert_eq!(published.status, 201, "{}", published.text());
    (token, token_id)
}

/// Ten failed sign-ins from this address: Basic, a token, the form.
fn fail_ten_sign_ins(site: &Site) {
    let http = site.server.http();
    let bogus = format!("Bearer {BOGUS_TOKEN}");
    let wrong = basic("bob", GUESS);
    for authorization in [&wrong; 5].into_iter().chain([&bogus; 3]) {
        let reply = http.send(
            "GET",
            "/corp.example/lib/@v/list",
            &[("authorization", authorization)],
        );
        assert_eq!(reply.status, 401);
    }
    for _ in 0..2 {
        form_sign_in(&site.server, "bob", GUESS);
    }
}

/// Users, a delete, the token's revocation, through the API.
fn change_users_delete_revoke(site: &Site, token_id: &str) {
    let add = format!(r#"{{"user": "carol", "password": "{CAROL_PW}"}}"#);
    json(
        &site.as_alice("POST", "/-/api/users", &add),
        201,
        "add carol",
    );
    let passwd = format!(r#"{{"password": "{CAROL_PW2}"}}"#);
    let passwd = site.as_alice("PUT", "/-/api/users/carol/password", &passwd);
    assert!(passwd.status < 300, "{}", passwd.text());
    let delete = r#"{"reason": "withdrawn"}"#;
    let path = "/api/v1/corp.example/lib/@v/v1.0.0";
    json(&site.as_alice("DELETE", path, delete), 200, "delete");
    let revoked = site.as_alice("DELETE", &format!("/-/api/tokens/{token_id}"), "");
    assert!(revoked.status < 300, "{}", revoked.text());
}

/// The CLI: a restore and a user, appended to the same file; what each printed.
fn change_by_cli(site: &Site) -> Vec<(&'static str, String)> {
    let zip_path = site.path("lib.zip");
    std::fs::write(&zip_path, lib_zip()).expect("zip");
    let restore = modgate_command()
        .args(["restore", "corp.example/lib@v1.0.0"])
        .arg(&zip_path)
        .arg("--config")
        .arg(site.path("modgate.toml"))
        .env("TMPDIR", site.dir.path())
        .output()
        .expect("modgate restore");
    assert!(restore.status.success(), "{}", describe(&restore));
    let mut add_dave = modgate_command()
        .args(["user", "add", "dave", "--password-stdin", "--cost", "4"])
        .arg("--htpasswd")
        .arg(site.path("htpasswd"))
        .arg("--config")
        .arg(site.path("modgate.toml"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("modgate user add");
    add_dave
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{DAVE_PW}\n").as_bytes())
        .expect("the password");
    let add_dave = add_dave.wait_with_output().expect("modgate user add");
    assert!(add_dave.status.success(), "{}", describe(&add_dave));
    vec![
        ("restore's output", describe(&restore)),
        ("user add's output", describe(&add_dave)),
    ]
}

/// Each change once in the file, one event for the ten failed sign-ins, every field.
fn assert_events(audit: &str, token_id: &str) {
    let events: Vec<serde_json::Value> = audit
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let has = |who: &str, action: &str, target: &str| {
        events.iter().any(|e| {
            e["who"] == who
                && e["action"] == action
                && e["target"].as_str().is_some_and(|t| t.starts_with(target))
        })
    };
    for (who, action, target) in [
        ("alice", "token.create", token_id),
        ("alice", "publish", "corp.example/lib@v1.0.0"),
        ("-", "sign-in.failures", ""),
        ("alice", "user.add", "carol"),
        ("alice", "user.passwd", "carol"),
        ("alice", "delete", "corp.example/lib@v1.0.0"),
        ("alice", "token.revoke", token_id),
        ("(operator)", "restore", "corp.example/lib@v1.0.0"),
        ("(operator)", "user.add", "dave"),
    ] {
        assert!(
            has(who, action, target),
            "no {who} {action} {target} in:\n{audit}"
        );
    }
    let failures: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["action"] == "sign-in.failures")
        .collect();
    assert_eq!(
        failures.len(),
        1,
        "one event at the fifth failure, none for the next five:\n{audit}"
    );
    assert_eq!(failures[0]["from"], "127.0.0.1");
    assert!(
        !events.iter().any(|e| e["action"] == "sign-in"),
        "single failures stay in memory:\n{audit}"
    );
    for e in &events {
        for key in ["at", "who", "from", "action", "target", "outcome"] {
            assert!(e.get(key).is_some(), "{key} missing in {e}");
        }
    }
}
