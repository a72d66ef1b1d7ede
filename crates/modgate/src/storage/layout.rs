//! Object keys of the `cache/download` layout: `<escaped module>/@v/<escaped version>.<ext>`,
//! `<escaped module>/@v/list`. Every key of a module or version is built here, from the typed
//! values that `gomod` has checked.
//!
//! Keys go through `Path::parse`, which keeps characters like `~` and `!` as they are on disk
//! (object_store's `From<&str>` would percent-encode `~`, and the tree would no longer match a
//! module cache).

use std::collections::HashSet;

use gomod::{ModulePath, ModuleVersion, Version};
use object_store::path::Path;

/// The files that make a version, and the `.ziphash` beside its zip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VersionFile {
    Info,
    Mod,
    Zip,
    /// The zip's `h1:` and a newline, as the go command's module cache keeps it. Publishing
    /// writes it first, create-only, to claim the version for one zip.
    ZipHash,
}

impl VersionFile {
    fn extension(self) -> &'static str {
        match self {
            VersionFile::Info => "info",
            VersionFile::Mod => "mod",
            VersionFile::Zip => "zip",
            VersionFile::ZipHash => "ziphash",
        }
    }
}

/// `<escaped module>/@v`: the directory holding a module's versions.
pub(crate) fn module_dir(module: &ModulePath) -> Path {
    key(format!("{}/@v", module.escaped()))
}

/// `<escaped module>/@v/list`: the module's tagged versions, for `file://` users of the tree.
pub(crate) fn list_file(module: &ModulePath) -> Path {
    key(format!("{}/@v/list", module.escaped()))
}

/// The key of one file of one version.
pub(crate) fn version_file(version: &ModuleVersion, file: VersionFile) -> Path {
    key(format!(
        "{}/@v/{}.{}",
        version.path().escaped(),
        version.version().escaped(),
        file.extension()
    ))
}

/// `.modgate/origin/<escaped module>@<escaped version>.json`: where a version modgate wrote came
/// from, and who published it (the web UI shows it). In the reserved area, outside the module
/// tree, so a `GOPROXY=file://` user of the tree never sees it.
pub(crate) fn origin_file(version: &ModuleVersion) -> Path {
    key(format!(
        ".modgate/origin/{}@{}.json",
        version.path().escaped(),
        version.version().escaped()
    ))
}

/// `.modgate/origin`: the directory of every origin record, which gc lists.
pub(crate) fn origin_dir() -> Path {
    key(ORIGIN_DIR.to_owned())
}

/// The version an origin record's key names, `None` for any other key.
pub(crate) fn origin_version(origin_key: &Path) -> Option<ModuleVersion> {
    reserved_version(origin_key, ORIGIN_DIR)
}

/// `.modgate/lastuse`: the directory of every last-use record.
pub(crate) fn last_use_dir() -> Path {
    key(LAST_USE_DIR.to_owned())
}

/// The version a last-use record's key names, `None` for any other key.
pub(crate) fn last_use_version(last_use_key: &Path) -> Option<ModuleVersion> {
    reserved_version(last_use_key, LAST_USE_DIR)
}

/// `<dir>/<escaped module>@<escaped version>.json` → the version.
fn reserved_version(key: &Path, dir: &str) -> Option<ModuleVersion> {
    let name = key
        .as_ref()
        .strip_prefix(dir)?
        .strip_prefix('/')?
        .strip_suffix(".json")?;
    // Neither an escaped module path nor an escaped version holds `@`.
    let (module, version) = name.rsplit_once('@')?;
    let module = ModulePath::from_escaped(module).ok()?;
    ModuleVersion::new(module, Version::from_escaped(version).ok()?).ok()
}

const ORIGIN_DIR: &str = ".modgate/origin";
const LAST_USE_DIR: &str = ".modgate/lastuse";

/// `.modgate/lastuse/<escaped module>@<escaped version>.json`: when an upstream-cached version
/// was last answered (`.info`, `.mod` or `.zip`), written at most once a day per process; gc
/// evicts the least recently used first.
pub(crate) fn last_use_file(version: &ModuleVersion) -> Path {
    key(format!(
        "{LAST_USE_DIR}/{}@{}.json",
        version.path().escaped(),
        version.version().escaped()
    ))
}

/// `.modgate/tombstones/<escaped module>/@v/<escaped version>.json`: a deleted version's
/// tombstone (`modgate delete`), which keeps its `h1:` and the reason. gc never touches a
/// version that has one.
pub(crate) fn tombstone_file(version: &ModuleVersion) -> Path {
    key(format!(
        "{TOMBSTONES_DIR}/{}/@v/{}.json",
        version.path().escaped(),
        version.version().escaped()
    ))
}

/// `.modgate/tombstones`: every tombstone is under it.
pub(crate) fn tombstones_dir() -> Path {
    key(TOMBSTONES_DIR.to_owned())
}

/// The version a key under [`tombstones_dir`] is the tombstone of.
pub(crate) fn tombstone_of(key: &Path) -> Option<ModuleVersion> {
    let rest = key
        .as_ref()
        .strip_prefix(TOMBSTONES_DIR)?
        .strip_prefix('/')?;
    let (module, file) = rest.split_once("/@v/")?;
    let version = Version::from_escaped(file.strip_suffix(".json")?).ok()?;
    ModuleVersion::new(ModulePath::from_escaped(module).ok()?, version).ok()
}

const TOMBSTONES_DIR: &str = ".modgate/tombstones";

/// `.modgate/ui/session-key`: the web UI's key for signing sessions, written once
/// (create-only), so every replica on one bucket accepts the others' cookies.
pub(crate) fn ui_session_key() -> Path {
    key(".modgate/ui/session-key".to_owned())
}

