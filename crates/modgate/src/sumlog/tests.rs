//! The log on a directory store: what it serves checked with gomod's tlog (the x/mod port the
//! go command's checks are ported from), across restarts and two writers on one store.

use std::collections::HashSet;

use super::*;

const NAME: &str = "sum.corp.example";

fn settings() -> SumlogSettings {
    let (skey, _) = gomod::note::generate_key(NAME, &[9; 32]).expect("a key");
    SumlogSettings {
        name: NAME.to_owned(),
        signer_key: Secret::new(skey),
    }
}

fn entry(i: usize) -> Entry {
    Entry {
        version: ModuleVersion::parse(&format!("corp.example/m{}", i % 37), &format!("v1.0.{i}"))
            .expect("valid"),
        h1: format!("h1:zip{i}="),
        go_mod_h1: format!("h1:mod{i}="),
    }
}

fn open(store: &Store) -> Sumlog {
    Sumlog::new(&settings(), store.clone()).expect("a log")
}

/// The tree head the log serves, checked with its verifier key.
async fn tree(log: &Sumlog) -> Tree {
    let signed = log.latest().await.expect("latest");
    let verifier = gomod::note::Verifier::new(&log.verifier_key()).expect("a verifier");
    let note = gomod::note::open(&signed, &[verifier]).expect("signed by the log's key");
    tlog::parse_tree(note.text.as_bytes()).expect("a tree head")
}

/// Every stored hash of the log's records, computed afresh from the record texts.
async fn recomputed(log: &Sumlog, size: u64) -> Vec<tlog::Hash> {
    let mut all = Vec::new();
    for id in 0..size {
        let text = log
            .store
            .read(&log.layout.record(id))
            .await
            .expect("readable")
            .expect("present");
        all.extend(tlog::stored_hashes(id, &text, &all[..]).expect("hashes"));
    }
    all
}

#[tokio::test]
async fn appended_versions_are_proven_in_a_tree_served_as_tiles() {
    let dir = tempfile::tempdir().expect("a dir");
    let store = Store::directory(dir.path()).expect("a store");
    let log = open(&store);
    assert_eq!(tree(&log).await.n, 0, "an empty log has an empty tree");
    // Batches of different sizes, and the same versions again (logged once).
    for batch in [(0..1), (1..300), (300..301), (0..301), (301..700)] {
        log.append(batch.map(entry).collect())
            .await
            .expect("appended");
    }
    let tree = tree(&log).await;
    assert_eq!(tree.n, 700);
    let all = recomputed(&log, 700).await;
    assert_eq!(tlog::tree_hash(700, &all[..]).expect("hash"), tree.hash);
    for t in tlog::new_tiles(TILE_HEIGHT, 0, 700) {
        let served = log.tile(t).await.expect("served").expect("present");
        assert_eq!(
            &served[..],
            &tlog::read_tile_data(t, &all[..]).expect("tile")[..],
            "{}",
            t.path()
        );
    }
    let beyond = Tile {
        h: 8,
        l: 0,
        n: 2,
        w: 189,
    };
    assert!(log.tile(beyond).await.expect("answered").is_none());
    // A lookup's record is proven in the tree the lookup carries.
    let wanted = entry(299);
    let answer = log
        .lookup(&wanted.version)
        .await
        .expect("looked up")
        .expect("logged");
    let (id, text, signed) = tlog::parse_record(&answer).expect("a lookup answer");
    assert_eq!(std::str::from_utf8(text).expect("text"), wanted.text());
    let verifier = gomod::note::Verifier::new(&log.verifier_key()).expect("verifier");
    let head = gomod::note::open(signed, &[verifier]).expect("signed");
    assert_eq!(tlog::parse_tree(head.text.as_bytes()).expect("tree"), tree);
    let proof = tlog::prove_record(tree.n, id, &all[..]).expect("a proof");
    tlog::check_record(&proof, tree.n, tree.hash, id, tlog::record_hash(text)).expect("proven");
    let missing = ModuleVersion::parse("corp.example/none", "v1.0.0").expect("valid");
    assert!(log.lookup(&missing).await.expect("looked up").is_none());
    // Data tiles: each record's text and a newline.
    let data = log
        .tile(Tile {
            h: 8,
            l: -1,
            n: 0,
            w: 2,
        })
        .await
        .expect("ok")
        .expect("present");
    assert_eq!(
        &data[..],
        format!("{}\n{}\n", entry(0).text(), entry(1).text()).as_bytes()
    );
}

