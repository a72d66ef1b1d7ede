//! Where versions come from. Routes hold a `Source`; today that is the store, and an upstream
//! proxy or a git host slots in beside it without the service or the HTTP layer changing.

mod store;

use async_trait::async_trait;
use bytes::Bytes;

use crate::storage::{StorageError, StoredObject};

pub(crate) use store::StoreSource;

/// A failure to reach what a source reads from.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// What a route serves from. `Ok(None)` means "not here"; errors mean "could not tell".
#[async_trait]
pub(crate) trait Source: Send + Sync {
    /// Every version held of `module`, tagged and pseudo, unsorted; `None` for an unknown module.
    async fn versions(&self, module: &str) -> Result<Option<Vec<String>>, SourceError>;
    /// The `.info` JSON of a canonical version.
    async fn info(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError>;
    /// The go.mod of a canonical version.
    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError>;
    /// The zip of a canonical version, streamed.
    async fn zip(&self, module: &str, version: &str) -> Result<Option<StoredObject>, SourceError>;
    /// The paths of the modules held under `prefix` ("" for all).
    async fn modules(&self, prefix: &str) -> Result<Vec<String>, SourceError>;
}
