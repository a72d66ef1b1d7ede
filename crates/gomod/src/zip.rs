// Ported from golang.org/x/mod (zip/zip.go) and Go's path/path.go. Copyright 2009, 2019 The Go Authors. All rights reserved.
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

use std::fmt;
use std::io::{self, Read};

use crate::ModuleError;
use crate::error::{bare, quote};

mod check;
mod create;
mod fold;
mod inspect;
mod unzip;

pub use check::{check_files, check_zip, check_zip_strict, read_go_mod};
pub use create::{check_dir, create, create_from_dir};
pub use inspect::{InspectedZip, inspect_zip};
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

/// Which files of a module are valid, omitted or invalid, and whether it is too large
/// (x/mod's `CheckedFiles`). Every file given to a check lands in exactly one list.
#[derive(Debug, Default)]
pub struct CheckedFiles {
    /// The paths that go (or went) into the zip: relative paths from [`check_files`] and
    /// [`create`], full entry names from [`check_zip`], file system paths from [`check_dir`].
    pub valid: Vec<String>,
    /// Files left out on purpose, and why.
    pub omitted: Vec<FileError>,
    /// Files that make the module invalid, and why.
    pub invalid: Vec<FileError>,
    /// Set when the files together, or the zip file itself, exceed [`MAX_ZIP_FILE`].
    pub size_error: Option<SizeError>,
}

impl CheckedFiles {
    /// Whether these files make a valid module zip: no size error and no invalid file.
    pub fn is_valid(&self) -> bool {
        self.size_error.is_none() && self.invalid.is_empty()
    }
}

/// x/mod's `CheckedFiles.Err`: the size error if there is one, else every invalid file. Joined
/// with `; ` where x/mod uses newlines, so the message stays on one line.
impl fmt::Display for CheckedFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(size_error) = &self.size_error {
            return write!(f, "{size_error}");
        }
        for (i, error) in self.invalid.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// A file that is omitted or invalid, and why: `path: reason`.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", bare(path))]
pub struct FileError {
    /// The file's path, or the entry's full name in a zip.
    pub path: String,
    /// Why it is omitted or invalid.
    #[source]
    pub kind: FileErrorKind,
}

/// Why a file is omitted or invalid, in x/mod's words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileErrorKind {
    /// The path is not what `path.Clean` makes of it.
    #[error("file path is not clean")]
    PathNotClean,
    /// The path starts with `/`.
    #[error("file path is not relative")]
    PathNotRelative,
    /// [`check_file_path`](crate::check_file_path) refused the path.
    #[error(transparent)]
    InvalidPath(ModuleError),
    /// `GO.MOD`, `Go.Mod`, … at the root.
    #[error("go.mod files must have lowercase names")]
    GoModCase,
    /// A zip entry named `go.mod` (in any case) below the root.
    #[error("go.mod file not in module root directory")]
    GoModNotRoot,
    /// The root `go.mod` exceeds [`MAX_GO_MOD`].
    #[error("go.mod file too large (max size is {MAX_GO_MOD} bytes)")]
    GoModSize,
    /// The root `LICENSE` exceeds [`MAX_LICENSE`].
    #[error("LICENSE file too large (max size is {MAX_LICENSE} bytes)")]
    LicenseSize,
    /// A zip entry outside `<module>@<version>/`.
    #[error("path does not have prefix {}", quote(prefix))]
    MissingPrefix {
        /// The prefix every entry needs.
        prefix: String,
    },
    /// Two paths equal under case folding.
    #[error(
        "case-insensitive file name collision: {} and {}",
        quote(first),
        quote(second)
    )]
    CaseCollision {
        /// The path seen first.
        first: String,
        /// The path that collides with it.
        second: String,
    },
    /// A path used for a file and for a directory.
    #[error("entry {} is both a file and a directory", quote(path))]
    FileAndDirectory {
        /// The path (the file's, or one of its parents).
        path: String,
    },
    /// The same file listed twice.
    #[error("multiple entries for file {}", quote(path))]
    Duplicate {
        /// The repeated path.
        path: String,
    },
    /// [`ModuleFile::info`] failed.
    #[error(transparent)]
    Io(io::Error),
    /// Omitted: a `.bzr`, `.git`, `.hg` or `.svn` directory.
    #[error("directory is a version control repository")]
    Vcs,
    /// Omitted: in a vendored package.
    #[error("file is in vendor directory")]
    Vendored,
    /// Omitted: in a directory below the root that has its own go.mod.
    #[error("file is in another module")]
    SubmoduleFile,
    /// Omitted: a directory below the root that has its own go.mod.
    #[error("directory is in another module")]
    SubmoduleDir,
    /// Omitted: `.hg_archival.txt` at the root.
    #[error("file is inserted by 'hg archive' and is always omitted")]
    HgArchival,
    /// Omitted: a symbolic link.
    #[error("file is a symbolic link")]
    Symlink,
    /// Omitted: neither a regular file nor a directory.
    #[error("not a regular file")]
    NotRegular,
    /// A zip entry for a directory, refused by [`check_zip_strict`].
    #[error(
        "directory entries are not allowed: they change the zip's h1 (build it with files only, like zip -D)"
    )]
    DirectoryEntry,
}

