//! Object keys of the `cache/download` layout: `<escaped module>/@v/<escaped version>.<ext>`.
//!
//! Keys are built only from paths and versions that `gomod` has accepted, and go through
//! `Path::parse`, which keeps characters like `~` and `!` as they are on disk (object_store's
//! `From<&str>` would percent-encode `~`, and the tree would no longer match a module cache).

use std::collections::HashSet;

use object_store::path::Path;

/// The three files that make a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionFile {
    Info,
    Mod,
    Zip,
}

impl VersionFile {
    pub fn extension(self) -> &'static str {
        match self {
            VersionFile::Info => "info",
            VersionFile::Mod => "mod",
            VersionFile::Zip => "zip",
        }
    }
}

/// `<escaped module>/@v`: the directory holding a module's versions.
pub(crate) fn module_dir(module: &str) -> Result<Path, gomod::ModuleError> {
    let escaped = gomod::escape_path(module)?;
    Path::parse(format!("{escaped}/@v")).map_err(|e| bad_key(module, "", e))
}

/// The key of one file of one version.
pub(crate) fn version_key(
    module: &str,
    version: &str,
    file: VersionFile,
) -> Result<Path, gomod::ModuleError> {
    let escaped_module = gomod::escape_path(module)?;
    let escaped_version = gomod::escape_version(version)?;
    Path::parse(format!(
        "{escaped_module}/@v/{escaped_version}.{}",
        file.extension()
    ))
    .map_err(|e| bad_key(module, version, e))
}

fn bad_key(module: &str, version: &str, e: object_store::path::Error) -> gomod::ModuleError {
    gomod::ModuleError {
        path: module.to_owned(),
        version: version.to_owned(),
        kind: gomod::ModuleErrorKind::InvalidPath(e.to_string()),
    }
}

/// The versions whose `.info` and `.mod` are both present: `.info` is written last, so a
/// version without it is still being published, and one without `.mod` cannot be resolved.
pub(crate) fn visible_versions(file_names: &[String]) -> Vec<String> {
    let with_mod: HashSet<&str> = file_names
        .iter()
        .filter_map(|name| name.strip_suffix(".mod"))
        .collect();
    file_names
        .iter()
        .filter_map(|name| name.strip_suffix(".info"))
        .filter(|escaped| with_mod.contains(escaped))
        .filter_map(|escaped| gomod::unescape_version(escaped).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_needs_both_info_and_mod() {
        let names: Vec<String> = [
            "list",
            "v1.0.0.info",
            "v1.0.0.mod",
            "v1.0.0.zip",
            "v1.1.0.mod",
            "v1.2.0.info",
            "v0.1.0-!r!c1.info",
            "v0.1.0-!r!c1.mod",
            "v1.0.0.ziphash",
        ]
        .map(String::from)
        .to_vec();
        let mut got = visible_versions(&names);
        got.sort();
        assert_eq!(got, ["v0.1.0-RC1", "v1.0.0"]);
    }

    #[test]
    fn keys_follow_the_module_cache_layout() {
        let key =
            version_key("example.com/Corp/Lib", "v1.0.0-RC1", VersionFile::Zip).expect("valid");
        assert_eq!(key.as_ref(), "example.com/!corp/!lib/@v/v1.0.0-!r!c1.zip");
        let key =
            version_key("example.com/a~b", "v2.0.0+incompatible", VersionFile::Mod).expect("valid");
        assert_eq!(key.as_ref(), "example.com/a~b/@v/v2.0.0+incompatible.mod");
        assert_eq!(
            module_dir("example.com/x/v2").expect("valid").as_ref(),
            "example.com/x/v2/@v"
        );
    }
}
