// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! How the zip functions report problems: the [`CheckedFiles`] report with its [`FileError`]s
//! and [`SizeError`], and the [`ZipError`] every function returns, in x/mod's words.

use std::fmt;
use std::io;

use super::{MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE};
use crate::ModuleError;
use crate::error::{bare, quote};

/// Which files of a module are valid, omitted or invalid, and whether it is too large
/// (x/mod's `CheckedFiles`). Every file given to a check lands in exactly one list.
#[derive(Debug, Default)]
pub struct CheckedFiles {
    /// The paths that go (or went) into the zip: relative paths from [`check_files`](super::check_files) and
    /// [`create`](super::create), full entry names from [`check_zip`](super::check_zip), file system paths from [`check_dir`](super::check_dir).
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

    /// `Ok(self)` when valid, else the error that holds it, about `module@version` ("" when
    /// not known).
    pub(crate) fn into_result(self, module: &str, version: &str) -> Result<Self, ZipError> {
        if self.is_valid() {
            Ok(self)
        } else {
            Err(ZipError::invalid(self, module, version))
        }
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
    /// [`ModuleFile::info`](super::ModuleFile::info) failed.
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
    /// A zip entry for a directory, refused by [`check_zip_strict`](super::check_zip_strict).
    #[error(
        "directory entries are not allowed: they change the zip's h1 (build it with files only, like zip -D)"
    )]
    DirectoryEntry,
}

/// A module over the size limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SizeError {
    /// The files given to [`create`](super::create) or [`check_files`](super::check_files) add up to more than [`MAX_ZIP_FILE`].
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
/// problem (the reason then names them) or is not known ([`check_files`](super::check_files), [`check_dir`](super::check_dir)).
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

    /// The error for a module whose files or zip break the rules: the whole report.
    pub(crate) fn invalid(checked: CheckedFiles, module: &str, version: &str) -> Self {
        Self::new(module, version, ZipErrorKind::Invalid(Box::new(checked)))
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
    /// [`unzip`](super::unzip)'s target directory has something in it.
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
