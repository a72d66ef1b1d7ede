//! Checking what the upstream database says: signed tree heads, the consistency of every tree
//! with the latest one seen, records proven in their tree, and hashes compared with them.
//!
//! gomod's tlog code is synchronous and reads tiles through a `TileReader`; the tiles come
//! over the network. So each proof runs in passes over the tiles fetched so far: a pass that
//! lacks tiles names them, they are fetched (concurrently), and the proof runs again. Each tlog
//! function reads everything it needs in one call, so two passes do. The passes work on a few
//! KiB in memory and take microseconds: they run on the async thread.

use std::collections::{HashMap, HashSet};
use std::io;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gomod::tlog::{
    self, HashReader, TILE_HEIGHT, Tile, TileHashReader, TileReader, TlogError, Tree,
};

use gomod::ModuleVersion;

use super::tiles::Origin;
use super::{ChecksumDb, SumdbError, lock};
use crate::memory;

/// Proof passes before giving up on a reader that keeps asking for more tiles.
const MAX_PASSES: usize = 3;

/// A lookup, proven in its signed tree.
pub(super) struct Record {
    /// The answer as the upstream sent it: record, then signed tree head.
    pub body: Bytes,
    /// The go.sum lines.
    lines: Vec<String>,
}

impl ChecksumDb {
    /// Checks hashes of a version against the database: `go_mod_h1` is the h1 of the .mod
    /// (the `M V/go.mod h1:` line), `zip_h1` of the zip (the `M V h1:` line), either may be None.
    /// A hash that differs is a [`SumdbError::Mismatch`]: a security error for the caller to
    /// report.
    pub async fn verify(
        &self,
        version: &ModuleVersion,
        go_mod_h1: Option<&str>,
        zip_h1: Option<&str>,
    ) -> Result<(), SumdbError> {
        let record = self.record(version, false).await?;
        let (module, v) = (version.path().as_str(), version.version().as_str());
        for (suffix, got) in [("/go.mod", go_mod_h1), ("", zip_h1)] {
            let Some(got) = got else { continue };
            let prefix = format!("{module} {v}{suffix} ");
            let Some(want) = record.lines.iter().find_map(|l| l.strip_prefix(&prefix)) else {
                return Err(SumdbError::Invalid(format!(
                    "{version}{suffix}: checksum database {} has no hash for it",
                    self.name
                )));
            };
            if want != got {
                return Err(SumdbError::Mismatch(format!(
                    "{version}{suffix}: SECURITY ERROR: checksum mismatch: downloaded {got}, checksum database {} has {want}",
                    self.name
                )));
            }
        }
        Ok(())
    }

    /// The lookup of `version`, proven: from memory when it was proven before (within
    /// `memory::RECORD_PROXY_FOR` when `fresh`), else from the upstream, else (offline, or the
    /// upstream down) from the proof files stored for it.
    pub(super) async fn record(
        &self,
        version: &ModuleVersion,
        fresh: bool,
    ) -> Result<Arc<Record>, SumdbError> {
        let what = version.to_string();
        if (self.is_private)(version.path()) {
            return Err(SumdbError::Refused(format!(
                "{what}: a private module; its name is not sent to checksum database {}",
                self.name
            )));
        }
        if let Some((record, age)) = self.records.get(version)
            && (!fresh || age < memory::RECORD_PROXY_FOR)
        {
            return Ok(record);
        }
        let path = format!(
            "lookup/{}@{}",
            version.path().escaped(),
            version.version().escaped()
        );
        let body = self.remote_or_stored(&path, &what).await?;
        let malformed =
            |e: TlogError| SumdbError::Invalid(format!("{what}: checksum database lookup: {e}"));
        let (id, text, signed) = tlog::parse_record(&body).map_err(malformed)?;
        let tree = self.accept_tree(signed, &what).await?;
        if id >= tree.n {
            return Err(malformed(TlogError::MalformedRecord));
        }
        let record_hash = tlog::record_hash(text);
        self.prove(tree, HashMap::new(), |r| {
            let proof = tlog::prove_record(tree.n, id, r)?;
            tlog::check_record(&proof, tree.n, tree.hash, id, record_hash)
        })
        .await?
        .map_err(|e| {
            SumdbError::Invalid(format!(
                "{what}: checksum database record {id} is not in its signed tree {}: {e}",
                tree.n
            ))
        })?;
        let lines = String::from_utf8_lossy(text)
            .lines()
            .map(str::to_owned)
            .collect();
        let record = Arc::new(Record { body, lines });
        self.records.remember(version.clone(), record.clone());
        Ok(record)
    }

