//! Fetching one version from upstream into the store: each file once, however many requests
//! ask for it at the same time; checked by the writer's checker and against the checksum
//! database before the writer stores it, so nothing unverified is ever served.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use gomod::ModuleVersion;
use tokio::sync::oneshot;

use super::{Source, UpstreamClient, UpstreamError, interrupted};
use crate::memory::Dated;
use crate::progress::Progress;
use crate::proxy_files::Info;
use crate::singleflight::Singleflight;
use crate::sumdb::{ChecksumDb, SumdbError};
use crate::writer::{VersionWriter, WriteError, check};

/// Whether a fetch found the version upstream (and stored it).
type Fetched = Result<bool, UpstreamError>;

#[derive(Clone)]
pub(super) struct Fetcher {
    /// The route's store, where a zip fetched meanwhile may be found.
    pub stored: Arc<dyn Source>,
    pub client: Arc<UpstreamClient>,
    pub writer: Arc<VersionWriter>,
    /// Checks what is fetched before it is stored.
    pub sumdb: Arc<ChecksumDb>,
    /// Upstream's "not found"s, shared with the source's remembered answers.
    pub answers: Arc<Dated<String, Option<Bytes>>>,
    pub not_found_ttl: Duration,
    pub flights: Arc<Singleflight<Fetched>>,
    /// How long a request waits for a fetch that another request started.
    pub small_deadline: Duration,
    /// For a zip: how long a request waits while nothing arrives (no limit while it does).
    pub zip_deadline: Duration,
}