/// `.modgate/auth/tokens`: the personal tokens, one object each.
pub(crate) fn tokens_dir() -> Path {
    key(TOKENS_DIR.to_owned())
}

/// `.modgate/auth/tokens/<hex SHA-256 of the token>.json`: one personal token's record.
pub(crate) fn token_file(digest_hex: &str) -> Path {
    key(format!("{TOKENS_DIR}/{digest_hex}.json"))
}

const TOKENS_DIR: &str = ".modgate/auth/tokens";

/// `sumdb/<name>/<file>`: a file of a public checksum database (`supported`, `latest`,
/// `lookup/<escaped module>@<escaped version>`, `tile/…`), where the go command keeps it in
/// its module cache, so the store stays a `GOPROXY=file://` tree that verifies.
pub(crate) fn sumdb_file(name: &str, file: &str) -> Path {
    key(format!("sumdb/{name}/{file}"))
}

/// `<escaped module>`: the prefix of every key of a module and of the modules below it.
pub(crate) fn module_root(module: &ModulePath) -> Path {
    key(module.escaped().to_owned())
}

/// The visible versions among `keys` that have their zip: what the checksum log holds.
pub(crate) fn versions_with_zips(keys: &[Path]) -> Vec<ModuleVersion> {
    let mut by_module: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for (module, file) in keys
        .iter()
        .filter_map(|key| key.as_ref().split_once("/@v/"))
    {
        by_module.entry(module).or_default().push(file.to_owned());
    }
    let mut found = Vec::new();
    for (module, names) in by_module {
        let Ok(module) = ModulePath::from_escaped(module) else {
            continue;
        };
        let zips: HashSet<&str> = names
            .iter()
            .filter_map(|n| n.strip_suffix(".zip"))
            .collect();
        for version in visible_versions(&names) {
            if zips.contains(version.escaped())
                && let Ok(version) = ModuleVersion::new(module.clone(), version)
            {
                found.push(version);
            }
        }
    }
    found
}

/// `Path::parse` keeps the text as it is. It refuses only control characters and empty, `.` or
/// `..` elements, which checked paths and versions never hold; `Path::from` would encode them.
fn key(text: String) -> Path {
    match Path::parse(&text) {
        Ok(path) => path,
        Err(_) => Path::from(text),
    }
}

/// The canonical versions whose `.info` and `.mod` are both present: `.info` is written last,
/// so a version without it is still being published, and one without `.mod` cannot be resolved.
/// Names that are not canonical versions (a hand-written tree's `v1.2.info`) are passed over.
pub(crate) fn visible_versions(file_names: &[String]) -> Vec<Version> {
    let with_mod: HashSet<&str> = file_names
        .iter()
        .filter_map(|name| name.strip_suffix(".mod"))
        .collect();
    file_names
        .iter()
        .filter_map(|name| name.strip_suffix(".info"))
        .filter(|escaped| with_mod.contains(escaped))
        .filter_map(|escaped| Version::from_escaped(escaped).ok())
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
            "v1.3.info",
            "v1.3.mod",
        ]
        .map(String::from)
        .to_vec();
        let mut got: Vec<String> = visible_versions(&names)
            .iter()
            .map(ToString::to_string)
            .collect();
        got.sort();
        assert_eq!(got, ["v0.1.0-RC1", "v1.0.0"]);
    }

    #[test]
    fn keys_follow_the_module_cache_layout() {
        let version = |path, version| ModuleVersion::parse(path, version).expect("valid");
        let key = version_file(
            &version("example.com/Corp/Lib", "v1.0.0-RC1"),
            VersionFile::Zip,
        );
        assert_eq!(key.as_ref(), "example.com/!corp/!lib/@v/v1.0.0-!r!c1.zip");
        let key = version_file(
            &version("example.com/a~b", "v2.0.0+incompatible"),
            VersionFile::ZipHash,
        );
        assert_eq!(
            key.as_ref(),
            "example.com/a~b/@v/v2.0.0+incompatible.ziphash"
        );
        let module = ModulePath::new("example.com/x/v2").expect("valid");
        assert_eq!(module_dir(&module).as_ref(), "example.com/x/v2/@v");
        assert_eq!(list_file(&module).as_ref(), "example.com/x/v2/@v/list");
        assert_eq!(module_root(&module).as_ref(), "example.com/x/v2");
        assert_eq!(
            origin_file(&version("example.com/Corp/Lib", "v1.0.0-RC1")).as_ref(),
            ".modgate/origin/example.com/!corp/!lib@v1.0.0-!r!c1.json"
        );
        let deleted = version("example.com/Corp/Lib", "v1.0.0-RC1");
        let tombstone = tombstone_file(&deleted);
        assert_eq!(
            tombstone.as_ref(),
            ".modgate/tombstones/example.com/!corp/!lib/@v/v1.0.0-!r!c1.json"
        );
        assert_eq!(tombstone_of(&tombstone), Some(deleted));
        assert_eq!(
            tombstone_of(&origin_file(&version("example.com/m", "v1.0.0"))),
            None
        );
        let corp = version("example.com/Corp/Lib", "v1.0.0-RC1");
        assert_eq!(origin_version(&origin_file(&corp)), Some(corp.clone()));
        assert_eq!(origin_version(&last_use_file(&corp)), None);
        assert_eq!(last_use_version(&last_use_file(&corp)), Some(corp.clone()));
        assert_eq!(
            last_use_file(&corp).as_ref(),
            ".modgate/lastuse/example.com/!corp/!lib@v1.0.0-!r!c1.json"
        );
    }
}
