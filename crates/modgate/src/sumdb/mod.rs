//! The checksum database: a caching proxy of the upstream one (`/sumdb/<name>/…` for the go
//! command), and the check of modules fetched from upstream against it.
//!
//! - `remote`: GETs to the upstream database, failures sorted into [`SumdbError`] kinds.
//! - `tiles`: the tile cache: full tiles in the store for good, the rest briefly in memory.
//! - `verify`: signed tree heads, consistency between the trees seen, records proven in a
//!   tree, and the comparison of hashes.
//! - `offline` and `proofcheck`: proof files of some versions for a machine with no route to
//!   the database (made, checked, stored), and the fallback to them when it cannot be asked.
//!
//! Everything forwarded is checked first: a lookup is proven in its signed tree, and the tree
//! is proven consistent with the latest one this process has seen, before a client gets it; a
//! full tile is proven against the latest tree before it is stored. The go command checks all
//! of it again, so this protects the store and modules fetched from upstream, not the client.
//!
//! Module names under private routes never reach the upstream database: the caller's
//! `is_private` predicate refuses them (403), for the proxy and the checks alike.
//!
//! This module knows nothing of HTTP serving: the handler in `http/sumdb.rs` maps answers and
//! errors.

mod offline;
mod proofcheck;
mod remote;
mod tiles;
mod verify;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use gomod::tlog::{TILE_HEIGHT, Tree};
use gomod::{ModulePath, ModuleVersion, Version};

use crate::memory::{self, Dated};
use crate::storage::Store;
pub(crate) use offline::{ProofFiles, store_proof_files};
pub(crate) use proofcheck::check_proof_files;
use remote::Remote;
use tiles::{Origin, TileCache, is_storable};
use verify::Record;

/// Full tiles, and partial ones too (the first `w` hashes of a tile never change).
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Lookups and `supported`: a lookup's record never changes, but its signed tree ages.
const SHORT_LIVED: &str = "public, max-age=60";
/// `latest` is the newest tree head: never reused without asking.
pub(crate) const NO_CACHE: &str = "no-cache";
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const BINARY: &str = "application/octet-stream";

/// The module the go command downloads toolchains from (`GOTOOLCHAIN=go1.X.Y`), versions
/// `v0.0.1-go1.X.Y.<goos>-<goarch>`.
pub(crate) const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// Whether a module path belongs to a private route, whose names must not leave this server.
pub(crate) type IsPrivate = Arc<dyn Fn(&ModulePath) -> bool + Send + Sync>;

/// `[sumdb]`: the checksum database that modgate proxies under `/sumdb/<name>/` and checks
/// modules fetched from upstream against.
#[derive(Debug, Clone)]
pub(crate) struct SumdbSettings {
    /// The database's name, as in `GOSUMDB` and in `/sumdb/<name>/`; the key's name.
    pub name: String,
    /// Its verifier key (checked: it parses and names `name`).
    pub key: String,
    /// Where it answers `/lookup`, `/latest` and `/tile`, without a trailing slash.
    pub url: String,
    /// Whether modules fetched from upstream are checked against it before they are stored.
    pub verify: bool,
    /// `GONOSUMDB`-style patterns (see `gomod::match_prefix_patterns`): modules not checked.
    pub skip: Vec<String>,
    /// Whether `/sumdb/<name>/…` is served.
    pub proxy: bool,
    pub timeout: Duration,
    /// `[upstream] offline`: the database is never asked; stored tiles are still served.
    pub offline: bool,
}

/// Why the checksum database has no answer. Each message is one line naming what was asked
/// (a module@version, a tile, `latest`).
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum SumdbError {
    /// An unknown database name or path, a malformed request, or a module version the
    /// database does not hold (its 404 or 410).
    #[error("{0}")]
    NotFound(String),
    /// A module under a private route: its name is not sent to the public database.
    #[error("{0}")]
    Refused(String),
    /// The database holds other hashes than the ones checked: a security error.
    #[error("{0}")]
    Mismatch(String),
    /// A bad signature, a failed proof, a tree inconsistent with one seen before, a malformed
    /// answer: the database (or something in between) is lying or broken.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Timeout(String),
    /// No connection, or an answer other than 200, 404 or 410.
    #[error("{0}")]
    Unreachable(String),
}

