//! Where versions come from. A route holds a `Source`: the store as it is, or the store filled
//! on a miss from an upstream proxy or from the company's git host. Sources that fill the store do it through the version
//! writer (`crate::writer`), never by writing files themselves.

mod git;
mod listing;
mod store;
mod upstream;

use async_trait::async_trait;
use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};

use crate::storage::{StorageError, StoredObject};
pub(crate) use git::{GitError, GitSettings, GitSource, Locate};
pub(crate) use store::StoreSource;
pub(crate) use upstream::{UpstreamError, UpstreamProxy, UpstreamSettings, UpstreamSource};

/// What kind of failure kept a source from answering: it decides the status a client gets
/// and whether the failure is a security event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The store could not be read or written.
    Storage,
    /// An upstream proxy or checksum database failed, or sent what the go command would refuse.
    Upstream,
    /// An upstream took too long (a fetch that goes on is stored when it ends).
    Timeout,
    /// What was fetched disagrees with the checksum database: a security event.
    Tampered,
    /// Our own temp files or tasks failed.
    Internal,
}

/// A failure to reach what a source reads from; never "not found", which is `Ok(None)`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SourceError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    #[error(transparent)]
    Git(#[from] GitError),
}

impl SourceError {
    pub fn kind(&self) -> FailureKind {
        match self {
            SourceError::Storage(_) => FailureKind::Storage,
            SourceError::Upstream(e) => e.kind(),
            SourceError::Git(e) => e.kind(),
        }
    }
}

/// The versions a remote lists (those that are canonical versions), and the stored ones:
/// what a filling source answers for `@v/list`.
fn listed_and_stored(
    listed: impl IntoIterator<Item = Version>,
    stored: Option<Vec<Version>>,
) -> Vec<Version> {
    let mut versions: Vec<Version> = listed
        .into_iter()
        .chain(stored.unwrap_or_default())
        .collect();
    gomod::sort(&mut versions);
    versions.dedup();
    versions
}

/// A question a source may answer itself rather than leave to the service's ranking.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// `@latest`.
    Latest,
    /// A revision the go command sends to `.info`: a branch, a commit, `v1.2`, `v2.0.0` for a
    /// path without `/v2`.
    Revision(&'a str),
}

/// What a route serves from. `Ok(None)` means "not here"; errors mean "could not tell".
#[async_trait]
pub(crate) trait Source: Send + Sync {
    /// Every version held of `module`, tagged and pseudo, unsorted; `None` for an unknown module.
    async fn versions(&self, module: &ModulePath) -> Result<Option<Vec<Version>>, SourceError>;
    /// The `.info` JSON of a version.
    async fn info(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError>;
    /// The go.mod of a version.
    async fn go_mod(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError>;
    /// The zip of a version.
    async fn zip(&self, version: &ModuleVersion) -> Result<Option<StoredObject>, SourceError>;
    /// The `.info` JSON that `lookup` resolves to, for sources that resolve lookups
    /// themselves; `None` leaves it to the service, which ranks `versions`.
    async fn resolve(
        &self,
        _module: &ModulePath,
        _lookup: Lookup<'_>,
    ) -> Result<Option<Bytes>, SourceError> {
        Ok(None)
    }
    /// The modules held under `prefix` ("" for all).
    async fn modules(&self, prefix: &str) -> Result<Vec<ModulePath>, SourceError>;
    /// Whether `module` lies where this source holds modules it does not list (a repository
    /// on a git host): the go command's import probes of its paths get a 404.
    async fn holds_near(&self, _module: &ModulePath) -> Result<bool, SourceError> {
        Ok(false)
    }
    /// Forgets what is kept in memory of `version`, which gc has just removed from the store.
    fn forget(&self, _version: &ModuleVersion) {}
}
