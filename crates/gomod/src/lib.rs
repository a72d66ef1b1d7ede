//! The Go module domain, as `golang.org/x/mod` defines it: module paths and their case-encoding,
//! semantic versions and pseudo-versions, and `h1:` hashes.
//!
//! Pure and synchronous: nothing here knows about HTTP, storage or async runtimes.
//!
//! Each function is named after the x/mod function it ports (`escape_path` is
//! `module.EscapePath`, `compare` is `semver.Compare`) and gives the same answer on every input;
//! the x/mod test tables are ported beside the code. The errors, [`ModuleError`], carry the
//! input that was rejected and read like the `go` command's messages.
//!
//! - Paths ([`check_path`], [`escape_path`], [`split_path_version`], …): what a module, import or
//!   file path may contain, and the `!`-for-upper-case escaping of proxy URLs and storage keys.
//!   Security-sensitive: a path accepted here becomes a storage key and a URL.
//! - Versions ([`is_valid`], [`compare`], [`canonical_version`], [`is_pseudo_version`], …): Go's
//!   semver, with its leading `v` and `v1`/`v1.2` shorthands, and pseudo-versions.
//! - Hashes ([`hash1`], [`hash_go_mod`]): the `h1:` lines of go.sum and the checksum database.
//!
//! # Example: escape a module path
//!
//! Proxy URLs and storage keys use the escaped form, which never needs two cases:
//!
//! ```
//! let escaped = gomod::escape_path("github.com/Azure/azure-sdk-for-go")?;
//! assert_eq!(escaped, "github.com/!azure/azure-sdk-for-go");
//! assert_eq!(gomod::unescape_path(&escaped)?, "github.com/Azure/azure-sdk-for-go");
//! assert_eq!(gomod::escape_version("v1.0.0-RC1")?, "v1.0.0-!r!c1");
//!
//! // A raw capital in a URL is refused, so each module has exactly one URL.
//! let err = gomod::unescape_path("github.com/Azure/azure-sdk-for-go").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     r#"malformed module path "github.com/Azure/azure-sdk-for-go": invalid escaping: upper-case 'A' (escaped as "!a")"#
//! );
//!
//! // The major version must agree with the path's suffix.
//! gomod::check("example.com/hello/v2", "v2.1.0")?;
//! let err = gomod::check("example.com/hello", "v2.1.0").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "example.com/hello@v2.1.0: invalid version: should be v0 or v1, not v2"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: order versions
//!
//! ```
//! use std::cmp::Ordering;
//!
//! let mut versions = ["v1.10.0", "v1.2.0", "v1.2.0-rc.10", "v0.9.0", "v1.2.0-rc.2"].map(String::from);
//! gomod::sort(&mut versions);
//! assert_eq!(versions, ["v0.9.0", "v1.2.0-rc.2", "v1.2.0-rc.10", "v1.2.0", "v1.10.0"]);
//!
//! assert_eq!(gomod::compare("v1.2", "v1.2.0"), Ordering::Equal);
//! assert_eq!(gomod::canonical("v1.2").as_deref(), Some("v1.2.0"));
//! assert_eq!(gomod::canonical_version("v2.0.0+incompatible").as_deref(), Some("v2.0.0+incompatible"));
//!
//! let pseudo = "v1.2.4-0.20191109021931-daa7c04131f5";
//! assert!(gomod::is_pseudo_version(pseudo));
//! assert_eq!(gomod::pseudo_version_time(pseudo)?, "20191109021931");
//! assert_eq!(gomod::compare("v1.2.3", pseudo), Ordering::Less);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: hash a go.mod
//!
//! go.sum holds two hashes per version: one of the `.mod` file, one of the zip's entries.
//!
//! ```
//! let go_mod = "module example.com/hello\n\ngo 1.19\n";
//! assert_eq!(
//!     gomod::hash_go_mod(go_mod.as_bytes()),
//!     "h1:RslnPMa/nR3RpskRbvoDBlr6/b2RhFS0EEnq72RQTo0="
//! );
//!
//! let hello = "package hello\n\nfunc Hello() string { return \"hello\" }\n";
//! let zip_hash = gomod::hash1([
//!     ("example.com/hello@v1.0.0/go.mod".to_string(), go_mod.as_bytes()),
//!     ("example.com/hello@v1.0.0/hello.go".to_string(), hello.as_bytes()),
//! ])?;
//! assert_eq!(zip_hash, "h1:YdH98tGxleleSc0AoVVCSWC4I2WDc1g0KPMQj//W6lY=");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod dirhash;
mod error;
mod path;
mod version;

pub use dirhash::{hash_go_mod, hash1};
pub use error::{ModuleError, ModuleErrorKind};
pub use path::{
    check, check_file_path, check_import_path, check_path, check_path_major, escape_path,
    escape_version, split_path_version, unescape_path, unescape_version,
};
pub use version::{
    canonical, canonical_version, compare, is_pseudo_version, is_valid, major, prerelease,
    pseudo_version_time, sort,
};
