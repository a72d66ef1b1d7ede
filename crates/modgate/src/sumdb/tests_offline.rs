//! Proof files: made against the test database, checked, stored, and served with no route to
//! the database.

use std::collections::BTreeMap;

use super::*;
use crate::sumdb::{check_proof_files, store_proof_files};

/// Records 3, 300 and 650 of a tree of 700: two full leaf tiles, a partial one, and a partial
/// tile above them.
const SPREAD: [usize; 3] = [3, 300, 650];

fn expected(ids: &[usize]) -> Vec<(ModuleVersion, Option<String>, String)> {
    ids.iter()
        .map(|i| {
            let version = v1(&format!("example.com/m{i}"));
            (version, Some(format!("h1:zip{i}")), format!("h1:mod{i}"))
        })
        .collect()
}

fn versions(ids: &[usize]) -> Vec<ModuleVersion> {
    expected(ids).into_iter().map(|(v, _, _)| v).collect()
}

impl Setup {
    fn proofs(&self, ids: &[usize], since: Option<Tree>) -> ProofFiles {
        self.runtime
            .block_on(self.db.proof_files(&versions(ids), since))
            .expect("proof files")
    }

    fn check(&self, files: &BTreeMap<String, Bytes>, ids: &[usize]) -> Result<Tree, Vec<String>> {
        check_proof_files(&self.upstream.verifier_key(), files, &expected(ids))
    }

    /// Another `ChecksumDb` on the same store, offline (or online, asking the same upstream).
    fn second(&self, offline: bool) -> ChecksumDb {
        let config = SumdbSettings {
            name: NAME.to_owned(),
            key: self.upstream.verifier_key(),
            url: self.upstream.url(),
            verify: true,
            skip: Vec::new(),
            proxy: true,
            timeout: Duration::from_secs(10),
            offline,
        };
        let store = Store::directory(self.store_dir.path()).expect("a store");
        ChecksumDb::new(&config, store, reqwest::Client::new()).expect("a checksum database")
    }

    fn store(&self, proof: &ProofFiles) {
        let store = Store::directory(self.store_dir.path()).expect("a store");
        self.runtime
            .block_on(store_proof_files(&store, proof))
            .expect("storing proof files");
    }
}

#[test]
fn proofs_of_versions_over_several_tiles_check() {
    let s = Setup::new(700);
    let proof = s.proofs(&SPREAD, None);
    assert_eq!(proof.tree_size, 700);
    let files: Vec<&str> = proof.files.keys().map(String::as_str).collect();
    for file in [
        "latest",
        "supported",
        "lookup/example.com/m3@v1.0.0",
        "lookup/example.com/m300@v1.0.0",
        "lookup/example.com/m650@v1.0.0",
        "tile/8/0/000",
        "tile/8/0/001",
        "tile/8/0/002.p/188",
        "tile/8/1/000.p/2",
    ] {
        assert!(files.contains(&file), "{file} not in {files:?}");
    }
    let tree = s.check(&proof.files, &SPREAD).expect("the proofs check");
    assert_eq!(tree.n, 700);
    // Every lookup carries the one tree head.
    for (file, body) in proof
        .files
        .range("lookup/".to_owned().."lookup0".to_owned())
    {
        assert!(body.ends_with(&proof.files["latest"]), "{file}");
    }
}

/// Checks `files` changed by `change`, and returns the problems, which must all name `file`.
fn problems_naming(
    s: &Setup,
    file: &str,
    change: impl FnOnce(&mut BTreeMap<String, Bytes>),
) -> Vec<String> {
    let mut files = s.proofs(&SPREAD, None).files;
    change(&mut files);
    let problems = s.check(&files, &SPREAD).expect_err("refused");
    let named = format!("sumdb/{NAME}/{file}: ");
    assert!(
        problems.iter().any(|p| p.starts_with(&named)),
        "{named} not in {problems:#?}"
    );
    problems
}

#[test]
fn a_tampered_record_is_refused_naming_its_lookup() {
    let s = Setup::new(700);
    let file = "lookup/example.com/m300@v1.0.0";
    let problems = problems_naming(&s, file, |files| {
        let body = String::from_utf8(files[file].to_vec()).expect("text");
        files.insert(file.to_owned(), body.replace("h1:zip300", "h1:evil").into());
    });
    assert!(problems.iter().all(|p| p.contains(file)), "{problems:#?}");
}

#[test]
fn a_tampered_tile_is_refused_naming_it() {
    let s = Setup::new(700);
    let file = "tile/8/0/001";
    problems_naming(&s, file, |files| {
        let mut data = files[file].to_vec();
        data[40] ^= 1;
        files.insert(file.to_owned(), data.into());
    });
}

