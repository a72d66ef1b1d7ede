//! `modgate import SRC`: bulk-import a `cache/download` tree (or a whole module cache) into a
//! store (a directory or a bucket), each version checked and re-hashed like a publish; what is
//! there already is skipped.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;

use super::tree::{self, TreeVersion};
use crate::config::Config;
use crate::proxy_files::Info;
use crate::storage::Store;
use crate::writer::{Origin, Strictness, VersionWriter, WriteError, check};

/// What happened to each version.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub imported: usize,
    pub skipped: usize,
    /// (module@version, reason)
    pub rejected: Vec<(String, String)>,
}

pub(crate) fn run(source: &Path, config: &Config) -> anyhow::Result<Summary> {
    // A module cache ($GOMODCACHE) holds the proxy tree under cache/download.
    let cache_tree = source.join("cache").join("download");
    let root = if cache_tree.is_dir() {
        cache_tree
    } else {
        source.to_path_buf()
    };
    if !root.is_dir() {
        anyhow::bail!("{}: not a directory", source.display());
    }
    let found = tree::versions(&root)?;

    let store = Store::from_settings(&config.storage)?;
    let writer = VersionWriter::new(store.clone(), crate::app::sumlog(config, &store)?);
    let progress = ProgressBar::new(found.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut summary = Summary::default();
    for version in &found {
        let name = version.version.to_string();
        progress.set_message(name.clone());
        match runtime.block_on(import_one(&writer, version)) {
            Ok(true) => summary.imported += 1,
            Ok(false) => summary.skipped += 1,
            Err(reason) => summary.rejected.push((name, reason)),
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    println!(
        "imported {}, skipped {} (already there), rejected {}",
        summary.imported,
        summary.skipped,
        summary.rejected.len()
    );
    for (name, reason) in &summary.rejected {
        println!("  rejected {name}: {reason}");
    }
    Ok(summary)
}

/// `Ok(true)` imported, `Ok(false)` already there, `Err` the reason it was rejected.
///
/// The tree was served as it is, so its hashes may already be in go.sum files: the zip is
/// checked as the go command checks a download (a directory entry, which the go command
/// accepts, is kept), and its `.mod` must be the zip's go.mod.
async fn import_one(writer: &VersionWriter, found: &TreeVersion) -> Result<bool, String> {
    let zip = found.file("zip");
    if !zip.is_file() {
        return Err("no .zip (only the go.mod was downloaded)".to_owned());
    }
    let go_mod = std::fs::read(found.file("mod")).map_err(|e| format!("reading .mod: {e}"))?;
    let info = std::fs::read(found.file("info")).map_err(|e| format!("reading .info: {e}"))?;
    let reason = |e: WriteError| match e {
        WriteError::Storage(e) => format!("storage: {e}"),
        other => other.to_string(),
    };
    let checked = check::zip(&found.version, zip, Strictness::Download)
        .await
        .map_err(reason)?;
    if checked.go_mod.bytes != go_mod {
        return Err(format!(
            "{}: the .mod file differs from the zip's go.mod",
            found.version
        ));
    }
    let published = writer
        .publish(&found.version, &checked, info_time(&info), &IMPORTED)
        .await
        .map_err(reason)?;
    Ok(published.created)
}

/// An imported version's origin: published, by the import (who published it first is not known).
const IMPORTED_BY: &str = "(import)";

static IMPORTED: std::sync::LazyLock<Origin> = std::sync::LazyLock::new(|| Origin::Published {
    by: IMPORTED_BY.to_owned(),
});

fn info_time(info: &[u8]) -> Option<OffsetDateTime> {
    Info::parse(info).ok()?.parsed_time()
}
