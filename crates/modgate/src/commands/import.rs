//! `modgate import SRC`: bulk-import a `cache/download` tree (or a whole module cache) into a
//! store (a directory or a bucket), each version checked and re-hashed like a publish; what is
//! there already is skipped.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use time::OffsetDateTime;

use super::tree::{self, TreeVersion};
use crate::config::StorageConfig;
use crate::proxy_files::Info;
use crate::publish::{PublishError, Publisher};
use crate::storage::Store;

/// What happened to each version.
#[derive(Debug, Default)]
pub struct Summary {
    pub imported: usize,
    pub skipped: usize,
    /// (module@version, reason)
    pub rejected: Vec<(String, String)>,
}

pub fn run(source: &Path, storage: &StorageConfig) -> anyhow::Result<Summary> {
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

    let store = Store::from_config(storage)?;
    let publisher = Publisher::new(store);
    let progress = ProgressBar::new(found.len() as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut summary = Summary::default();
    for version in &found {
        let name = version.name();
        progress.set_message(name.clone());
        match runtime.block_on(import_one(&publisher, version)) {
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
async fn import_one(publisher: &Publisher, found: &TreeVersion) -> Result<bool, String> {
    let file = |ext: &str| found.file(ext);
    let zip = file("zip");
    if !zip.is_file() {
        return Err("no .zip (only the go.mod was downloaded)".to_owned());
    }
    let go_mod = std::fs::read(file("mod")).map_err(|e| format!("reading .mod: {e}"))?;
    let info = std::fs::read(file("info")).map_err(|e| format!("reading .info: {e}"))?;
    let time = info_time(&info);
    match publisher
        .publish_expecting(&found.module, &found.version, &zip, time, &go_mod)
        .await
    {
        Ok(published) => Ok(published.created),
        Err(PublishError::Storage(e)) => Err(format!("storage: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

fn info_time(info: &[u8]) -> Option<OffsetDateTime> {
    Info::parse(info).ok()?.parsed_time()
}