impl Fetcher {
    /// Makes sure the `.info` and `.mod` of `version` are stored: two upstream requests, asked
    /// at once, none when upstream said "not found" a moment ago. `false` when upstream does
    /// not have it. `with_zip`: the zip is fetched beside them (a third request, at the same
    /// time) and stored once they are, so that the request for it that follows finds it stored
    /// or joins its download instead of waiting another round trip and check.
    pub async fn version(&self, version: &ModuleVersion, with_zip: bool) -> Fetched {
        let base = format!(
            "{}/@v/{}",
            version.path().escaped(),
            version.version().escaped()
        );
        if self.answers.fresh(base.as_str(), self.not_found_ttl) == Some(None) {
            return Ok(false);
        }
        let fetcher = self.clone();
        let (version, key) = (version.clone(), base.clone());
        self.flights
            .run(&key, self.small_deadline, move || async move {
                // Dropped unsent (not found, or a failure), the zip is not stored either.
                let stored_signal = with_zip.then(|| fetcher.start_zip(&version));
                let (info_path, mod_path) = (format!("{base}.info"), format!("{base}.mod"));
                let (info, go_mod) = tokio::join!(
                    fetcher.client.get(&info_path),
                    fetcher.client.get(&mod_path),
                );
                // The .info's failure first: it is what was asked for first, as before.
                let (info, go_mod) = (info?, go_mod?);
                let (Some(info), Some(go_mod)) = (info, go_mod) else {
                    fetcher.answers.remember(base, None);
                    return Ok(false);
                };
                let bad =
                    |reason: String| UpstreamError::Failed(format!("upstream {base}: {reason}"));
                check_info(&version, &info).map_err(bad)?;
                let go_mod = check::go_mod(&version, go_mod).map_err(|e| bad(e.to_string()))?;
                verify(&fetcher.sumdb, &version, Some(&go_mod.h1), None).await?;
                fetcher
                    .writer
                    .cache_version(&version, info, &go_mod)
                    .await
                    .map_err(|e| storing(&version, e))?;
                tracing::info!(%version, "cached from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "mod").increment(1);
                if let Some(signal) = stored_signal {
                    let _ = signal.send(());
                }
                Ok(true)
            })
            .await
            .unwrap_or_else(|i| Err(interrupted(&key, i)))
    }

    /// Makes sure the zip of a stored `version` is stored: one upstream request, none when a
    /// fetch started beside its `.info` and `.mod` stored it meanwhile. `false` when upstream
    /// does not have it.
    pub async fn zip(&self, version: &ModuleVersion) -> Fetched {
        let path = zip_path(version);
        let work = self.zip_work(version, &path, None);
        self.flights
            // The deadline is for waiting with nothing received: a slow but live download
            // goes on, and so does the request that waits for it.
            .run_while_alive(&path, self.zip_deadline, work)
            .await
            .unwrap_or_else(|i| Err(interrupted(&path, i)))
    }

    /// Starts fetching the zip of `version` unless that is under way, waiting for no one; it is
    /// stored once the sender returned is sent on (the version's `.info` and `.mod` are stored).
    fn start_zip(&self, version: &ModuleVersion) -> oneshot::Sender<()> {
        let (stored, when_stored) = oneshot::channel();
        let path = zip_path(version);
        let work = self.zip_work(version, &path, Some(when_stored));
        self.flights.start_while_alive(&path, work);
        stored
    }

    /// The work of fetching a zip: download to a temp file, check, verify, then store (after
    /// `version_stored` says so, when given).
    fn zip_work(
        &self,
        version: &ModuleVersion,
        path: &str,
        version_stored: Option<oneshot::Receiver<()>>,
    ) -> impl FnOnce(Progress) -> BoxFuture<'static, Fetched> + use<> {
        let (fetcher, version, path) = (self.clone(), version.clone(), path.to_owned());
        move |progress| {
            async move {
                if version_stored.is_none() {
                    // Asked for because it was missing: a fetch started beside the version's
                    // .info and .mod may have stored it since (it left the flights only then).
                    let found = fetcher.stored.zip(&version).await.map_err(|e| {
                        UpstreamError::Storing(format!("looking for {path} in the store: {e}"))
                    })?;
                    if found.is_some() {
                        return Ok(true);
                    }
                }
                let temp = crate::spool::new_file().map_err(|e| {
                    UpstreamError::Storing(format!("creating a temp file for {path}: {e}"))
                })?;
                if !fetcher
                    .client
                    .download(&path, temp.path(), &progress)
                    .await?
                {
                    return Ok(false);
                }
                let zip = check::zip(
                    &version,
                    temp.path().to_owned(),
                    check::Strictness::Download,
                )
                .await
                .map_err(|e| match e {
                    WriteError::Invalid(reason) => {
                        UpstreamError::Failed(format!("upstream {path}: {reason}"))
                    }
                    other => storing(&version, other),
                })?;
                verify(&fetcher.sumdb, &version, None, Some(&zip.h1)).await?;
                if let Some(stored) = version_stored
                    && stored.await.is_err()
                {
                    return Err(UpstreamError::Failed(format!(
                        "upstream {path}: the version's .info and .mod were not stored"
                    )));
                }
                fetcher
                    .writer
                    .cache_zip(&version, &zip)
                    .await
                    .map_err(|e| storing(&version, e))?;
                tracing::info!(%version, h1 = %zip.h1, "cached zip from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "zip").increment(1);
                Ok(true)
            }
            .boxed()
        }
    }
}

fn zip_path(version: &ModuleVersion) -> String {
    format!(
        "{}/@v/{}.zip",
        version.path().escaped(),
        version.version().escaped()
    )
}

fn storing(version: &ModuleVersion, error: WriteError) -> UpstreamError {
    UpstreamError::Storing(format!("{version}: {error}"))
}

/// The `.info` must name the version asked for.
fn check_info(version: &ModuleVersion, info: &[u8]) -> Result<(), String> {
    let info = Info::parse(info).map_err(|e| format!("the answer is not .info JSON: {e}"))?;
    if info.version != version.version().as_str() {
        return Err(format!(
            ".info names version {:?}, not {}",
            info.version,
            version.version()
        ));
    }
    Ok(())
}

/// Checks fetched hashes against the checksum database, unless the module is exempt (the
/// database's `skip` patterns, or checks turned off). Any doubt is a gateway error: nothing
/// unverified is stored.
async fn verify(
    sumdb: &ChecksumDb,
    version: &ModuleVersion,
    go_mod_h1: Option<&str>,
    zip_h1: Option<&str>,
) -> Result<(), UpstreamError> {
    if !sumdb.checks(version.path()) {
        return Ok(());
    }
    sumdb
        .verify(version, go_mod_h1, zip_h1)
        .await
        .map_err(|e| match e {
            SumdbError::Timeout(reason) => UpstreamError::Timeout(reason),
            SumdbError::Mismatch(reason) => UpstreamError::Tampered(reason),
            SumdbError::NotFound(reason) => UpstreamError::Failed(format!(
                "{reason} (not in checksum database {}; list the module in [sumdb] skip if it is not public)",
                sumdb.name()
            )),
            other => UpstreamError::Failed(other.to_string()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_info_must_name_what_was_asked() {
        let version = ModuleVersion::parse("example.com/a", "v1.2.0").expect("valid");
        let info = br#"{"Version":"v1.2.0","Time":"2023-01-01T00:00:00Z"}"#;
        assert!(check_info(&version, info).is_ok());
        let other = ModuleVersion::parse("example.com/a", "v1.3.0").expect("valid");
        assert!(check_info(&other, info).is_err());
        assert!(check_info(&version, b"<html>").is_err());
    }
}
