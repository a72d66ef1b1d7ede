//! The private checksum database (issue 14): modgate's own transparency log of every version it
//! stores, `sum.corp.example`, served under `/sumdb/sum.corp.example/` behind the modules'
//! sign-in. Both go clients check it as they check sum.golang.org, with the verifier key
//! `modgate sumdb init` printed in `GOSUMDB` and nothing in GONOSUMDB or GOPRIVATE, through
//! modgate as GOPROXY, over TLS as a user.
//!
//! Each test stands for one line of the issue's acceptance list: a build of private and public
//! modules verifies; a zip changed in the store, or a log rolled back, is caught by the go
//! command (and the changed zip by modgate and its audit); the tiles and tree hashes are x/mod's;
//! two replicas on one bucket append one log; the log is read behind the sign-in; the key file
//! is made once and kept private; a version copied into the store is logged when first asked
//! for.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use gomod::tlog::Tile;

use crate::support::{
    Auth, GoClient, GoEnv, Http, Modgate, PublicSide, Published, Reply, TestCa, TreeBuilder, Weed,
    api_path, copy_tree, describe, escape, go_clients, h1_of, modgate_command, module_zip,
    parse_published, temp_dir, tls_config, wait_until, write_file, write_htpasswd,
};

mod access;
mod replicas;
mod xmod;

const NAME: &str = "sum.corp.example";

/// alice is an admin and reads and publishes corp.example; bob reads it; carol reads only the
/// rest (`*`, which any user may read).
const USERS: &[(&str, &str)] = &[("alice", "s3cret"), ("bob", "hunter2"), ("carol", "pa55")];

/// The private module most tests publish.
const LIB: &str = "corp.example/lib";

/// How long modgate may take to show what it does in the background (the check of a served
/// zip), or a replica to show what another appended: a bound, not an expectation.
const BACKGROUND_LIMIT: Duration = Duration::from_secs(30);

fn password(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(name, _)| *name == user)
        .map(|(_, password)| *password)
        .unwrap_or_else(|| panic!("no user {user}"))
}

/// The files of one company's modgate: a test CA, the users, the key `modgate sumdb init` made,
/// and a config with `[private_sumdb]` over a directory store or a bucket prefix.
struct Corp {
    /// What `modgate sumdb init` printed: every go client here puts it in GOSUMDB.
    vkey: String,
    ca: TestCa,
    config: PathBuf,
    /// The bucket's credentials, for a store on S3.
    env: Vec<(&'static str, &'static str)>,
    dir: tempfile::TempDir,
}

impl Corp {
    /// A directory store (`store/` beside the config); `public`: everything but corp.example
    /// comes from its upstream, checked against its checksum database.
    fn new(public: Option<&PublicSide>) -> Corp {
        Corp::with_storage("[storage]\npath = \"store\"\n", public, Vec::new())
    }

    /// A store in `weed`'s bucket, below `prefix`.
    fn on_s3(weed: &Weed, prefix: &str) -> Corp {
        Corp::with_storage(&weed.storage_section(prefix), None, weed.env().to_vec())
    }

    fn with_storage(
        storage: &str,
        public: Option<&PublicSide>,
        env: Vec<(&'static str, &'static str)>,
    ) -> Corp {
        let dir = temp_dir();
        let ca = TestCa::create(dir.path());
        write_htpasswd(&dir.path().join("htpasswd"), USERS);
        let vkey = sumdb_init(&dir.path().join("sumdb.key"));
        let (upstream, source) = match public {
            Some(public) => (public.config("timeout_secs = 10"), "source = \"upstream\""),
            None => (String::new(), ""),
        };
        let config = dir.path().join("modgate.toml");
        let rest = format!(
            r#"
[private_sumdb]
name = "{NAME}"
key_file = "sumdb.key"
{upstream}
{storage}
[[route]]
prefix = "corp.example"
private = true
users = ["alice", "bob"]
write_users = ["alice"]

[[route]]
prefix = "*"
{source}
"#
        );
        write_file(&config, tls_config(&["alice"], &rest));
        Corp {
            vkey,
            ca,
            config,
            env,
            dir,
        }
    }

