//! Deleted versions through the service: `delete` and `restore` (admins, and the CLI as the
//! operator), and the tombstones held in memory that every answer is checked against.
//!
//! The tombstones are listed from the store at start and again every
//! [`TOMBSTONES_REFRESH`] in the background, so a delete on another replica shows here within
//! seconds; a delete here shows at once. Checking one is a hash lookup (none at all while
//! nothing is deleted): the kept answers' path asks it on every hit.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use gomod::{ModulePath, ModuleVersion};

use super::publish::write_refusal;
use super::{Caller, Failure, FailureKind, Published, Refusal, Service};
use crate::storage::Store;
use crate::writer::{Strictness, Tombstone, WriteError, check, read_tombstone, tombstone_keys};

/// How often the tombstones are listed again: how long another replica's delete may take to
/// show here.
pub(crate) const TOMBSTONES_REFRESH: Duration = Duration::from_secs(2);

/// A reason is one line for the go command to show.
const MAX_REASON_LEN: usize = 300;

/// The deleted versions this process knows of.
#[derive(Default)]
pub(super) struct Tombstones {
    /// Whether there is any: the common case costs one atomic load.
    any: AtomicBool,
    /// By module, then by version: looked up with what a request holds, building nothing.
    by_module: RwLock<HashMap<ModulePath, HashMap<String, Arc<Tombstone>>>>,
}

impl Tombstones {
    /// The tombstone of `version` of `module`, if it is deleted.
    pub fn get(&self, module: &ModulePath, version: &str) -> Option<Arc<Tombstone>> {
        if !self.any.load(Ordering::Acquire) {
            return None;
        }
        let map = self
            .by_module
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(module)?.get(version).cloned()
    }

    fn insert(&self, version: &ModuleVersion, tombstone: Arc<Tombstone>) {
        let mut map = self
            .by_module
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        map.entry(version.path().clone())
            .or_default()
            .insert(version.version().to_string(), tombstone);
        self.any.store(true, Ordering::Release);
    }

    fn remove(&self, version: &ModuleVersion) {
        let mut map = self
            .by_module
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(versions) = map.get_mut(version.path()) {
            versions.remove(version.version().as_str());
            if versions.is_empty() {
                map.remove(version.path());
            }
        }
        self.any.store(!map.is_empty(), Ordering::Release);
    }

    fn known(&self) -> HashSet<ModuleVersion> {
        let map = self
            .by_module
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        map.values()
            .flat_map(|versions| versions.values())
            .filter_map(|t| ModuleVersion::parse(&t.module, &t.version).ok())
            .collect()
    }

    /// Lists the store's tombstones, reading only those not known yet, and forgets those
    /// gone (restored).
    pub async fn refresh(&self, store: &Store) -> Result<(), WriteError> {
        // Known before listing: one this process adds meanwhile is not forgotten for being
        // missing from a listing made before it was written.
        let known = self.known();
        let listed: HashSet<ModuleVersion> = tombstone_keys(store)
            .await?
            .into_iter()
            .map(|(version, _)| version)
            .collect();
        let mut read = Vec::new();
        for version in listed.difference(&known) {
            if let Some(tombstone) = read_tombstone(store, version).await? {
                read.push((version.clone(), Arc::new(tombstone)));
            }
        }
        for version in known.difference(&listed) {
            self.remove(version);
        }
        for (version, tombstone) in read {
            self.insert(&version, tombstone);
        }
        Ok(())
    }
}

impl Service {
    /// Deletes `version` for `reason` (admins): from now on it answers 410 with the reason.
    pub async fn delete_version(
        &self,
        caller: &Caller,
        version: &ModuleVersion,
        reason: &str,
    ) -> Result<Tombstone, Refusal> {
        let outcome = self.delete_checked(caller, version, reason).await;
        self.audit_result(caller, "delete", &version.to_string(), &outcome);
        outcome
    }

    async fn delete_checked(
        &self,
        caller: &Caller,
        version: &ModuleVersion,
        reason: &str,
    ) -> Result<Tombstone, Refusal> {
        self.require_admin(caller)?;
        let reason = reason.trim();
        if reason.is_empty()
            || reason.len() > MAX_REASON_LEN
            || reason.chars().any(char::is_control)
        {
            return Err(Refusal::Malformed(format!(
                "a reason is required: one line of at most {MAX_REASON_LEN} bytes"
            )));
        }
        if self.routes.find(version.path().as_str()).is_none() {
            return Err(Refusal::NotFound(format!(
                "{}: no route of this proxy serves it",
                version.path()
            )));
        }
        match self.writer.delete(version, reason, caller.name()).await {
            Ok(Some(tombstone)) => {
                self.tombstones.insert(version, Arc::new(tombstone.clone()));
                Ok(tombstone)
            }
            Ok(None) => Err(Refusal::NotFound(format!(
                "{version}: not stored here; nothing to delete"
            ))),
            Err(e) => Err(write_refusal(version, e).reported()),
        }
    }

    /// Restores a deleted version from `zip` (admins): only the bytes it was deleted with.
    pub async fn restore_version(
        &self,
        caller: &Caller,
        version: &ModuleVersion,
        zip: std::path::PathBuf,
    ) -> Result<Published, Refusal> {
        let outcome = self.restore_checked(caller, version, zip).await;
        self.audit_result(caller, "restore", &version.to_string(), &outcome);
        outcome
    }

