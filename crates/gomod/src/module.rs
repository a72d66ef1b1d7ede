//! Module paths and versions as values: checked once, with their escaped forms kept.
//!
//! x/mod passes strings and checks them wherever they are used (`module.Version` is a plain pair
//! of strings). A proxy receives them from URLs and turns them into storage keys and URLs again,
//! so here they are parsed once, at the edge, into types that cannot hold an invalid value:
//!
//! - [`ModulePath`]: a path [`check_path`] accepts, with its [`escape_path`] form;
//! - [`Version`]: a canonical semantic version (the only kind that names module files), with its
//!   [`escape_version`] form;
//! - [`ModuleVersion`]: the two together, agreeing on the major version as [`check`] demands.
//!
//! Both forms are shared (`Arc<str>`), so passing a value to another task costs a reference
//! count, not a copy.
//!
//! [`check`]: crate::check
//! [`check_path`]: crate::check_path

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::error::ModuleError;
use crate::path::{
    check_path_major, escape_path, escape_version, split_path_version, unescape_path,
    unescape_version,
};
use crate::version::{canonical_version, compare, is_pseudo_version, is_valid, prerelease};

/// A valid module path and its escaped form (`github.com/Azure/x` and `github.com/!azure/x`).
///
/// Equal, hashed and ordered by the path alone, which decides the escaped form; so a map keyed
/// by `ModulePath` can be searched with a `&str`.
#[derive(Clone)]
pub struct ModulePath {
    path: Arc<str>,
    escaped: Arc<str>,
}

impl ModulePath {
    /// Checks `path` ([`check_path`](crate::check_path)) and escapes it.
    pub fn new(path: &str) -> Result<ModulePath, ModuleError> {
        let escaped = escape_path(path)?;
        Ok(ModulePath {
            path: path.into(),
            escaped: escaped.into(),
        })
    }

    /// Unescapes a path as it appears in a URL or a storage key, and checks it.
    pub fn from_escaped(escaped: &str) -> Result<ModulePath, ModuleError> {
        let path = unescape_path(escaped)?;
        Ok(ModulePath {
            path: path.into(),
            escaped: escaped.into(),
        })
    }

    /// The path, as in go.mod.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// The path with each capital as `!` and its lower case, as in URLs and storage keys.
    pub fn escaped(&self) -> &str {
        &self.escaped
    }

    /// The major version suffix: `/v2`, `.v2` for `gopkg.in`, or `""`.
    pub fn path_major(&self) -> &str {
        // A checked path always splits; the fallback is never taken.
        split_path_version(&self.path).map_or("", |(_, major)| major)
    }
}

impl PartialEq for ModulePath {
    fn eq(&self, other: &ModulePath) -> bool {
        self.path == other.path
    }
}

impl Eq for ModulePath {}

impl Hash for ModulePath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.path.hash(state);
    }
}

impl PartialOrd for ModulePath {
    fn partial_cmp(&self, other: &ModulePath) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ModulePath {
    fn cmp(&self, other: &ModulePath) -> Ordering {
        self.path.cmp(&other.path)
    }
}

impl Borrow<str> for ModulePath {
    fn borrow(&self) -> &str {
        &self.path
    }
}

impl AsRef<str> for ModulePath {
    fn as_ref(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path)
    }
}

impl fmt::Debug for ModulePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.path, f)
    }
}

/// A canonical semantic version (`v1.2.3`, `v1.2.3-rc.1`, `v2.0.0+incompatible`, a
/// pseudo-version) and its escaped form (`v1.2.3-!r!c1` for `v1.2.3-RC1`).
///
/// Only canonical versions name module files: `v1.2` and `v1.2.0` must not both be stored.
/// Ordered by semantic version precedence, then by text where precedence ties (`v2.0.0` and
/// `v2.0.0+incompatible`), as [`sort`](crate::sort) orders: a total order that agrees with
/// equality.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Version {
    version: Arc<str>,
    escaped: Arc<str>,
}

impl Version {
    /// Checks that `version` is a canonical semantic version, and escapes it.
    pub fn new(version: &str) -> Result<Version, ModuleError> {
        check_canonical("", version)?;
        let escaped = escape_version(version)?;
        Ok(Version {
            version: version.into(),
            escaped: escaped.into(),
        })
    }

    /// Unescapes a version as it appears in a URL or a storage key, and checks it.
    pub fn from_escaped(escaped: &str) -> Result<Version, ModuleError> {
        let version = unescape_version(escaped)?;
        check_canonical("", &version)?;
        Ok(Version {
            version: version.into(),
            escaped: escaped.into(),
        })
    }

    /// The version, as in go.mod and go.sum.
    pub fn as_str(&self) -> &str {
        &self.version
    }

    /// The version with each capital as `!` and its lower case.
    pub fn escaped(&self) -> &str {
        &self.escaped
    }

    /// Whether this is a pseudo-version, naming a commit rather than a tag.
    pub fn is_pseudo(&self) -> bool {
        is_pseudo_version(&self.version)
    }

    /// Whether this is a pre-release (`-` suffix), pseudo-versions included.
    pub fn is_prerelease(&self) -> bool {
        !prerelease(&self.version).is_empty()
    }

    /// Whether this is a `+incompatible` version of a module without go.mod.
    pub fn is_incompatible(&self) -> bool {
        self.version.ends_with("+incompatible")
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        compare(&self.version, &other.version).then_with(|| self.version.cmp(&other.version))
    }
}