    /// Opens a signed tree head and proves it consistent with the latest tree seen, which it
    /// replaces when newer. `what` names the request in errors.
    pub(super) async fn accept_tree(&self, signed: &[u8], what: &str) -> Result<Tree, SumdbError> {
        let invalid = |e: &dyn std::fmt::Display| {
            SumdbError::Invalid(format!(
                "{what}: checksum database {} tree head: {e}",
                self.name
            ))
        };
        let note = gomod::note::open(signed, std::slice::from_ref(&self.verifier))
            .map_err(|e| invalid(&e))?;
        let tree = tlog::parse_tree(note.text.as_bytes()).map_err(|e| invalid(&e))?;
        // Another request may move the latest tree while this one proves against it: then
        // prove again against the new one, so that no two accepted trees go unchecked.
        loop {
            let seen = *lock(&self.latest_tree);
            if let Some(seen) = seen {
                let (older, newer) = if tree.n < seen.n {
                    (tree, seen)
                } else {
                    (seen, tree)
                };
                self.prove_consistent(older, newer, what).await?;
            }
            let mut latest = lock(&self.latest_tree);
            if *latest == seen {
                if seen.is_none_or(|s| s.n < tree.n) {
                    *latest = Some(tree);
                }
                return Ok(tree);
            }
        }
    }

    async fn prove_consistent(
        &self,
        older: Tree,
        newer: Tree,
        what: &str,
    ) -> Result<(), SumdbError> {
        let result = if older.n == newer.n {
            if older.hash == newer.hash {
                Ok(())
            } else {
                Err(TlogError::ProofFailed)
            }
        } else if older.n == 0 {
            Ok(())
        } else {
            self.prove(newer, HashMap::new(), |r| {
                let proof = tlog::prove_tree(newer.n, older.n, r)?;
                tlog::check_tree(&proof, newer.n, newer.hash, older.n, older.hash)
            })
            .await?
        };
        result.map_err(|e| {
            tracing::error!(
                sumdb = %self.name,
                older = older.n,
                newer = newer.n,
                cause = %e,
                "SECURITY ERROR: checksum database trees are inconsistent"
            );
            SumdbError::Invalid(format!(
                "{what}: SECURITY ERROR: checksum database {} tree {} is inconsistent with tree {}: {e}",
                self.name, newer.n, older.n
            ))
        })
    }

    /// Proves a full tile fetched for a proxy client against the latest tree, and keeps it.
    /// A tile beyond that tree (the client knows a newer one) is served but not kept; so is
    /// one when the latest tree cannot be had: the client checks it anyway, and only the store
    /// needs protecting.
    pub(super) async fn prove_tile(&self, tile: Tile, data: Bytes) -> Result<(), SumdbError> {
        let what = tile.path();
        let tree = match self.latest_note().await {
            Ok(note) => self.accept_tree(&note, "latest").await?,
            Err(e) => {
                tracing::warn!(tile = %what, cause = %e, "tile served without being kept: no latest tree");
                return Ok(());
            }
        };
        // The tile is complete in trees of at least (n+1)·2^(h·(l+1)) records.
        let covered = (tile.l as u32 + 1).checked_mul(tile.h).and_then(|bits| {
            (tile.n + 1)
                .checked_shl(bits)
                .filter(|x| x >> bits == tile.n + 1)
        });
        if covered.is_none_or(|needed| tree.n < needed) {
            return Ok(());
        }
        // Reading the tile's last hash makes the reader authenticate the whole tile, given here.
        let last = tlog::stored_hash_index(tile.l as u32 * tile.h, ((tile.n + 1) << tile.h) - 1);
        let given = HashMap::from([(tile, (data, Origin::Fetched))]);
        self.prove(tree, given, |r| Ok(r.read_hashes(&[last])?))
            .await?
            .map(|_| ())
            .map_err(|e| {
                SumdbError::Invalid(format!(
                    "{what}: checksum database tile is not in its tree {}: {e}",
                    tree.n
                ))
            })
    }

