//! The Go module domain, as `golang.org/x/mod` defines it: module paths and their case-encoding,
//! semantic versions and pseudo-versions, module zips, `h1:` hashes, and the part of go.mod a
//! proxy reads.
//!
//! Pure and synchronous: nothing here knows about HTTP, storage or async runtimes.
//!
//! Each function is named after the x/mod function it ports (`escape_path` is
//! `module.EscapePath`, `compare` is `semver.Compare`) and gives the same answer on every input;
//! the x/mod test tables are ported beside the code. The errors, [`ModuleError`], carry the
//! input that was rejected and read like the `go` command's messages.
//!
//! - Typed values ([`ModulePath`], [`Version`], [`ModuleVersion`]): checked once, with their
//!   escaped forms kept, for callers that take paths from URLs and turn them into keys.
//! - Paths ([`check_path`], [`escape_path`], [`split_path_version`], [`match_path_major`], …):
//!   what a module, import or file path may contain, the major version its suffix allows, and
//!   the `!`-for-upper-case escaping of proxy URLs and storage keys. Security-sensitive: a path
//!   accepted here becomes a storage key and a URL.
//! - Versions ([`is_valid`], [`compare`], [`canonical_version`], [`build`], …): Go's semver,
//!   with its leading `v` and `v1`/`v1.2` shorthands; and pseudo-versions, built
//!   ([`pseudo_version`]) and taken apart ([`is_pseudo_version`], [`pseudo_version_base`],
//!   [`pseudo_version_time`], [`pseudo_version_rev`]).
//! - Zips ([`create`], [`create_from_dir`], [`check_zip`], [`unzip`], …): which files go into a
//!   module zip and what a valid one looks like, with x/mod's limits ([`MAX_ZIP_FILE`],
//!   [`MAX_GO_MOD`], [`MAX_LICENSE`]). Every problem is reported, in a [`CheckedFiles`].
//! - Hashes ([`hash1`], [`hash_zip`], [`hash_go_mod`]): the `h1:` lines of go.sum and the
//!   checksum database.
//! - go.mod ([`ModFile::parse_lax`]): the module path, the go version and the retractions, read
//!   as leniently as the go command reads a dependency's go.mod; the module path alone
//!   ([`ModFile::module_path`]), and the go.mod of a module that has none ([`legacy_go_mod`]).
//! - The checksum database, as two modules named after x/mod's packages: [`note`] (Ed25519 keys,
//!   signed notes) and [`tlog`] (the transparency log: record and tree hashes, proofs, tiles,
//!   tree heads and lookup records), with storage behind the sync [`tlog::HashReader`] and
//!   [`tlog::TileReader`] traits.
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
//!
//! # Example: build, check and hash a zip
//!
//! The files can come from a directory ([`create_from_dir`]), or from anywhere as
//! [`ModuleFile`]s, such as blobs read from a git tag ([`MemFile`]):
//!
//! ```
//! use std::io::Cursor;
//! use gomod::MemFile;
//!
//! let files = [
//!     MemFile::new("go.mod", b"module example.com/hello\n\ngo 1.19\n".to_vec()),
//!     MemFile::new("hello.go", b"package hello\n\nfunc Hello() string { return \"hello\" }\n".to_vec()),
//!     // Another module: left out, and reported as omitted.
//!     MemFile::new("tools/go.mod", b"module example.com/hello/tools\n".to_vec()),
//! ];
//! let mut zip = Cursor::new(Vec::new());
//! let created = gomod::create(&mut zip, "example.com/hello", "v1.0.0", &files)?;
//! assert_eq!(created.valid, ["go.mod", "hello.go"]);
//! assert_eq!(created.omitted[0].to_string(), "tools/go.mod: file is in another module");
//!
//! // What a proxy does with an upload: check it, then hash it for go.sum.
//! let zip = zip.into_inner();
//! gomod::check_zip(Cursor::new(&zip), "example.com/hello", "v1.0.0")?;
//! assert_eq!(
//!     gomod::hash_zip(Cursor::new(&zip))?,
//!     "h1:YdH98tGxleleSc0AoVVCSWC4I2WDc1g0KPMQj//W6lY="
//! );
//!
//! // Invalid files are all reported, not only the first.
//! let bad = [MemFile::new("m.go", vec![]), MemFile::new("M.GO", vec![]), MemFile::new("bad'.go", vec![])];
//! let err = gomod::create(Cursor::new(Vec::new()), "example.com/m", "v1.0.0", &bad).unwrap_err();
//! assert_eq!(err.checked_files().map(|c| c.invalid.len()), Some(2));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

mod archive;
mod dirhash;
mod error;
mod gobase64;
mod modfile;
mod module;
pub mod mvs;
pub mod note;
mod path;
mod pattern;
pub mod tlog;
mod version;
mod zip;

pub use dirhash::{hash_go_mod, hash_zip, hash1};
pub use error::{ModuleError, ModuleErrorKind};
pub use modfile::{ModFile, ModFileError, ModFileErrors, Retraction, auto_quote, legacy_go_mod};
pub use module::{ModulePath, ModuleVersion, Version};
pub use path::{
    check, check_file_path, check_import_path, check_path, check_path_major, escape_path,
    escape_version, match_path_major, path_major_prefix, split_path_version, unescape_path,
    unescape_version,
};
pub use pattern::{check_prefix_pattern, match_prefix_patterns};
pub use version::{
    build, canonical, canonical_version, compare, is_pseudo_version, is_valid,
    is_zero_pseudo_version, major, prerelease, pseudo_version, pseudo_version_base,
    pseudo_version_rev, pseudo_version_time, sort, zero_pseudo_version,
};
pub use zip::{
    CheckedFiles, FileError, FileErrorKind, FileInfo, FileKind, InspectedZip, MAX_GO_MOD,
    MAX_LICENSE, MAX_ZIP_FILE, MemFile, ModuleFile, SizeError, ZipError, ZipErrorKind,
    ZipStrictness, check_dir, check_files, check_zip, check_zip_strict, create, create_from_dir,
    inspect_zip, read_go_mod, unzip,
};
