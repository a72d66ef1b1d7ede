//! What publishing checks beyond `gomod::check`: the zip by the module zip rules (strictly
//! for uploads), its go.mod against the module path, and the version shapes the go command
//! itself would refuse to create.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::PublishError;

/// How closely a zip is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strictness {
    /// A new upload: the x/mod rules, and files only (a directory entry changes the h1).
    Upload,
    /// An imported tree: the x/mod rules, as the go command checks a download.
    Import,
}

/// A checked zip, ready to store.
pub(super) struct Checked {
    pub go_mod: Bytes,
    pub h1: String,
    pub gomod_h1: String,
}

/// Checks the zip by the module zip rules and reads its go.mod, off the async threads: a zip
/// can be 500 MiB.
pub(super) async fn check_zip_file(
    module: &str,
    version: &str,
    zip_file: PathBuf,
    strictness: Strictness,
) -> Result<Checked, PublishError> {
    let module = module.to_owned();
    let version = version.to_owned();
    tokio::task::spawn_blocking(move || {
        check_zip_blocking(&module, &version, &zip_file, strictness)
    })
    .await
    .map_err(|e| PublishError::Internal(e.to_string()))?
}

fn check_zip_blocking(
    module: &str,
    version: &str,
    zip_file: &Path,
    strictness: Strictness,
) -> Result<Checked, PublishError> {
    let open = || {
        std::fs::File::open(zip_file)
            .map(std::io::BufReader::new)
            .map_err(|e| PublishError::Internal(format!("opening upload: {e}")))
    };
    let checked = match strictness {
        Strictness::Upload => gomod::check_zip_strict(open()?, module, version),
        Strictness::Import => gomod::check_zip(open()?, module, version),
    };
    checked.map_err(|e| PublishError::Invalid(e.to_string()))?;
    let go_mod = gomod::read_go_mod(open()?, module, version)
        .map_err(|e| PublishError::Invalid(e.to_string()))?;
    let go_mod = match go_mod {
        Some(go_mod) => {
            if version.ends_with("+incompatible") {
                return Err(PublishError::Invalid(format!(
                    "{module}@{version}: a +incompatible version has no go.mod, but the zip has one"
                )));
            }
            let parsed = gomod::ModFile::parse_lax(&go_mod)
                .map_err(|e| PublishError::Invalid(format!("{module}@{version}: go.mod: {e}")))?;
            match parsed.module.as_deref() {
                Some(declared) if declared == module => {}
                Some(declared) => {
                    return Err(PublishError::Invalid(format!(
                        "{module}@{version}: go.mod declares module {declared:?}, not {module:?}"
                    )));
                }
                None => {
                    return Err(PublishError::Invalid(format!(
                        "{module}@{version}: go.mod has no module directive"
                    )));
                }
            }
            go_mod
        }
        // What the go command synthesizes for a module without go.mod (spec 1.3).
        None => format!("module {module}\n").into_bytes(),
    };
    // The names and declared sizes passed; reading every entry is what shows an entry holding
    // more (or other) bytes than it declares: the upload's fault, not ours.
    let h1 = gomod::hash_zip(open()?).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData
        | std::io::ErrorKind::UnexpectedEof
        | std::io::ErrorKind::InvalidInput
        | std::io::ErrorKind::Unsupported => {
            PublishError::Invalid(format!("{module}@{version}: {e}"))
        }
        _ => PublishError::Internal(format!("hashing upload: {e}")),
    })?;
    let gomod_h1 = gomod::hash_go_mod(&go_mod);
    Ok(Checked {
        go_mod: Bytes::from(go_mod),
        h1,
        gomod_h1,
    })
}

/// `+incompatible` marks a v2+ version of a module that predates modules (spec 2.5), so it
/// needs a major of at least 2 and a path without a major suffix. x/mod's `CheckPathMajor`
/// accepts `/v2` with `v2.0.0+incompatible`; the go command's own rules (coderepo) do not, in
/// these words.
pub(super) fn check_incompatible(module: &str, version: &str) -> Result<(), PublishError> {
    if !version.ends_with("+incompatible") {
        return Ok(());
    }
    let path_major = gomod::split_path_version(module).map_or("", |(_, major)| major);
    let major = gomod::major(version).unwrap_or_default();
    let reason = if !path_major.is_empty() {
        "module path includes a major version suffix, so major version must match".to_owned()
    } else if major == "v0" || major == "v1" {
        format!("major version {major} is compatible")
    } else {
        return Ok(());
    };
    Err(PublishError::Invalid(format!(
        "{module}@{version}: invalid version: +incompatible suffix not allowed: {reason}"
    )))
}

/// A pseudo-version names a commit by its UTC time and the first 12 hex digits of its hash
/// (spec 2.4). A proxy's client takes any string of that shape, so a malformed one must be
/// stopped here, before it is served as if it named a commit.
pub(super) fn check_pseudo_version(module: &str, version: &str) -> Result<(), PublishError> {
    if !gomod::is_pseudo_version(version) {
        return Ok(());
    }
    let invalid = |reason: String| {
        PublishError::Invalid(format!(
            "{module}@{version}: invalid pseudo-version: {reason}"
        ))
    };
    // The shape is known: `…yyyymmddhhmmss-revision[+build]`.
    let body = version.split('+').next().unwrap_or_default();
    let (head, revision) = body.rsplit_once('-').unwrap_or_default();
    if gomod::pseudo_version_time(version).is_err() {
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

    /// (module, version, publishable) for the version rules publishing adds to `gomod::check`.
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
            let result =
                check_incompatible(module, version).and(check_pseudo_version(module, version));
            assert_eq!(result.is_ok(), want, "{module}@{version}: {result:?}");
            if let Err(e) = result {
                assert!(e.to_string().starts_with(&format!("{module}@{version}: ")));
            }
        }
    }
}
