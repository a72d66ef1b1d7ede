//! A small checksum database for tests, built with gomod's tlog and note code by the spec's
//! rules and served over HTTP on loopback, as `GOSUMDB="<verifier key> <url>"` expects: the go
//! command appends `/lookup/…`, `/latest` and `/tile/…` to the URL.
//!
//! Records can be added while it serves (the tree grows, `latest` moves), it logs every request,
//! it can be taken down (500 for everything), and it can lie: a lookup whose record is not the
//! one in the tree, or a history rewritten under clients that saw the old one.
//!
//! Self-contained (gomod, axum, tokio only), so modgate's unit tests include it too.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use gomod::note::{self, Signer};
use gomod::tlog::{self, Hash, Tree};

pub struct TestSumdb {
    shared: Arc<Shared>,
    port: u16,
    /// Owns the server task; dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
}

struct Shared {
    name: String,
    vkey: String,
    signer: Signer,
    log: Mutex<Vec<String>>,
    down: AtomicBool,
    /// Milliseconds every answer waits.
    delay_ms: AtomicU64,
    db: Mutex<Db>,
}

#[derive(Default)]
struct Db {
    /// Record texts, by id.
    records: Vec<Vec<u8>>,
    /// Every stored hash of the tree over `records`.
    hashes: Vec<Hash>,
    /// (module, version) → id.
    ids: HashMap<(String, String), u64>,
    /// Lookups answered with another record than the tree's.
    forged: HashMap<(String, String), Vec<u8>>,
}

impl Db {
    fn append(&mut self, text: Vec<u8>) -> u64 {
        let id = self.records.len() as u64;
        let new = tlog::stored_hashes(id, &text, &self.hashes).expect("stored hashes");
        self.hashes.extend(new);
        self.records.push(text);
        id
    }

    fn tree(&self) -> Tree {
        let n = self.records.len() as u64;
        Tree {
            n,
            hash: tlog::tree_hash(n, &self.hashes).expect("tree hash"),
        }
    }
}

/// One module version's record: its go.sum lines.
fn record_text(module: &str, version: &str, zip_h1: &str, go_mod_h1: &str) -> Vec<u8> {
    format!("{module} {version} {zip_h1}\n{module} {version}/go.mod {go_mod_h1}\n").into_bytes()
}

impl TestSumdb {
    /// A database named `name` with a fresh key, serving at once.
    pub fn new(name: &str) -> TestSumdb {
        // A different key for every database of the run: a key that another test's server
        // signed with must not verify here.
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let count = COUNT.fetch_add(1, Ordering::SeqCst);
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&count.to_le_bytes());
        seed[8..12].copy_from_slice(&std::process::id().to_le_bytes());
        let (skey, vkey) = note::generate_key(name, &seed).expect("a test key");
        let shared = Arc::new(Shared {
            name: name.to_owned(),
            vkey,
            signer: Signer::new(&skey).expect("a signer"),
            log: Mutex::default(),
            down: AtomicBool::new(false),
            delay_ms: AtomicU64::new(0),
            db: Mutex::default(),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the test sumdb");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binding the test sumdb");
        let port = listener.local_addr().expect("its address").port();
        let app = Router::new().fallback(serve).with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestSumdb {
            shared,
            port,
            _runtime: runtime,
        }
    }

    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// For `GOSUMDB="<key> <url>"`, or `GOSUMDB=<key>` through a proxy, and `[sumdb] key`.
    pub fn verifier_key(&self) -> String {
        self.shared.vkey.clone()
    }

