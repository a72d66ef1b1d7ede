//! Walking a `cache/download` tree on disk for the versions it holds.

use std::path::{Path, PathBuf};

use anyhow::Context;
use gomod::{ModulePath, ModuleVersion, Version};

/// One version, found by its `.info` file.
pub(crate) struct TreeVersion {
    pub version: ModuleVersion,
    /// The `@v` directory.
    dir: PathBuf,
    escaped_version: String,
}

impl TreeVersion {
    /// The version's file with extension `ext` (`zip`, `mod`, `info`, `ziphash`).
    pub fn file(&self, ext: &str) -> PathBuf {
        self.dir.join(format!("{}.{ext}", self.escaped_version))
    }
}

/// Every `<escaped module>/@v/<escaped version>.info` below `root`, sorted; names that do not
/// decode to a valid module path and version are not versions and are passed over.
pub(crate) fn versions(root: &Path) -> anyhow::Result<Vec<TreeVersion>> {
    let mut found = Vec::new();
    walk(root, root, &mut found)?;
    found.sort_by(|a, b| a.version.cmp(&b.version));
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<TreeVersion>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        // modgate's own state (staging, git mirrors) holds no versions.
        if !entry.file_type()?.is_dir()
            || entry.file_name().to_string_lossy().starts_with(".modgate")
        {
            continue;
        }
        let path = entry.path();
        if entry.file_name() != "@v" {
            walk(root, &path, found)?;
            continue;
        }
        let Some(module) = dir
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .and_then(|m| ModulePath::from_escaped(m).ok())
        else {
            continue;
        };
        for file in
            std::fs::read_dir(&path).with_context(|| format!("reading {}", path.display()))?
        {
            let name = file?.file_name();
            let Some(escaped) = name.to_str().and_then(|n| n.strip_suffix(".info")) else {
                continue;
            };
            let version = Version::from_escaped(escaped)
                .and_then(|version| ModuleVersion::new(module.clone(), version));
            if let Ok(version) = version {
                found.push(TreeVersion {
                    version,
                    dir: path.clone(),
                    escaped_version: escaped.to_owned(),
                });
            }
        }
    }
    Ok(())
}