/// A module over the size limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// The files given to [`create`] or [`check_files`] add up to more than [`MAX_ZIP_FILE`].
    #[error("module source tree too large (max size is {MAX_ZIP_FILE} bytes)")]
    SourceTree,
    /// A zip's entries declare more than [`MAX_ZIP_FILE`] uncompressed bytes in total.
    #[error(
        "total uncompressed size of module contents too large (max size is {MAX_ZIP_FILE} bytes)"
    )]
    Contents,
    /// The zip file itself is larger than [`MAX_ZIP_FILE`].
    #[error("module zip file is too large ({size} bytes; limit is {MAX_ZIP_FILE} bytes)")]
    ZipFile {
        /// The zip file's size.
        size: u64,
    },
}

/// Creating, checking or extracting a module zip failed.
///
/// Reads `module@version: reason`, or just the reason when the module path or version is the
/// problem (the reason then names them) or is not known ([`check_files`], [`check_dir`]).
#[derive(Debug, thiserror::Error)]
pub struct ZipError {
    /// The module path, when known.
    pub module: String,
    /// The version, when known.
    pub version: String,
    /// What went wrong.
    #[source]
    pub kind: ZipErrorKind,
}

impl fmt::Display for ZipError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.module.is_empty() && self.version.is_empty()
            || matches!(self.kind, ZipErrorKind::Module(_))
        {
            return write!(f, "{}", self.kind);
        }
        write!(
            f,
            "{}@{}: {}",
            bare(&self.module),
            bare(&self.version),
            self.kind
        )
    }
}

impl ZipError {
    pub(crate) fn new(module: &str, version: &str, kind: ZipErrorKind) -> Self {
        Self {
            module: module.to_owned(),
            version: version.to_owned(),
            kind,
        }
    }

    /// The full report, when the error is that some files are invalid or too large.
    pub fn checked_files(&self) -> Option<&CheckedFiles> {
        match &self.kind {
            ZipErrorKind::Invalid(checked) => Some(checked),
            _ => None,
        }
    }

    /// Whether reading or writing failed (a reader, a writer or the file system), rather than
    /// the module, its files or the zip's contents being wrong.
    ///
    /// Told by the [`io::ErrorKind`] of the cause: `InvalidData`, `UnexpectedEof` (a zip cut
    /// short), `InvalidInput` and `Unsupported` (an unknown compression method) are the zip's
    /// fault, so a server answers 422 for them and 500 when this is true. A file whose
    /// metadata could not be read is reported in the [`CheckedFiles`], as x/mod does, and does
    /// not count.
    pub fn is_io(&self) -> bool {
        match &self.kind {
            ZipErrorKind::Archive(e) | ZipErrorKind::Read { source: e, .. } => !matches!(
                e.kind(),
                io::ErrorKind::InvalidData
                    | io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::InvalidInput
                    | io::ErrorKind::Unsupported
            ),
            ZipErrorKind::Write(_) | ZipErrorKind::Io { .. } => true,
            _ => false,
        }
    }

