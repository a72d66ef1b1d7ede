//! Modules from an upstream proxy, kept in the store: the first request for a version fetches
//! it, checks it as the go command checks a download, stores it through the version writer, and
//! every later request (also while upstream is down) is served from the store.
//!
//! A version's `.info` and `.mod` are fetched together, at once. Its zip comes with them when
//! the miss is a `.info` or a zip (`go mod download` and `go get` ask `.info`, `.mod`, `.zip` in
//! a row: the zip's download and check then overlap the go command's own work instead of adding
//! a round trip and a check after its request), never on a `.mod` miss: the go command reads
//! the go.mod of every module in the build graph but the zips of few. Each missing file costs
//! one upstream request; a file already stored costs none. `list`, `@latest` and version
//! queries change upstream, so they are remembered for a TTL, refreshed in the background, and
//! served stale when upstream fails.

mod client;
mod fetch;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};

use super::{FailureKind, Lookup, Source, SourceError, listed_and_stored};
use crate::memory::{self, Dated, Recall};
use crate::proxy_files::{Info, list_versions};
use crate::singleflight::{Interrupted, Singleflight};
use crate::storage::StoredObject;
use crate::sumdb::ChecksumDb;
use crate::writer::VersionWriter;
pub(crate) use client::{UpstreamClient, UpstreamProxy};
use fetch::Fetcher;

/// `[upstream]`: the proxies that `source = "upstream"` routes fill the store from.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamSettings {
    /// Tried in order, as `GOPROXY` lists them.
    pub proxies: Vec<UpstreamProxy>,
    /// For connecting, for a whole small answer, and for any pause while a zip streams.
    pub timeout: Duration,
    /// For a zip's answer to start; then none on the whole while its bytes keep coming.
    pub zip_timeout: Duration,
    /// How long a `list`, `@latest` or version query answer is used before it is asked again
    /// (in the background; the old answer keeps being served meanwhile and when upstream fails).
    pub list_ttl: Duration,
    /// How long an upstream "not found" is remembered.
    pub not_found_ttl: Duration,
    /// Serve only what is stored; never ask upstream.
    pub offline: bool,
}

/// Why an upstream answer could not be had; the text is one line naming the proxy and path.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum UpstreamError {
    /// No answer in time.
    #[error("{0}")]
    Timeout(String),
    /// A failed connection, a 5xx, or an answer that is not what the protocol promises.
    #[error("{0}")]
    Failed(String),
    /// What was fetched disagrees with the checksum database.
    #[error("{0}")]
    Tampered(String),
    /// The answer was good but could not be stored.
    #[error("{0}")]
    Storing(String),
}

impl UpstreamError {
    pub fn kind(&self) -> FailureKind {
        match self {
            UpstreamError::Timeout(_) => FailureKind::Timeout,
            UpstreamError::Failed(_) => FailureKind::Upstream,
            UpstreamError::Tampered(_) => FailureKind::Tampered,
            UpstreamError::Storing(_) => FailureKind::Storage,
        }
    }
}

/// A remembered `list`, `@latest` or query answer; `None` is upstream's "not found".
type Reply = Result<Option<Bytes>, UpstreamError>;

pub(crate) struct UpstreamSource {
    /// The route's store: what was fetched before, and anything published there.
    stored: Arc<dyn Source>,
    client: Arc<UpstreamClient>,
    fetcher: Fetcher,
    answers: Arc<Dated<String, Option<Bytes>>>,
    asks: Arc<Singleflight<Reply>>,
    list_ttl: Duration,
    not_found_ttl: Duration,
    /// How long a request waits for an answer another request asked for.
    small_deadline: Duration,
}

