//! Modules from an upstream proxy, kept in the store: the first request for a version fetches it,
//! checks it as the go command checks a download, stores it like a publish, and every later
//! request (also while upstream is down) is served from the store.
//!
//! A version's `.info` and `.mod` are fetched together, its zip only when asked for: the go
//! command reads the go.mod of every module in the build graph but the zips of few, as its own
//! module cache does. `list`, `@latest` and version queries change upstream, so they are
//! remembered for a TTL, refreshed in the background, and served stale when upstream fails.

mod client;
mod remembered;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub(crate) use client::{UpstreamClient, UpstreamError};
use remembered::{Recall, Remembered};

use super::{Source, SourceError};
use crate::config::UpstreamConfig;
use crate::proxy_files::{Info, list_versions};
use crate::publish::Publisher;
use crate::singleflight::{Interrupted, Singleflight};
use crate::storage::StoredObject;
use crate::sumdb::{ChecksumDb, SumdbError};

/// A remembered `list`, `@latest` or query answer; `None` is upstream's "not found".
type Answer = Result<Option<Bytes>, UpstreamError>;
/// Whether a fetch found the version upstream (and stored it).
type Fetched = Result<bool, UpstreamError>;

pub(crate) struct UpstreamSource {
    /// The route's store: what was fetched before, and anything published there.
    stored: Arc<dyn Source>,
    client: Arc<UpstreamClient>,
    writer: Arc<Publisher>,
    /// Checks what is fetched before it is stored.
    sumdb: Arc<ChecksumDb>,
    answers: Arc<Remembered>,
    asks: Arc<Singleflight<Answer>>,
    fetches: Arc<Singleflight<Fetched>>,
    /// How long a request waits for a fetch that another request started.
    small_deadline: Duration,
    zip_deadline: Duration,
}

impl UpstreamSource {
    /// `answer_within`: the server's request timeout, if a client waits. Waiting on a fetch
    /// ends before it, with a 504 that says the fetch goes on, rather than the timeout's bare
    /// answer.
    pub fn new(
        config: &UpstreamConfig,
        answer_within: Option<Duration>,
        stored: Arc<dyn Source>,
        writer: Arc<Publisher>,
        sumdb: Arc<ChecksumDb>,
    ) -> Result<UpstreamSource, reqwest::Error> {
        let wait_limit = answer_within.map_or(Duration::MAX, |within| within.mul_f64(0.9));
        Ok(UpstreamSource {
            stored,
            client: Arc::new(UpstreamClient::new(config)?),
            writer,
            sumdb,
            answers: Arc::new(Remembered::new(config.list_ttl, config.not_found_ttl)),
            asks: Arc::new(Singleflight::new()),
            fetches: Arc::new(Singleflight::new()),
            // Each proxy in the list may take the whole timeout, twice for .info then .mod.
            small_deadline: (config.timeout * 2 * config.proxies.len() as u32).min(wait_limit),
            zip_deadline: ((config.zip_timeout + config.timeout * 2) * config.proxies.len() as u32)
                .min(wait_limit),
        })
    }

    /// An answer that changes upstream, at an escaped path such as `m/@v/list`.
    async fn changing(&self, path: String) -> Answer {
        match self.answers.recall(&path) {
            Recall::Fresh(answer) => Ok(answer),
            Recall::Stale(answer) => {
                let asks = self.asks.clone();
                let work = self.ask_work(path.clone());
                let deadline = self.small_deadline;
                tokio::spawn(async move {
                    // A failure is logged by the client; the stale answer stays.
                    let _ = asks.run(&path, deadline, || work).await;
                });
                Ok(Some(answer))
            }
            Recall::Unknown => {
                let work = self.ask_work(path.clone());
                self.asks
                    .run(&path, self.small_deadline, || work)
                    .await
                    .unwrap_or_else(|i| Err(interrupted(&path, i)))
            }
        }
    }

