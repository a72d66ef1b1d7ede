//! The store: what we hold, over object_store, in the `$GOPATH/pkg/mod/cache/download` layout.
//!
//! Storage knows the layout of keys and nothing of HTTP. Missing objects are `Ok(None)`;
//! every other failure is a `StorageError`, so a broken disk or bucket can never be mistaken
//! for "not here".

mod layout;

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures::TryStreamExt;
use futures::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RenameOptions,
    RenameTargetMode, WriteMultipart,
};
use tokio::io::AsyncReadExt;

pub(crate) use layout::{VersionFile, module_dir, version_key};

/// A storage failure, with the object key it concerns.
#[derive(Debug, thiserror::Error)]
#[error("storage {key}: {source}")]
pub struct StorageError {
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

/// An object opened for streaming: its size and entity tag, then its bytes.
pub(crate) struct StoredObject {
    pub size: u64,
    pub etag: Option<String>,
    pub body: BoxStream<'static, Result<Bytes, object_store::Error>>,
}

/// The store, cheap to clone.
#[derive(Clone)]
pub(crate) struct Store {
    objects: Arc<dyn ObjectStore>,
    description: String,
}

impl Store {
    /// A directory store; the directory is created if missing.
    pub fn directory(dir: &FsPath) -> std::io::Result<Store> {
        std::fs::create_dir_all(dir)?;
        let objects = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Store {
            objects: Arc::new(objects),
            description: format!("directory {}", dir.display()),
        })
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    /// The whole object, for the small files (`.info`, `.mod`, `list`).
    pub async fn read(&self, key: &Path) -> Result<Option<Bytes>, StorageError> {
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
        match self.objects.get_opts(key, GetOptions::default()).await {
            Ok(result) => Ok(Some(StoredObject {
                size: result.meta.size,
                etag: result.meta.e_tag.clone(),
                body: result.into_stream(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(StorageError::new(key, e)),
        }
    }

    /// The file names directly inside `dir`.
    pub async fn file_names(&self, dir: &Path) -> Result<Vec<String>, StorageError> {
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

    /// Every key under `prefix` (recursively), for building the index of modules we hold.
    pub async fn keys(&self, prefix: Option<&Path>) -> Result<Vec<Path>, StorageError> {
        self.objects
            .list(prefix)
            .map_ok(|meta| meta.location)
            .try_collect()
            .await
            .map_err(|e| StorageError::new(prefix.unwrap_or(&Path::default()), e))
    }

    /// Writes `bytes` at `key` unless something is there already: atomic and create-only, so
    /// two writers racing for one version cannot both win.
    pub async fn put_new(&self, key: &Path, bytes: Bytes) -> Result<Created, StorageError> {
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
        self.objects
            .put(key, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| StorageError::new(key, e))
    }

    /// Streams a local file to `key`, create-only: the bytes go to a staging object first,
    /// which is then moved into place without overwriting. Memory stays constant.
    pub async fn put_file_new(&self, key: &Path, file: &FsPath) -> Result<Created, StorageError> {
        let staging = Path::from_iter([STAGING_DIR, &unique_name()]);
        let io_error = |e: std::io::Error| {
            StorageError::new(
                key,
                object_store::Error::Generic {
                    store: "local file",
                    source: Box::new(e),
                },
            )
        };
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
        let options = RenameOptions {
            target_mode: RenameTargetMode::Create,
            ..RenameOptions::default()
        };
        let moved = self.objects.rename_opts(&staging, key, options).await;
        match moved {
            Ok(()) => Ok(Created::New),
            Err(object_store::Error::AlreadyExists { .. }) => {
                let _ = self.objects.delete(&staging).await;
                Ok(Created::Existed)
            }
            Err(e) => {
                let _ = self.objects.delete(&staging).await;
                Err(StorageError::new(key, e))
            }
        }
    }

    pub async fn delete(&self, key: &Path) -> Result<(), StorageError> {
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

/// Streams a stored object into a local file, for work that needs random access (zips).
pub(crate) async fn copy_to_file(object: StoredObject, path: &FsPath) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await?;
    let mut body = object.body;
    while let Some(chunk) = body.try_next().await.map_err(std::io::Error::other)? {
        file.write_all(&chunk).await?;
    }
    file.flush().await
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
