//! The version writer: the one way a version enters the store, whether it is published,
//! imported, or cached from an upstream proxy or a git repository. It takes only what
//! [`check`] passed, and it alone decides the order of writes and what "immutable" means.
//!
//! Order of writes for a whole version: the zip is staged; the `.ziphash` claims the version
//! (create-only); the zip moves into place and the `.mod` is written; `.info` last (a version
//! is visible only with its `.info`), each atomic; then `list`. A crash at any point leaves an
//! invisible version whose leftovers a later write of that version replaces.
//!
//! A cache fills a version in two steps, as the go command's own module cache does: `.mod` and
//! `.info` when the version is first asked for, the zip when it is first downloaded.
//!
//! Once a version has its zip, it goes into the checksum log (when there is one), whichever
//! way it came: no source can store a version the log does not take. A failed append is only
//! logged: the version is stored, and the next lookup or download of it appends it.

pub(crate) mod check;
mod list;
mod origin;
mod tombstone;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};
use object_store::path::Path;
use time::OffsetDateTime;

use crate::proxy_files::Info;
use crate::storage::{
    Created, Replace, Staged, StorageError, Store, StoredObject, VersionFile, origin_file,
    version_file,
};
use crate::sumlog::{Entry, LogError, Sumlog};
pub(crate) use check::{CheckedGoMod, CheckedZip, Strictness};
pub(crate) use origin::{Origin, OriginRecord};
pub(crate) use tombstone::{Tombstone, read_tombstone, remove_version, tombstone_keys};

/// A claim (`.ziphash`) or a zip without its `.info` older than this was left by a write that
/// died: the claim-to-info window of a live publish is a few small writes long.
const CLAIM_ABANDONED_AFTER: Duration = Duration::from_secs(30);

/// A staged upload older than this was left by a killed process: staging a zip takes seconds
/// (minutes for 500 MiB to a slow bucket), never an hour.
const STAGING_ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// What a write of a whole version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteMode {
    /// A new version (a tombstone refuses it), added to its module's `list`.
    Publish,
    /// A new version its caller adds to the `list` with others ([`VersionWriter::add_to_list`]).
    PublishUnlisted,
    /// A deleted version written back (which only `restore` may).
    Restore,
}