    /// Runs `proof` over the tiles of `tree`, fetching what it asks for; keeps the tiles it
    /// proved. The outer error is a failed fetch, the inner one the proof's.
    async fn prove<T>(
        &self,
        tree: Tree,
        given: HashMap<Tile, (Bytes, Origin)>,
        proof: impl Fn(&TileHashReader<&Fetched>) -> Result<T, TlogError>,
    ) -> Result<Result<T, TlogError>, SumdbError> {
        Ok(self.prove_reading(tree, given, proof).await?.0)
    }

    /// As [`ChecksumDb::prove`], and also returns every tile the proof read (in its last
    /// pass, which read all it needed): what a client running the same proof reads.
    pub(super) async fn prove_reading<T>(
        &self,
        tree: Tree,
        given: HashMap<Tile, (Bytes, Origin)>,
        proof: impl Fn(&TileHashReader<&Fetched>) -> Result<T, TlogError>,
    ) -> Result<(Result<T, TlogError>, Vec<(Tile, Bytes)>), SumdbError> {
        let mut fetched = Fetched {
            tiles: given,
            missing: Mutex::default(),
            proven: Mutex::default(),
            read: Mutex::default(),
        };
        for _ in 0..MAX_PASSES {
            lock(&fetched.read).clear();
            let result = proof(&TileHashReader::new(tree, &fetched));
            let missing = std::mem::take(&mut *lock(&fetched.missing));
            if missing.is_empty() {
                let proven = std::mem::take(&mut *lock(&fetched.proven));
                for tile in proven {
                    if let Some((data, Origin::Fetched)) = fetched.tiles.get(&tile) {
                        self.tiles.keep(tile, data.clone()).await;
                    }
                }
                let read = std::mem::take(&mut *lock(&fetched.read));
                let read = read
                    .into_iter()
                    .filter_map(|t| Some((t, fetched.tiles.get(&t)?.0.clone())))
                    .collect();
                return Ok((result, read));
            }
            let reads = missing.iter().map(|&tile| self.tiles.read(tile));
            let data = futures::future::try_join_all(reads).await?;
            fetched.tiles.extend(missing.into_iter().zip(data));
        }
        Err(SumdbError::Invalid(format!(
            "checksum database {}: proof for tree {} still lacked tiles after {MAX_PASSES} passes",
            self.name, tree.n
        )))
    }
}

/// The tiles fetched for one proof, read by gomod's `TileHashReader`.
pub(super) struct Fetched {
    tiles: HashMap<Tile, (Bytes, Origin)>,
    /// What the last pass lacked.
    missing: Mutex<Vec<Tile>>,
    /// What the reader authenticated against the tree.
    proven: Mutex<Vec<Tile>>,
    /// What the current pass read.
    read: Mutex<HashSet<Tile>>,
}

impl TileReader for Fetched {
    fn height(&self) -> u32 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        let data: Option<Vec<Vec<u8>>> = tiles
            .iter()
            .map(|t| self.tiles.get(t).map(|(data, _)| data.to_vec()))
            .collect();
        if data.is_some() {
            lock(&self.read).extend(tiles.iter().copied());
        }
        data.ok_or_else(|| {
            *lock(&self.missing) = tiles
                .iter()
                .filter(|t| !self.tiles.contains_key(t))
                .copied()
                .collect();
            io::Error::other("tiles not fetched yet")
        })
    }

    fn save_tiles(&self, tiles: &[Tile], _data: &[Vec<u8>]) {
        lock(&self.proven).extend_from_slice(tiles);
    }
}
