//! The public checksum database with no route to it: proof files for a set of versions (what
//! a bundle carries), storing them where the proxy serves them from, and serving them.
//!
//! A go client proves a lookup by the tiles its `TileHashReader` reads over its latest tree,
//! and a newer tree by the tiles that give the older tree's hash inside it. So the proof files
//! are exactly those: every lookup carries one signed tree head T (`latest`, fetched last),
//! and the tiles are the ones gomod's `TileHashReader` reads over T, found by running the same
//! reads as the go command (`x/mod/sumdb/client.go`: `checkRecord`, `checkTrees`).
//! The check before storing is `proofcheck.rs`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use gomod::ModuleVersion;
use gomod::tlog::{self, HashReader, Tile, Tree};

use super::proofcheck::{MapTiles, lookup_file};
use super::verify::Record;
use super::{ChecksumDb, SumdbError};
use crate::storage::{StorageError, Store, sumdb_file};

/// Lookups asked of the database at once while making proof files.
const LOOKUPS_AT_ONCE: usize = 8;
/// Passes of a consistency proof over stored tiles before giving up (each reads what the
/// last one lacked; two always do).
const STORE_PASSES: usize = 3;

/// Every file a client needs to verify some versions with no route to the database.
#[derive(Debug, Clone)]
pub(crate) struct ProofFiles {
    /// The database's name: the files go under `sumdb/<name>/`.
    pub name: String,
    /// The size of tree T that every lookup is proven in.
    pub tree_size: u64,
    /// `supported`, `latest`, `lookup/…` and `tile/…`, relative to `sumdb/<name>/`.
    pub files: BTreeMap<String, Bytes>,
}

/// Why proof files were not stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreProofError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Their tree is not consistent with the tree stored before, or cannot be proven so.
    #[error("{0}")]
    Inconsistent(String),
}

impl ChecksumDb {
    /// Every file a client needs to verify `versions` with no route to the database:
    /// `supported`, `latest` (one signed tree head T, fetched last), one `lookup/…` per version
    /// (its record followed by T's signed note), and every hash tile (full or partial for T)
    /// that the go command's `TileHashReader` reads to prove each record in T; with `since`
    /// (an earlier tree), also the tiles that prove it consistent with T.
    pub async fn proof_files(
        &self,
        versions: &[ModuleVersion],
        since: Option<Tree>,
    ) -> Result<ProofFiles, SumdbError> {
        let records: Vec<Arc<Record>> = futures::stream::iter(versions)
            .map(|v| self.record(v, false))
            .buffered(LOOKUPS_AT_ONCE)
            .try_collect()
            .await?;
        // T last, so that it holds every record; accepting it proves it consistent with the
        // lookups' trees.
        let note = self.remote.get("latest", "latest").await?;
        let tree = self.accept_tree(&note, "latest").await?;
        let invalid = |what: &dyn std::fmt::Display, e: &dyn std::fmt::Display| {
            SumdbError::Invalid(format!("{what}: checksum database {}: {e}", self.name))
        };
        let mut files = BTreeMap::from([
            ("supported".to_owned(), Bytes::new()),
            ("latest".to_owned(), note.clone()),
        ]);
        let mut wanted = Vec::new();
        for (version, record) in versions.iter().zip(&records) {
            let (id, text, signed) =
                tlog::parse_record(&record.body).map_err(|e| invalid(version, &e))?;
            if id >= tree.n {
                return Err(invalid(
                    version,
                    &format!("record {id} beyond tree {}", tree.n),
                ));
            }
            wanted.push((tlog::stored_hash_index(0, id), tlog::record_hash(text)));
            let mut body = record.body[..record.body.len() - signed.len()].to_vec();
            body.extend_from_slice(&note);
            files.insert(lookup_file(version), Bytes::from(body));
        }
        let indexes: Vec<u64> = wanted.iter().map(|(index, _)| *index).collect();
        let (proven, tiles) = self
            .prove_reading(tree, HashMap::new(), |r| Ok(r.read_hashes(&indexes)?))
            .await?;
        let proven = proven.map_err(|e| invalid(&"records", &e))?;
        if proven
            .iter()
            .zip(&wanted)
            .any(|(got, (_, want))| got != want)
        {
            return Err(invalid(
                &"records",
                &format!("a lookup is not the record in tree {}", tree.n),
            ));
        }
        add_tiles(&mut files, tiles);
        if let Some(old) = since {
            add_tiles(&mut files, self.consistency_tiles(old, tree).await?);
        }
        Ok(ProofFiles {
            name: self.name.clone(),
            tree_size: tree.n,
            files,
        })
    }

    /// The tiles of `tree` a client that trusts `old` reads to accept `tree` (the go command's
    /// `checkTrees`: the older tree's hash read through the newer tree's tiles).
    async fn consistency_tiles(
        &self,
        old: Tree,
        tree: Tree,
    ) -> Result<Vec<(Tile, Bytes)>, SumdbError> {
        if old.n > tree.n {
            return Err(SumdbError::Invalid(format!(
                "checksum database {}: the earlier tree {} is larger than its latest {}",
                self.name, old.n, tree.n
            )));
        }
        let (hash, tiles) = self
            .prove_reading(tree, HashMap::new(), |r| tlog::tree_hash(old.n, r))
            .await?;
        match hash {
            Ok(hash) if hash == old.hash => Ok(tiles),
            outcome => Err(SumdbError::Invalid(format!(
                "SECURITY ERROR: checksum database {} tree {} is inconsistent with the earlier tree {}: {}",
                self.name,
                tree.n,
                old.n,
                outcome
                    .err()
                    .map_or("other hash".to_owned(), |e| e.to_string())
            ))),
        }
    }

