// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Module zips (x/mod `zip/zip.go`): what goes into one, and what a valid one looks like.
//!
//! A module version is served as a zip, and its go.sum hash ([`hash_zip`](crate::hash_zip)) is
//! taken over the names and contents of the zip's entries. So the same tree must always give the
//! same entries, and every client must be able to extract them on every file system. The rules,
//! each with what enforces it here:
//!
//! - **Every entry is named `<module>@<version>/<file path>`**, the module path and version
//!   unescaped (`example.com/Upper@v0.1.0-RC1/up.go`). The version must be canonical and agree
//!   with the path's major-version suffix ([`check`](crate::check)); the file path must be clean
//!   (`path.Clean`, so no `./`, `../` or `//`), relative, and pass
//!   [`check_file_path`](crate::check_file_path). [`check_zip`] reports an entry without the
//!   prefix; an entry named exactly `<module>@<version>/` is ignored.
//! - **No two paths are equal under Unicode case folding**, so the zip extracts the same on a
//!   case-insensitive file system: `m.go` and `M.GO` collide. Nor may a name be both a file and
//!   a directory (`a.go` and `a.go/b.go`), or appear twice. Folding is x/mod's `strToFold`.
//! - **`go.mod` only at the root, and spelled `go.mod`.** [`create`] leaves out any directory
//!   below the root that holds a file named `go.mod` in any case: it is another module.
//!   [`check_zip`] rejects a `go.mod` below the root and a `GO.MOD` anywhere.
//! - **Size limits.** The files' total uncompressed size is at most [`MAX_ZIP_FILE`] (500 MiB), and
//!   so is the zip file itself; the root `go.mod` is at most [`MAX_GO_MOD`] (16 MiB) and the root
//!   `LICENSE` at most [`MAX_LICENSE`] (16 MiB). [`check_zip`] adds up the sizes the central
//!   directory declares, and every read of an entry fails once it yields more than its declared
//!   size, so a zip that lies about its sizes cannot make [`unzip`] or
//!   [`hash_zip`](crate::hash_zip) go past the limit that was checked.
//! - **Only regular files.** [`create`] omits symbolic links and other irregular files, and writes
//!   no directory entries: [`hash_zip`](crate::hash_zip) hashes every entry, so a directory entry
//!   would change the hash. Empty directories, permissions and timestamps are not kept.
//!   [`check_zip`] tolerates directory entries, as x/mod does when reading; [`check_zip_strict`],
//!   for zips a proxy accepts for publishing, refuses them.
//! - **What is left out when building a zip** (reported as omitted, not as errors):
//!   - files in vendored packages, by x/mod's `isVendoredPackage`, which depends on the `go`
//!     line of the root go.mod (x/mod v0.22.0, golang.org/issue/63395 and
//!     golang.org/issue/37397):
//!     - before `go 1.24` (or without a go.mod, a `go` line, or with a go.mod x/mod cannot
//!       read): under `vendor/`, anything deeper than `vendor/<file>` (`vendor/modules.txt`
//!       stays), and, because of a bug that must be kept so old checksums still match
//!       (golang.org/issue/31562), every file below any other `…/vendor/` directory;
//!     - from `go 1.24` on: under any `vendor/` directory, anything deeper than
//!       `vendor/<file>`, and `vendor/modules.txt` itself; `pkg/vendor/x.go` stays;
//!   - files in nested modules, as above;
//!   - `.hg_archival.txt` at the root, which `hg archive` adds;
//!   - with [`create_from_dir`] only, the `.bzr`, `.git`, `.hg` and `.svn` directories.
//!
//! [`create`] works on any list of [`ModuleFile`]s: a directory ([`create_from_dir`]), files read
//! from a git tree (wrap each in a [`MemFile`]), or test fakes. Whatever the source, every
//! function here reports all the problems it finds, not just the first, in a [`CheckedFiles`].
//!
//! [`inspect_zip`] is [`check_zip`] (or [`check_zip_strict`]), [`read_go_mod`] and
//! [`hash_zip`](crate::hash_zip) in one pass over the zip, for a proxy that accepts one: a
//! 500 MiB upload is opened once, its central directory parsed once and each entry read once,
//! where the three calls open and parse it three times and read the go.mod twice.
//!
//! The hash lives in `dirhash.rs`, as in x/mod.