    /// Like [`checked_files`](Self::checked_files), by value.
    pub fn into_checked_files(self) -> Option<CheckedFiles> {
        match self.kind {
            ZipErrorKind::Invalid(checked) => Some(*checked),
            _ => None,
        }
    }
}

/// What went wrong with a module zip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ZipErrorKind {
    /// The module path or version is invalid.
    #[error(transparent)]
    Module(Box<ModuleError>),
    /// The version is valid but not canonical (`v1.2` for `v1.2.0`).
    #[error(
        "version {} is not canonical (should be {})",
        quote(version),
        quote(canonical)
    )]
    NotCanonical {
        /// The version given.
        version: String,
        /// Its canonical form, empty if there is none.
        canonical: String,
    },
    /// Some files are invalid, or the module is too large: the whole report.
    #[error("{0}")]
    Invalid(Box<CheckedFiles>),
    /// A file or entry held more data than its declared size.
    #[error("file {} is larger than declared size ({declared} bytes)", quote(name))]
    LargerThanDeclared {
        /// The file's path, or the entry's name.
        name: String,
        /// The size it declared.
        declared: u64,
    },
    /// [`unzip`]'s target directory has something in it.
    #[error("target directory {} exists and is not empty", dir.display())]
    NotEmpty {
        /// The target directory.
        dir: std::path::PathBuf,
    },
    /// The zip could not be read: malformed (`not a valid zip file`) or an I/O error.
    #[error("reading zip: {0}")]
    Archive(#[source] io::Error),
    /// A module file or zip entry could not be read.
    #[error("reading {}: {source}", quote(name))]
    Read {
        /// The file's path, or the entry's name.
        name: String,
        /// The cause.
        source: io::Error,
    },
    /// Writing the zip failed.
    #[error("writing zip: {0}")]
    Write(#[source] io::Error),
    /// A file system operation on `path` failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The cause.
        source: io::Error,
    },
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

/// Go's `path.Clean`: the shortest path equal to `p` by purely lexical processing.
pub(crate) fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for elem in p.split('/') {
        match elem {
            "" | "." => {}
            ".." => match out.last() {
                Some(&last) if last != ".." => {
                    out.pop();
                }
                // `..` at the root is the root; elsewhere it must stay.
                _ if rooted => {}
                _ => out.push(".."),
            },
            _ => out.push(elem),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's `path.Clean` tests (`path/path_test.go`).
    const CLEAN_CASES: &[(&str, &str)] = &[
        ("", "."),
        ("abc", "abc"),
        ("abc/def", "abc/def"),
        ("a/b/c", "a/b/c"),
        (".", "."),
        ("..", ".."),
        ("../..", "../.."),
        ("../../abc", "../../abc"),
        ("/abc", "/abc"),
        ("/", "/"),
        ("abc/", "abc"),
        ("abc/def/", "abc/def"),
        ("a/b/c/", "a/b/c"),
        ("./", "."),
        ("../", ".."),
        ("../../", "../.."),
        ("/abc/", "/abc"),
        ("abc//def//ghi", "abc/def/ghi"),
        ("//abc", "/abc"),
        ("///abc", "/abc"),
        ("//abc//", "/abc"),
        ("abc//", "abc"),
        ("abc/./def", "abc/def"),
        ("/./abc/def", "/abc/def"),
        ("abc/.", "abc"),
        ("abc/def/ghi/../jkl", "abc/def/jkl"),
        ("abc/def/../ghi/../jkl", "abc/jkl"),
        ("abc/def/..", "abc"),
        ("abc/def/../..", "."),
        ("/abc/def/../..", "/"),
        ("abc/def/../../..", ".."),
        ("/abc/def/../../..", "/"),
        ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
        ("abc/./../def", "def"),
        ("abc//./../def", "def"),
        ("abc/../../././../def", "../../def"),
    ];

    #[test]
    fn clean_like_go() {
        for &(path, want) in CLEAN_CASES {
            assert_eq!(clean(path), want, "clean({path:?})");
            assert_eq!(clean(want), want, "clean({want:?})");
        }
    }

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
