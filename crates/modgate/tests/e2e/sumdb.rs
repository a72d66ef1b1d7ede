//! The checksum database proxy (issue 4): the go command reaches a test checksum database only
//! through modgate's `/sumdb/<name>/` paths, full tiles are kept in the store and served from
//! there, and private module names never reach the database.

use std::path::Path;

use crate::support::{GoEnv, Modgate, TestSumdb, go_clients, public_tree, temp_dir, write_file};

const NAME: &str = "sumdb.test";

/// Records after the tree's, so that the tree's records sit in a full tile (8/0/000) that
/// every proof of them reads.
const FILLER_RECORDS: usize = 300;

/// A store holding `public_tree`, a checksum database holding its hashes, and modgate serving
/// the store with `[sumdb]` pointing at the database. `extra_config` is appended;
/// `adjust` may add records before the filler.
struct Setup {
    sumdb: TestSumdb,
    modgate: Modgate,
    store: tempfile::TempDir,
    _config_dir: tempfile::TempDir,
}

impl Setup {
    fn new(extra_config: &str, adjust: impl FnOnce(&TestSumdb, &Path)) -> Setup {
        let store = temp_dir();
        public_tree(store.path());
        let sumdb = TestSumdb::new(NAME);
        assert!(sumdb.add_tree(store.path()) > 5);
        adjust(&sumdb, store.path());
        for i in 0..FILLER_RECORDS {
            sumdb.add(&format!("example.org/filler{i}"), "v1.0.0", "h1:z", "h1:m");
        }
        let config_dir = temp_dir();
        let config = config_dir.path().join("modgate.toml");
        write_file(
            &config,
            format!(
                "[sumdb]\nname = \"{NAME}\"\nkey = \"{}\"\nurl = \"{}\"\n{extra_config}",
                sumdb.verifier_key(),
                sumdb.url()
            ),
        );
        let modgate = Modgate::start(store.path(), Some(&config), None);
        Setup {
            sumdb,
            modgate,
            store,
            _config_dir: config_dir,
        }
    }

    /// A go environment that knows the database's key but not its address: it must ask modgate.
    fn go(&self, client: &crate::support::GoClient) -> GoEnv {
        let mut env = GoEnv::new(client, &self.modgate.url());
        env.set("GOSUMDB", &self.sumdb.verifier_key());
        env
    }

    fn stored_tile(&self, tile: &str) -> std::path::PathBuf {
        self.store.path().join("sumdb").join(NAME).join(tile)
    }
}

/// `go mod download -json example.com/hello@v1.0.0`, which must fail.
fn failed_download(env: &GoEnv) -> crate::support::GoOutput {
    env.run(
        None,
        &["mod", "download", "-json", "example.com/hello@v1.0.0"],
    )
    .failure()
}

fn full_tile_requests(requests: &[String]) -> Vec<&String> {
    requests
        .iter()
        .filter(|r| r.starts_with("tile/") && !r.contains(".p/"))
        .collect()
}

#[test]
#[ignore = "needs go"]
fn go_verifies_through_modgate_and_full_tiles_are_kept() {
    for client in go_clients() {
        let setup = Setup::new("", |_, _| {});

        // First client: everything comes through modgate from the database.
        let env = setup.go(&client);
        env.download(&["example.com/hello@v1.1.0"]);
        let app = env.app(&[(
            "main.go",
            "package main\n\nimport \"example.com/hello\"\n\nfunc main() { println(hello.Hello()) }\n",
        )]);
        env.run(Some(&app), &["get", "example.com/hello@v1.2.0"])
            .success();
        let go_sum = std::fs::read_to_string(app.join("go.sum")).expect("go.sum");
        assert!(go_sum.contains("example.com/hello v1.2.0 h1:"), "{go_sum}");
        let requests = setup.sumdb.take_requests();
        assert!(
            requests.contains(&"lookup/example.com/hello@v1.1.0".to_owned())
                && requests.contains(&"lookup/example.com/hello@v1.2.0".to_owned())
                && requests.contains(&"tile/8/0/000".to_owned()),
            "[{}] {requests:?}",
            client.version
        );
        assert!(setup.stored_tile("tile/8/0/000").is_file());

        // Second client, fresh caches: the full tile comes from modgate's store.
        let env = setup.go(&client);
        env.download(&["example.com/hello@v1.1.0", "example.com/hello@v1.2.0"]);
        let requests = setup.sumdb.take_requests();
        assert!(
            full_tile_requests(&requests).is_empty(),
            "[{}] {requests:?}",
            client.version
        );

        // The database goes down: stored tiles are still served, and what needs the
        // database fails as a failure (502), never as "not found".
        setup.sumdb.set_down(true);
        let http = setup.modgate.http();
        let tile = http.get(&format!("/sumdb/{NAME}/tile/8/0/000"));
        assert_eq!(tile.status, 200);
        assert_eq!(tile.body.len(), 256 * 32);
        let line = http
            .get(&format!("/sumdb/{NAME}/lookup/example.com/hello@v1.0.0"))
            .assert_error(502, "lookup while down");
        assert!(line.contains("example.com/hello@v1.0.0"), "{line}");
        let output = failed_download(&setup.go(&client));
        assert!(output.stdout.contains("502"), "{}", output.describe());
    }
}

#[test]
#[ignore = "needs go"]
fn a_hash_the_database_disagrees_with_is_a_security_error() {
    for client in go_clients() {
        let setup = Setup::new("", |sumdb, store| {
            // A later record for the same version wins the lookup: a log that is consistent,
            // with the right go.mod hash but another zip hash than the one served.
            let go_mod = std::fs::read(store.join("example.com/hello/@v/v1.0.0.mod"))
                .expect("the stored go.mod");
            sumdb.add(
                "example.com/hello",
                "v1.0.0",
                "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                &gomod::hash_go_mod(&go_mod),
            );
        });
        let output = failed_download(&setup.go(&client));
        let text = format!("{}{}", output.stdout, output.stderr);
        assert!(text.contains("SECURITY ERROR"), "{}", output.describe());
    }
}

#[test]
fn private_lookups_are_refused_and_never_reach_the_database() {
    let setup = Setup::new(
        "[[route]]\nprefix = \"corp.example\"\nprivate = true\n[[route]]\nprefix = \"*\"\n",
        |_, _| {},
    );
    let http = setup.modgate.http();
    let line = http
        .get(&format!("/sumdb/{NAME}/lookup/corp.example/secret@v1.0.0"))
        .assert_error(403, "private lookup");
    assert!(line.contains("corp.example/secret@v1.0.0"), "{line}");
    assert!(
        setup.sumdb.requests().is_empty(),
        "{:?}",
        setup.sumdb.requests()
    );

    // Public ones go through; other databases are not ours (404: go then asks them itself).
    let lookup = http.get(&format!("/sumdb/{NAME}/lookup/example.com/hello@v1.0.0"));
    assert_eq!(lookup.status, 200, "{}", lookup.text());
    assert_eq!(http.get(&format!("/sumdb/{NAME}/supported")).status, 200);
    http.get("/sumdb/sum.golang.org/supported")
        .assert_error(404, "another database");
    http.get(&format!("/sumdb/{NAME}/nothing"))
        .assert_error(404, "an unknown path");
}