    async fn restore_checked(
        &self,
        caller: &Caller,
        version: &ModuleVersion,
        zip: std::path::PathBuf,
    ) -> Result<Published, Refusal> {
        self.require_admin(caller)?;
        let refusal = |e| write_refusal(version, e).reported();
        let zip = check::zip(version, zip, Strictness::Upload)
            .await
            .map_err(refusal)?;
        let published = self
            .writer
            .restore(version, &zip, caller.name())
            .await
            .map_err(refusal)?;
        self.tombstones.remove(version);
        Ok(published)
    }

    /// Why `version` is not served, if it was deleted: a hash lookup in memory, for answers
    /// kept from before and for every request for a version.
    pub fn deleted(&self, module: &ModulePath, version: &str) -> Option<Refusal> {
        self.tombstones
            .get(module, version)
            .map(|tombstone| Refusal::Gone(tombstone.answer()))
    }

    /// Lists the tombstones now (at start), then every [`TOMBSTONES_REFRESH`]; runs until the
    /// process ends.
    pub async fn watch_tombstones(&self) {
        loop {
            if let Err(e) = self.refresh_tombstones().await {
                tracing::warn!(cause = %e, "listing deleted versions failed; trying again");
            }
            tokio::time::sleep(TOMBSTONES_REFRESH).await;
        }
    }

    /// Lists the tombstones once.
    pub async fn refresh_tombstones(&self) -> Result<(), Failure> {
        self.tombstones
            .refresh(&self.store)
            .await
            .map_err(|e| Failure::new(FailureKind::Storage, "deleted versions", e))
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::config::Config;
    use crate::service::{Answer, Request, Upload};

    /// A service over `dir/store`: what a replica is, another process on the same store.
    fn replica(dir: &Path) -> Service {
        let text = "[[route]]\nprefix = \"corp.example\"\n";
        let config = Config::for_test(text, dir, Some(dir.join("store"))).expect("a valid config");
        crate::app::service(&config, None).expect("the service")
    }

    /// The zip of corp.example/m@v1.0.0 holding `text`.
    fn zip(dir: &Path, text: &str) -> PathBuf {
        let source = dir.join(format!("src-{}", text.len()));
        std::fs::create_dir_all(&source).expect("dir");
        std::fs::write(source.join("go.mod"), "module corp.example/m\n").expect("go.mod");
        std::fs::write(source.join("m.go"), text).expect("m.go");
        let path = dir.join(format!("m-{}.zip", text.len()));
        let file = std::fs::File::create(&path).expect("zip");
        gomod::create_from_dir(file, "corp.example/m", "v1.0.0", &source).expect("zipped");
        path
    }

    fn upload(zip: PathBuf) -> Upload {
        Upload {
            version: ModuleVersion::parse("corp.example/m", "v1.0.0").expect("valid"),
            zip,
            time: None,
        }
    }

    #[tokio::test]
    async fn a_delete_shows_at_once_here_and_at_a_refresh_on_a_replica() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (here, there) = (replica(dir.path()), replica(dir.path()));
        let operator = Caller::operator();
        let (same, other) = (
            zip(dir.path(), "package m\n"),
            zip(dir.path(), "package m // other\n"),
        );
        let version = upload(same.clone()).version;
        let request = Request::Zip(version.clone());
        here.publish(&operator, upload(same.clone()))
            .await
            .expect("published");
        assert!(there.get(&operator, Ok(&request)).await.is_ok());

        let tombstone = here
            .delete_version(&operator, &version, "withdrawn")
            .await
            .expect("deleted");
        assert_eq!(tombstone.reason, "withdrawn");
        let gone = |answer: Result<Answer, Refusal>| match answer {
            Err(Refusal::Gone(line)) => line,
            Err(other) => panic!("not gone: {other}"),
            Ok(_) => panic!("still served"),
        };
        assert!(gone(here.get(&operator, Ok(&request)).await).ends_with("deleted: withdrawn"));
        // The replica holds no tombstone until it lists them; the files are gone already.
        assert!(there.deleted(version.path(), "v1.0.0").is_none());
        there.refresh_tombstones().await.expect("listed");
        assert!(gone(there.get(&operator, Ok(&request)).await).contains("withdrawn"));
        for bytes in [same.clone(), other.clone()] {
            assert!(matches!(
                there.publish(&operator, upload(bytes)).await,
                Err(Refusal::Gone(_))
            ));
        }

        // Only the same bytes come back, and the other replica learns it at its next listing.
        let refused = here.restore_version(&operator, &version, other).await;
        assert!(matches!(refused, Err(Refusal::Conflict(_))));
        let restored = here
            .restore_version(&operator, &version, same)
            .await
            .expect("restored");
        assert_eq!(restored.h1, tombstone.h1.expect("the zip's h1"));
        assert!(here.get(&operator, Ok(&request)).await.is_ok());
        there.refresh_tombstones().await.expect("listed");
        assert!(there.get(&operator, Ok(&request)).await.is_ok());
    }
}
