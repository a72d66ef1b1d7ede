//! Fetching one version from upstream into the store: each file once, however many requests
//! ask for it at the same time; checked by the writer's checker and against the checksum
//! database before the writer stores it, so nothing unverified is ever served.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use gomod::ModuleVersion;

use super::{UpstreamClient, UpstreamError, interrupted};
use crate::memory::Dated;
use crate::proxy_files::Info;
use crate::singleflight::Singleflight;
use crate::sumdb::{ChecksumDb, SumdbError};
use crate::writer::{VersionWriter, WriteError, check};

/// Whether a fetch found the version upstream (and stored it).
type Fetched = Result<bool, UpstreamError>;

pub(super) struct Fetcher {
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
    /// Makes sure the `.info` and `.mod` of `version` are stored: two upstream requests, none
    /// when upstream said "not found" a moment ago. `false` when upstream does not have it.
    pub async fn version(&self, version: &ModuleVersion) -> Fetched {
        let base = format!(
            "{}/@v/{}",
            version.path().escaped(),
            version.version().escaped()
        );
        if self.answers.fresh(base.as_str(), self.not_found_ttl) == Some(None) {
            return Ok(false);
        }
        let (client, answers, writer, sumdb) = (
            self.client.clone(),
            self.answers.clone(),
            self.writer.clone(),
            self.sumdb.clone(),
        );
        let (version, key) = (version.clone(), base.clone());
        self.flights
            .run(&key, self.small_deadline, move || async move {
                let info = client.get(&format!("{base}.info")).await?;
                let go_mod = match info {
                    Some(_) => client.get(&format!("{base}.mod")).await?,
                    None => None,
                };
                let (Some(info), Some(go_mod)) = (info, go_mod) else {
                    answers.remember(base, None);
                    return Ok(false);
                };
                let bad =
                    |reason: String| UpstreamError::Failed(format!("upstream {base}: {reason}"));
                check_info(&version, &info).map_err(bad)?;
                let go_mod = check::go_mod(&version, go_mod).map_err(|e| bad(e.to_string()))?;
                verify(&sumdb, &version, Some(&go_mod.h1), None).await?;
                writer
                    .cache_version(&version, info, &go_mod)
                    .await
                    .map_err(|e| storing(&version, e))?;
                tracing::info!(%version, "cached from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "mod").increment(1);
                Ok(true)
            })
            .await
            .unwrap_or_else(|i| Err(interrupted(&key, i)))
    }

    /// Makes sure the zip of a stored `version` is stored: one upstream request. `false` when
    /// upstream does not have it.
    pub async fn zip(&self, version: &ModuleVersion) -> Fetched {
        let path = format!(
            "{}/@v/{}.zip",
            version.path().escaped(),
            version.version().escaped()
        );
        let (client, writer, sumdb) =
            (self.client.clone(), self.writer.clone(), self.sumdb.clone());
        let (version, key) = (version.clone(), path.clone());
        self.flights
            // The deadline is for waiting with nothing received: a slow but live download
            // goes on, and so does the request that waits for it.
            .run_while_alive(&key, self.zip_deadline, move |progress| async move {
                let temp = crate::spool::new_file().map_err(|e| {
                    UpstreamError::Storing(format!("creating a temp file for {path}: {e}"))
                })?;
                if !client.download(&path, temp.path(), &progress).await? {
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
                verify(&sumdb, &version, None, Some(&zip.h1)).await?;
                writer
                    .cache_zip(&version, &zip)
                    .await
                    .map_err(|e| storing(&version, e))?;
                tracing::info!(%version, h1 = %zip.h1, "cached zip from upstream");
                metrics::counter!("modgate_upstream_cached_total", "file" => "zip").increment(1);
                Ok(true)
            })
            .await
            .unwrap_or_else(|i| Err(interrupted(&key, i)))
    }
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
