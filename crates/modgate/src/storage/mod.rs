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
use object_store::{GetOptions, ObjectStore, ObjectStoreExt};

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
            Ok(result) => result.bytes().await.map(Some).map_err(|e| StorageError::new(key, e)),
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

    /// Fails when the store cannot be reached, for `/readyz`.
    pub async fn check(&self) -> Result<(), StorageError> {
        self.objects
            .list_with_delimiter(None)
            .await
            .map(|_| ())
            .map_err(|e| StorageError::new(&Path::default(), e))
    }
}