/// A version written, as the publishing API and the CLI report it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Published {
    pub module: String,
    pub version: String,
    pub h1: String,
    pub gomod_h1: String,
    /// False when the same bytes were already there: nothing changed.
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum WriteError {
    /// The version, zip or go.mod is not acceptable (every problem, one line).
    #[error("{0}")]
    Invalid(String),
    /// The version exists with other bytes.
    #[error("{0}")]
    Conflict(String),
    /// The version was deleted (its tombstone's line): it is never written again but by
    /// `restore`.
    #[error("{0}")]
    Gone(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading our own temp file failed, or a blocking task died.
    #[error("{0}")]
    Internal(String),
    /// The version is stored, but the checksum log could not take it.
    #[error("checksum log: {0}")]
    Log(LogError),
}

pub(crate) struct VersionWriter {
    store: Store,
    /// One lock per module: writes of one module run one at a time in this process, so `list`
    /// updates do not lose versions. Entries stay; there is one per module ever written.
    /// Across processes, create-only writes decide.
    locks: Mutex<HashMap<ModulePath, Arc<tokio::sync::Mutex<()>>>>,
    /// The private checksum database, if there is one.
    log: Option<Arc<Sumlog>>,
}

impl VersionWriter {
    pub fn new(store: Store, log: Option<Arc<Sumlog>>) -> VersionWriter {
        VersionWriter {
            store,
            locks: Mutex::new(HashMap::new()),
            log,
        }
    }

    /// Publishes a checked zip as `version`, stamped `time` (now when absent), recording where
    /// it came from. The same bytes again succeed without change; other bytes are a conflict:
    /// published versions never change.
    pub async fn publish(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
        time: Option<OffsetDateTime>,
        origin: &Origin,
    ) -> Result<Published, WriteError> {
        self.publish_as(version, zip, time, origin, WriteMode::Publish)
            .await
    }

    /// [`publish`](Self::publish), leaving the version out of its module's `list` for the
    /// caller to add with the module's other versions ([`add_to_list`](Self::add_to_list)): a
    /// bulk import. Each addition reads the module's directory again, so one per version is
    /// quadratic in a module's versions (minutes for 2,000). The version is served at once
    /// either way: the `list` file is for `file://` users of the tree.
    pub async fn publish_unlisted(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
        time: Option<OffsetDateTime>,
        origin: &Origin,
    ) -> Result<Published, WriteError> {
        self.publish_as(version, zip, time, origin, WriteMode::PublishUnlisted)
            .await
    }

    /// Adds versions written by [`publish_unlisted`](Self::publish_unlisted) to their
    /// module's `list`, in one update.
    pub async fn add_to_list(
        &self,
        module: &ModulePath,
        versions: Vec<Version>,
    ) -> Result<(), StorageError> {
        let lock = self.lock_for(module);
        let _guard = lock.lock().await;
        list::add(&self.store, module, versions).await
    }

    async fn publish_as(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
        time: Option<OffsetDateTime>,
        origin: &Origin,
        mode: WriteMode,
    ) -> Result<Published, WriteError> {
        let published = self.write_version(version, zip, time, origin, mode).await?;
        self.log_or_warn(Entry {
            version: version.clone(),
            h1: zip.h1.clone(),
            go_mod_h1: zip.go_mod.h1.clone(),
        })
        .await;
        Ok(published)
    }

    async fn write_version(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
        time: Option<OffsetDateTime>,
        origin: &Origin,
        mode: WriteMode,
    ) -> Result<Published, WriteError> {
        let lock = self.lock_for(version.path());
        let _guard = lock.lock().await;
        if mode != WriteMode::Restore {
            self.refuse_deleted(version).await?;
        }
        let info_key = version_file(version, VersionFile::Info);
        if self.store.read(&info_key).await?.is_some() {
            return self.compare_with_existing(version, zip).await;
        }
        // The zip is uploaded before anything is claimed: a large upload takes a while, and a
        // publish killed meanwhile must leave nothing under the version's names.
        let staged = self
            .store
            .stage_file(&version_file(version, VersionFile::Zip), &zip.file)
            .await?;
        let placed = self.claim_and_place(version, &zip.h1, &staged).await;
        self.store.discard(staged).await;
        placed?;
        let mod_key = version_file(version, VersionFile::Mod);
        self.store.put(&mod_key, zip.go_mod.bytes.clone()).await?;
        let now = OffsetDateTime::now_utc();
        self.store
            .put(&origin_file(version), origin.record(now))
            .await?;

        let info = info_json(version, time.unwrap_or(now))?;
        if self.store.put_new(&info_key, info).await? == Created::Existed {
            // Another process finished the same version meanwhile.
            return self.compare_with_existing(version, zip).await;
        }
        if mode != WriteMode::PublishUnlisted {
            list::add(&self.store, version.path(), vec![version.version().clone()]).await?;
        }
        tracing::info!(%version, h1 = %zip.h1, "published");
        Ok(published(version, zip, true))
    }

    /// Stores the `.info` and `.mod` of a version a cache fetched: `.mod` first and `.info`
    /// last, both create-only, so the version becomes visible whole; a concurrent fetch of the
    /// same version (another replica) writes the same bytes. Its origin is `upstream`.
    pub async fn cache_version(
        &self,
        version: &ModuleVersion,
        info: Bytes,
        go_mod: &CheckedGoMod,
    ) -> Result<(), WriteError> {
        self.refuse_deleted(version).await?;
        self.store
            .put_new(
                &version_file(version, VersionFile::Mod),
                go_mod.bytes.clone(),
            )
            .await?;
        let origin = Origin::Upstream.record(OffsetDateTime::now_utc());
        self.store.put_new(&origin_file(version), origin).await?;
        let info_key = version_file(version, VersionFile::Info);
        if self.store.put_new(&info_key, info).await? == Created::Existed {
            return Ok(());
        }
        let lock = self.lock_for(version.path());
        let _guard = lock.lock().await;
        list::add(&self.store, version.path(), vec![version.version().clone()]).await?;
        Ok(())
    }

    /// Stores the zip of a version a cache fetched (its `.info` and `.mod` are stored already),
    /// and its `.ziphash`.
    pub async fn cache_zip(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
    ) -> Result<(), WriteError> {
        self.refuse_deleted(version).await?;
        let zip_key = version_file(version, VersionFile::Zip);
        if self.store.put_file_new(&zip_key, &zip.file).await? == Created::New {
            self.store
                .put(
                    &version_file(version, VersionFile::ZipHash),
                    Bytes::from(format!("{}\n", zip.h1)),
                )
                .await?;
        }
        if self.log.is_some() {
            // The record holds the hash of the `.mod` served, which the cache stored first.
            let go_mod = self.stored_go_mod_hash(version).await?;
            if let Some(go_mod_h1) = go_mod {
                let h1 = zip.h1.clone();
                let version = version.clone();
                self.log_or_warn(Entry {
                    version,
                    h1,
                    go_mod_h1,
                })
                .await;
            }
        }
        Ok(())
    }

    /// Appends a stored version to the checksum log, by the hashes of its stored files (`zip`
    /// is its opened zip), unless the log holds it already: for versions that reached the store
    /// some other way (a copied tree). `None` without a log or a `.mod`.
    pub async fn log_stored(
        &self,
        version: &ModuleVersion,
        zip: StoredObject,
    ) -> Result<Option<Entry>, WriteError> {
        let Some(log) = &self.log else {
            return Ok(None);
        };
        let Some(entry) = self.stored_entry(version, zip).await? else {
            return Ok(None);
        };
        log.append(vec![entry.clone()])
            .await
            .map_err(WriteError::Log)?;
        Ok(Some(entry))
    }

    /// The log entry of a stored version, by the hashes of its stored files; `None` without a
    /// `.mod`.
    pub async fn stored_entry(
        &self,
        version: &ModuleVersion,
        zip: StoredObject,
    ) -> Result<Option<Entry>, WriteError> {
        let Some(go_mod_h1) = self.stored_go_mod_hash(version).await? else {
            return Ok(None);
        };
        Ok(Some(Entry {
            version: version.clone(),
            h1: hash_object(zip, &version_file(version, VersionFile::Zip)).await?,
            go_mod_h1,
        }))
    }

    async fn log_or_warn(&self, entry: Entry) {
        if let Some(log) = &self.log
            && let Err(e) = log.append(vec![entry.clone()]).await
        {
            tracing::warn!(version = %entry.version, cause = %e, "appending to the checksum log failed; the next lookup appends it");
        }
    }

    async fn stored_go_mod_hash(
        &self,
        version: &ModuleVersion,
    ) -> Result<Option<String>, WriteError> {
        let go_mod = self
            .store
            .read(&version_file(version, VersionFile::Mod))
            .await?;
        Ok(go_mod.map(|bytes| gomod::hash_go_mod(&bytes)))
    }

    /// Removes staged uploads that a killed process left more than `STAGING_ABANDONED_AFTER`
    /// ago; returns how many.
    pub async fn clean_staging(&self) -> Result<usize, StorageError> {
        self.store.clean_staging(STAGING_ABANDONED_AFTER).await
    }

    /// Claims the version for this zip, then moves the staged zip into place.
    ///
    /// The claim is the `.ziphash`, written create-only: a small conditional PUT, which every
    /// S3-compatible store we met makes atomic, where a conditional move of a large object is
    /// not always (SeaweedFS let two replicas both "create" the same zip). Only writers of the
    /// claimed bytes go on to write the zip; others lose the race.
    async fn claim_and_place(
        &self,
        version: &ModuleVersion,
        h1: &str,
        staged: &Staged,
    ) -> Result<(), WriteError> {
        let try_again = || {
            WriteError::Conflict(format!(
                "{version} is being published with other bytes (or an interrupted publish left it less than {}s ago); try again",
                CLAIM_ABANDONED_AFTER.as_secs()
            ))
        };
        let claim_key = version_file(version, VersionFile::ZipHash);
        let claim = Bytes::from(format!("{h1}\n"));
        if self.store.put_new(&claim_key, claim.clone()).await? == Created::Existed {
            let claimed = self.store.read(&claim_key).await?.unwrap_or_default();
            if String::from_utf8_lossy(&claimed).trim() != h1 {
                // Another writer's: live, or dead between its claim and its .info. Only an
                // old claim is taken over.
                if !self.is_abandoned(&claim_key).await? {
                    return Err(try_again());
                }
                self.store.delete(&claim_key).await?;
                if self.store.put_new(&claim_key, claim).await? == Created::Existed {
                    return Err(try_again());
                }
            }
        }
        let zip_key = version_file(version, VersionFile::Zip);
        if self.store.place(staged, &zip_key, Replace::No).await? == Created::New
            || self.stored_zip_hash(version).await?.as_deref() == Some(h1)
        {
            return Ok(());
        }
        // A zip with other bytes and no claim of its own: left by a publish that died before
        // claims existed, or copied in by hand. Replaced only once old, like a claim.
        if !self.is_abandoned(&zip_key).await? {
            self.store.delete(&claim_key).await?;
            return Err(try_again());
        }
        self.store.place(staged, &zip_key, Replace::Yes).await?;
        Ok(())
    }

    async fn is_abandoned(&self, key: &Path) -> Result<bool, WriteError> {
        Ok(self
            .store
            .age(key)
            .await?
            .is_some_and(|age| age > CLAIM_ABANDONED_AFTER))
    }

    /// Every module this process has written a version of (or tried to): what a listing of
    /// the store made before then does not show yet.
    pub fn modules_written(&self) -> Vec<ModulePath> {
        match self.locks.lock() {
            Ok(locks) => locks.keys().cloned().collect(),
            Err(_) => Vec::new(),
        }
    }

    fn lock_for(&self, module: &ModulePath) -> Arc<tokio::sync::Mutex<()>> {
        match self.locks.lock() {
            Ok(mut locks) => locks.entry(module.clone()).or_default().clone(),
            // A panic elsewhere poisoned the map; a fresh lock keeps writing possible.
            Err(_) => Arc::default(),
        }
    }

    /// A visible version: success if it holds our bytes, else a conflict naming its hash.
    async fn compare_with_existing(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
    ) -> Result<Published, WriteError> {
        let existing_h1 = self.stored_zip_hash(version).await?;
        let existing_mod = self
            .store
            .read(&version_file(version, VersionFile::Mod))
            .await?;
        let same = existing_h1.as_deref() == Some(zip.h1.as_str())
            && existing_mod.as_deref() == Some(&zip.go_mod.bytes[..]);
        if !same {
            let h1 = existing_h1.unwrap_or_else(|| "(no zip)".to_owned());
            return Err(WriteError::Conflict(format!(
                "{version} is already published with {h1}; published versions never change"
            )));
        }
        Ok(published(version, zip, false))
    }

    /// The `h1:` of a stored zip, computed from its bytes (a `.ziphash` could be stale or
    /// hand-edited; the zip is the truth). `None` when there is no zip.
    async fn stored_zip_hash(&self, version: &ModuleVersion) -> Result<Option<String>, WriteError> {
        let zip_key = version_file(version, VersionFile::Zip);
        match self.store.open(&zip_key).await? {
            Some(object) => hash_object(object, &zip_key).await.map(Some),
            None => Ok(None),
        }
    }
}

/// The `h1:` of a stored zip, read into a temp file: hashing seeks back to the central
/// directory, and a zip can be 500 MiB.
pub(crate) async fn hash_object(
    object: StoredObject,
    zip_key: &Path,
) -> Result<String, WriteError> {
    let temp = crate::spool::new_file()
        .map_err(|e| WriteError::Internal(format!("creating a temp file: {e}")))?;
    crate::storage::copy_to_file(object, temp.path())
        .await
        .map_err(|e| WriteError::Internal(format!("reading stored zip {zip_key}: {e}")))?;
    let hashed = tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(temp.path())?;
        gomod::hash_zip(std::io::BufReader::new(file))
    })
    .await
    .map_err(|e| WriteError::Internal(e.to_string()))?;
    hashed.map_err(|e| WriteError::Internal(format!("hashing stored zip {zip_key}: {e}")))
}

fn published(version: &ModuleVersion, zip: &CheckedZip, created: bool) -> Published {
    Published {
        module: version.path().to_string(),
        version: version.version().to_string(),
        h1: zip.h1.clone(),
        gomod_h1: zip.go_mod.h1.clone(),
        created,
    }
}

/// `.info` as the go command writes it: RFC 3339 in UTC.
fn info_json(version: &ModuleVersion, time: OffsetDateTime) -> Result<Bytes, WriteError> {
    Info::encode(version.version().as_str(), time)
        .map(Bytes::from)
        .map_err(WriteError::Internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_is_utc_rfc3339_without_fraction() {
        let time = OffsetDateTime::parse(
            "2024-01-02T04:04:05.5+01:00",
            &time::format_description::well_known::Rfc3339,
        )
        .expect("time");
        let version = ModuleVersion::parse("example.com/m", "v1.0.0").expect("valid");
        let info = info_json(&version, time).expect("json");
        assert_eq!(
            &info[..],
            br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#
        );
    }
}
