//! Deleting and restoring versions. A deleted version leaves a tombstone
//! (`storage::tombstone_file`) that keeps its hashes, the reason, who and when: the version
//! answers 410 with the reason, no source stores it again, and only `restore` with the same
//! bytes brings it back.
//!
//! Order of a delete: the tombstone (create-or-replace, keeping the hashes of one written
//! before), then `.info` (the version is invisible at once), zip, mod, ziphash, origin, and
//! `list` without it. A delete that dies midway leaves the tombstone, and running it again
//! finishes it. A restore writes the version as a publish does, then removes the tombstone.

use bytes::Bytes;
use gomod::ModuleVersion;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{CheckedZip, Origin, Published, VersionWriter, WriteError, WriteMode, list};
use crate::proxy_files::Info;
use crate::storage::{
    StorageError, Store, VersionFile, origin_file, tombstone_file, tombstone_of, tombstones_dir,
    version_file,
};

/// A deleted version, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tombstone {
    pub module: String,
    pub version: String,
    /// The zip's `h1:`; `None` when the version had no zip stored (an upstream version whose
    /// zip was never asked for): then a restore is checked by its go.mod alone.
    pub h1: Option<String>,
    pub go_mod_h1: String,
    pub reason: String,
    /// Who deleted it: a user or token name, `(operator)` for the CLI.
    pub who: String,
    /// When (RFC 3339).
    pub at: String,
    /// The version's time from its `.info`, so a restore gives back the same `.info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

impl Tombstone {
    /// The one line a client gets for the deleted version: `deleted: <reason>`.
    pub fn answer(&self) -> String {
        format!("{}@{}: deleted: {}", self.module, self.version, self.reason)
    }
}

impl VersionWriter {
    /// The tombstone of `version`, if it was deleted: read from the store.
    pub async fn tombstone(
        &self,
        version: &ModuleVersion,
    ) -> Result<Option<Tombstone>, WriteError> {
        read_tombstone(&self.store, version).await
    }

    /// Deletes a stored version for `reason`, by `who`. `Ok(None)` when nothing of it is
    /// stored and it has no tombstone: there is nothing to delete.
    pub async fn delete(
        &self,
        version: &ModuleVersion,
        reason: &str,
        who: &str,
    ) -> Result<Option<Tombstone>, WriteError> {
        let lock = self.lock_for(version.path());
        let _guard = lock.lock().await;
        let earlier = self.tombstone(version).await?;
        let stored_mod = self
            .store
            .read(&version_file(version, VersionFile::Mod))
            .await?;
        let (h1, go_mod_h1, time) = match (&earlier, stored_mod) {
            (Some(t), _) => (t.h1.clone(), t.go_mod_h1.clone(), t.time.clone()),
            (None, Some(go_mod)) => (
                self.stored_zip_hash(version).await?,
                gomod::hash_go_mod(&go_mod),
                self.stored_time(version).await?,
            ),
            (None, None) => return Ok(None),
        };
        let tombstone = Tombstone {
            module: version.path().to_string(),
            version: version.version().to_string(),
            h1,
            go_mod_h1,
            reason: reason.to_owned(),
            who: who.to_owned(),
            at: now_text(),
            time,
        };
        let json =
            serde_json::to_vec(&tombstone).map_err(|e| WriteError::Internal(e.to_string()))?;
        self.store
            .put(&tombstone_file(version), Bytes::from(json))
            .await?;
        remove_version(&self.store, version).await?;
        tracing::info!(%version, reason, who, "deleted");
        Ok(Some(tombstone))
    }

    /// Brings a deleted version back with the same bytes: the zip's `h1:` (and its go.mod's)
    /// must equal the tombstone's. Written as a publish is, then the tombstone is removed.
    pub async fn restore(
        &self,
        version: &ModuleVersion,
        zip: &CheckedZip,
        who: &str,
    ) -> Result<Published, WriteError> {
        let Some(tombstone) = self.tombstone(version).await? else {
            return Err(WriteError::Invalid(format!(
                "{version} is not deleted: there is nothing to restore"
            )));
        };
        let same_zip = tombstone.h1.as_deref().is_none_or(|h1| h1 == zip.h1);
        if !same_zip || tombstone.go_mod_h1 != zip.go_mod.h1 {
            return Err(WriteError::Conflict(format!(
                "{version} was deleted with {} (go.mod {}); this zip is {} (go.mod {}): only the same bytes can be restored",
                tombstone.h1.as_deref().unwrap_or("no zip"),
                tombstone.go_mod_h1,
                zip.h1,
                zip.go_mod.h1
            )));
        }
        let time = tombstone
            .time
            .as_deref()
            .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok());
        let origin = Origin::Published { by: who.to_owned() };
        let published = self
            .write_version(version, zip, time, &origin, WriteMode::Restore)
            .await?;
        self.store.delete(&tombstone_file(version)).await?;
        self.log_or_warn(crate::sumlog::Entry {
            version: version.clone(),
            h1: zip.h1.clone(),
            go_mod_h1: zip.go_mod.h1.clone(),
        })
        .await;
        tracing::info!(%version, who, "restored");
        Ok(published)
    }

    /// Refuses to write a version that has a tombstone: `Gone` with its reason.
    pub(super) async fn refuse_deleted(&self, version: &ModuleVersion) -> Result<(), WriteError> {
        match self.tombstone(version).await? {
            Some(tombstone) => Err(WriteError::Gone(tombstone.answer())),
            None => Ok(()),
        }
    }

    async fn stored_time(&self, version: &ModuleVersion) -> Result<Option<String>, WriteError> {
        let info = self
            .store
            .read(&version_file(version, VersionFile::Info))
            .await?;
        Ok(info
            .and_then(|bytes| Info::parse(&bytes).ok())
            .and_then(|info| info.time))
    }
}

/// Every tombstone key in the store, with the version it stands for.
pub(crate) async fn tombstone_keys(
    store: &Store,
) -> Result<Vec<(ModuleVersion, object_store::path::Path)>, StorageError> {
    let keys = store.keys(Some(&tombstones_dir())).await?;
    Ok(keys
        .into_iter()
        .filter_map(|key| tombstone_of(&key).map(|version| (version, key)))
        .collect())
}

/// The tombstone of `version`, if it has one; a record that is not one is a failure, not a
/// missing tombstone, so that a damaged file never lets a deleted version back.
pub(crate) async fn read_tombstone(
    store: &Store,
    version: &ModuleVersion,
) -> Result<Option<Tombstone>, WriteError> {
    let key = tombstone_file(version);
    let Some(bytes) = store.read(&key).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| WriteError::Internal(format!("tombstone {key} is not readable: {e}")))
}

fn now_text() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}
/// Removes a stored version: `.info` first, so it is invisible at once and a crash midway
/// leaves only files no reader serves; then the zip, the `.mod`, the `.ziphash`, the origin
/// record, and its `list` line, so the store stays a `GOPROXY=file://` tree. Deleting and gc's
/// eviction both remove a version this way.
pub(crate) async fn remove_version(
    store: &Store,
    version: &ModuleVersion,
) -> Result<(), StorageError> {
    for file in [
        VersionFile::Info,
        VersionFile::Zip,
        VersionFile::Mod,
        VersionFile::ZipHash,
    ] {
        store.delete(&version_file(version, file)).await?;
    }
    store.delete(&origin_file(version)).await?;
    list::remove(store, version.path(), version.version()).await
}
