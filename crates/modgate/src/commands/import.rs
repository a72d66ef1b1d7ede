//! `modgate import SRC`: bulk-import a `cache/download` tree (or a whole module cache) into a
//! store (a directory or a bucket), each version checked and re-hashed like a publish; what is
//! there already is skipped.

use std::path::Path;

use anyhow::Context;
use futures::StreamExt;
use gomod::Version;
use time::OffsetDateTime;

use super::progress::Progress;
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
    let mut progress = Progress::new("import", found.len());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut summary = Summary::default();
    runtime.block_on(import_all(&writer, by_module(&found), |name, outcome| {
        match outcome {
            Ok(true) => summary.imported += 1,
            Ok(false) => summary.skipped += 1,
            Err(reason) => summary.rejected.push((name.clone(), reason)),
        }
        progress.step(&name);
    }));
    summary.rejected.sort();
    progress.finish();
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

/// Modules imported at once: each version is a few small writes and a zip read in the blocking
/// pool, so several modules in flight keep the disk and every core busy.
const MODULES_AT_ONCE: usize = 16;

/// The tree's versions by module, the module with most versions first: the writer takes one
/// version of a module at a time, so the longest module must not start last.
fn by_module(found: &[TreeVersion]) -> Vec<&[TreeVersion]> {
    let mut modules: Vec<&[TreeVersion]> = found
        .chunk_by(|a, b| a.version.path() == b.version.path())
        .collect();
    modules.sort_by_key(|versions| std::cmp::Reverse(versions.len()));
    modules
}

/// Imports the modules, [`MODULES_AT_ONCE`] at a time, each one's versions in order; `done`
/// sees each version's outcome as it comes.
async fn import_all(
    writer: &VersionWriter,
    modules: Vec<&[TreeVersion]>,
    mut done: impl FnMut(String, Result<bool, String>),
) {
    let (sender, mut outcomes) = tokio::sync::mpsc::unbounded_channel();
    let produce = async move {
        futures::stream::iter(modules)
            .for_each_concurrent(MODULES_AT_ONCE, |versions| {
                let sender = sender.clone();
                async move {
                    let mut created = Vec::new();
                    for found in versions {
                        let outcome = import_one(writer, found).await;
                        if let Ok(true) = outcome {
                            created.push(found.version.version().clone());
                        }
                        let _ = sender.send((found.version.to_string(), outcome));
                    }
                    add_to_list(writer, versions, created).await;
                }
            })
            .await;
    };
    let consume = async {
        while let Some((name, outcome)) = outcomes.recv().await {
            done(name, outcome);
        }
    };
    tokio::join!(produce, consume);
}

/// The module's `list` gets its imported versions in one update, not one per version. The
/// versions are served either way: only `file://` users of the tree miss them if it fails (the
/// next write of the module mends it).
async fn add_to_list(writer: &VersionWriter, versions: &[TreeVersion], created: Vec<Version>) {
    let Some(first) = versions.first() else {
        return;
    };
    if created.is_empty() {
        return;
    }
    let module = first.version.path();
    if let Err(e) = writer.add_to_list(module, created).await {
        eprintln!("warning: {module}: the list file was not updated: {e}");
    }
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
        .publish_unlisted(&found.version, &checked, info_time(&info), &IMPORTED)
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
