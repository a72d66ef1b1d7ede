//! The public checksum database with no route to it: proof files for a set of versions (what
//! a bundle carries), their check, and storing them where the proxy serves them from.
//!
//! A client verifies a lookup by the tiles its `TileHashReader` reads for the lookup's tree,
//! and a newer tree by the tiles that prove the older one inside it. So the proof files are
//! exactly those: every lookup carries one signed tree head T (the `latest` fetched last), and
//! the tiles are the ones gomod's `TileHashReader` reads over T, found by running the proofs.

use std::collections::BTreeMap;

use bytes::Bytes;
use gomod::ModuleVersion;
use gomod::tlog::Tree;

use super::{ChecksumDb, SumdbError};
use crate::storage::{StorageError, Store, sumdb_file};

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
        let _ = (versions, since);
        todo!("proof API")
    }
}

/// The import's check, pure (no network): `latest` verifies with `key`; every lookup carries
/// that tree and its record is proven in it by the tiles; each expected (module@version, zip
/// `h1:`, go.mod `h1:`) has its lookup and the record's lines equal them. Every problem is one
/// line naming its file.
pub(crate) fn check_proof_files(
    key: &str,
    files: &BTreeMap<String, Bytes>,
    expected: &[(ModuleVersion, Option<String>, String)],
) -> Result<Tree, Vec<String>> {
    let _ = (key, files, expected);
    todo!("proof API")
}

/// Writes checked proof files under `sumdb/<name>/`: create-only (a lookup or tile already
/// there is kept), and `latest` replaced only by a larger tree proven consistent with the
/// stored one.
pub(crate) async fn store_proof_files(
    store: &Store,
    files: &ProofFiles,
) -> Result<(), StorageError> {
    let _ = (store, sumdb_file(&files.name, "latest"));
    todo!("proof API")
}