    fn ask_work(&self, path: String) -> impl Future<Output = Answer> + Send + 'static {
        let client = self.client.clone();
        let answers = self.answers.clone();
        async move {
            let answer = client.get(&path).await?;
            answers.remember(&path, answer.clone());
            Ok(answer)
        }
    }

    /// Makes sure the `.info` and `.mod` of `module@version` are stored; `false` when upstream
    /// does not have the version.
    async fn fetch_version(&self, module: &str, version: &str) -> Fetched {
        let Some(base) = version_path(module, version) else {
            return Ok(false);
        };
        if let Recall::Fresh(None) = self.answers.recall(&base) {
            return Ok(false);
        }
        let client = self.client.clone();
        let answers = self.answers.clone();
        let writer = self.writer.clone();
        let sumdb = self.sumdb.clone();
        let (module_owned, version_owned) = (module.to_owned(), version.to_owned());
        let key = base.clone();
        self.fetches
            .run(&key, self.small_deadline, move || async move {
                let (module, version) = (module_owned.as_str(), version_owned.as_str());
                let info = client.get(&format!("{base}.info")).await?;
                let go_mod = match info {
                    Some(_) => client.get(&format!("{base}.mod")).await?,
                    None => None,
                };
                let (Some(info), Some(go_mod)) = (info, go_mod) else {
                    answers.remember(&base, None);
                    return Ok(false);
                };
                check_info(module, version, &info)
                    .and_then(|()| check_go_mod(module, version, &go_mod))
                    .map_err(|reason| {
                        UpstreamError::Failed(format!("upstream {base}: {reason}"))
                    })?;
                let go_mod_h1 = gomod::hash_go_mod(&go_mod);
                verify(&sumdb, module, version, Some(&go_mod_h1), None).await?;
                writer
                    .store_fetched(module, version, info, go_mod)
                    .await
                    .map_err(|e| UpstreamError::Storing(format!("{module}@{version}: {e}")))?;
                tracing::info!(module, version, "cached from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "mod").increment(1);
                Ok(true)
            })
            .await
            .unwrap_or_else(|i| Err(interrupted(&key, i)))
    }

    /// Makes sure the zip of `module@version` is stored; `false` when upstream does not have it.
    async fn fetch_zip(&self, module: &str, version: &str) -> Fetched {
        if !self.fetch_version(module, version).await? {
            return Ok(false);
        }
        let Some(base) = version_path(module, version) else {
            return Ok(false);
        };
        let client = self.client.clone();
        let writer = self.writer.clone();
        let sumdb = self.sumdb.clone();
        let (module_owned, version_owned) = (module.to_owned(), version.to_owned());
        let key = format!("{base}.zip");
        let path = key.clone();
        self.fetches
            .run(&key, self.zip_deadline, move || async move {
                let (module, version) = (module_owned.as_str(), version_owned.as_str());
                let temp = crate::spool::new_file().map_err(|e| {
                    UpstreamError::Storing(format!("creating a temp file for {path}: {e}"))
                })?;
                if !client.download(&path, temp.path()).await? {
                    return Ok(false);
                }
                let h1 = check_zip(module, version, temp.path())
                    .await
                    .map_err(|reason| {
                        UpstreamError::Failed(format!("upstream {path}: {reason}"))
                    })?;
                verify(&sumdb, module, version, None, Some(&h1)).await?;
                writer
                    .store_fetched_zip(module, version, temp.path(), &h1)
                    .await
                    .map_err(|e| UpstreamError::Storing(format!("{module}@{version}: {e}")))?;
                tracing::info!(module, version, %h1, "cached zip from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "zip").increment(1);
                Ok(true)
            })
            .await
            .unwrap_or_else(|i| Err(interrupted(&key, i)))
    }
}

#[async_trait]
impl Source for UpstreamSource {
    /// Upstream's tagged versions and every stored one; the stored ones alone when upstream
    /// fails (a build that worked yesterday keeps working).
    async fn versions(&self, module: &str) -> Result<Option<Vec<String>>, SourceError> {
        let stored = self.stored.versions(module).await?;
        let Ok(escaped) = gomod::escape_path(module) else {
            return Ok(stored);
        };
        let listed = match self.changing(format!("{escaped}/@v/list")).await {
            Ok(listed) => listed,
            Err(e) if stored.is_some() => {
                tracing::warn!(module, cause = %e, "upstream list failed; serving stored versions");
                None
            }
            Err(e) => return Err(e.into()),
        };
        let Some(listed) = listed else {
            return Ok(stored);
        };
        let mut versions: Vec<String> = list_versions(&listed)
            .into_iter()
            .filter(|v| gomod::is_valid(v))
            .chain(stored.unwrap_or_default())
            .collect();
        versions.sort_unstable();
        versions.dedup();
        Ok(Some(versions))
    }

    async fn info(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError> {
        stored_or_fetched(
            || self.stored.info(module, version),
            self.fetch_version(module, version),
        )
        .await
    }

    async fn go_mod(&self, module: &str, version: &str) -> Result<Option<Bytes>, SourceError> {
        stored_or_fetched(
            || self.stored.go_mod(module, version),
            self.fetch_version(module, version),
        )
        .await
    }

    async fn zip(&self, module: &str, version: &str) -> Result<Option<StoredObject>, SourceError> {
        stored_or_fetched(
            || self.stored.zip(module, version),
            self.fetch_zip(module, version),
        )
        .await
    }

    /// Upstream resolves `@latest` and queries such as `master` or `v1.2`; when it fails and
    /// versions are stored, `None` lets the service rank the stored ones instead.
    async fn query(&self, module: &str, query: &str) -> Result<Option<Bytes>, SourceError> {
        let (Ok(escaped), Ok(escaped_query)) =
            (gomod::escape_path(module), gomod::escape_version(query))
        else {
            return Ok(None);
        };
        let path = if query == "latest" {
            format!("{escaped}/@latest")
        } else {
            format!("{escaped}/@v/{escaped_query}.info")
        };
        match self.changing(path.clone()).await {
            Ok(Some(info)) => {
                let version = resolved_version(module, &info).map_err(|reason| {
                    UpstreamError::Failed(format!("upstream {path}: {reason}"))
                })?;
                tracing::debug!(module, query, version, "resolved upstream");
                Ok(Some(info))
            }
            Ok(None) => Ok(None),
            Err(e) => match self.stored.versions(module).await? {
                Some(_) => {
                    tracing::warn!(module, query, cause = %e, "upstream query failed; ranking stored versions");
                    Ok(None)
                }
                None => Err(e.into()),
            },
        }
    }

    async fn modules(&self, prefix: &str) -> Result<Vec<String>, SourceError> {
        self.stored.modules(prefix).await
    }
}

/// `m/@v/v` escaped, or `None` for what cannot be escaped (never asked upstream).
fn version_path(module: &str, version: &str) -> Option<String> {
    let module = gomod::escape_path(module).ok()?;
    let version = gomod::escape_version(version).ok()?;
    Some(format!("{module}/@v/{version}"))
}

/// Checks fetched hashes against the checksum database, unless the module is exempt (the
/// database's `skip` patterns, or checks turned off). Any doubt is a gateway error: nothing
/// unverified is stored.
async fn verify(
    sumdb: &ChecksumDb,
    module: &str,
    version: &str,
    go_mod_h1: Option<&str>,
    zip_h1: Option<&str>,
) -> Result<(), UpstreamError> {
    if !sumdb.checks(module) {
        return Ok(());
    }
    sumdb
        .verify(module, version, go_mod_h1, zip_h1)
        .await
        .map_err(|e| match e {
            SumdbError::Timeout(reason) => UpstreamError::Timeout(reason),
            SumdbError::NotFound(reason) => UpstreamError::Failed(format!(
                "{reason} (not in checksum database {}; list the module in [sumdb] skip if it is not public)",
                sumdb.name()
            )),
            other => UpstreamError::Failed(other.to_string()),
        })
}

/// What the store holds; else, once `fetch` has found it upstream and stored it, that.
async fn stored_or_fetched<T, Stored>(
    stored: impl Fn() -> Stored,
    fetch: impl Future<Output = Result<bool, UpstreamError>>,
) -> Result<Option<T>, SourceError>
where
    Stored: Future<Output = Result<Option<T>, SourceError>>,
{
    if let Some(found) = stored().await? {
        return Ok(Some(found));
    }
    if !fetch.await? {
        return Ok(None);
    }
    stored().await
}

fn interrupted(path: &str, why: Interrupted) -> UpstreamError {
    match why {
        Interrupted::Deadline => {
            UpstreamError::Timeout(format!("upstream {path}: still fetching; try again"))
        }
        Interrupted::Panicked => UpstreamError::Failed(format!("upstream {path}: fetch failed")),
    }
}

/// The version a query resolved to, which must be a valid canonical version of `module`.
fn resolved_version(module: &str, info: &[u8]) -> Result<String, String> {
    let info = Info::parse(info).map_err(|e| format!("the answer is not .info JSON: {e}"))?;
    if gomod::canonical_version(&info.version).as_deref() != Some(info.version.as_str()) {
        return Err(format!("{:?} is not a canonical version", info.version));
    }
    gomod::check(module, &info.version).map_err(|e| e.to_string())?;
    Ok(info.version)
}

fn check_info(module: &str, version: &str, info: &[u8]) -> Result<(), String> {
    let named = resolved_version(module, info)?;
    if named != version {
        return Err(format!(".info names version {named}, not {version}"));
    }
    Ok(())
}

/// What the go command would refuse to load: a go.mod that does not parse, or names another
/// module (a `+incompatible` version's synthesized one names the module too).
fn check_go_mod(module: &str, version: &str, go_mod: &[u8]) -> Result<(), String> {
    let parsed = gomod::ModFile::parse_lax(go_mod).map_err(|e| format!("go.mod: {e}"))?;
    match parsed.module.as_deref() {
        Some(declared) if declared != module => Err(format!(
            "{module}@{version}: go.mod declares module {declared:?}"
        )),
        _ => Ok(()),
    }
}

/// Checks a downloaded zip by the module zip rules, as the go command checks a download, and
/// returns its `h1:`; off the async threads, since a zip can be 500 MiB.
async fn check_zip(module: &str, version: &str, zip: &Path) -> Result<String, String> {
    let (module, version, zip) = (module.to_owned(), version.to_owned(), zip.to_owned());
    tokio::task::spawn_blocking(move || {
        let open = || {
            std::fs::File::open(&zip)
                .map(std::io::BufReader::new)
                .map_err(|e| format!("reading the download: {e}"))
        };
        gomod::check_zip(open()?, &module, &version).map_err(|e| e.to_string())?;
        gomod::hash_zip(open()?).map_err(|e| format!("{module}@{version}: {e}"))
    })
    .await
    .map_err(|e| format!("checking the zip: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_metadata_must_name_what_was_asked() {
        let info = br#"{"Version":"v1.2.0","Time":"2023-01-01T00:00:00Z"}"#;
        assert!(check_info("example.com/a", "v1.2.0", info).is_ok());
        assert!(check_info("example.com/a", "v1.3.0", info).is_err());
        assert!(check_info("example.com/a/v2", "v1.2.0", info).is_err());
        assert!(resolved_version("example.com/a", b"<html>").is_err());
        assert!(resolved_version("example.com/a", br#"{"Version":"v1.2"}"#).is_err());

        assert!(check_go_mod("example.com/a", "v1.0.0", b"module example.com/a\n").is_ok());
        assert!(check_go_mod("example.com/a", "v1.0.0", b"module example.com/b\n").is_err());
        assert!(check_go_mod("example.com/a", "v1.0.0", b"module (\n").is_err());
    }
}
