//! Serving from the store as it is: a `cache/download` tree, ours or copied from a module cache.
//!
//! A version is served only once its `.info` exists (the writer writes it last). `.info` and
//! `.mod` of visible versions never change, so they are kept in memory: the `go` command asks
//! for them far more often than for zips. A module's versions are listed once and reused while
//! they cannot have changed (`listing.rs`).

use async_trait::async_trait;
use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};

use super::listing::Listings;
use super::{Source, SourceError};
use crate::memory::{self, Kept};
use crate::storage::{Store, StoredObject, VersionFile, module_root, version_file};

pub(crate) struct StoreSource {
    store: Store,
    version_files: Kept<String, Bytes>,
    listings: Listings,
}

impl StoreSource {
    pub fn new(store: Store) -> Self {
        StoreSource {
            listings: Listings::new(
                store.clone(),
                memory::STORED_LIST_FOR,
                memory::STORED_LIST_STALE_FOR,
            ),
            store,
            version_files: Kept::new(memory::VERSION_FILES_BYTES),
        }
    }

    /// A small immutable file, from memory when it was read before.
    async fn small_file(
        &self,
        version: &ModuleVersion,
        file: VersionFile,
    ) -> Result<Option<Bytes>, SourceError> {
        let key = version_file(version, file);
        if let Some(bytes) = self.version_files.get(key.as_ref()) {
            return Ok(Some(bytes));
        }
        let read = self.store.read(&key).await?;
        if let Some(bytes) = &read
            && bytes.len() <= memory::MAX_KEPT_VERSION_FILE
        {
            self.version_files.keep(key.to_string(), bytes.clone());
        }
        Ok(read)
    }

    async fn is_visible(&self, version: &ModuleVersion) -> Result<bool, SourceError> {
        Ok(self.small_file(version, VersionFile::Info).await?.is_some())
    }
}

#[async_trait]
impl Source for StoreSource {
    async fn versions(&self, module: &ModulePath) -> Result<Option<Vec<Version>>, SourceError> {
        let listed = self.listings.versions(module).await?;
        Ok(listed.map(|versions| versions.to_vec()))
    }

    async fn info(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        self.small_file(version, VersionFile::Info).await
    }

    async fn go_mod(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        if !self.is_visible(version).await? {
            return Ok(None);
        }
        self.small_file(version, VersionFile::Mod).await
    }

    async fn zip(&self, version: &ModuleVersion) -> Result<Option<StoredObject>, SourceError> {
        if !self.is_visible(version).await? {
            return Ok(None);
        }
        Ok(self
            .store
            .open(&version_file(version, VersionFile::Zip))
            .await?)
    }

    fn forget(&self, version: &ModuleVersion) {
        for file in [VersionFile::Info, VersionFile::Mod] {
            self.version_files
                .forget(version_file(version, file).as_ref());
        }
    }

    async fn modules(&self, prefix: &str) -> Result<Vec<ModulePath>, SourceError> {
        let under = if prefix.is_empty() {
            None
        } else {
            match ModulePath::new(prefix) {
                Ok(prefix) => Some(module_root(&prefix)),
                // A route prefix is a checked path; anything else holds nothing.
                Err(_) => return Ok(Vec::new()),
            }
        };
        Ok(self.store.modules(under.as_ref()).await?)
    }
}