use std::io::{self, Read};

// One file per reason to change: the rules on a list of files (`files`) and on a zip's entries
// (`check`), the vendor rule (`vendor`), case-fold collisions (`fold`), Go's `path` functions
// (`gopath`), the report and its errors (`report`), and building, extracting and inspecting
// zips (`create`, `unzip`, `inspect`).
mod check;
mod create;
mod files;
mod fold;
mod gopath;
mod inspect;
mod report;
mod unzip;
mod vendor;
mod write;

/// Bytes that do not compress, the same for the same seed: test zips as large as their data.
#[cfg(test)]
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

pub use check::{check_zip, check_zip_strict, read_go_mod};
pub use create::{check_dir, create, create_from_dir};
pub use files::check_files;
pub use inspect::{InspectedZip, inspect_zip};
pub use report::{CheckedFiles, FileError, FileErrorKind, SizeError, ZipError, ZipErrorKind};
pub use unzip::unzip;

/// The most a module zip may hold, in total uncompressed bytes, and the largest zip file.
pub const MAX_ZIP_FILE: u64 = 500 << 20;

/// The largest `go.mod` a module zip may hold, in bytes.
pub const MAX_GO_MOD: u64 = 16 << 20;

/// The largest `LICENSE` a module zip may hold, in bytes.
pub const MAX_LICENSE: u64 = 16 << 20;

/// What kind of file a [`ModuleFile`] is, as `lstat` sees it: a symbolic link is not followed.
///
/// From a git tree: mode `100644` and `100755` are [`Regular`](Self::Regular), `120000` is
/// [`Symlink`](Self::Symlink), `040000` is [`Dir`](Self::Dir) and a submodule (`160000`) is
/// [`Other`](Self::Other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file, the only kind that goes into a zip.
    Regular,
    /// A directory.
    Dir,
    /// A symbolic link: omitted.
    Symlink,
    /// Anything else (device, socket, submodule…): omitted.
    Other,
}

/// The metadata the checks need: x/mod's `File.Lstat`, cut down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// What the file is.
    pub kind: FileKind,
    /// Its size in bytes, as declared. [`create`] fails if the contents turn out longer.
    pub size: u64,
}

/// A file that may go into a module zip (x/mod's `zip.File`): its path, its metadata and a way
/// to read it. The checks look only at `path` and `info`; `open` is called once, while writing.
pub trait ModuleFile {
    /// The slash-separated path from the module root, e.g. `cmd/hello/main.go`.
    fn path(&self) -> &str;

    /// The file's kind and size, not following symbolic links. An error makes the file invalid.
    fn info(&self) -> io::Result<FileInfo>;

    /// The contents of a regular file.
    fn open(&self) -> io::Result<Box<dyn Read + '_>>;
}

impl<T: ModuleFile + ?Sized> ModuleFile for &T {
    fn path(&self) -> &str {
        (**self).path()
    }
    fn info(&self) -> io::Result<FileInfo> {
        (**self).info()
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        (**self).open()
    }
}

impl<T: ModuleFile + ?Sized> ModuleFile for Box<T> {
    fn path(&self) -> &str {
        (**self).path()
    }
    fn info(&self) -> io::Result<FileInfo> {
        (**self).info()
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        (**self).open()
    }
}

