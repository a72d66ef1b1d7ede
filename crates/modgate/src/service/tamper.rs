//! Catching a stored zip that changed after it was logged. Each zip served from the store is
//! hashed once per store ETag (in the background: serving never waits for it) and compared,
//! with its `.mod`, with the version's record in the private checksum database; a version not
//! logged yet is appended (one copied into the tree). A mismatch is a security event, raised
//! whenever the changed zip is served from the store (a small zip kept in memory by
//! `http/kept.rs` is served without asking the store, so the event comes once per process).
//! The bytes are served as they are, never under a new hash: the go command checks them
//! against the log's record and refuses them with its SECURITY ERROR.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use gomod::ModuleVersion;

use crate::memory::{self, Dated};
use crate::storage::{Store, VersionFile, version_file};
use crate::sumlog::{Entry, LogError, Sumlog};
use crate::writer::{VersionWriter, WriteError, hash_object};

pub(crate) struct TamperWatch {
    log: Arc<Sumlog>,
    writer: Arc<VersionWriter>,
    store: Store,
    /// By version: the ETag of the zip last checked, and whether it agreed with the log.
    checked: Dated<ModuleVersion, (String, bool)>,
    /// Versions being checked, so that a burst of downloads hashes a zip once.
    checking: Mutex<HashSet<ModuleVersion>>,
}

#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
}

impl TamperWatch {
    pub fn new(log: Arc<Sumlog>, writer: Arc<VersionWriter>, store: Store) -> TamperWatch {
        TamperWatch {
            log,
            writer,
            store,
            checked: Dated::new(memory::CHECKED_ZIPS),
            checking: Mutex::default(),
        }
    }

    /// `version`'s zip, with the store's `etag`, is being served.
    pub fn served(self: &Arc<Self>, version: &ModuleVersion, etag: Option<&str>) {
        if let (Some((verdict, _)), Some(etag)) = (self.checked.get(version), etag)
            && verdict.0 == etag
        {
            if !verdict.1 {
                raise(version);
            }
            return;
        }
        if !self.lock().insert(version.clone()) {
            return;
        }
        let (watch, version) = (self.clone(), version.clone());
        tokio::spawn(async move {
            match watch.check(&version).await {
                Ok(Some((etag, intact))) => {
                    if !intact {
                        raise(&version);
                    }
                    watch.checked.remember(version.clone(), (etag, intact));
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(%version, cause = %e, "checking a served zip against the checksum log failed")
                }
            }
            watch.lock().remove(&version);
        });
    }

    /// The zip's ETag and whether the stored files agree with the log; `None` when there is
    /// nothing to compare (no zip, or no ETag to remember the verdict by).
    async fn check(&self, version: &ModuleVersion) -> Result<Option<(String, bool)>, CheckError> {
        let zip_key = version_file(version, VersionFile::Zip);
        let Some(zip) = self.store.open(&zip_key).await? else {
            return Ok(None);
        };
        let Some(etag) = zip.etag.clone() else {
            return Ok(None);
        };
        let Some((_, record)) = self.log.record_of(version).await? else {
            self.writer.log_stored(version, zip).await?;
            return Ok(Some((etag, true)));
        };
        let logged = Entry::parse(&record)
            .ok_or_else(|| LogError::Corrupt(format!("record of {version}: unreadable")))?;
        let go_mod = self
            .store
            .read(&version_file(version, VersionFile::Mod))
            .await?
            .unwrap_or_default();
        let intact = hash_object(zip, &zip_key).await? == logged.h1
            && gomod::hash_go_mod(&go_mod) == logged.go_mod_h1;
        Ok(Some((etag, intact)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<ModuleVersion>> {
        self.checking.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn raise(version: &ModuleVersion) {
    tracing::error!(%version, "SECURITY ERROR: served a stored zip or .mod whose hash is not the one the checksum log holds: the store was changed");
    metrics::counter!("modgate_security_events_total", "kind" => "stored_version_changed")
        .increment(1);
}
