//! The store: what we hold, over object_store, in the `$GOPATH/pkg/mod/cache/download` layout.
//!
//! Storage knows the layout of keys and nothing of HTTP. Missing objects are `Ok(None)`;
//! every other failure is a `StorageError`, so a broken disk or bucket can never be mistaken
//! for "not here".

mod layout;
mod local;
mod modules;
mod object;
mod open;

use std::path::Path as FsPath;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;

use futures::TryStreamExt;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RenameOptions,
    RenameTargetMode, WriteMultipart,
};
use tokio::io::AsyncReadExt;

pub(crate) use layout::{
    VersionFile, last_use_dir, last_use_file, last_use_version, list_file, module_dir, module_root,
    origin_dir, origin_file, origin_version, sumdb_file, token_file, tokens_dir, tombstone_file,
    tombstone_of, tombstones_dir, ui_session_key, version_file, versions_with_zips,
    visible_versions,
};
pub(crate) use local::file_chunks;
pub(crate) use object::{ObjectBody, StoredObject, copy_to_file};
pub(crate) use open::StoreSettings;

/// A storage failure, with the object key it concerns.
#[derive(Debug, thiserror::Error)]
#[error("storage {key}: {source}")]
pub(crate) struct StorageError {
    key: String,
    #[source]
    source: object_store::Error,
}

impl StorageError {
    fn new(key: &Path, source: object_store::Error) -> Self {
        StorageError {
            key: key.to_string(),
            source,
        }
    }

    fn local(key: &Path, source: std::io::Error) -> Self {
        StorageError::new(
            key,
            object_store::Error::Generic {
                store: "local file",
                source: Box::new(source),
            },
        )
    }
}

/// Where large uploads are assembled before they are moved into place in one step. Outside every
/// module directory, so a crash mid-upload leaves nothing a reader or a later publish can see.
const STAGING_DIR: &str = ".modgate-staging";

/// Chunk size for streaming a local file into the store.
const UPLOAD_CHUNK: usize = 8 * 1024 * 1024;

/// The outcome of a create-only write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Created {
    /// The object did not exist and now holds our bytes.
    New,
    /// The object existed already; nothing was written.
    Existed,
}

/// The store, cheap to clone.
#[derive(Clone)]
pub(crate) struct Store {
    objects: Arc<dyn ObjectStore>,
    description: String,
    /// The directory of a directory store: files are read from it directly (see `local`), and
    /// cleaning the staging area needs it, as object_store's listing hides the `name#N` files
    /// that an interrupted local upload leaves.
    local_root: Option<std::path::PathBuf>,
    /// How many writes this process has made through any clone: lets a cache of absent
    /// objects know that something may have appeared since it looked.
    writes: Arc<AtomicU64>,
}