    /// `http://127.0.0.1:PORT/sumdb/<name>`: where the lookups, tiles and `latest` are.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/sumdb/{}", self.port, self.shared.name)
    }

    /// Appends a record for `module@version`.
    pub fn add(&self, module: &str, version: &str, zip_h1: &str, go_mod_h1: &str) {
        let mut db = self.shared.db.lock().expect("db");
        let id = db.append(record_text(module, version, zip_h1, go_mod_h1));
        db.ids.insert((module.to_owned(), version.to_owned()), id);
    }

    /// Adds every version of a `cache/download` tree that has a `.zip` and a `.mod`, in a
    /// stable order; returns how many.
    pub fn add_tree(&self, cache_download_root: &Path) -> usize {
        let mut found = Vec::new();
        walk(cache_download_root, &mut |file| {
            let relative = file.strip_prefix(cache_download_root).ok()?;
            let relative = relative.to_str()?;
            let (escaped_module, file_name) = relative.split_once("/@v/")?;
            let escaped_version = file_name.strip_suffix(".zip")?;
            let module = gomod::unescape_path(escaped_module).ok()?;
            let version = gomod::unescape_version(escaped_version).ok()?;
            let go_mod = std::fs::read(file.with_extension("mod")).ok()?;
            let zip = std::fs::File::open(file).expect("opening a zip");
            let zip_h1 = gomod::hash_zip(zip).expect("hashing a zip");
            found.push((module, version, zip_h1, gomod::hash_go_mod(&go_mod)));
            Some(())
        });
        found.sort();
        for (module, version, zip_h1, go_mod_h1) in &found {
            self.add(module, version, zip_h1, go_mod_h1);
        }
        found.len()
    }

    /// Answers the lookup of `module@version` with this record instead of the tree's (which
    /// it keeps the id of, or 0): a lie that a proof exposes.
    pub fn add_forged_lookup(&self, module: &str, version: &str, zip_h1: &str, go_mod_h1: &str) {
        let mut db = self.shared.db.lock().expect("db");
        db.forged.insert(
            (module.to_owned(), version.to_owned()),
            record_text(module, version, zip_h1, go_mod_h1),
        );
    }

    /// Rewrites history: a record is slipped in at the start of the log, so every later tree
    /// is inconsistent with the trees served so far.
    pub fn fork(&self) {
        let mut db = self.shared.db.lock().expect("db");
        let old = std::mem::take(&mut *db);
        db.forged = old.forged;
        db.append(record_text("example.com/forked", "v0.0.1", "h1:x", "h1:y"));
        let mut ids: Vec<_> = old.ids.into_iter().collect();
        ids.sort_by_key(|(_, id)| *id);
        for (key, id) in ids {
            let new_id = db.append(old.records[id as usize].clone());
            db.ids.insert(key, new_id);
        }
    }

    /// The current tree size.
    pub fn size(&self) -> u64 {
        self.shared.db.lock().expect("db").records.len() as u64
    }

    /// Every request so far: the path after the URL, e.g. `lookup/example.com/hello@v1.0.0`,
    /// `tile/8/0/000.p/3`, `latest`.
    pub fn requests(&self) -> Vec<String> {
        self.shared.log.lock().expect("log").clone()
    }

    /// The requests since the last call.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.log.lock().expect("log"))
    }

    /// Every answer from now on waits `delay`, so that requests overlap.
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// While down, every request gets 500.
    pub fn set_down(&self, down: bool) {
        self.shared.down.store(down, Ordering::SeqCst);
    }
}

fn walk(dir: &Path, visit: &mut impl FnMut(&Path) -> Option<()>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}

async fn serve(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let prefix = format!("/sumdb/{}/", shared.name);
    let Some(path) = uri.path().strip_prefix(&prefix) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    shared.log.lock().expect("log").push(path.to_owned());
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    if shared.down.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "down for the test\n").into_response();
    }
    let db = shared.db.lock().expect("db");
    let signed_tree = || {
        note::sign(
            &tlog::format_tree(db.tree()),
            std::slice::from_ref(&shared.signer),
        )
        .expect("signing")
    };
    if path == "latest" {
        return signed_tree().into_response();
    }
    if let Some(spec) = path.strip_prefix("lookup/") {
        let key = spec.split_once('@').and_then(|(m, v)| {
            Some((
                gomod::unescape_path(m).ok()?,
                gomod::unescape_version(v).ok()?,
            ))
        });
        let Some(key) = key else {
            return (StatusCode::BAD_REQUEST, "bad lookup\n").into_response();
        };
        let id = db.ids.get(&key).copied();
        let text = match (db.forged.get(&key), id) {
            (Some(forged), _) => forged.clone(),
            (None, Some(id)) => db.records[id as usize].clone(),
            (None, None) => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
        };
        let mut body = tlog::format_record(id.unwrap_or(0), &text).expect("a record");
        body.extend_from_slice(&signed_tree());
        return body.into_response();
    }
    let Ok(tile) = tlog::parse_tile_path(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    let tree = db.tree();
    let start = tile.n << tile.h;
    let end = start + u64::from(tile.w);
    if tile.l < 0 {
        // Data tiles: each record's text, as sum.golang.org serves them.
        if end > tree.n {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        }
        let data: Vec<u8> = (start..end)
            .flat_map(|id| db.records[id as usize].clone())
            .collect();
        return data.into_response();
    }
    if end > tree.n.checked_shr(tile.l as u32 * tile.h).unwrap_or(0) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    tlog::read_tile_data(tile, &db.hashes)
        .expect("tile data")
        .into_response()
}
