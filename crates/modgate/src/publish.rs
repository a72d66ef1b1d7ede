//! Publishing a version into the store: checked like the `go` command checks a download, and
//! immutable once visible.
//!
//! Order of writes: the zip is staged; the `.ziphash` claims the version (create-only); the zip
//! moves into place and the `.mod` is written; `.info` last (a version is visible only with its
//! `.info`), each atomic; then `list`. A crash at any point leaves an invisible version whose
//! leftovers a later publish of that version replaces.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use time::OffsetDateTime;

use crate::proxy_files::{Info, list_versions};
use crate::storage::{
    Created, Replace, Staged, StorageError, Store, VersionFile, module_dir, version_key,
    visible_versions,
};
use check::{Checked, Strictness, check_incompatible, check_pseudo_version, check_zip_file};

/// A version's zip without its `.info` older than this was left by a publish that died: the
/// zip-to-info window of a live publish is a few small writes long.
const ABANDONED_AFTER: Duration = Duration::from_secs(30);

/// What was published, as the HTTP API and the CLI report it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Published {
    pub module: String,
    pub version: String,
    pub h1: String,
    pub gomod_h1: String,
    /// False when the same bytes were already published: nothing changed.
    pub created: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The module path, version, zip or go.mod is not acceptable (every problem, one line).
    #[error("{0}")]
    Invalid(String),
    /// The version exists with other bytes.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading our own temp file failed, or a blocking task died.
    #[error("{0}")]
    Internal(String),
}

/// How many times a `list` update is written and checked again while other publishes change
/// it: two suffice unless several processes publish the same module at once.
const LIST_ROUNDS: usize = 5;

/// A staged upload older than this was left by a killed process: staging a zip takes seconds
/// (minutes for 500 MiB to a slow bucket), never an hour.
const STAGING_ABANDONED_AFTER: Duration = Duration::from_secs(3600);

