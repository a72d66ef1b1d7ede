//! `modgate export DIR`: copy a store (typically a bucket) into a directory, as a
//! `cache/download` tree that `GOPROXY=file://` or `modgate serve --store` can serve.

use std::path::Path;

use anyhow::Context;

use super::progress::Progress;
use crate::storage::{self, Store, StoreSettings};

/// Copies every object of the store below `dest`, skipping files already there; returns
/// (copied, skipped).
pub(crate) fn run(storage: &StoreSettings, dest: &Path) -> anyhow::Result<(usize, usize)> {
    let store = Store::from_settings(storage)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let keys = store.keys(None).await?;
        let keys: Vec<_> = keys
            .into_iter()
            .filter(|k| !storage::is_reserved(k))
            .collect();
        let mut progress = Progress::new("export", keys.len());
        let (mut copied, mut skipped) = (0, 0);
        for key in keys {
            let target = dest.join(key.as_ref());
            if target.exists() {
                skipped += 1;
            } else if let Some(object) = store.open(&key).await? {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                // Write beside the target and rename, so an interrupted export leaves no
                // half-written file that a later run would skip.
                let partial = target.with_file_name(format!(
                    ".{}.partial",
                    target
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("object")
                ));
                storage::copy_to_file(object, &partial)
                    .await
                    .with_context(|| format!("copying {key}"))?;
                std::fs::rename(&partial, &target)?;
                copied += 1;
            }
            progress.step(key.as_ref());
        }
        progress.finish();
        println!(
            "exported {copied} files, skipped {skipped} already present, to {}",
            dest.display()
        );
        Ok((copied, skipped))
    })
}
