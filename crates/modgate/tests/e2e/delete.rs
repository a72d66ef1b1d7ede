//! Deleting versions (issue 16): `DELETE /api/v1/MODULE/@v/VERSION` (admins) and
//! `modgate delete`/`restore`, checked with the real go commands: a deleted version fails to
//! download with the reason shown, leaves `go list -m -versions` and moves `@latest`; it
//! cannot be published again; `modgate restore` brings back only the same bytes, and the go
//! command then gets the same `h1:` as before. A second process (the CLI) deleting on the same
//! store is seen by the server within seconds, kept answers included.

use std::time::Duration;

use crate::support::{
    Gateway, GoEnv, Modgate, Published, Reply, Token, api_path, describe, go_clients, h1_of,
    modgate_command, module_zip, new_token, parse_published, temp_dir, wait_until, write_file,
    write_htpasswd,
};

const MODULE: &str = "corp.example/lib";
const REASON: &str = "CVE-2026-0001: the key is leaked";

/// alice is an admin, bob a user, `ci` a token that may publish; reading is open (the go
/// command sends no credentials over http), and events go to `audit.log`.
fn config(ci: &Token) -> String {
    format!(
        r#"
[auth]
htpasswd = "htpasswd"
admins = ["alice"]

{}
[audit]
file = "audit.log"

[storage]
path = "store"

[[route]]
prefix = "corp.example"
anonymous = true
write_users = ["ci", "alice"]
"#,
        ci.config
    )
}

struct Site {
    dir: tempfile::TempDir,
    ci: Token,
    server: Modgate,
}

impl Site {
    fn start() -> Site {
        let dir = temp_dir();
        let ci = new_token("ci");
        write_htpasswd(
            &dir.path().join("htpasswd"),
            &[("alice", "alice-Pw-71"), ("bob", "bob-Pw-72")],
        );
        write_file(&dir.path().join("modgate.toml"), config(&ci));
        let server = Modgate::start(
            &dir.path().join("store"),
            Some(&dir.path().join("modgate.toml")),
            None,
        );
        Site { dir, ci, server }
    }

    fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("modgate.toml")
    }

    fn put(&self, version: &str, zip: Vec<u8>) -> Reply {
        let bearer = format!("Bearer {}", self.ci.secret);
        self.server.http().send_body(
            "PUT",
            &api_path(MODULE, version),
            &[("authorization", &bearer)],
            Some(zip),
        )
    }

    fn delete(&self, version: &str, body: &str, auth: Option<(&str, &str)>) -> Reply {
        let basic = auth.map(|(user, password)| {
            use base64::Engine;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {encoded}")
        });
        let mut headers = vec![("content-type", "application/json")];
        if let Some(basic) = basic.as_deref() {
            headers.push(("authorization", basic));
        }
        let path = format!("/api/v1/{MODULE}/@v/{version}");
        self.server
            .http()
            .send_body("DELETE", &path, &headers, Some(body.as_bytes().to_vec()))
    }

    /// `modgate ARGS… --config` on the server's store, as another process.
    fn cli(&self, args: &[&str]) -> std::process::Output {
        modgate_command()
            .args(args)
            .arg("--config")
            .arg(self.config_path())
            .env("TMPDIR", self.dir.path())
            .output()
            .expect("running modgate")
    }
}

fn zip(version: &str, text: &str) -> Vec<u8> {
    module_zip(
        MODULE,
        version,
        &[
            ("go.mod", "module corp.example/lib\n\ngo 1.19\n"),
            ("lib.go", text),
        ],
    )
}

fn file_path(version: &str, extension: &str) -> String {
    format!("/{MODULE}/@v/{version}.{extension}")
}

#[test]
#[ignore = "needs go"]
fn a_deleted_version_is_gone_for_go_until_restored_with_the_same_bytes() {
    let site = Site::start();
    let old = zip("v1.0.0", "package lib\n\nconst V = 0\n");
    let new = zip("v1.1.0", "package lib\n\nconst V = 1\n");
    parse_published(&site.put("v1.0.0", old), "v1.0.0");
    let published = parse_published(&site.put("v1.1.0", new.clone()), "v1.1.0");
    let http = site.server.http();
    // Answered once, so these are kept answers now.
    for extension in ["info", "mod", "zip"] {
        assert_eq!(http.get(&file_path("v1.1.0", extension)).status, 200);
    }
    delete_as_admin(&site, &published);
    assert_gone_over_http(&site, &new);
    assert_gone_for_go(&site);
    restore_by_cli(&site, &new);
    assert_back(&site, &published);
    delete_by_cli(&site);
    assert_audited(&site);
}