impl Store {
    /// A directory store; the directory is created if missing.
    pub fn directory(dir: &FsPath) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let objects = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Store {
            objects: Arc::new(objects),
            description: format!("directory {}", dir.display()),
            local_root: Some(dir.to_owned()),
            writes: Arc::default(),
        })
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// Changes whenever this process writes or deletes anything in the store.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Acquire)
    }

    /// The whole object, for the small files (`.info`, `.mod`, `list`).
    pub async fn read(&self, key: &Path) -> Result<Option<Bytes>, StorageError> {
        if let Some(root) = &self.local_root {
            return local::read(root.join(key.as_ref()))
                .await
                .map_err(|e| StorageError::local(key, e));
        }
        match self.objects.get(key).await {
            Ok(result) => result
                .bytes()
                .await
                .map(Some)
                .map_err(|e| StorageError::new(key, e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// The object as a stream, for zips: memory stays constant whatever the size.
    pub async fn open(&self, key: &Path) -> Result<Option<StoredObject>, StorageError> {
        if let Some(root) = &self.local_root {
            let opened = local::open(root.join(key.as_ref()))
                .await
                .map_err(|e| StorageError::local(key, e))?;
            return Ok(opened.map(|object| StoredObject {
                key: key.clone(),
                ..object
            }));
        }
        match self.objects.get_opts(key, GetOptions::default()).await {
            Ok(result) => {
                let size = result.meta.size;
                let etag = result.meta.e_tag.clone();
                let last_modified = Some(result.meta.last_modified.into());
                Ok(Some(StoredObject {
                    size,
                    etag,
                    last_modified,
                    body: ObjectBody::Stream(result.into_stream()),
                    key: key.clone(),
                    reopen: Some(self.objects.clone()),
                }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// The file names directly inside `dir`.
    pub async fn file_names(&self, dir: &Path) -> Result<Vec<String>, StorageError> {
        if let Some(root) = &self.local_root {
            return local::file_names(root.join(dir.as_ref()))
                .await
                .map_err(|e| StorageError::local(dir, e));
        }
        let listing = self
            .objects
            .list_with_delimiter(Some(dir))
            .await
            .map_err(|e| StorageError::new(dir, e));
        let listing = match listing {
            Ok(listing) => listing,
            // A directory that is not there holds nothing; that is not a failure.
            Err(StorageError {
                source: object_store::Error::NotFound { .. },
                ..
            }) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(listing
            .objects
            .into_iter()
            .filter_map(|meta| meta.location.filename().map(str::to_owned))
            .collect())
    }

    /// For a directory store, when `dir` last gained or lost a file; `DirStamp::None` for an
    /// object store, whose prefixes have no such date.
    pub async fn dir_stamp(&self, dir: &Path) -> Result<DirStamp, StorageError> {
        let Some(root) = &self.local_root else {
            return Ok(DirStamp::None);
        };
        match local::dir_modified(root.join(dir.as_ref())).await {
            Ok(Some(modified)) => Ok(DirStamp::Modified(modified)),
            Ok(None) => Ok(DirStamp::Missing),
            Err(e) => Err(StorageError::local(dir, e)),
        }
    }

    /// Every key under `prefix` (recursively), for building the index of modules we hold.
    pub async fn keys(&self, prefix: Option<&Path>) -> Result<Vec<Path>, StorageError> {
        self.objects
            .list(prefix)
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| StorageError::new(prefix.unwrap_or(&Path::default()), e))
    }

    /// The greatest key under `prefix` that sorts after `after`, if any.
    pub async fn last_key_after(
        &self,
        prefix: &Path,
        after: &Path,
    ) -> Result<Option<Path>, StorageError> {
        let mut listing = self.objects.list_with_offset(Some(prefix), after);
        let mut last: Option<Path> = None;
        loop {
            match listing.try_next().await {
                Ok(Some(meta)) => {
                    if last.as_ref().is_none_or(|l| meta.location > *l) {
                        last = Some(meta.location);
                    }
                }
                Ok(None) => return Ok(last),
                // Nothing written under the prefix yet.
                Err(object_store::Error::NotFound { .. }) => return Ok(last),
                Err(e) => return Err(StorageError::new(prefix, e)),
            }
        }
    }

    /// Writes `bytes` at `key` unless something is there already: atomic and create-only, so
    /// two writers racing for one version cannot both win.
    pub async fn put_new(&self, key: &Path, bytes: Bytes) -> Result<Created, StorageError> {
        let _counted = WriteCount(self);
        let options = PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        match self
            .objects
            .put_opts(key, PutPayload::from(bytes), options)
            .await
        {
            Ok(_) => Ok(Created::New),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Created::Existed),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// Replaces `key` atomically: readers see the old bytes or the new, never a mix.
    pub async fn put(&self, key: &Path, bytes: Bytes) -> Result<(), StorageError> {
        let _counted = WriteCount(self);
        self.objects
            .put(key, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| StorageError::new(key, e))
    }

    /// Streams a local file to `key`, create-only: the bytes go to a staging object first,
    /// which is then moved into place without overwriting. Memory stays constant.
    pub async fn put_file_new(&self, key: &Path, file: &FsPath) -> Result<Created, StorageError> {
        let staged = self.stage_file(key, file).await?;
        let placed = self.place(&staged, key, Replace::No).await;
        self.discard(staged).await;
        placed
    }

    /// Streams a local file to a staging object, to be moved into place with [`Store::place`]
    /// (a large zip takes a while to upload; the move is quick). `key` names it in errors.
    pub async fn stage_file(&self, key: &Path, file: &FsPath) -> Result<Staged, StorageError> {
        let name = unique_name();
        let staging = Path::from_iter([STAGING_DIR, &name]);
        let io_error = |e: std::io::Error| StorageError::local(key, e);
        if let Some(root) = &self.local_root {
            // A directory store: the file is copied by the kernel, where object_store's
            // multipart upload would assemble it in memory, 8 MiB parts at a time.
            let to = root.join(STAGING_DIR).join(&name);
            local::copy_new(file.to_owned(), to)
                .await
                .map_err(io_error)?;
            return Ok(Staged(staging));
        }
        let mut reader = tokio::fs::File::open(file).await.map_err(io_error)?;
        let upload = self
            .objects
            .put_multipart(&staging)
            .await
            .map_err(|e| StorageError::new(&staging, e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, UPLOAD_CHUNK);
        let mut buffer = vec![0u8; 1024 * 1024];
        loop {
            let read = match reader.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io_error(e));
                }
            };
            writer
                .wait_for_capacity(2)
                .await
                .map_err(|e| StorageError::new(&staging, e))?;
            writer.write(&buffer[..read]);
        }
        writer
            .finish()
            .await
            .map_err(|e| StorageError::new(&staging, e))?;
        Ok(Staged(staging))
    }

    /// Moves a staged file to `key`: create-only unless `replace`; atomic either way.
    pub async fn place(
        &self,
        staged: &Staged,
        key: &Path,
        replace: Replace,
    ) -> Result<Created, StorageError> {
        let _counted = WriteCount(self);
        let options = RenameOptions {
            target_mode: match replace {
                Replace::No => RenameTargetMode::Create,
                Replace::Yes => RenameTargetMode::Overwrite,
            },
            ..RenameOptions::default()
        };
        match self.objects.rename_opts(&staged.0, key, options).await {
            Ok(()) => Ok(Created::New),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(Created::Existed),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// Removes a staged file that was not moved into place (a no-op after a move).
    pub async fn discard(&self, staged: Staged) {
        let _ = self.objects.delete(&staged.0).await;
    }

    /// The object's size in bytes; `None` when it does not exist.
    pub async fn size(&self, key: &Path) -> Result<Option<u64>, StorageError> {
        match self.objects.head(key).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// How long ago the object was last written; `None` when it does not exist.
    pub async fn age(&self, key: &Path) -> Result<Option<Duration>, StorageError> {
        match self.objects.head(key).await {
            Ok(meta) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let written = u64::try_from(meta.last_modified.timestamp()).unwrap_or(0);
                Ok(Some(Duration::from_secs(now.saturating_sub(written))))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// Deletes what uploads left in the staging area more than `older_than` ago, and returns
    /// how many. A process killed while streaming a zip into the store leaves its partial
    /// object there, invisible to readers and to later publishes, and nothing else would ever
    /// remove it; uploads still in progress are younger than `older_than`.
    pub async fn clean_staging(&self, older_than: Duration) -> Result<usize, StorageError> {
        let cutoff = std::time::SystemTime::now()
            .checked_sub(older_than)
            .unwrap_or(std::time::UNIX_EPOCH);
        let staging = Path::from(STAGING_DIR);
        if let Some(root) = &self.local_root {
            let dir = root.join(STAGING_DIR);
            // Every file there is an upload's, the `#N` partial files included.
            return tokio::task::spawn_blocking(move || {
                crate::sweep::remove_files_older_than(&dir, cutoff, |_| true)
            })
            .await
            .map_err(|e| StorageError::new(&staging, object_store::Error::JoinError { source: e }))?
            .map_err(|e| {
                StorageError::new(
                    &staging,
                    object_store::Error::Generic {
                        store: "local staging",
                        source: Box::new(e),
                    },
                )
            });
        }
        let cutoff = cutoff
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let old: Vec<Path> = self
            .objects
            .list(Some(&staging))
            .try_filter(|meta| futures::future::ready(meta.last_modified.timestamp() < cutoff))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| StorageError::new(&staging, e))?;
        for key in &old {
            self.delete(key).await?;
        }
        Ok(old.len())
    }

    pub async fn delete(&self, key: &Path) -> Result<(), StorageError> {
        let _counted = WriteCount(self);
        match self.objects.delete(key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// Fails when the store cannot be reached, for `/readyz`.
    pub async fn check(&self) -> Result<(), StorageError> {
        self.objects
            .list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(|e| StorageError::new(&Path::default(), e))
    }
}

/// What [`Store::dir_stamp`] knows of a directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DirStamp {
    /// Its mtime: it changes whenever a file is created, removed or renamed in it.
    Modified(std::time::SystemTime),
    Missing,
    /// An object store: prefixes have no date.
    None,
}

/// Counts a write when it is over, however it ends: a reader that noted `Store::writes` before
/// looking sees the change once the write can be seen.
struct WriteCount<'a>(&'a Store);

impl Drop for WriteCount<'_> {
    fn drop(&mut self) {
        self.0.writes.fetch_add(1, Ordering::AcqRel);
    }
}

/// Whether `key` is modgate's own rather than the module tree's: under `.modgate-staging/`
/// (uploads being assembled, or abandoned by a crash) or `.modgate/` (git mirrors). No module
/// path starts with a dot, so these never collide with a module's files.
pub(crate) fn is_reserved(key: &Path) -> bool {
    key.parts()
        .next()
        .is_some_and(|first| first.as_ref().starts_with(".modgate"))
}

/// A file uploaded to the staging area, not yet under its key.
#[derive(Debug)]
pub(crate) struct Staged(Path);

/// Whether [`Store::place`] may replace what is at the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replace {
    No,
    Yes,
}

/// A name no other upload uses: time, process and a counter.
fn unique_name() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{nanos:x}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests;