impl UpstreamSource {
    /// `answer_within`: the server's request timeout, if a client waits. Waiting on a fetch
    /// ends before it, with a 504 that says the fetch goes on, rather than the timeout's bare
    /// answer.
    pub fn new(
        settings: &UpstreamSettings,
        http: reqwest::ClientBuilder,
        answer_within: Option<Duration>,
        stored: Arc<dyn Source>,
        writer: Arc<VersionWriter>,
        sumdb: Arc<ChecksumDb>,
    ) -> Result<UpstreamSource, reqwest::Error> {
        let wait_limit = answer_within.map_or(Duration::MAX, |within| within.mul_f64(0.9));
        let client = Arc::new(UpstreamClient::new(settings, http)?);
        let proxies = settings.proxies.len() as u32;
        // Each proxy in the list may take the whole timeout, twice for .info then .mod.
        let small_deadline = (settings.timeout * 2 * proxies).min(wait_limit);
        let zip_deadline =
            ((settings.zip_timeout + settings.timeout * 2) * proxies).min(wait_limit);
        let answers = Arc::new(Dated::new(memory::UPSTREAM_ANSWERS));
        Ok(UpstreamSource {
            fetcher: Fetcher {
                stored: stored.clone(),
                client: client.clone(),
                writer,
                sumdb,
                answers: answers.clone(),
                not_found_ttl: settings.not_found_ttl,
                flights: Arc::new(Singleflight::new()),
                small_deadline,
                zip_deadline,
            },
            stored,
            client,
            answers,
            asks: Arc::new(Singleflight::new()),
            list_ttl: settings.list_ttl,
            not_found_ttl: settings.not_found_ttl,
            small_deadline,
        })
    }

    /// An answer that changes upstream, at an escaped path such as `m/@v/list`.
    async fn changing(&self, path: String) -> Reply {
        let trusted_for = |answer: &Option<Bytes>| match answer {
            Some(_) => self.list_ttl,
            None => self.not_found_ttl,
        };
        match self.answers.recall(path.as_str(), trusted_for) {
            Recall::Fresh(answer) => Ok(answer),
            Recall::Stale(Some(answer)) => {
                let asks = self.asks.clone();
                let work = self.ask_work(path.clone());
                let deadline = self.small_deadline;
                tokio::spawn(async move {
                    // A failure is logged by the client; the stale answer stays.
                    let _ = asks.run(&path, deadline, || work).await;
                });
                Ok(Some(answer))
            }
            // A "not found" too old to trust is asked again, as if never asked.
            Recall::Stale(None) | Recall::Unknown => {
                let work = self.ask_work(path.clone());
                self.asks
                    .run(&path, self.small_deadline, || work)
                    .await
                    .unwrap_or_else(|i| Err(interrupted(&path, i)))
            }
        }
    }

    /// What `read` finds in the store; else, once the version's `.info` and `.mod` are fetched
    /// and stored, what it finds then.
    async fn stored_or_fetched<T, Read>(
        &self,
        version: &ModuleVersion,
        with_zip: bool,
        read: impl Fn() -> Read,
    ) -> Result<Option<T>, SourceError>
    where
        Read: Future<Output = Result<Option<T>, SourceError>>,
    {
        if let Some(found) = read().await? {
            return Ok(Some(found));
        }
        if !self.fetcher.version(version, with_zip).await? {
            return Ok(None);
        }
        read().await
    }

    fn ask_work(&self, path: String) -> impl Future<Output = Reply> + Send + 'static {
        let client = self.client.clone();
        let answers = self.answers.clone();
        async move {
            let answer = client.get(&path).await?;
            answers.remember(path, answer.clone());
            Ok(answer)
        }
    }
}