#[test]
fn a_missing_tile_is_named() {
    let s = Setup::new(700);
    let problems = problems_naming(&s, "lookup/example.com/m650@v1.0.0", |files| {
        files.remove("tile/8/0/002.p/188");
    });
    assert!(
        problems.iter().any(|p| p.contains("tile/8/0/002.p/188")),
        "{problems:#?}"
    );
}

#[test]
fn proofs_signed_by_another_key_are_refused() {
    let s = Setup::new(700);
    let files = s.proofs(&SPREAD, None).files;
    let other = test_sumdb::TestSumdb::new(NAME);
    let problems =
        check_proof_files(&other.verifier_key(), &files, &expected(&SPREAD)).expect_err("refused");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].starts_with(&format!("sumdb/{NAME}/latest: ")),
        "{problems:#?}"
    );
}

#[test]
fn a_missing_lookup_is_named() {
    let s = Setup::new(700);
    let file = "lookup/example.com/m3@v1.0.0";
    let problems = problems_naming(&s, file, |files| {
        files.remove(file);
    });
    assert_eq!(problems.len(), 1, "{problems:#?}");
}

#[test]
fn a_record_not_matching_the_expected_hash_is_named() {
    let s = Setup::new(700);
    let mut files = s.proofs(&SPREAD, None).files;
    let mut wanted = expected(&SPREAD);
    wanted[1].1 = Some("h1:other".to_owned());
    files.remove("supported");
    let problems =
        check_proof_files(&s.upstream.verifier_key(), &files, &wanted).expect_err("refused");
    assert_eq!(
        problems,
        [format!(
            "sumdb/{NAME}/lookup/example.com/m300@v1.0.0: the checksum database's record does not say \"example.com/m300 v1.0.0 h1:other\""
        )]
    );
}

#[test]
fn proofs_since_an_earlier_tree_prove_it_in_the_new_one() {
    let s = Setup::new(300);
    let first = s.proofs(&[3], None);
    let old = s.check(&first.files, &[3]).expect("first proofs check");
    for i in 300..700 {
        let module = format!("example.com/m{i}");
        s.upstream.add(
            &module,
            "v1.0.0",
            &format!("h1:zip{i}"),
            &format!("h1:mod{i}"),
        );
    }
    let second = s.proofs(&[650], Some(old));
    let new = s.check(&second.files, &[650]).expect("second proofs check");
    assert_eq!((old.n, new.n), (300, 700));
    // What the go command does with a lookup of the new tree after having seen the old one
    // (client.go, checkTrees): the old tree's hash, read through the new tree's tiles.
    let tiles = super::super::proofcheck::MapTiles::of(&second.files);
    let hash = tiles
        .prove(new, |r| gomod::tlog::tree_hash(old.n, r))
        .expect("the earlier tree is proven in the new one");
    assert_eq!(hash, old.hash);
    // Stored in turn, the larger tree replaces latest; stored again, the smaller does not.
    s.store(&first);
    s.store(&second);
    s.store(&first);
    let latest = std::fs::read(s.stored("latest")).expect("latest stored");
    assert_eq!(latest, second.files["latest"]);
}

#[test]
fn offline_the_stored_proofs_are_served_and_nothing_else() {
    let s = Setup::new(700);
    let proof = s.proofs(&SPREAD, None);
    s.store(&proof);
    let offline = s.second(true);
    let serve = |rest: &str| s.runtime.block_on(offline.proxy(NAME, rest));
    for file in [
        "lookup/example.com/m300@v1.0.0",
        "tile/8/0/002.p/188",
        "tile/8/1/000.p/2",
        "tile/8/0/000",
        "latest",
    ] {
        let answer = serve(file).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(answer.body, proof.files[file], "{file}");
    }
    assert!(serve("supported").is_ok());
    let unknown = serve("lookup/example.com/m5@v1.0.0").unwrap_err();
    assert!(matches!(unknown, SumdbError::Unreachable(_)), "{unknown:?}");
    assert!(s.upstream.requests().iter().all(|r| !r.contains("m5")));
}

#[test]
fn with_the_database_down_stored_proofs_answer_and_the_rest_is_a_failure() {
    let s = Setup::new(700);
    s.store(&s.proofs(&SPREAD, None));
    let online = s.second(false);
    s.upstream.set_down(true);
    let serve = |rest: &str| s.runtime.block_on(online.proxy(NAME, rest));
    serve("lookup/example.com/m650@v1.0.0").expect("a stored lookup");
    serve("tile/8/0/002.p/188").expect("a stored partial tile");
    let unknown = serve("lookup/example.com/m5@v1.0.0").unwrap_err();
    assert!(matches!(unknown, SumdbError::Unreachable(_)), "{unknown:?}");
    // And modules fetched from upstream are still checked against the stored proofs.
    s.runtime
        .block_on(online.verify(&v1("example.com/m3"), Some("h1:mod3"), Some("h1:zip3")))
        .expect("verified by the stored proof");
}