impl AsRef<str> for Version {
    fn as_ref(&self) -> &str {
        &self.version
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.version)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.version, f)
    }
}

/// A module path and a version of it: the version agrees with the path's major suffix
/// (`example.com/m/v2` takes only v2; `example.com/m` takes v0, v1 and `+incompatible`).
/// Ordered by path, then version.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleVersion {
    path: ModulePath,
    version: Version,
}

impl ModuleVersion {
    /// Checks that `version` is a version of `path` ([`check_path_major`]).
    pub fn new(path: ModulePath, version: Version) -> Result<ModuleVersion, ModuleError> {
        check_path_major(version.as_str(), path.path_major()).map_err(|err| ModuleError {
            path: path.as_str().to_owned(),
            ..err
        })?;
        Ok(ModuleVersion { path, version })
    }

    /// A path and a version as written in go.mod or go.sum, checked as [`check`] checks them,
    /// with its error messages.
    ///
    /// [`check`]: crate::check
    pub fn parse(path: &str, version: &str) -> Result<ModuleVersion, ModuleError> {
        ModuleVersion::of(ModulePath::new(path)?, version)
    }

    /// `version` (as written, unescaped) of a checked `path`: the path is not checked again,
    /// and errors read `path@version: invalid version: …`.
    pub fn of(path: ModulePath, version: &str) -> Result<ModuleVersion, ModuleError> {
        check_canonical(path.as_str(), version)?;
        let escaped = escape_version(version)?;
        let version = Version {
            version: version.into(),
            escaped: escaped.into(),
        };
        ModuleVersion::new(path, version)
    }

    /// The module path.
    pub fn path(&self) -> &ModulePath {
        &self.path
    }

    /// The version.
    pub fn version(&self) -> &Version {
        &self.version
    }
}

impl fmt::Display for ModuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.path, self.version)
    }
}

impl fmt::Debug for ModuleVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// A valid semantic version in canonical form; errors name `path` when it is known.
fn check_canonical(path: &str, version: &str) -> Result<(), ModuleError> {
    if !is_valid(version) {
        return Err(ModuleError::invalid_version(
            path,
            version,
            "not a semantic version",
        ));
    }
    match canonical_version(version).filter(|c| c != version) {
        Some(canonical) => Err(ModuleError::invalid_version(
            path,
            version,
            format!(
                "not canonical (should be {})",
                crate::error::quote(&canonical)
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_keep_both_forms_and_compare_by_path() {
        let path = ModulePath::new("github.com/Azure/sdk").expect("valid");
        assert_eq!(path.as_str(), "github.com/Azure/sdk");
        assert_eq!(path.escaped(), "github.com/!azure/sdk");
        let again = ModulePath::from_escaped("github.com/!azure/sdk").expect("valid");
        assert_eq!(path, again);
        let mut set = std::collections::HashSet::new();
        set.insert(path);
        assert!(set.contains("github.com/Azure/sdk"));
        assert!(ModulePath::new("github.com/a//b").is_err());
        assert!(ModulePath::from_escaped("github.com/Azure/sdk").is_err());
    }

    #[test]
    fn only_canonical_versions() {
        let v = Version::new("v1.0.0-RC1").expect("valid");
        assert_eq!(v.escaped(), "v1.0.0-!r!c1");
        assert_eq!(Version::from_escaped("v1.0.0-!r!c1").expect("valid"), v);
        assert!(v.is_prerelease() && !v.is_pseudo());
        assert!(
            Version::new("v2.0.0+incompatible")
                .expect("valid")
                .is_incompatible()
        );
        assert_eq!(
            Version::new("v1.2").unwrap_err().to_string(),
            r#"v1.2: invalid version: not canonical (should be "v1.2.0")"#
        );
        assert!(Version::new("master").is_err());
        let mut sorted: Vec<Version> = ["v2.0.0+incompatible", "v1.10.0", "v2.0.0", "v1.9.0"]
            .iter()
            .map(|v| Version::new(v).expect("valid"))
            .collect();
        sorted.sort();
        let sorted: Vec<&str> = sorted.iter().map(Version::as_str).collect();
        assert_eq!(
            sorted,
            ["v1.9.0", "v1.10.0", "v2.0.0", "v2.0.0+incompatible"]
        );
    }

    #[test]
    fn module_versions_agree_on_the_major() {
        for (path, version, ok) in [
            ("example.com/m", "v1.0.0", true),
            ("example.com/m", "v2.0.0+incompatible", true),
            ("example.com/m", "v2.0.0", false),
            ("example.com/m/v2", "v2.1.0", true),
            ("example.com/m/v2", "v1.0.0", false),
            ("gopkg.in/yaml.v2", "v2.4.0", true),
        ] {
            let parsed = ModuleVersion::parse(path, version).map(|mv| mv.to_string());
            assert_eq!(parsed.is_ok(), ok, "{path}@{version}");
            let checked = crate::check(path, version).map(|()| format!("{path}@{version}"));
            // The same verdict, and the same message, as `check`.
            assert_eq!(
                parsed.map_err(|e| e.to_string()),
                checked.map_err(|e| e.to_string())
            );
        }
        let mv = ModuleVersion::parse("example.com/m/v2", "v2.1.0").expect("valid");
        assert_eq!(mv.to_string(), "example.com/m/v2@v2.1.0");
    }
}