#[async_trait]
impl Source for UpstreamSource {
    /// Upstream's tagged versions and every stored one; the stored ones alone when upstream
    /// fails (a build that worked yesterday keeps working).
    async fn versions(&self, module: &ModulePath) -> Result<Option<Vec<Version>>, SourceError> {
        let stored = self.stored.versions(module).await?;
        let listed = match self.changing(format!("{}/@v/list", module.escaped())).await {
            Ok(listed) => listed,
            Err(e) if stored.is_some() => {
                tracing::warn!(%module, cause = %e, "upstream list failed; serving stored versions");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let Some(listed) = listed else {
            return Ok(stored);
        };
        let listed = list_versions(&listed);
        Ok(Some(listed_and_stored(
            listed.iter().filter_map(|v| Version::new(v).ok()),
            stored,
        )))
    }

    async fn info(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        // A `.info` miss is how `go mod download` and `go get` start on a version, and the zip
        // follows at once; the build graph's go.mod files come without one (their zips mostly
        // never asked), so a `.mod` miss fetches no zip.
        self.stored_or_fetched(version, true, || self.stored.info(version))
            .await
    }

    async fn go_mod(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        self.stored_or_fetched(version, false, || self.stored.go_mod(version))
            .await
    }

    async fn zip(&self, version: &ModuleVersion) -> Result<Option<StoredObject>, SourceError> {
        if let Some(zip) = self.stored.zip(version).await? {
            return Ok(Some(zip));
        }
        // The zip is fetched for a visible version only: its .info and .mod come first, from
        // the store when they are there. Looked for in the store itself, not in memory: another
        // process's gc may have evicted the version, and it is then fetched whole again.
        self.stored.forget(version);
        if self.stored.info(version).await?.is_none()
            && !self.fetcher.version(version, true).await?
        {
            return Ok(None);
        }
        if !self.fetcher.zip(version).await? {
            return Ok(None);
        }
        self.stored.zip(version).await
    }

    /// Upstream resolves `@latest` and queries such as `master` or `v1.2`; when it fails and
    /// versions are stored, `None` lets the service rank the stored ones instead.
    async fn resolve(
        &self,
        module: &ModulePath,
        lookup: Lookup<'_>,
    ) -> Result<Option<Bytes>, SourceError> {
        let path = match lookup {
            Lookup::Latest => format!("{}/@latest", module.escaped()),
            Lookup::Revision(revision) => match gomod::escape_version(revision) {
                Ok(escaped) => format!("{}/@v/{escaped}.info", module.escaped()),
                Err(_) => return Ok(None),
            },
        };
        match self.changing(path.clone()).await {
            Ok(Some(info)) => {
                let version = resolved_version(module, &info).map_err(|reason| {
                    UpstreamError::Failed(format!("upstream {path}: {reason}"))
                })?;
                tracing::debug!(%module, ?lookup, %version, "resolved upstream");
                Ok(Some(info))
            }
            Ok(None) => Ok(None),
            Err(e) => match self.stored.versions(module).await? {
                Some(_) => {
                    tracing::warn!(%module, ?lookup, cause = %e, "upstream lookup failed; ranking stored versions");
                    Ok(None)
                }
                None => Err(e.into()),
            },
        }
    }

    fn forget(&self, version: &ModuleVersion) {
        self.stored.forget(version);
    }

    async fn modules(&self, prefix: &str) -> Result<Vec<ModulePath>, SourceError> {
        self.stored.modules(prefix).await
    }
}

fn interrupted(path: &str, why: Interrupted) -> UpstreamError {
    match why {
        Interrupted::Deadline => {
            UpstreamError::Timeout(format!("upstream {path}: still fetching; try again"))
        }
        Interrupted::Panicked => UpstreamError::Failed(format!("upstream {path}: fetch failed")),
    }
}

/// The version a lookup resolved to, which must be a version of `module`.
fn resolved_version(module: &ModulePath, info: &[u8]) -> Result<ModuleVersion, String> {
    let info = Info::parse(info).map_err(|e| format!("the answer is not .info JSON: {e}"))?;
    let version = Version::new(&info.version).map_err(|e| e.to_string())?;
    ModuleVersion::new(module.clone(), version).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolved_versions_must_be_versions_of_the_module() {
        let module = ModulePath::new("example.com/a").expect("valid");
        let info = br#"{"Version":"v1.2.0","Time":"2023-01-01T00:00:00Z"}"#;
        assert_eq!(
            resolved_version(&module, info).map(|v| v.to_string()),
            Ok("example.com/a@v1.2.0".to_owned())
        );
        let v2 = ModulePath::new("example.com/a/v2").expect("valid");
        assert!(resolved_version(&v2, info).is_err());
        assert!(resolved_version(&module, b"<html>").is_err());
        assert!(resolved_version(&module, br#"{"Version":"v1.2"}"#).is_err());
    }
}
