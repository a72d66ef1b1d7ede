//! The one checker: what every new version must pass before the writer stores it, whichever
//! source it comes from (an upload, an import, an upstream proxy, a git repository). It checks
//! as the `go` command checks a download, so that nothing is stored that a client would refuse.
//!
//! The writer takes only [`CheckedZip`] and [`CheckedGoMod`], which only this module makes: no
//! source can store a version without passing here.

use std::path::PathBuf;

use bytes::Bytes;
use gomod::ModuleVersion;

use super::WriteError;

/// How closely a zip is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Strictness {
    /// A new upload: the module zip rules, and files only (a directory entry changes the h1).
    Upload,
    /// A zip others made (an imported tree, an upstream proxy, a module cache): the module zip
    /// rules as the go command checks a download; its hash may already be in go.sum files.
    Download,
}

/// A zip that passed, with what its go.mod and hashes are.
#[derive(Debug)]
pub(crate) struct CheckedZip {
    /// The local file holding it; the caller owns it.
    pub file: PathBuf,
    pub go_mod: CheckedGoMod,
    /// The zip's `h1:`, as the `M V h1:` line of go.sum.
    pub h1: String,
}

/// A version's go.mod that names its module (or the one the go command makes up for a module
/// without one), with its `h1:` as the `M V/go.mod h1:` line of go.sum.
#[derive(Debug, Clone)]
pub(crate) struct CheckedGoMod {
    pub bytes: Bytes,
    pub h1: String,
}

/// Checks the zip at `file` as a zip of `version`: the version's shape, the module zip rules,
/// and its go.mod. Off the async threads: a zip can be 500 MiB.
pub(crate) async fn zip(
    version: &ModuleVersion,
    file: PathBuf,
    strictness: Strictness,
) -> Result<CheckedZip, WriteError> {
    version_shape(version)?;
    let version = version.clone();
    tokio::task::spawn_blocking(move || zip_blocking(&version, file, strictness))
        .await
        .map_err(|e| WriteError::Internal(format!("checking a zip: {e}")))?
}

fn zip_blocking(
    version: &ModuleVersion,
    file: PathBuf,
    strictness: Strictness,
) -> Result<CheckedZip, WriteError> {
    let (module, v) = (version.path().as_str(), version.version().as_str());
    let reader = std::fs::File::open(&file)
        .map(std::io::BufReader::new)
        .map_err(|e| WriteError::Internal(format!("opening {}: {e}", file.display())))?;
    let strictness = match strictness {
        Strictness::Upload => gomod::ZipStrictness::Strict,
        Strictness::Download => gomod::ZipStrictness::Lenient,
    };
    // Every entry is read: that is what shows one holding more (or other) bytes than it
    // declares, the zip's fault; a failing disk is ours.
    let inspected =
        gomod::inspect_zip(reader, module, v, strictness).map_err(|e| match e.is_io() {
            true => WriteError::Internal(format!("reading {}: {e}", file.display())),
            false => WriteError::Invalid(e.to_string()),
        })?;
    let go_mod = match inspected.go_mod {
        Some(_) if version.version().is_incompatible() => {
            return Err(WriteError::Invalid(format!(
                "{version}: a +incompatible version has no go.mod, but the zip has one"
            )));
        }
        Some(bytes) => go_mod_of(version, Bytes::from(bytes))?,
        // What the go command synthesizes for a module without go.mod (spec 1.3).
        None => go_mod_of(version, Bytes::from(format!("module {module}\n")))?,
    };
    Ok(CheckedZip {
        file,
        go_mod,
        h1: inspected.h1,
    })
}

/// Checks a version's go.mod served on its own (an upstream `.mod`): it must parse and name
/// the module, as the go command demands when it loads the module graph.
pub(crate) fn go_mod(version: &ModuleVersion, bytes: Bytes) -> Result<CheckedGoMod, WriteError> {
    version_shape(version)?;
    go_mod_of(version, bytes)
}

fn go_mod_of(version: &ModuleVersion, bytes: Bytes) -> Result<CheckedGoMod, WriteError> {
    let module = version.path().as_str();
    let parsed = gomod::ModFile::parse_lax(&bytes)
        .map_err(|e| WriteError::Invalid(format!("{version}: go.mod: {e}")))?;
    match parsed.module.as_deref() {
        Some(declared) if declared == module => {}
        Some(declared) => {
            return Err(WriteError::Invalid(format!(
                "{version}: go.mod declares module {declared:?}, not {module:?}"
            )));
        }
        None => {
            return Err(WriteError::Invalid(format!(
                "{version}: go.mod has no module directive"
            )));
        }
    }
    let h1 = gomod::hash_go_mod(&bytes);
    Ok(CheckedGoMod { bytes, h1 })
}

/// The version shapes the go command itself would refuse to create, beyond what
/// `ModuleVersion` already guarantees.
fn version_shape(version: &ModuleVersion) -> Result<(), WriteError> {
    incompatible(version)?;
    pseudo_version(version)
}