    fn serve(&self) -> Modgate {
        Modgate::start_configured(&self.config, Some(&self.ca.ca), &self.env)
    }

    /// The directory store.
    fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The log's objects in the directory store.
    fn log_dir(&self) -> PathBuf {
        self.store().join(".modgate/sumdb").join(NAME)
    }

    /// A go client of `server` as bob, checking modules with the private database alone.
    fn go(&self, client: &GoClient, server: &Modgate) -> GoEnv {
        let mut env = server.go_as(client, &self.ca.ca, "bob", password("bob"));
        env.set("GOSUMDB", &self.vkey);
        env
    }

    /// `modgate ARGS… --config CONFIG`.
    fn modgate(&self, args: &[&str]) -> Output {
        modgate_command()
            .args(args)
            .arg("--config")
            .arg(&self.config)
            .envs(self.env.iter().copied())
            .output()
            .expect("running modgate")
    }

    /// `modgate sumdb verify`, which must exit 0 and find nothing wrong; returns its report.
    fn assert_audit_clean(&self) -> String {
        let audit = self.modgate(&["sumdb", "verify"]);
        let report = String::from_utf8_lossy(&audit.stdout).into_owned();
        assert!(
            audit.status.success() && report.contains(" 0 problems"),
            "{}",
            describe(&audit)
        );
        report
    }
}