pub struct Publisher {
    store: Store,
    /// One lock per module: publishes of one module run one at a time in this process, so
    /// `list` updates do not lose versions. Entries stay; there is one per module ever
    /// published. Across processes, create-only writes decide.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Publisher {
    pub(crate) fn new(store: Store) -> Publisher {
        Publisher {
            store,
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes the zip at `zip_file` (a local file the caller owns) as `module@version`.
    pub async fn publish(
        &self,
        module: &str,
        version: &str,
        zip_file: &Path,
        time: Option<OffsetDateTime>,
    ) -> Result<Published, PublishError> {
        self.publish_with(module, version, zip_file, time, None, Strictness::Upload)
            .await
    }

    /// Like `publish`, for `modgate import`: refuses when the version's go.mod would differ
    /// from `go_mod` (an imported tree's `.mod` must be the zip's), and keeps a zip with
    /// directory entries, which the go command accepts: the tree was served as it is, so its
    /// hash is already in go.sum files.
    pub async fn publish_expecting(
        &self,
        module: &str,
        version: &str,
        zip_file: &Path,
        time: Option<OffsetDateTime>,
        go_mod: &[u8],
    ) -> Result<Published, PublishError> {
        self.publish_with(
            module,
            version,
            zip_file,
            time,
            Some(go_mod),
            Strictness::Import,
        )
        .await
    }

    /// Removes staged uploads that a killed process left more than `STAGING_ABANDONED_AFTER`
    /// ago; returns how many.
    pub async fn clean_staging(&self) -> Result<usize, StorageError> {
        self.store.clean_staging(STAGING_ABANDONED_AFTER).await
    }

    async fn publish_with(
        &self,
        module: &str,
        version: &str,
        zip_file: &Path,
        time: Option<OffsetDateTime>,
        go_mod: Option<&[u8]>,
        strictness: Strictness,
    ) -> Result<Published, PublishError> {
        gomod::check(module, version).map_err(|e| PublishError::Invalid(e.to_string()))?;
        check_incompatible(module, version)?;
        check_pseudo_version(module, version)?;
        let checked = check_zip_file(module, version, zip_file.to_owned(), strictness).await?;
        if go_mod.is_some_and(|expected| expected != &checked.go_mod[..]) {
            return Err(PublishError::Invalid(format!(
                "{module}@{version}: the .mod file differs from the zip's go.mod"
            )));
        }
        let lock = self.lock_for(module);
        let _guard = lock.lock().await;

        let info_key = key(module, version, VersionFile::Info)?;
        if self.store.read(&info_key).await?.is_some() {
            return self.compare_with_existing(module, version, &checked).await;
        }

        // The zip is uploaded before anything is claimed: a large upload takes a while, and a
        // publish killed meanwhile must leave nothing under the version's names.
        let zip_key = key(module, version, VersionFile::Zip)?;
        let staged = self.store.stage_file(&zip_key, zip_file).await?;
        let placed = self
            .claim_and_place(module, version, &checked.h1, &staged)
            .await;
        self.store.discard(staged).await;
        placed?;
        let mod_key = key(module, version, VersionFile::Mod)?;
        self.store.put(&mod_key, checked.go_mod.clone()).await?;

        let time = time.unwrap_or_else(OffsetDateTime::now_utc);
        let info = info_json(version, time)?;
        if self.store.put_new(&info_key, info).await? == Created::Existed {
            // Another process finished the same version meanwhile.
            return self.compare_with_existing(module, version, &checked).await;
        }
        self.add_to_list(module, version).await?;
        tracing::info!(module, version, h1 = %checked.h1, "published");
        Ok(Published {
            module: module.to_owned(),
            version: version.to_owned(),
            h1: checked.h1,
            gomod_h1: checked.gomod_h1,
            created: true,
        })
    }

    /// Stores the `.info` and `.mod` of a version fetched from upstream and checked by the
    /// caller: `.mod` first and `.info` last, both create-only, so the version becomes visible
    /// whole; a concurrent fetch of the same version (another replica) writes the same bytes.
    pub(crate) async fn store_fetched(
        &self,
        module: &str,
        version: &str,
        info: Bytes,
        go_mod: Bytes,
    ) -> Result<(), PublishError> {
        self.store
            .put_new(&key(module, version, VersionFile::Mod)?, go_mod)
            .await?;
        let info_key = key(module, version, VersionFile::Info)?;
        if self.store.put_new(&info_key, info).await? == Created::Existed {
            return Ok(());
        }
        let lock = self.lock_for(module);
        let _guard = lock.lock().await;
        self.add_to_list(module, version).await
    }

    /// Stores the zip of a fetched version (its `.info` and `.mod` are stored already) and its
    /// `.ziphash`; `h1` is the zip's hash, checked by the caller.
    pub(crate) async fn store_fetched_zip(
        &self,
        module: &str,
        version: &str,
        zip_file: &Path,
        h1: &str,
    ) -> Result<(), PublishError> {
        let zip_key = key(module, version, VersionFile::Zip)?;
        if self.store.put_file_new(&zip_key, zip_file).await? == Created::Existed {
            return Ok(());
        }
        self.store
            .put(
                &ziphash_key(module, version)?,
                Bytes::from(format!("{h1}\n")),
            )
            .await?;
        Ok(())
    }

    /// Claims the version for this zip, then moves the staged zip into place.
    ///
    /// The claim is the `.ziphash`, written create-only: a small conditional PUT, which every
    /// S3-compatible store we met makes atomic, where a conditional move of a large object is
    /// not always (SeaweedFS let two replicas both "create" the same zip). Only publishers of
    /// the claimed bytes go on to write the zip; others lose the race.
    async fn claim_and_place(
        &self,
        module: &str,
        version: &str,
        h1: &str,
        staged: &Staged,
    ) -> Result<(), PublishError> {
        let try_again = || {
            PublishError::Conflict(format!(
                "{module}@{version} is being published with other bytes (or an interrupted publish left it less than {}s ago); try again",
                ABANDONED_AFTER.as_secs()
            ))
        };
        let claim_key = ziphash_key(module, version)?;
        let claim = Bytes::from(format!("{h1}\n"));
        if self.store.put_new(&claim_key, claim.clone()).await? == Created::Existed {
            let claimed = self.store.read(&claim_key).await?.unwrap_or_default();
            if String::from_utf8_lossy(&claimed).trim() != h1 {
                // Another publisher's: live, or dead between its claim and its .info. Only an
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
        let zip_key = key(module, version, VersionFile::Zip)?;
        if self.store.place(staged, &zip_key, Replace::No).await? == Created::New
            || self.stored_zip_hash(&zip_key).await?.as_deref() == Some(h1)
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

    async fn is_abandoned(&self, key: &object_store::path::Path) -> Result<bool, PublishError> {
        Ok(self
            .store
            .age(key)
            .await?
            .is_some_and(|age| age > ABANDONED_AFTER))
    }

    fn lock_for(&self, module: &str) -> Arc<tokio::sync::Mutex<()>> {
        match self.locks.lock() {
            Ok(mut locks) => locks.entry(module.to_owned()).or_default().clone(),
            // A panic elsewhere poisoned the map; a fresh lock keeps publishing possible.
            Err(_) => Arc::default(),
        }
    }

    /// A visible version: success if it holds our bytes, else a conflict naming its hash.
    async fn compare_with_existing(
        &self,
        module: &str,
        version: &str,
        checked: &Checked,
    ) -> Result<Published, PublishError> {
        let zip_key = key(module, version, VersionFile::Zip)?;
        let existing_h1 = self.stored_zip_hash(&zip_key).await?;
        let existing_mod = self
            .store
            .read(&key(module, version, VersionFile::Mod)?)
            .await?;
        let same = existing_h1.as_deref() == Some(checked.h1.as_str())
            && existing_mod.as_deref() == Some(&checked.go_mod[..]);
        if !same {
            let h1 = existing_h1.unwrap_or_else(|| "(no zip)".to_owned());
            return Err(PublishError::Conflict(format!(
                "{module}@{version} is already published with {h1}; published versions never change"
            )));
        }
        Ok(Published {
            module: module.to_owned(),
            version: version.to_owned(),
            h1: checked.h1.clone(),
            gomod_h1: checked.gomod_h1.clone(),
            created: false,
        })
    }

    /// The `h1:` of a stored zip, computed from its bytes (a `.ziphash` could be stale or
    /// hand-edited; the zip is the truth). `None` when there is no zip.
    async fn stored_zip_hash(
        &self,
        zip_key: &object_store::path::Path,
    ) -> Result<Option<String>, PublishError> {
        let Some(object) = self.store.open(zip_key).await? else {
            return Ok(None);
        };
        let temp = crate::spool::new_file()
            .map_err(|e| PublishError::Internal(format!("creating a temp file: {e}")))?;
        crate::storage::copy_to_file(object, temp.path())
            .await
            .map_err(|e| PublishError::Internal(format!("reading stored zip {zip_key}: {e}")))?;
        let hashed = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(temp.path())?;
            gomod::hash_zip(std::io::BufReader::new(file))
        })
        .await
        .map_err(|e| PublishError::Internal(e.to_string()))?;
        hashed
            .map(Some)
            .map_err(|e| PublishError::Internal(format!("hashing stored zip {zip_key}: {e}")))
    }

    /// Adds `version` to the `list` file, which `file://` users of the tree read (modgate
    /// itself derives lists from the version files). Pseudo-versions are never listed.
    ///
    /// Another process (a replica, a CLI publish into the same store) may write the file
    /// between our read and our write, without the version it published. So after each write
    /// the file is checked against the versions the store holds and rewritten with any it
    /// lacks: the last writer of a race always ends with a check that sees every version
    /// published before it.
    async fn add_to_list(&self, module: &str, version: &str) -> Result<(), PublishError> {
        let dir = module_dir(module).map_err(|e| PublishError::Invalid(e.to_string()))?;
        let list_key = dir.clone().join("list");
        let mut adding = vec![version.to_owned()];
        for _ in 0..LIST_ROUNDS {
            let current = self.store.read(&list_key).await?.unwrap_or_default();
            let mut versions = list_versions(&current);
            versions.extend(adding.into_iter().filter(|v| !gomod::is_pseudo_version(v)));
            gomod::sort(&mut versions);
            versions.dedup();
            let body: String = versions.iter().map(|v| format!("{v}\n")).collect();
            if body.as_bytes() == &current[..] {
                return Ok(());
            }
            self.store.put(&list_key, Bytes::from(body)).await?;
            adding = visible_versions(&self.store.file_names(&dir).await?);
        }
        // Still changing after all rounds: the next publish of the module mends the file.
        Ok(())
    }
}

fn key(
    module: &str,
    version: &str,
    file: VersionFile,
) -> Result<object_store::path::Path, PublishError> {
    version_key(module, version, file).map_err(|e| PublishError::Invalid(e.to_string()))
}

fn ziphash_key(module: &str, version: &str) -> Result<object_store::path::Path, PublishError> {
    let escaped =
        gomod::escape_version(version).map_err(|e| PublishError::Invalid(e.to_string()))?;
    Ok(module_dir(module)
        .map_err(|e| PublishError::Invalid(e.to_string()))?
        .join(format!("{escaped}.ziphash")))
}

/// `.info` as the go command writes it: RFC 3339 in UTC.
fn info_json(version: &str, time: OffsetDateTime) -> Result<Bytes, PublishError> {
    Info::encode(version, time)
        .map(Bytes::from)
        .map_err(PublishError::Internal)
}

mod check;

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
        let info = info_json("v1.0.0", time).expect("json");
        assert_eq!(
            &info[..],
            br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#
        );
    }
}