/// `+incompatible` marks a v2+ version of a module that predates modules (spec 2.5), so it
/// needs a major of at least 2 and a path without a major suffix. x/mod's `CheckPathMajor`
/// accepts `/v2` with `v2.0.0+incompatible`; the go command's own rules (coderepo) do not, in
/// these words.
fn incompatible(version: &ModuleVersion) -> Result<(), WriteError> {
    if !version.version().is_incompatible() {
        return Ok(());
    }
    let major = gomod::major(version.version().as_str()).unwrap_or_default();
    let reason = if !version.path().path_major().is_empty() {
        "module path includes a major version suffix, so major version must match".to_owned()
    } else if major == "v0" || major == "v1" {
        format!("major version {major} is compatible")
    } else {
        return Ok(());
    };
    Err(WriteError::Invalid(format!(
        "{version}: invalid version: +incompatible suffix not allowed: {reason}"
    )))
}

/// A pseudo-version names a commit by its UTC time and the first 12 hex digits of its hash
/// (spec 2.4). A proxy's client takes any string of that shape, so a malformed one must be
/// stopped here, before it is served as if it named a commit.
fn pseudo_version(version: &ModuleVersion) -> Result<(), WriteError> {
    let v = version.version().as_str();
    if !gomod::is_pseudo_version(v) {
        return Ok(());
    }
    let invalid = |reason: String| {
        WriteError::Invalid(format!("{version}: invalid pseudo-version: {reason}"))
    };
    // The shape is known: `…yyyymmddhhmmss-revision[+build]`.
    let body = v.split('+').next().unwrap_or_default();
    let (head, revision) = body.rsplit_once('-').unwrap_or_default();
    if gomod::pseudo_version_time(v).is_err() {
        let time = head
            .get(head.len().saturating_sub(14)..)
            .unwrap_or_default();
        return Err(invalid(format!(
            "time {time:?} is not a valid UTC date and time"
        )));
    }
    let is_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if revision.len() != 12 || !revision.bytes().all(is_hex) {
        return Err(invalid(format!(
            "revision {revision:?} is not 12 lower-case hex digits"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (module, version, storable) for the version rules the writer adds to `ModuleVersion`.
    const VERSION_SHAPES: &[(&str, &str, bool)] = &[
        ("example.com/m", "v1.2.3-rc.1", true),
        // The three pseudo-version forms, and the +incompatible one.
        ("example.com/m", "v0.0.0-20240101120000-abcdef123456", true),
        (
            "example.com/m",
            "v1.2.4-0.20240101120000-abcdef123456",
            true,
        ),
        (
            "example.com/m",
            "v1.2.3-pre.0.20240101120000-abcdef123456",
            true,
        ),
        (
            "example.com/m",
            "v2.0.1-0.20240101120000-abcdef123456+incompatible",
            true,
        ),
        // A month 13, a February 30th.
        ("example.com/m", "v0.0.0-20241301120000-abcdef123456", false),
        ("example.com/m", "v0.0.0-20240230120000-abcdef123456", false),
        // Revisions are 12 lower-case hex digits.
        ("example.com/m", "v0.0.0-20240101120000-ABCDEF123456", false),
        ("example.com/m", "v0.0.0-20240101120000-abcdef12345", false),
        ("example.com/m", "v0.0.0-20240101120000-abcdefg23456", false),
        // +incompatible: v2 and up, and only without a major suffix in the path.
        ("example.com/m", "v2.0.0+incompatible", true),
        ("example.com/m", "v1.0.0+incompatible", false),
        ("example.com/m/v2", "v2.0.0+incompatible", false),
        ("gopkg.in/yaml.v2", "v2.0.0+incompatible", false),
    ];

    #[test]
    fn version_shapes() {
        for &(module, version, want) in VERSION_SHAPES {
            // Some shapes are refused already by ModuleVersion, which is enough.
            let result = ModuleVersion::parse(module, version)
                .map_err(|e| WriteError::Invalid(e.to_string()))
                .and_then(|mv| version_shape(&mv));
            assert_eq!(result.is_ok(), want, "{module}@{version}: {result:?}");
            if let Err(e) = result {
                assert!(e.to_string().starts_with(&format!("{module}@{version}: ")));
            }
        }
    }

    #[test]
    fn a_go_mod_must_name_its_module() {
        let version = ModuleVersion::parse("example.com/a", "v1.0.0").expect("valid");
        let check = |text: &'static str| go_mod(&version, Bytes::from_static(text.as_bytes()));
        assert!(check("module example.com/a\n").is_ok());
        for (text, reason) in [
            (
                "module example.com/b\n",
                "declares module \"example.com/b\"",
            ),
            ("go 1.19\n", "has no module directive"),
            ("module (\n", "go.mod"),
        ] {
            let err = check(text).expect_err(text).to_string();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }
}