/// Refused without credentials, for a user, without a reason; done for alice.
fn delete_as_admin(site: &Site, published: &Published) {
    let http = site.server.http();
    // Only an admin, with a reason.
    let body = format!(r#"{{"reason": "{REASON}"}}"#);
    assert_eq!(site.delete("v1.1.0", &body, None).status, 401);
    assert_eq!(
        site.delete("v1.1.0", &body, Some(("bob", "bob-Pw-72")))
            .status,
        403
    );
    let no_reason = site.delete(
        "v1.1.0",
        r#"{"reason": " "}"#,
        Some(("alice", "alice-Pw-71")),
    );
    assert_eq!(no_reason.status, 400, "{}", no_reason.text());
    let alice = Some(("alice", "alice-Pw-71"));
    for (version, body, status) in [
        ("v1.1.0", "not json", 400),
        ("v1.1.0", r#"{"reason": "a", "extra": 1}"#, 400),
        ("v1.1", body.as_str(), 400),
        ("v9.0.0", body.as_str(), 400),
        ("v1.9.0", body.as_str(), 404),
    ] {
        let reply = site.delete(version, body, alice);
        assert_eq!(reply.status, status, "{version} {body}: {}", reply.text());
        let error: serde_json::Value = serde_json::from_slice(&reply.body).expect("json");
        assert!(error["error"].as_str().is_some_and(|e| !e.contains('\n')));
    }
    assert_eq!(
        http.get(&file_path("v1.1.0", "info")).status,
        200,
        "refusals changed nothing"
    );
    let deleted = site.delete("v1.1.0", &body, Some(("alice", "alice-Pw-71")));
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let tombstone: serde_json::Value = serde_json::from_slice(&deleted.body).expect("json");
    assert_eq!(tombstone["h1"], published.h1.as_str());
    assert_eq!(tombstone["who"], "alice");
}

/// At once on this server, kept answers included; and never published again.
fn assert_gone_over_http(site: &Site, new: &[u8]) {
    let http = site.server.http();
    // At once on this server, kept answers included.
    for extension in ["info", "mod", "zip"] {
        let line = http
            .get(&file_path("v1.1.0", extension))
            .assert_error(410, extension);
        assert!(line.contains(&format!("deleted: {REASON}")), "{line}");
    }
    assert_eq!(http.get(&format!("/{MODULE}/@v/list")).text(), "v1.0.0\n");
    let page = http.get(&format!("/-/mod/{MODULE}")).text();
    assert!(
        page.contains("v1.0.0") && !page.contains("v1.1.0"),
        "{page}"
    );
    assert!(
        http.get(&format!("/{MODULE}/@latest"))
            .text()
            .contains("v1.0.0")
    );
    let store = site.dir.path().join("store");
    assert!(!store.join(MODULE).join("@v/v1.1.0.zip").exists());
    assert!(
        store
            .join(".modgate/tombstones")
            .join(MODULE)
            .join("@v/v1.1.0.json")
            .exists()
    );

    // Never published again, whatever the bytes.
    let again = site.put("v1.1.0", new.to_vec());
    assert!(again.assert_error(410, "same bytes").contains(REASON));
    site.put("v1.1.0", zip("v1.1.0", "package lib\n\nconst V = 2\n"))
        .assert_error(410, "other bytes");
}

/// `go mod download` fails with the reason; `go list -m -versions` and `@latest` skip it.
fn assert_gone_for_go(site: &Site) {
    for go in go_clients() {
        let env = GoEnv::new(&go, &site.server.url());
        let failed = env
            .run(None, &["mod", "download", &format!("{MODULE}@v1.1.0")])
            .failure();
        assert!(failed.stderr.contains(REASON), "{}", failed.describe());
        assert_eq!(
            env.versions(MODULE),
            Ok(vec!["v1.0.0".to_owned()]),
            "{}",
            go.version
        );
        assert_latest(&env, "v1.0.0");
    }
}

/// `go list -m MODULE@latest` says `want`.
fn assert_latest(env: &GoEnv, want: &str) {
    let latest = env
        .run(None, &["list", "-m", &format!("{MODULE}@latest")])
        .success();
    assert_eq!(
        latest.stdout.trim(),
        format!("{MODULE} {want}"),
        "{}",
        latest.describe()
    );
}

/// Other bytes refused, the same bytes (from a zip) taken, through the CLI.
fn restore_by_cli(site: &Site, new: &[u8]) {
    let other_zip = site.dir.path().join("other.zip");
    std::fs::write(&other_zip, zip("v1.1.0", "package lib\n\nconst V = 2\n")).expect("zip");
    let refused = site.cli(&[
        "restore",
        &format!("{MODULE}@v1.1.0"),
        &other_zip.display().to_string(),
    ]);
    assert_eq!(refused.status.code(), Some(1), "{}", describe(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("only the same bytes"),
        "{}",
        describe(&refused)
    );
    let same_zip = site.dir.path().join("same.zip");
    std::fs::write(&same_zip, new).expect("zip");
    let restored = site.cli(&[
        "restore",
        &format!("{MODULE}@v1.1.0"),
        &same_zip.display().to_string(),
    ]);
    assert!(restored.status.success(), "{}", describe(&restored));
}

/// The server learns of the other process's restore within seconds; go gets the same h1.
fn assert_back(site: &Site, published: &Published) {
    let http = site.server.http();
    assert!(
        wait_until(Duration::from_secs(20), || http
            .get(&file_path("v1.1.0", "zip"))
            .status
            == 200),
        "the restore did not show: {}",
        http.get(&file_path("v1.1.0", "zip")).text()
    );
    assert_eq!(
        h1_of(&http.get(&file_path("v1.1.0", "zip")).body),
        published.h1
    );
    for go in go_clients() {
        let env = GoEnv::new(&go, &site.server.url());
        let got = env.download(&[&format!("{MODULE}@v1.1.0")]);
        assert_eq!(
            (&got[0].sum, &got[0].go_mod_sum),
            (&published.h1, &published.gomod_h1)
        );
        assert_latest(&env, "v1.1.0");
    }
}

/// A delete by another process: the server's kept answer turns 410 within seconds.
fn delete_by_cli(site: &Site) {
    let http = site.server.http();
    assert_eq!(http.get(&file_path("v1.0.0", "zip")).status, 200);
    let by_cli = site.cli(&[
        "delete",
        &format!("{MODULE}@v1.0.0"),
        "--reason",
        "withdrawn",
    ]);
    assert!(by_cli.status.success(), "{}", describe(&by_cli));
    assert!(
        wait_until(Duration::from_secs(20), || http
            .get(&file_path("v1.0.0", "zip"))
            .status
            == 410),
        "the other process's delete did not show"
    );
}

/// Every change is in the audit file, which `modgate audit` reads.
fn assert_audited(site: &Site) {
    let audit = site.cli(&["audit", "--since", "1h"]);
    assert!(audit.status.success(), "{}", describe(&audit));
    let lines = String::from_utf8_lossy(&audit.stdout).into_owned();
    for (who, action, target) in [
        ("ci", "publish", "corp.example/lib@v1.1.0"),
        ("alice", "delete", "corp.example/lib@v1.1.0"),
        ("bob", "delete", "corp.example/lib@v1.1.0"),
        ("ci", "publish", "corp.example/lib@v1.1.0"),
        ("(operator)", "restore", "corp.example/lib@v1.1.0"),
        ("(operator)", "delete", "corp.example/lib@v1.0.0"),
    ] {
        assert!(
            lines.lines().any(|l| {
                let fields: Vec<&str> = l.split('\t').collect();
                fields.get(1) == Some(&who)
                    && fields.get(3) == Some(&action)
                    && fields.get(4) == Some(&target)
            }),
            "no {who} {action} {target} in:\n{lines}"
        );
    }
    assert!(
        lines
            .lines()
            .any(|l| l.contains("\tpublish\t") && l.contains(REASON)),
        "the refused publish is audited:\n{lines}"
    );
}

/// A version cached from upstream, deleted by the CLI on the gateway's store: the server
/// answers 410 within seconds, and neither lists nor fetches it from upstream again.
#[test]
fn a_deleted_upstream_version_is_not_fetched_again() {
    let gateway = Gateway::start("timeout_secs = 10", "");
    let http = gateway.server.http();
    let base = "/example.com/words/@v/v1.1.0";
    assert_eq!(http.get(&format!("{base}.zip")).status, 200);
    assert!(gateway.stored("example.com/words", "v1.1.0", "zip"));
    let deleted = modgate_command()
        .args([
            "delete",
            "example.com/words@v1.1.0",
            "--reason",
            "bad release",
        ])
        .arg("--config")
        .arg(gateway.dir.path().join("modgate.toml"))
        .arg("--store")
        .arg(&gateway.store)
        .output()
        .expect("modgate delete");
    assert!(deleted.status.success(), "{}", describe(&deleted));
    assert!(
        wait_until(Duration::from_secs(20), || http
            .get(&format!("{base}.info"))
            .status
            == 410),
        "the delete did not show"
    );
    let second = gateway.second();
    second.take_requests();
    for extension in ["info", "mod", "zip"] {
        let line = http
            .get(&format!("{base}.{extension}"))
            .assert_error(410, extension);
        assert!(line.ends_with("deleted: bad release"), "{line}");
        assert!(!gateway.stored("example.com/words", "v1.1.0", extension));
    }
    assert_eq!(http.get("/example.com/words/@v/list").text(), "v1.0.0\n");
    assert!(
        http.get("/example.com/words/@latest")
            .text()
            .contains("\"v1.0.0\"")
    );
    let asked = second.take_requests();
    assert!(
        asked.iter().all(|path| !path.contains("v1.1.0")),
        "upstream was asked for the deleted version: {asked:?}"
    );
}