#[tokio::test]
async fn a_restarted_log_goes_on_from_its_tiles() {
    let dir = tempfile::tempdir().expect("a dir");
    let store = Store::directory(dir.path()).expect("a store");
    open(&store)
        .append((0..515).map(entry).collect())
        .await
        .expect("appended");
    let again = open(&store);
    again
        .append((515..600).map(entry).collect())
        .await
        .expect("appended after a restart");
    let tree = tree(&again).await;
    assert_eq!(tree.n, 600);
    let all = recomputed(&again, 600).await;
    assert_eq!(tlog::tree_hash(600, &all[..]).expect("hash"), tree.hash);
}

#[tokio::test]
async fn two_writers_on_one_store_keep_one_log_with_every_version_once() {
    let dir = tempfile::tempdir().expect("a dir");
    let store = Store::directory(dir.path()).expect("a store");
    let (a, b) = (open(&store), open(&store));
    // Overlapping halves, in many small batches at once.
    let appends = (0..40).map(|i| {
        let log = if i % 2 == 0 { &a } else { &b };
        let entries: Vec<Entry> = (i * 10..i * 10 + 15).map(entry).collect();
        log.append(entries)
    });
    for outcome in futures::future::join_all(appends).await {
        outcome.expect("appended");
    }
    // The last batch of either covers both: the one the other writes next takes it in.
    a.append(vec![entry(1000)]).await.expect("appended");
    let tree = tree(&a).await;
    let all = recomputed(&a, tree.n).await;
    assert_eq!(tlog::tree_hash(tree.n, &all[..]).expect("hash"), tree.hash);
    let mut seen = HashSet::new();
    for id in 0..tree.n {
        let text = a
            .store
            .read(&a.layout.record(id))
            .await
            .expect("read")
            .expect("present");
        assert!(seen.insert(text), "record {id} is a duplicate");
    }
    assert_eq!(tree.n, 406, "405 versions and one more, each once");
}

#[test]
fn a_record_parses_back_to_its_entry_and_nothing_else_does() {
    let entry = entry(3);
    assert_eq!(Entry::parse(entry.text().as_bytes()), Some(entry.clone()));
    let text = entry.text();
    for broken in [
        text.replace("/go.mod", ""),
        text.replace('\n', " \n"),
        format!("{text}extra\n"),
        text.replacen(
            "corp.example/m3 v1.0.3/go.mod",
            "corp.example/other v1.0.3/go.mod",
            1,
        ),
        text.replace("v1.0.3", "1.0.3"),
    ] {
        assert_eq!(Entry::parse(broken.as_bytes()), None, "{broken:?}");
    }
}

#[tokio::test]
async fn the_audit_finds_a_clean_log_clean_and_names_what_was_changed() {
    let dir = tempfile::tempdir().expect("a dir");
    let store = Store::directory(dir.path()).expect("a store");
    let log = open(&store);
    for batch in [(0..200), (200..300)] {
        log.append(batch.map(entry).collect())
            .await
            .expect("appended");
    }
    let audit = log.audit().await.expect("audited");
    assert_eq!(
        (audit.size, audit.entries.len(), audit.unsigned),
        (300, 300, 0)
    );
    assert!(audit.problems.is_empty(), "{:?}", audit.problems);
    assert_eq!(audit.entries[7], entry(7));

    // A record rewritten by hand: its tile, and every head signed after it, disagree.
    let record = log.layout.record(7);
    store
        .put(&record, Bytes::from(entry(1000).text()))
        .await
        .expect("rewritten");
    let problems = log.audit().await.expect("audited").problems;
    let named = |what: &str| problems.iter().any(|p| p.contains(what));
    assert!(named("tile/8/0/000"), "{problems:?}");
    assert!(
        named("head 200: signs a tree hash the records do not give"),
        "{problems:?}"
    );
    assert!(
        named("index of corp.example/m1@v1.0.1000: missing"),
        "{problems:?}"
    );
}

#[tokio::test]
async fn a_record_left_beyond_the_newest_head_is_signed_by_the_next_lookup() {
    let dir = tempfile::tempdir().expect("a dir");
    let store = Store::directory(dir.path()).expect("a store");
    let log = open(&store);
    log.append((0..3).map(entry).collect())
        .await
        .expect("appended");
    // What a writer that died after its record and index, before its head, leaves.
    let left = entry(3);
    store
        .put_new(&log.layout.record(3), Bytes::from(left.text()))
        .await
        .expect("record");
    store
        .put_new(&log.layout.index(&left.version), Bytes::from("3\n"))
        .await
        .expect("index");
    let again = open(&store);
    assert_eq!(again.audit().await.expect("audited").unsigned, 1);
    let answer = again
        .lookup(&left.version)
        .await
        .expect("looked up")
        .expect("logged");
    let (id, _, _) = tlog::parse_record(&answer).expect("a lookup answer");
    assert_eq!(id, 3);
    assert_eq!(tree(&again).await.n, 4);
}
