//! `modgate verify`: re-check every version in a directory store with the writer's checker,
//! and report any whose files disagree with each other.

use std::path::Path;

use anyhow::Context;
use futures::StreamExt;

use super::progress::Progress;
use super::tree::{self, TreeVersion};
use crate::writer::{Strictness, check};

/// Versions checked at once.
const CHECKS_AT_ONCE: usize = 16;

/// One problem with one version.
pub(crate) struct Problem {
    pub version: String,
    pub reason: String,
}

/// Checks every visible version (one with a `.info`) of a directory store.
pub(crate) fn run(store_dir: &Path) -> anyhow::Result<Vec<Problem>> {
    let versions = tree::versions(store_dir)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let mut problems = Vec::new();
    let mut progress = Progress::new("verify", versions.len());
    runtime.block_on(async {
        // Each check reads and hashes a zip in the blocking pool: several at once use every
        // core, and the progress follows them as they end.
        let mut checks = futures::stream::iter(&versions)
            .map(|found| async move { (found, check_version(found).await) })
            .buffer_unordered(CHECKS_AT_ONCE);
        while let Some((found, checked)) = checks.next().await {
            let version = found.version.to_string();
            if let Err(reason) = checked {
                problems.push(Problem {
                    version: version.clone(),
                    reason,
                });
            }
            progress.step(&version);
        }
    });
    problems.sort_by(|a, b| a.version.cmp(&b.version));
    progress.finish();
    println!(
        "checked {} versions, {} with problems",
        versions.len(),
        problems.len()
    );
    for problem in &problems {
        println!("  {}: {}", problem.version, problem.reason);
    }
    Ok(problems)
}

/// The zip passes the checker, and the `.ziphash` (if any) and `.mod` agree with it.
async fn check_version(found: &TreeVersion) -> Result<(), String> {
    let zip = check::zip(&found.version, found.file("zip"), Strictness::Download)
        .await
        .map_err(|e| e.to_string())?;
    if let Ok(recorded) = std::fs::read_to_string(found.file("ziphash"))
        && recorded.trim() != zip.h1
    {
        return Err(format!(
            ".ziphash says {} but the zip hashes to {}",
            recorded.trim(),
            zip.h1
        ));
    }
    let stored_mod = std::fs::read(found.file("mod")).map_err(|e| format!("mod: {e}"))?;
    if stored_mod != zip.go_mod.bytes {
        return Err(".mod differs from the zip's go.mod".to_owned());
    }
    Ok(())
}
