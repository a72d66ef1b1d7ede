//! `modgate verify`: re-hash every version in a store and report any whose files disagree.

use std::path::Path;

use super::tree::{self, TreeVersion};

/// One problem with one version.
pub struct Problem {
    pub version: String,
    pub reason: String,
}

/// Checks every visible version (one with a `.info`) of a directory store.
pub fn run(store_dir: &Path) -> anyhow::Result<Vec<Problem>> {
    let mut problems = Vec::new();
    let versions = tree::versions(store_dir)?;
    for version in &versions {
        if let Err(reason) = check_version(version) {
            problems.push(Problem {
                version: version.name(),
                reason,
            });
        }
    }
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

fn check_version(found: &TreeVersion) -> Result<(), String> {
    let (module, version) = (found.module.as_str(), found.version.as_str());
    let file = |ext: &str| found.file(ext);
    let open = || {
        std::fs::File::open(file("zip"))
            .map(std::io::BufReader::new)
            .map_err(|e| format!("zip: {e}"))
    };
    gomod::check_zip(open()?, module, version).map_err(|e| e.to_string())?;
    let h1 = gomod::hash_zip(open()?).map_err(|e| format!("hashing zip: {e}"))?;
    if let Ok(recorded) = std::fs::read_to_string(file("ziphash"))
        && recorded.trim() != h1
    {
        return Err(format!(
            ".ziphash says {} but the zip hashes to {h1}",
            recorded.trim()
        ));
    }
    let stored_mod = std::fs::read(file("mod")).map_err(|e| format!("mod: {e}"))?;
    let zip_mod = gomod::read_go_mod(open()?, module, version)
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| format!("module {module}\n").into_bytes());
    if stored_mod != zip_mod {
        return Err(".mod differs from the zip's go.mod".to_owned());
    }
    Ok(())
}