/// A proxied answer.
#[derive(Debug, Clone)]
pub(crate) struct SumdbAnswer {
    pub body: Bytes,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

pub(crate) struct ChecksumDb {
    name: String,
    verifier: gomod::note::Verifier,
    verify: bool,
    skip: Vec<String>,
    is_private: IsPrivate,
    remote: Arc<Remote>,
    /// Where full tiles are kept, and proof files stored for offline use (`offline.rs`).
    store: Store,
    tiles: TileCache,
    /// The newest tree head proven consistent with every other seen, for checking the next.
    /// Memory only: a restart trusts the first tree it sees, as a new go client does.
    latest_tree: Mutex<Option<Tree>>,
    /// The signed `latest` note, reused for a few seconds.
    latest_note: Dated<(), Bytes>,
    /// Verified lookups: go.mod and zip checks of one version cost one lookup, and the proxy
    /// forwards each recent one as it was proven.
    records: Dated<ModuleVersion, Arc<Record>>,
}

impl ChecksumDb {
    pub fn new(
        config: &SumdbSettings,
        store: Store,
        client: reqwest::Client,
    ) -> Result<ChecksumDb, gomod::note::KeyError> {
        let remote = Arc::new(Remote::new(
            client,
            &config.url,
            config.timeout,
            config.offline,
        ));
        Ok(ChecksumDb {
            name: config.name.clone(),
            verifier: gomod::note::Verifier::new(&config.key)?,
            verify: config.verify,
            skip: config.skip.clone(),
            is_private: Arc::new(|_| false),
            tiles: TileCache::new(store.clone(), &config.name, remote.clone()),
            store,
            remote,
            latest_tree: Mutex::new(None),
            latest_note: Dated::new(1),
            records: Dated::new(memory::CHECKSUM_RECORDS),
        })
    }

    /// Sets the predicate that keeps private module names from the upstream database.
    pub fn with_private(mut self, is_private: IsPrivate) -> ChecksumDb {
        self.is_private = is_private;
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether modules fetched from upstream must be verified (verify on, module not skipped).
    /// Go toolchains always are, whatever the settings: the go command verifies a toolchain
    /// zip against the checksum database even with `GOSUMDB=off`, so one the database does
    /// not vouch for would only be stored to fail every client.
    pub fn checks(&self, module: &ModulePath) -> bool {
        if module.as_str() == TOOLCHAIN_MODULE {
            return true;
        }
        self.verify && !gomod::match_prefix_patterns(&self.skip, module.as_str())
    }

    /// Answers `GET /sumdb/<name>/<rest>` for a proxy client: `rest` is `supported`,
    /// `latest`, `lookup/<escaped module>@<escaped version>` or a tile path.
    pub async fn proxy(&self, name: &str, rest: &str) -> Result<SumdbAnswer, SumdbError> {
        if name != self.name {
            // 404 sends the go command to the database itself, which is what it should do.
            return Err(SumdbError::NotFound(format!(
                "sumdb/{name}: not a checksum database this proxy serves"
            )));
        }
        let answer = |body, content_type, cache_control| SumdbAnswer {
            body,
            content_type,
            cache_control,
        };
        if rest == "supported" {
            return Ok(answer(Bytes::new(), TEXT, SHORT_LIVED));
        }
        if rest == "latest" {
            let note = self.latest_note().await?;
            self.accept_tree(&note, "latest").await?;
            return Ok(answer(note, TEXT, NO_CACHE));
        }
        if let Some(spec) = rest.strip_prefix("lookup/") {
            let version = parse_lookup(spec)?;
            let record = self.record(&version, true).await?;
            return Ok(answer(record.body.clone(), TEXT, SHORT_LIVED));
        }
        let tile = gomod::tlog::parse_tile_path(rest)
            .ok()
            .filter(|t| t.h == TILE_HEIGHT)
            .ok_or_else(|| {
                SumdbError::NotFound(format!(
                    "sumdb/{name}/{rest}: no such checksum database path"
                ))
            })?;
        let (data, origin) = self.tiles.read(tile).await?;
        if origin == Origin::Fetched && is_storable(tile) {
            self.prove_tile(tile, data.clone()).await?;
        }
        Ok(answer(data, BINARY, IMMUTABLE))
    }

    /// The upstream's signed tree head, reused for a few seconds.
    async fn latest_note(&self) -> Result<Bytes, SumdbError> {
        if let Some(note) = self.latest_note.fresh(&(), memory::TREE_HEAD_FOR) {
            return Ok(note);
        }
        let note = self.remote_or_stored("latest", "latest").await?;
        self.latest_note.remember((), note.clone());
        Ok(note)
    }
}

/// `<escaped module>@<escaped version>`, unescaped and checked: the database holds versions
/// of modules, nothing else.
pub(crate) fn parse_lookup(spec: &str) -> Result<ModuleVersion, SumdbError> {
    let bad = |reason: String| SumdbError::NotFound(format!("lookup/{spec}: {reason}"));
    let (path, version) = spec
        .split_once('@')
        .ok_or_else(|| bad("expected <module>@<version>".to_owned()))?;
    let module = ModulePath::from_escaped(path).map_err(|e| bad(e.to_string()))?;
    let version = Version::from_escaped(version).map_err(|e| bad(e.to_string()))?;
    ModuleVersion::new(module, version).map_err(|e| bad(e.to_string()))
}

/// A lock that a panic elsewhere does not poison: the values are plain data, always whole.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
