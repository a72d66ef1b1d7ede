//! `modgate delete` and `modgate restore`: a version deleted from, or restored to, the store
//! of the config, through the service as the operator (so the audit file records it, and the
//! same checks and writer as the API's run).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use gomod::ModuleVersion;

use crate::config::Config;
use crate::service::{Caller, Refusal};

/// `module@version`, checked.
pub(crate) fn parse_version(spec: &str) -> anyhow::Result<ModuleVersion> {
    let Some((module, version)) = spec.split_once('@') else {
        bail!("{spec:?}: expected MODULE@VERSION");
    };
    Ok(ModuleVersion::parse(module, version)?)
}

/// Deletes a version for `reason`; prints its tombstone.
pub(crate) fn delete(config: &Config, spec: &str, reason: &str) -> anyhow::Result<()> {
    let version = parse_version(spec)?;
    let service = crate::app::service(config, None)?;
    let runtime = super::current_thread_runtime()?;
    let tombstone = runtime
        .block_on(service.delete_version(&Caller::operator(), &version, reason))
        .map_err(refusal)?;
    println!("{}", serde_json::to_string_pretty(&tombstone)?);
    Ok(())
}

/// Restores a deleted version from a zip or a module directory (the same bytes only).
pub(crate) fn restore(config: &Config, spec: &str, from: &Path) -> anyhow::Result<()> {
    let version = parse_version(spec)?;
    let work = tempfile::tempdir().context("creating a temp directory")?;
    let zip = if from.is_dir() {
        let zip = work.path().join("module.zip");
        super::publish::build_zip(from, &version, &zip)?;
        zip
    } else if from.is_file() {
        from.to_owned()
    } else {
        bail!("{}: not a zip or a directory", from.display());
    };
    let service = crate::app::service(config, None)?;
    let runtime = super::current_thread_runtime()?;
    let restored = runtime
        .block_on(service.restore_version(&Caller::operator(), &version, PathBuf::from(&zip)))
        .map_err(refusal)?;
    println!("{}", serde_json::to_string_pretty(&restored)?);
    Ok(())
}

fn refusal(refusal: Refusal) -> anyhow::Error {
    match refusal {
        Refusal::Failed(failure) => anyhow::anyhow!("{failure}"),
        other => anyhow::anyhow!("{other}"),
    }
}
