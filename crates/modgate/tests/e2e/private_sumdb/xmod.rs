//! The private log's tiles and tree hashes against x/mod's own `tlog`: a small Go program
//! built from Debian's x/mod sources computes them for the same records.

use super::*;

/// Debian's golang-golang-x-mod-dev: x/mod's sources in a GOPATH.
const GOCODE: &str = "/usr/share/gocode";

/// What `testdata/tlog_tiles.go` printed.
#[derive(Debug, serde::Deserialize)]
struct XModTrees {
    signed: XModTree,
    trees: Vec<XModTree>,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct XModTree {
    n: u64,
    hash: String,
    #[serde(default)]
    tiles: std::collections::BTreeMap<String, String>,
}

/// Runs `testdata/tlog_tiles.go` (built in GOPATH mode against Debian's x/mod, offline) on
/// `records`, for the trees of `sizes` records, after opening `latest` with `vkey`.
fn x_mod_tlog(vkey: &str, latest: &[u8], records: &[String], sizes: &[u64]) -> XModTrees {
    assert!(
        Path::new(GOCODE)
            .join("src/golang.org/x/mod/sumdb/tlog")
            .is_dir(),
        "x/mod is not in {GOCODE}: install golang-golang-x-mod-dev (scripts/test.sh does)"
    );
    // Debian's Go ships its standard library compiled: the build takes a moment.
    let clients = go_clients();
    let go = clients
        .iter()
        .min_by_key(|c| c.minor())
        .expect("a go client");
    let dir = temp_dir();
    let program = dir.path().join("tlog_tiles");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/testdata/tlog_tiles.go");
    let build = std::process::Command::new(&go.bin)
        .args(["build", "-o"])
        .arg(&program)
        .arg(&source)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir.path())
        .env("GOCACHE", dir.path().join("cache"))
        .env("GOPATH", GOCODE)
        .env("GO111MODULE", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOPROXY", "off")
        .output()
        .expect("running go build");
    assert!(build.status.success(), "go build: {}", describe(&build));
    write_file(&dir.path().join("latest"), latest);
    write_file(
        &dir.path().join("records.json"),
        serde_json::to_vec(records).expect("records as JSON"),
    );
    let run = std::process::Command::new(&program)
        .arg(vkey)
        .arg(dir.path().join("latest"))
        .arg(dir.path().join("records.json"))
        .args(sizes.iter().map(u64::to_string))
        .output()
        .expect("running tlog_tiles");
    assert!(run.status.success(), "tlog_tiles: {}", describe(&run));
    serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(&run)))
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
#[ignore = "needs go and golang-golang-x-mod-dev"]
fn tiles_and_tree_hashes_are_what_x_mod_computes() {
    let corp = Corp::new(None);
    // More than a full tile of records: versions copied into the store and logged by
    // `modgate sumdb sync`, then versions published, so both ways in are in the tree.
    let tree = TreeBuilder::new(corp.store());
    let many = "corp.example/Many";
    for i in 0..300 {
        tree.add(
            many,
            &format!("v1.0.{i}"),
            "2024-01-01T00:00:00Z",
            &[
                ("go.mod", "module corp.example/Many\n"),
                ("m.go", &format!("package many\n\nconst N = {i}\n")),
            ],
        );
    }
    let synced = corp.modgate(&["sumdb", "sync"]);
    assert!(
        synced.status.success()
            && String::from_utf8_lossy(&synced.stdout).contains("logged 300 stored versions"),
        "{}",
        describe(&synced)
    );
    let server = corp.serve();
    let mut want = BTreeSet::new();
    for version in ["v1.0.0", "v1.1.0", "v1.2.0"] {
        let p = publish(&server, LIB, version);
        want.insert(record_text(LIB, version, &p.h1, &p.gomod_h1));
    }
    for i in 0..300 {
        let version = format!("v1.0.{i}");
        let zip = std::fs::File::open(tree.file(many, &version, "zip")).expect("a zip");
        let go_mod = std::fs::read(tree.file(many, &version, "mod")).expect("a .mod");
        want.insert(record_text(
            many,
            &version,
            &gomod::hash_zip(zip).expect("hashing a zip"),
            &gomod::hash_go_mod(&go_mod),
        ));
    }

    // The records are the stored versions, each once.
    let size = signed_size(&corp, &server);
    assert_eq!(size, 303);
    let records = all_records(&server, size);
    let distinct: BTreeSet<String> = records.iter().cloned().collect();
    assert_eq!(distinct, want);

    // x/mod opens the signed head with the printed key, and computes the same tree hash and,
    // for this tree and smaller ones (partial tiles a client of an older tree reads), the
    // same tiles at both levels.
    let latest = get_as(&server, Some("bob"), &format!("/sumdb/{NAME}/latest"));
    let x_mod = x_mod_tlog(
        &corp.vkey,
        &latest.body,
        &records,
        &[1, 255, 256, 257, size],
    );
    let newest = x_mod.trees.last().expect("the tree of every record");
    assert_eq!((x_mod.signed.n, &x_mod.signed.hash), (size, &newest.hash));
    let mut compared = 0;
    for tree in &x_mod.trees {
        for (path, data) in &tree.tiles {
            let tile = get_as(&server, Some("bob"), &format!("/sumdb/{NAME}/{path}"));
            assert_eq!(tile.status, 200, "{path}: {}", tile.text());
            assert_eq!(&hex(&tile.body), data, "{path}, of the tree of {}", tree.n);
            compared += 1;
        }
    }
    // tlog.NewTiles lists every width of a partial tile, as clients of older trees read them:
    // 1 for the tree of 1 record; 255 for 255; 2 for 256 (0/000, 1/000.p/1); 3 for 257
    // (0/000, 0/001.p/1, 1/000.p/1); 49 for 303 (0/000, 0/001.p/1 to 47, 1/000.p/1).
    assert_eq!(compared, 310);
    corp.assert_audit_clean();
}