    /// `GET <path>` of the database or, when it cannot be asked (offline, or down), the file
    /// stored with proof files. A file not stored stays a failure (502), offline too: the
    /// database might know it, and a 404 would claim it does not.
    pub(super) async fn remote_or_stored(
        &self,
        path: &str,
        what: &str,
    ) -> Result<Bytes, SumdbError> {
        match self.remote.get(path, what).await {
            Err(e @ (SumdbError::Unreachable(_) | SumdbError::Timeout(_))) => {
                match self.store.read(&sumdb_file(&self.name, path)).await {
                    Ok(Some(data)) => Ok(data),
                    Ok(None) if self.remote.is_offline() => Err(SumdbError::Unreachable(format!(
                        "{what}: modgate is offline and holds no proof of it from checksum database {}",
                        self.name
                    ))),
                    Ok(None) => Err(e),
                    Err(stored) => {
                        tracing::warn!(file = path, cause = %stored, "reading a stored checksum database file failed");
                        Err(e)
                    }
                }
            }
            other => other,
        }
    }
}

fn add_tiles(files: &mut BTreeMap<String, Bytes>, tiles: Vec<(Tile, Bytes)>) {
    files.extend(tiles.into_iter().map(|(tile, data)| (tile.path(), data)));
}

/// Writes checked proof files under `sumdb/<name>/`: tiles and lookups create-only (one
/// already there is kept: it was checked too, and stays proven in its own tree), then `latest`,
/// replaced only by a larger tree proven consistent with the stored one.
pub(crate) async fn store_proof_files(
    store: &Store,
    proof: &ProofFiles,
) -> Result<(), StoreProofError> {
    let key = |file: &str| sumdb_file(&proof.name, file);
    let latest = proof.files.get("latest");
    let replace = match latest {
        Some(note) => replaces_latest(store, proof, note).await?,
        None => false,
    };
    for (file, data) in proof.files.iter().filter(|(f, _)| *f != "latest") {
        store.put_new(&key(file), data.clone()).await?;
    }
    if let (true, Some(note)) = (replace, latest) {
        store.put(&key("latest"), note.clone()).await?;
    }
    Ok(())
}

/// Whether `note` should replace the stored `latest`: there is none, or it is a larger tree
/// that holds the stored one (proven with the proof files' tiles and the stored ones).
async fn replaces_latest(
    store: &Store,
    proof: &ProofFiles,
    note: &Bytes,
) -> Result<bool, StoreProofError> {
    let inconsistent =
        |why: String| StoreProofError::Inconsistent(format!("sumdb/{}/latest: {why}", proof.name));
    let Some(stored) = store.read(&sumdb_file(&proof.name, "latest")).await? else {
        return Ok(true);
    };
    let (Some(old), Some(new)) = (note_tree(&stored), note_tree(note)) else {
        return Err(inconsistent("a tree head that does not parse".to_owned()));
    };
    if new.n < old.n || new == old {
        return Ok(false);
    }
    if new.n == old.n {
        return Err(inconsistent(format!(
            "SECURITY ERROR: tree {} differs from the stored one",
            new.n
        )));
    }
    let mut tiles = MapTiles::of(&proof.files);
    for _ in 0..STORE_PASSES {
        match tiles.prove(new, |r| tlog::tree_hash(old.n, r)) {
            Ok(hash) if hash == old.hash => return Ok(true),
            Ok(_) => {
                return Err(inconsistent(format!(
                    "SECURITY ERROR: tree {} is inconsistent with the stored tree {}",
                    new.n, old.n
                )));
            }
            Err(e) => {
                let missing = std::mem::take(&mut *super::lock(&tiles.missing));
                if missing.is_empty()
                    || !load_stored(store, &proof.name, &mut tiles, &missing).await?
                {
                    return Err(inconsistent(format!(
                        "tree {} not proven to hold the stored tree {}: {e}",
                        new.n, old.n
                    )));
                }
            }
        }
    }
    Err(inconsistent(format!(
        "tree {} not proven to hold the stored tree {}",
        new.n, old.n
    )))
}

/// Adds stored tiles (or the prefix of a stored full tile) for `missing`; false if one lacks.
async fn load_stored(
    store: &Store,
    name: &str,
    tiles: &mut MapTiles,
    missing: &[Tile],
) -> Result<bool, StorageError> {
    for &tile in missing {
        let full = Tile {
            w: 1 << tile.h,
            ..tile
        };
        let data = match store.read(&sumdb_file(name, &tile.path())).await? {
            Some(data) => data,
            None => match store.read(&sumdb_file(name, &full.path())).await? {
                Some(data) => data.slice(..(tile.w as usize * tlog::HASH_SIZE).min(data.len())),
                None => return Ok(false),
            },
        };
        tiles.tiles.insert(tile, data.to_vec());
    }
    Ok(true)
}

/// The tree of a signed note, its signatures not checked (a stored note was checked before).
fn note_tree(note: &[u8]) -> Option<Tree> {
    let end = note.windows(2).position(|w| w == b"\n\n")?;
    tlog::parse_tree(&note[..=end]).ok()
}