/// A [`ModuleFile`] held in memory, e.g. a blob read with `git cat-file`.
///
/// ```
/// use gomod::{FileKind, MemFile};
///
/// let files = [
///     MemFile::new("go.mod", b"module example.com/hello\n".to_vec()),
///     MemFile::new("hello.go", b"package hello\n".to_vec()),
///     // A symbolic link's data is its target; it is omitted either way.
///     MemFile::with_kind("link.go", FileKind::Symlink, b"hello.go".to_vec()),
/// ];
/// let mut zip = std::io::Cursor::new(Vec::new());
/// let checked = gomod::create(&mut zip, "example.com/hello", "v1.0.0", &files)?;
/// assert_eq!(checked.valid, ["go.mod", "hello.go"]);
/// assert_eq!(checked.omitted[0].to_string(), "link.go: file is a symbolic link");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemFile<D = Vec<u8>> {
    /// The slash-separated path from the module root.
    pub path: String,
    /// What kind of file this is.
    pub kind: FileKind,
    /// The contents (for a symbolic link, its target).
    pub data: D,
}

impl<D: AsRef<[u8]>> MemFile<D> {
    /// A regular file.
    pub fn new(path: impl Into<String>, data: D) -> Self {
        Self::with_kind(path, FileKind::Regular, data)
    }

    /// A file of any kind.
    pub fn with_kind(path: impl Into<String>, kind: FileKind, data: D) -> Self {
        Self {
            path: path.into(),
            kind,
            data,
        }
    }
}

impl<D: AsRef<[u8]>> ModuleFile for MemFile<D> {
    fn path(&self) -> &str {
        &self.path
    }
    fn info(&self) -> io::Result<FileInfo> {
        Ok(FileInfo {
            kind: self.kind,
            size: self.data.as_ref().len() as u64,
        })
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.data.as_ref()))
    }
}

/// Which rules a zip is checked by: those for a zip a proxy accepts for publishing, or those of
/// the `go` command for a zip it downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZipStrictness {
    /// [`check_zip_strict`]: files only, no directory entries.
    Strict,
    /// [`check_zip`]: what the `go` command accepts on download; directory entries are skipped.
    Lenient,
}

/// The canonical-version check that x/mod's `Create`, `CheckZip` and `Unzip` make before
/// `module.Check`, with their message; then [`check`](crate::check).
pub(crate) fn check_module_version(module: &str, version: &str) -> Result<(), ZipError> {
    let canonical = crate::canonical_version(version).unwrap_or_default();
    if canonical != version {
        return Err(ZipError::new(
            module,
            version,
            ZipErrorKind::NotCanonical {
                version: version.to_owned(),
                canonical,
            },
        ));
    }
    crate::check(module, version)
        .map_err(|e| ZipError::new(module, version, ZipErrorKind::Module(Box::new(e))))
}

/// x/mod's `strings.EqualFold(base, "go.mod")`, also its `strings.ToLower(p) == "go.mod"`: no
/// character outside ASCII folds or lower-cases to one of `go.mod`'s letters, so ASCII case
/// folding gives the same answer.
fn is_go_mod_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("go.mod")
}

/// The limits on single files, which hold for a list of files and for a zip alike: the root
/// `go.mod` is at most [`MAX_GO_MOD`], the root `LICENSE` at most [`MAX_LICENSE`].
fn check_file_size(path: &str, size: u64) -> Result<(), FileErrorKind> {
    if path == "go.mod" && size > MAX_GO_MOD {
        return Err(FileErrorKind::GoModSize);
    }
    if path == "LICENSE" && size > MAX_LICENSE {
        return Err(FileErrorKind::LicenseSize);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages() {
        let err = check_module_version("example.com/m", "v1.0.0+bad").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"example.com/m@v1.0.0+bad: version "v1.0.0+bad" is not canonical (should be "v1.0.0")"#
        );
        let err = check_module_version("example.com/m", "v2.0.0").unwrap_err();
        assert_eq!(
            err.to_string(),
            "example.com/m@v2.0.0: invalid version: should be v0 or v1, not v2"
        );
        let err = check_module_version("example.com/m", "junk").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"example.com/m@junk: version "junk" is not canonical (should be "")"#
        );
        // One line, whatever the input.
        let error = FileError {
            path: "a\nb".into(),
            kind: FileErrorKind::Symlink,
        };
        assert_eq!(error.to_string(), r#""a\nb": file is a symbolic link"#);
    }
}
