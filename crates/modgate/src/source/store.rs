//! Serving from the store as it is: a `cache/download` tree, ours or copied from a module cache.
//!
//! A version is served only once its `.info` exists (publishing writes it last). `.info` and
//! `.mod` of visible versions never change, so they are kept in memory: the `go` command asks
//! for them far more often than for zips, and a hit costs no storage round trip at all.
//! Absent ones are remembered for a moment, so a flood of requests for what is not here (import
//! probes, scanners) does not become a flood of storage reads.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use object_store::path::Path;
use quick_cache::Weighter;
use quick_cache::sync::Cache;

use super::{Source, SourceError};
use crate::storage::{Store, StoredObject, VersionFile, module_dir, version_key, visible_versions};

/// Memory for cached `.info` and `.mod` files: thousands of versions, well inside the RSS a
/// proxy should need. The HTTP layer keeps the answers it serves most itself, so this serves
/// zips' visibility checks, `@latest` and the rest.
const SMALL_FILE_CACHE_BYTES: u64 = 4 << 20;
/// Larger files are read from the store each time rather than crowd out the rest.
const MAX_CACHED_FILE: usize = 64 << 10;
/// How many entries to plan for: sizes the cache's tables, not its memory bound.
const ESTIMATED_ENTRIES: usize = 16 * 1024;
/// How long a file found absent is taken to be absent. Publishing through this process makes
/// it look again at once; a version published through another replica on the same bucket
/// shows up here within this time.
const ABSENT_FOR: Duration = Duration::from_secs(1);
/// How many absent files are remembered at most.
const MAX_ABSENT: usize = 4096;

/// Weighs an entry by its key and bytes.
#[derive(Clone)]
struct ByteWeight;

impl Weighter<String, Bytes> for ByteWeight {
    fn weight(&self, key: &String, value: &Bytes) -> u64 {
        (key.len() + value.len()) as u64
    }
}

pub(crate) struct StoreSource {
    store: Store,
    small_files: Cache<String, Bytes, ByteWeight>,
    /// Key → when it was found absent, and `Store::writes` before that read.
    absent: Cache<String, (Instant, u64)>,
}

impl StoreSource {
    pub fn new(store: Store) -> Self {
        StoreSource {
            store,
            small_files: Cache::with_weighter(
                ESTIMATED_ENTRIES,
                SMALL_FILE_CACHE_BYTES,
                ByteWeight,
            ),
            absent: Cache::new(MAX_ABSENT),
        }
    }

    /// A small immutable file, from memory when it was read before.
    async fn small_file(
        &self,
        module: &str,
        version: &str,
        file: VersionFile,
    ) -> Result<Option<Bytes>, SourceError> {
        // The caller has validated both, so a key error cannot happen; treat it as absent.
        let Ok(key) = version_key(module, version, file) else {
            return Ok(None);
        };
        if let Some(bytes) = self.small_files.get(key.as_ref()) {
            return Ok(Some(bytes));
        }
        let writes = self.store.writes();
        if let Some((at, seen_writes)) = self.absent.get(key.as_ref())
            && at.elapsed() < ABSENT_FOR
            && seen_writes == writes
        {
            return Ok(None);
        }
        let read = self.store.read(&key).await?;
        match &read {
            Some(bytes) if bytes.len() <= MAX_CACHED_FILE => {
                self.small_files.insert(key.to_string(), bytes.clone());
            }
            Some(_) => {}
            None => self
                .absent
                .insert(key.to_string(), (Instant::now(), writes)),
        }
        Ok(read)
    }

    async fn is_visible(&self, module: &str, version: &str) -> Result<bool, SourceError> {
        Ok(self
            .small_file(module, version, VersionFile::Info)
            .await?
            .is_some())
    }
}

#[async_trait]
impl Source for StoreSource {
    async fn versions(&self, module: &str) -> Result<Option<Vec<String>>, SourceError> {
        let Ok(dir) = module_dir(module) else {
            return Ok(None);
        };
        let names = self.store.file_names(&dir).await?;
        if names.is_empty() {
            return Ok(None);
        }
        Ok(Some(visible_versions(&names)))
    }

    async fn info(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError> {
        self.small_file(module, version, VersionFile::Info).await
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError> {
        if !self.is_visible(module, version).await? {
            return Ok(None);
        }
        self.small_file(module, version, VersionFile::Mod).await
    }

    async fn zip(&self, module: &str, version: &str) -> Result<Option<StoredObject>, SourceError> {
        if !self.is_visible(module, version).await? {
            return Ok(None);
        }
        let Ok(key) = version_key(module, version, VersionFile::Zip) else {
            return Ok(None);
        };
        Ok(self.store.open(&key).await?)
    }

    async fn modules(&self, prefix: &str) -> Result<Vec<String>, SourceError> {
        let prefix = if prefix.is_empty() {
            None
        } else {
            match gomod::escape_path(prefix).map(Path::parse) {
                Ok(Ok(path)) => Some(path),
                _ => return Ok(Vec::new()),
            }
        };
        let keys = self.store.keys(prefix.as_ref()).await?;
        let mut modules: Vec<String> = keys
            .iter()
            .filter_map(|key| key.as_ref().split_once("/@v/"))
            .filter_map(|(escaped, _)| gomod::unescape_path(escaped).ok())
            .collect();
        modules.sort_unstable();
        modules.dedup();
        Ok(modules)
    }
}