/// `modgate sumdb init` for `sum.corp.example`; returns the verifier key it printed.
fn sumdb_init(key_file: &Path) -> String {
    let output = init_command(NAME, key_file);
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn init_command(name: &str, key_file: &Path) -> Output {
    modgate_command()
        .args(["sumdb", "init", "--name", name, "--key-file"])
        .arg(key_file)
        .output()
        .expect("running modgate sumdb init")
}

/// `GET path` as `user` (anonymous for `None`).
fn get_as(server: &Modgate, user: Option<&str>, path: &str) -> Reply {
    let authorization = user.and_then(|user| Auth::Basic(user, password(user)).header());
    let headers: Vec<(&str, &str)> = authorization
        .iter()
        .map(|value| ("authorization", value.as_str()))
        .collect();
    server.http().send("GET", path, &headers)
}

/// A module zip of package `lib` whose code names the version.
fn lib_zip(module: &str, version: &str) -> Vec<u8> {
    module_zip(
        module,
        version,
        &[
            ("go.mod", &format!("module {module}\n\ngo 1.19\n")),
            (
                "lib.go",
                &format!("package lib\n\nfunc Version() string {{ return {version:?} }}\n"),
            ),
        ],
    )
}

/// Publishes `lib_zip(module, version)` through `http` as alice.
fn publish_on(http: &Http, module: &str, version: &str) -> Reply {
    let authorization = Auth::Basic("alice", password("alice"))
        .header()
        .expect("basic credentials");
    http.send_body(
        "PUT",
        &api_path(module, version),
        &[("authorization", &authorization)],
        Some(lib_zip(module, version)),
    )
}

fn publish(server: &Modgate, module: &str, version: &str) -> Published {
    let reply = publish_on(server.http(), module, version);
    parse_published(&reply, &format!("publishing {module}@{version}"))
}

fn lookup_path(module: &str, version: &str) -> String {
    format!(
        "/sumdb/{NAME}/lookup/{}@{}",
        escape(module),
        escape(version)
    )
}

/// The go.sum lines of a lookup answer: `<id>\n<record text>\n<signed tree head>`.
fn lookup_lines(reply: &Reply) -> Vec<String> {
    assert_eq!(reply.status, 200, "lookup: {}", reply.text());
    let text = reply.text();
    let (_, rest) = text.split_once('\n').expect("a record number");
    let (record, _) = rest.split_once("\n\n").expect("a record, then a tree head");
    record.lines().map(str::to_owned).collect()
}

/// The record texts of a data tile: each text, then a newline.
fn data_tile_records(data: &[u8]) -> Vec<String> {
    let text = std::str::from_utf8(data).expect("a data tile is text");
    let mut records = Vec::new();
    let mut rest = text;
    while let Some((record, after)) = rest.split_once("\n\n") {
        records.push(format!("{record}\n"));
        rest = after;
    }
    assert!(rest.is_empty(), "a data tile ends with a record: {text:?}");
    records
}

/// The tree `latest` signs, its signature checked with the printed key.
fn signed_tree(corp: &Corp, server: &Modgate) -> gomod::tlog::Tree {
    let latest = get_as(server, Some("bob"), &format!("/sumdb/{NAME}/latest"));
    assert_eq!(latest.status, 200, "latest: {}", latest.text());
    let verifier = gomod::note::Verifier::new(&corp.vkey).expect("the printed key");
    let note = gomod::note::open(&latest.body, &[verifier]).expect("a head signed by the key");
    gomod::tlog::parse_tree(note.text.as_bytes()).expect("a tree")
}

fn signed_size(corp: &Corp, server: &Modgate) -> u64 {
    signed_tree(corp, server).n
}

/// A tree's hash in base64, as the go command prints it.
fn hash_text(tree: gomod::tlog::Tree) -> String {
    let text = gomod::tlog::format_tree(tree);
    text.lines().nth(2).expect("the hash line").to_owned()
}

/// The data tiles of a tree of `size` records, as an admin reads them: every record text.
fn all_records(server: &Modgate, size: u64) -> Vec<String> {
    let mut records = Vec::new();
    for n in 0..size.div_ceil(256) {
        let w = (size - n * 256).min(256) as u32;
        let tile = Tile { h: 8, l: -1, n, w };
        let reply = get_as(
            server,
            Some("alice"),
            &format!("/sumdb/{NAME}/{}", tile.path()),
        );
        assert_eq!(reply.status, 200, "{}: {}", tile.path(), reply.text());
        records.extend(data_tile_records(&reply.body));
    }
    assert_eq!(records.len() as u64, size);
    records
}

/// `M V h1:…\nM V/go.mod h1:…\n`: what a record holds.
fn record_text(module: &str, version: &str, h1: &str, go_mod_h1: &str) -> String {
    format!("{module} {version} {h1}\n{module} {version}/go.mod {go_mod_h1}\n")
}

/// A library package needing a private module and a public one (which needs another): building
/// it verifies all three, and compiles them without the runtime, which a fresh build cache would
/// otherwise compile for every client.
const APP_GO: &str = r#"package app

import (
	"corp.example/lib"
	"example.com/greet"
)

func Both() string { return lib.Version() + greet.Greet() }
"#;

#[test]
#[ignore = "needs go"]
fn a_build_of_private_and_public_modules_verifies_through_the_private_database() {
    let dir = temp_dir();
    let public = PublicSide::start(&dir.path().join("upstream"));
    let corp = Corp::new(Some(&public));
    let server = corp.serve();
    publish(&server, LIB, "v1.0.0");
    let built: BTreeSet<(String, String)> = [
        (LIB, "v1.0.0"),
        ("example.com/greet", "v1.0.0"),
        ("example.com/words", "v1.1.0"),
    ]
    .iter()
    .map(|(m, v)| (m.to_string(), v.to_string()))
    .collect();
    for client in go_clients() {
        let env = corp.go(&client, &server);
        let app = env.app(&[("app.go", APP_GO)]);
        env.run(Some(&app), &["build", "."]).success();

        // go.sum holds what the log's lookups hold for the versions built, line for line.
        let go_sum = std::fs::read_to_string(app.join("go.sum")).expect("go.sum");
        let in_go_sum: BTreeSet<String> = go_sum.lines().map(str::to_owned).collect();
        let versions: BTreeSet<(String, String)> = in_go_sum
            .iter()
            .map(|line| {
                let mut fields = line.split(' ');
                let module = fields.next().unwrap_or_default().to_owned();
                let version = fields.next().unwrap_or_default();
                (module, version.trim_end_matches("/go.mod").to_owned())
            })
            .collect();
        assert_eq!(versions, built, "[{}] {go_sum}", client.version);
        let logged: BTreeSet<String> = versions
            .iter()
            .flat_map(|(m, v)| lookup_lines(&get_as(&server, Some("bob"), &lookup_path(m, v))))
            .collect();
        assert_eq!(in_go_sum, logged, "[{}]", client.version);

        // The go command checked each of them with sum.corp.example, whose answers it keeps.
        let cache = env.download_cache().join("sumdb").join(NAME);
        for (module, version) in &versions {
            let lookup =
                cache
                    .join("lookup")
                    .join(format!("{}@{}", escape(module), escape(version)));
            assert!(
                lookup.is_file(),
                "[{}] {}",
                client.version,
                lookup.display()
            );
        }
    }
    // modgate checked the public modules with the public database before logging them; no
    // private name went there, or upstream.
    let asked = public.sumdb.requests();
    assert!(
        asked.contains(&"lookup/example.com/greet@v1.0.0".to_owned()),
        "{asked:?}"
    );
    assert!(
        asked.iter().all(|r| !r.contains("corp.example")),
        "{asked:?}"
    );
    let fetched = public.second.requests();
    assert!(
        fetched.iter().all(|r| !r.contains("corp.example")),
        "{fetched:?}"
    );
    assert_eq!(signed_size(&corp, &server), 3);
    corp.assert_audit_clean();
}

#[test]
#[ignore = "needs go"]
fn a_zip_changed_in_the_store_fails_the_go_command_and_is_reported() {
    let corp = Corp::new(None);
    let server = corp.serve();
    let published = publish(&server, LIB, "v1.0.0");
    // Before anyone downloads it, the zip is swapped on disk for a valid zip of the same
    // version with other code, the attack a transparency log exists to expose.
    let forged = module_zip(
        LIB,
        "v1.0.0",
        &[
            ("go.mod", &format!("module {LIB}\n\ngo 1.19\n")),
            (
                "lib.go",
                "package lib\n\nfunc Version() string { return \"forged\" }\n",
            ),
        ],
    );
    let forged_h1 = h1_of(&forged);
    let zip = TreeBuilder::new(corp.store()).file(LIB, "v1.0.0", "zip");
    std::fs::write(&zip, &forged).expect("replacing the stored zip");

    for client in go_clients() {
        let env = corp.go(&client, &server);
        let output = env
            .run(
                None,
                &["mod", "download", "-json", "corp.example/lib@v1.0.0"],
            )
            .failure();
        let text = format!("{}{}", output.stdout, output.stderr);
        assert!(
            text.contains("checksum mismatch")
                && text.contains("SECURITY ERROR")
                && text.contains(&forged_h1)
                && text.contains(&format!("{NAME}: {}", published.h1)),
            "{}",
            output.describe()
        );
    }

    // modgate hashed what it served, in the background, and raised the event.
    let event = "SECURITY ERROR: served a stored zip or .mod whose hash is not the one the checksum log holds";
    assert!(
        wait_until(BACKGROUND_LIMIT, || server.stderr().contains(event)),
        "{}",
        server.stderr()
    );
    let metrics = server.http().get("/metrics").text();
    assert!(
        metrics.contains("modgate_security_events_total{kind=\"stored_version_changed\"}"),
        "{metrics}"
    );

    // The audits name the version and both hashes.
    let disagreement = format!(
        "corp.example/lib@v1.0.0: zip hashes to {forged_h1}, the log holds {}",
        published.h1
    );
    for args in [&["sumdb", "verify"][..], &["verify"]] {
        let audit = corp.modgate(args);
        assert_eq!(
            audit.status.code(),
            Some(1),
            "{args:?}: {}",
            describe(&audit)
        );
        assert!(
            String::from_utf8_lossy(&audit.stdout).contains(&disagreement),
            "{args:?}: {}",
            describe(&audit)
        );
    }
}

#[test]
#[ignore = "needs go"]
fn a_log_rolled_back_under_a_client_is_caught_by_the_client() {
    let corp = Corp::new(None);
    let mut server = corp.serve();
    publish(&server, LIB, "v1.0.0");
    let aside = temp_dir();
    copy_tree(&corp.log_dir(), aside.path());
    publish(&server, LIB, "v1.1.0");
    // Each client verifies v1.1.0, and so keeps the tree of two records as the latest it saw.
    let mut clients: Vec<GoEnv> = go_clients()
        .iter()
        .map(|client| corp.go(client, &server))
        .collect();
    for env in &clients {
        env.download(&["corp.example/lib@v1.1.0"]);
    }
    let seen = signed_tree(&corp, &server);
    assert_eq!(seen.n, 2);

    // The log goes back to its tree of one record, under a restarted modgate (which forgets
    // the head it served); a new version then takes record 1: another tree of two records.
    server.kill();
    std::fs::remove_dir_all(corp.log_dir()).expect("removing the log");
    copy_tree(aside.path(), &corp.log_dir());
    let server = corp.serve();
    publish(&server, LIB, "v1.2.0");
    let forked = signed_tree(&corp, &server);
    assert_eq!(forked.n, 2);
    assert_ne!(forked.hash, seen.hash);

    // The lookup of v1.2.0 brings the other tree of two records: the go command shows both
    // signed heads (the one it kept, and the one it was just sent) and stops.
    for env in &mut clients {
        server.sign_in(env, &corp.ca.ca, "bob", password("bob"));
        let output = env
            .run(
                None,
                &["mod", "download", "-json", "corp.example/lib@v1.2.0"],
            )
            .failure();
        let text = format!("{}{}", output.stdout, output.stderr);
        let head = |tree| format!("\tgo.sum database tree\n\t2\n\t{}\n", hash_text(tree));
        assert!(
            text.contains("SECURITY ERROR\ngo.sum database server misbehavior detected!")
                && text.contains(&head(seen))
                && text.contains(&head(forked)),
            "{}",
            output.describe()
        );
    }
    // The rolled-back log is consistent in itself: a client that never saw the other tree
    // has nothing to hold it to.
    for client in go_clients() {
        corp.go(&client, &server)
            .download(&["corp.example/lib@v1.2.0"]);
    }
}

#[test]
#[ignore = "needs go"]
fn a_version_copied_into_the_store_is_logged_when_first_asked_for() {
    let corp = Corp::new(None);
    let server = corp.serve();
    // Written into the served tree by hand, as a restore or an rsync would: no modgate.
    let copied = "corp.example/copied";
    let tree = TreeBuilder::new(corp.store());
    for version in ["v1.0.0", "v1.1.0"] {
        tree.add(
            copied,
            version,
            "2024-02-01T00:00:00Z",
            &[
                ("go.mod", "module corp.example/copied\n\ngo 1.19\n"),
                ("c.go", "package copied\n"),
            ],
        );
    }
    let h1 = |version: &str| {
        let zip = std::fs::File::open(tree.file(copied, version, "zip")).expect("a zip");
        gomod::hash_zip(zip).expect("hashing a zip")
    };

    // v1.0.0: the go command's lookup logs it, and it verifies.
    for client in go_clients() {
        let env = corp.go(&client, &server);
        let downloaded = env.download(&["corp.example/copied@v1.0.0"]);
        assert_eq!(downloaded[0].sum, h1("v1.0.0"), "[{}]", client.version);
        let lookup = env
            .download_cache()
            .join("sumdb")
            .join(NAME)
            .join("lookup/corp.example/copied@v1.0.0");
        assert!(
            lookup.is_file(),
            "[{}] {}",
            client.version,
            lookup.display()
        );
    }

    // v1.1.0: a download of its zip logs it, once its hash is checked in the background.
    let zip = get_as(&server, Some("bob"), "/corp.example/copied/@v/v1.1.0.zip");
    assert_eq!(zip.status, 200, "{}", zip.text());
    let index = corp.log_dir().join("index/corp.example/copied@v1.1.0");
    assert!(
        wait_until(BACKGROUND_LIMIT, || index.is_file()),
        "{} not written",
        index.display()
    );
    let lines = lookup_lines(&get_as(
        &server,
        Some("bob"),
        &lookup_path(copied, "v1.1.0"),
    ));
    assert_eq!(lines[0], format!("{copied} v1.1.0 {}", h1("v1.1.0")));

    // Each logged once.
    let metrics = server.http().get("/metrics").text();
    assert!(metrics.contains("modgate_sumlog_records 2\n"), "{metrics}");
    assert!(
        metrics.contains("modgate_sumlog_appends_total 2\n"),
        "{metrics}"
    );
    let report = corp.assert_audit_clean();
    assert!(
        report.contains("2 records signed") && report.contains("0 stored versions not logged yet"),
        "{report}"
    );
}
