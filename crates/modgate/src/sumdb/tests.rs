//! `ChecksumDb` against a real (test) checksum database over HTTP.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

#[path = "../../tests/e2e/support/sumdb.rs"]
mod test_sumdb;
use test_sumdb::TestSumdb;

const NAME: &str = "sumdb.test";

struct Setup {
    upstream: TestSumdb,
    store_dir: tempfile::TempDir,
    db: ChecksumDb,
    runtime: tokio::runtime::Runtime,
}

impl Setup {
    /// A database holding `example.com/m{i} v1.0.0` for i below `records`, with hashes
    /// `h1:zip{i}` and `h1:mod{i}`, and `corp.example` private.
    fn new(records: usize) -> Setup {
        let upstream = TestSumdb::new(NAME);
        for i in 0..records {
            upstream.add(
                &format!("example.com/m{i}"),
                "v1.0.0",
                &format!("h1:zip{i}"),
                &format!("h1:mod{i}"),
            );
        }
        let config = SumdbSettings {
            name: NAME.to_owned(),
            key: upstream.verifier_key(),
            url: upstream.url(),
            verify: true,
            // `golang.org` too: toolchains are checked whatever `skip` says.
            skip: vec!["skipped.example".to_owned(), "golang.org".to_owned()],
            proxy: true,
            timeout: Duration::from_secs(10),
            offline: false,
        };
        let store_dir = tempfile::tempdir().expect("a store directory");
        let store = Store::directory(store_dir.path()).expect("a store");
        let db = ChecksumDb::new(&config, store, reqwest::Client::new())
            .expect("a checksum database")
            .with_private(Arc::new(|m: &ModulePath| {
                m.as_str().starts_with("corp.example/")
            }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        Setup {
            upstream,
            store_dir,
            db,
            runtime,
        }
    }

    fn verify(
        &self,
        module: &str,
        go_mod: Option<&str>,
        zip: Option<&str>,
    ) -> Result<(), SumdbError> {
        self.runtime
            .block_on(self.db.verify(&v1(module), go_mod, zip))
    }

    fn proxy(&self, rest: &str) -> Result<SumdbAnswer, SumdbError> {
        self.runtime.block_on(self.db.proxy(NAME, rest))
    }

    fn stored(&self, tile: &str) -> PathBuf {
        self.store_dir.path().join("sumdb").join(NAME).join(tile)
    }

    fn lookups(&self) -> usize {
        self.upstream
            .requests()
            .iter()
            .filter(|r| r.starts_with("lookup/"))
            .count()
    }
}

#[test]
fn good_hashes_pass_with_one_lookup_per_version() {
    let s = Setup::new(3);
    s.verify("example.com/m1", Some("h1:mod1"), None)
        .expect("go.mod verifies");
    s.verify("example.com/m1", None, Some("h1:zip1"))
        .expect("zip verifies");
    s.verify("example.com/m2", Some("h1:mod2"), Some("h1:zip2"))
        .expect("both verify");
    assert_eq!(s.lookups(), 2, "{:?}", s.upstream.requests());
}

#[test]
fn concurrent_checks_of_one_version_ask_the_database_once_per_path() {
    let s = Setup::new(3);
    // Slow answers: every check is waiting on the database when the first answer comes.
    s.upstream.set_delay(Duration::from_millis(300));
    let version = v1("example.com/m1");
    let checks = (0..16).map(|_| s.db.verify(&version, Some("h1:mod1"), Some("h1:zip1")));
    for outcome in s.runtime.block_on(futures::future::join_all(checks)) {
        outcome.expect("the version verifies");
    }
    let mut requests = s.upstream.requests();
    assert_eq!(s.lookups(), 1, "{requests:?}");
    let asked = requests.len();
    requests.sort();
    requests.dedup();
    assert_eq!(asked, requests.len(), "a path asked twice: {requests:?}");
}

#[test]
fn a_wrong_hash_is_a_mismatch_naming_both() {
    let s = Setup::new(3);
    let err = s
        .verify("example.com/m1", Some("h1:mod1"), Some("h1:evil"))
        .unwrap_err();
    let SumdbError::Mismatch(message) = err else {
        panic!("{err:?}")
    };
    assert!(
        message.contains("example.com/m1@v1.0.0")
            && message.contains("h1:evil")
            && message.contains("h1:zip1")
            && message.contains("SECURITY ERROR"),
        "{message}"
    );
}

#[test]
fn an_unknown_version_is_not_found() {
    let s = Setup::new(3);
    let err = s
        .verify("example.com/nothere", Some("h1:x"), None)
        .unwrap_err();
    assert!(
        matches!(err, SumdbError::NotFound(ref m) if m.contains("example.com/nothere@v1.0.0")),
        "{err:?}"
    );
}

#[test]
fn a_database_that_is_down_is_unreachable_not_not_found() {
    let s = Setup::new(3);
    s.upstream.set_down(true);
    let err = s
        .verify("example.com/m1", Some("h1:mod1"), None)
        .unwrap_err();
    assert!(matches!(err, SumdbError::Unreachable(_)), "{err:?}");
}

#[test]
fn a_forged_lookup_fails_its_proof() {
    let s = Setup::new(3);
    s.upstream
        .add_forged_lookup("example.com/m1", "v1.0.0", "h1:evil", "h1:mod1");
    let err = s
        .verify("example.com/m1", None, Some("h1:evil"))
        .unwrap_err();
    assert!(matches!(err, SumdbError::Invalid(_)), "{err:?}");
}

#[test]
fn a_growing_tree_is_accepted_and_a_rewritten_one_is_not() {
    let s = Setup::new(3);
    s.verify("example.com/m0", Some("h1:mod0"), None)
        .expect("first tree");
    s.upstream
        .add("example.com/new", "v1.0.0", "h1:zipn", "h1:modn");
    s.verify("example.com/new", Some("h1:modn"), None)
        .expect("the grown tree extends the first");
    s.upstream.fork();
    let err = s
        .verify("example.com/m2", Some("h1:mod2"), None)
        .unwrap_err();
    let SumdbError::Invalid(message) = err else {
        panic!("{err:?}")
    };
    assert!(message.contains("inconsistent"), "{message}");
}

#[test]
fn proven_full_tiles_are_stored_and_partial_ones_are_not() {
    // 300 records: tile 8/0/000 is full, 8/0/001 holds 44 hashes.
    let s = Setup::new(300);
    // Record 0's proof reads tile 8/0/000 (full), checked against 8/1/000.p/1.
    s.verify("example.com/m0", Some("h1:mod0"), None)
        .expect("verifies");
    assert!(s.stored("tile/8/0/000").is_file(), "full tile stored");
    let stored: Vec<_> = walk(s.store_dir.path());
    assert!(
        stored.iter().all(|p| !p.contains(".p")),
        "partial tiles stored: {stored:?}"
    );

    // A proxy client's full tile comes from the store, also with the database down.
    s.upstream.set_down(true);
    let answer = s.proxy("tile/8/0/000").expect("served from the store");
    assert_eq!(answer.body.len(), 256 * 32);
    assert_eq!(answer.cache_control, IMMUTABLE);
    // And so does a narrower prefix of it.
    let answer = s
        .proxy("tile/8/0/000.p/7")
        .expect("cut from the stored tile");
    assert_eq!(answer.body.len(), 7 * 32);
}

#[test]
fn a_proxied_full_tile_is_proven_then_stored() {
    let s = Setup::new(300);
    let answer = s.proxy("tile/8/0/000").expect("a tile");
    assert_eq!(answer.body.len(), 256 * 32);
    assert!(s.stored("tile/8/0/000").is_file());
    let answer = s.proxy("tile/8/0/001.p/44").expect("a partial tile");
    assert_eq!(answer.body.len(), 44 * 32);
    assert!(!s.stored("tile/8/0/001.p/44").exists());
}

#[test]
fn the_proxy_answers_supported_latest_and_lookups() {
    let s = Setup::new(3);
    let answer = s.proxy("supported").expect("supported");
    assert!(answer.body.is_empty());
    let err = s
        .runtime
        .block_on(s.db.proxy("sum.golang.org", "supported"))
        .unwrap_err();
    assert!(matches!(err, SumdbError::NotFound(_)), "{err:?}");

    let latest = s.proxy("latest").expect("latest");
    assert!(latest.body.starts_with(b"go.sum database tree\n3\n"));

    let lookup = s.proxy("lookup/example.com/m1@v1.0.0").expect("a lookup");
    let text = String::from_utf8_lossy(&lookup.body);
    assert!(text.contains("example.com/m1 v1.0.0 h1:zip1\n"), "{text}");
    s.proxy("lookup/example.com/m1@v1.0.0").expect("again");
    assert_eq!(s.lookups(), 1, "the second lookup is cached");

    for bad in [
        "lookup/example.com/m1",
        "lookup/Example.com/m1@v1.0.0",
        "tile/9/0/000",
        "nothing",
    ] {
        let err = s.proxy(bad).unwrap_err();
        assert!(matches!(err, SumdbError::NotFound(_)), "{bad}: {err:?}");
    }
}

#[test]
fn private_modules_never_reach_the_database() {
    let s = Setup::new(3);
    let err = s.proxy("lookup/corp.example/secret@v1.0.0").unwrap_err();
    assert!(matches!(err, SumdbError::Refused(_)), "{err:?}");
    let err = s
        .verify("corp.example/secret", Some("h1:x"), None)
        .unwrap_err();
    assert!(matches!(err, SumdbError::Refused(_)), "{err:?}");
    assert!(
        s.upstream
            .requests()
            .iter()
            .all(|r| !r.contains("corp.example")),
        "{:?}",
        s.upstream.requests()
    );
}

#[test]
fn checks_skips_configured_patterns() {
    let s = Setup::new(0);
    let module = |path| ModulePath::new(path).expect("valid");
    assert!(s.db.checks(&module("example.com/m1")));
    assert!(!s.db.checks(&module("skipped.example/lib")));
    assert!(!s.db.checks(&module("golang.org/x/mod")));
    assert!(
        s.db.checks(&module("golang.org/toolchain")),
        "toolchains always"
    );
}

fn v1(module: &str) -> ModuleVersion {
    ModuleVersion::parse(module, "v1.0.0").expect("valid")
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path.display().to_string());
        }
    }
    found
}

#[path = "tests_offline.rs"]
mod offline;
