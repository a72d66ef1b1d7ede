//! Where versions come from. Routes hold a `Source`: the store, or the store filled from an
//! upstream proxy; a git host would slot in beside them without the service or the HTTP layer
//! changing.

mod store;
mod upstream;

use async_trait::async_trait;
use bytes::Bytes;

use crate::storage::{StorageError, StoredObject};

pub(crate) use store::StoreSource;
pub(crate) use upstream::{UpstreamError, UpstreamSource};

/// A failure to reach what a source reads from.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
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
    /// The `.info` JSON that `query` (`latest`, or a version query such as `master` or `v1.2`)
    /// resolves to, for sources that resolve queries themselves; `None` leaves it to the
    /// service, which ranks `versions`.
    async fn query(&self, _module: &str, _query: &str) -> Result<Option<Bytes>, SourceError> {
        Ok(None)
    }
    /// The paths of the modules held under `prefix` ("" for all).
    async fn modules(&self, prefix: &str) -> Result<Vec<String>, SourceError>;
}
