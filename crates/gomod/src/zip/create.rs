// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Building module zips (x/mod `Create`, `CreateFromDir`) and listing a directory the way they
//! do (`listFilesInDir`, `CheckDir`).

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::files::{ValidFile, check_file_list};
use super::vendor::{VendorRule, is_vendored_package};
use super::write::ZipWriter;
use super::{
    CheckedFiles, FileError, FileErrorKind, FileInfo, FileKind, ModuleFile, ZipError, ZipErrorKind,
    check_module_version,
};

/// Writes the module zip of `module@version` from `files` to `w` (x/mod `Create`).
///
/// Checks the module path and version, then the files as [`check_files`](super::check_files)
/// does, and writes nothing if anything is wrong. Omitted files (nested modules, vendored
/// packages, symbolic links…) are left out. Entries are deflated, in the order given, with no
/// directory entries and a fixed 1980 timestamp, so the same files always give the same bytes.
///
/// Returns the report: the paths written and the files omitted.
pub fn create<W: Write + Seek, F: ModuleFile>(
    w: W,
    module: &str,
    version: &str,
    files: &[F],
) -> Result<CheckedFiles, ZipError> {
    check_module_version(module, version)?;
    let (checked, valid) = check_file_list(files);
    let checked = checked.into_result(module, version)?;
    write_zip(w, module, version, files, &valid)
        .map_err(|kind| ZipError::new(module, version, kind))?;
    Ok(checked)
}

fn write_zip<W: Write + Seek, F: ModuleFile>(
    w: W,
    module: &str,
    version: &str,
    files: &[F],
    valid: &[ValidFile],
) -> Result<(), ZipErrorKind> {
    let mut zip = ZipWriter::new(w);
    let mut buf = vec![0u8; 64 << 10];
    for &ValidFile { index, size } in valid {
        let f = &files[index];
        let read_error = |source| ZipErrorKind::Read {
            name: f.path().to_owned(),
            source,
        };
        let mut contents = f.open().map_err(read_error)?.take(size.saturating_add(1));
        zip.start(&format!("{module}@{version}/{}", f.path()))
            .map_err(ZipErrorKind::Write)?;
        let mut written = 0u64;
        loop {
            let n = match contents.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(e)),
            };
            written += n as u64;
            // The size was checked against the limits; the contents must not outgrow it.
            if written > size {
                return Err(ZipErrorKind::LargerThanDeclared {
                    name: f.path().to_owned(),
                    declared: size,
                });
            }
            zip.write(&buf[..n]).map_err(ZipErrorKind::Write)?;
        }
    }
    zip.finish().map_err(ZipErrorKind::Write)?;
    Ok(())
}

/// Writes the module zip of `module@version` from the directory `dir` to `w`
/// (x/mod `CreateFromDir`).
///
/// As [`create`], after listing `dir` the way x/mod does: `.bzr`, `.git`, `.hg` and `.svn`
/// directories are skipped, so are directories below the root with a `go.mod` of their own,
/// symbolic links are never followed (not even `dir` itself), and vendored packages are left
/// out. The report's `omitted` holds what the listing skipped too.
///
/// Copying a repository's root `LICENSE` into a module in a subdirectory, as the go command
/// does for modules fetched from version control, is the caller's business: add it as a
/// [`MemFile`](super::MemFile) and call [`create`].
pub fn create_from_dir<W: Write + Seek>(
    w: W,
    module: &str,
    version: &str,
    dir: &Path,
) -> Result<CheckedFiles, ZipError> {
    let (files, omitted) =
        list_files_in_dir(dir).map_err(|kind| ZipError::new(module, version, kind))?;
    let mut checked = create(w, module, version, &files)?;
    checked.omitted.extend(omitted);
    Ok(checked)
}

/// Which files in `dir` would go into a module zip (x/mod `CheckDir`): [`check_files`] over
/// the listing [`create_from_dir`] makes. Paths in the report are file system paths, `dir`
/// joined to each; omitted directories (nested modules, VCS, vendor) appear without their files.
///
/// [`check_files`]: super::check_files
pub fn check_dir(dir: &Path) -> Result<CheckedFiles, ZipError> {
    let (files, omitted) = list_files_in_dir(dir).map_err(|kind| ZipError::new("", "", kind))?;
    let (mut checked, _) = check_file_list(&files);
    let join = |p: &str| {
        // filepath.Join cleans, so the root itself is `dir`, not `dir/.`.
        if p == "." {
            dir.display().to_string()
        } else {
            dir.join(p).display().to_string()
        }
    };
    checked.omitted.extend(omitted);
    for path in &mut checked.valid {
        *path = join(path);
    }
    for error in checked.omitted.iter_mut().chain(checked.invalid.iter_mut()) {
        error.path = join(&error.path);
    }
    checked.into_result("", "")
}

/// A file found by [`list_files_in_dir`].
struct DirFile {
    fs_path: PathBuf,
    slash_path: String,
    info: FileInfo,
}

impl ModuleFile for DirFile {
    fn path(&self) -> &str {
        &self.slash_path
    }
    fn info(&self) -> io::Result<FileInfo> {
        Ok(self.info)
    }
    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(fs::File::open(&self.fs_path)?))
    }
}

/// x/mod `listFilesInDir`: walks `dir` in lexical order without following symbolic links, and
/// returns the files and what it skipped. Any I/O error stops the walk.
///
/// Vendored packages are skipped by the rule of the `go` line in `dir/go.mod`, read as x/mod
/// reads it: following a symbolic link, and as no `go` line if it cannot be read.
fn list_files_in_dir(dir: &Path) -> Result<(Vec<DirFile>, Vec<FileError>), ZipErrorKind> {
    let vendor_rule = fs::read(dir.join("go.mod"))
        .map_or(VendorRule::Go123, |go_mod| VendorRule::of_go_mod(&go_mod));
    let mut files = Vec::new();
    let mut omitted = Vec::new();
    let root = lstat(dir)?;
    walk(dir, ".", &root, vendor_rule, &mut files, &mut omitted)?;
    Ok((files, omitted))
}

fn walk(
    fs_path: &Path,
    slash_path: &str,
    meta: &fs::Metadata,
    vendor_rule: VendorRule,
    files: &mut Vec<DirFile>,
    omitted: &mut Vec<FileError>,
) -> Result<(), ZipErrorKind> {
    let mut omit = |kind| {
        omitted.push(FileError {
            path: slash_path.to_owned(),
            kind,
        });
    };
    // A directory in a vendored package is reported but still walked, so each of its files
    // is reported too, as x/mod's Walk callback does.
    let vendored = is_vendored_package(slash_path, vendor_rule);
    if vendored {
        omit(FileErrorKind::Vendored);
    }
    let file_type = meta.file_type();
    if !file_type.is_dir() {
        if vendored {
            return Ok(());
        }
        if !file_type.is_file() {
            omit(FileErrorKind::NotRegular);
            return Ok(());
        }
        files.push(DirFile {
            fs_path: fs_path.to_owned(),
            slash_path: slash_path.to_owned(),
            info: FileInfo {
                kind: FileKind::Regular,
                size: meta.len(),
            },
        });
        return Ok(());
    }
    if slash_path != "." && !vendored {
        let base = slash_path.rsplit('/').next().unwrap_or(slash_path);
        // Fossil keeps its repository in a file of any name, so only these are recognized.
        if matches!(base, ".bzr" | ".git" | ".hg" | ".svn") {
            omit(FileErrorKind::Vcs);
            return Ok(());
        }
        // Exactly `go.mod` here, whatever the file system's case rules; a go.mod that is a
        // symbolic link still marks another module.
        if fs::symlink_metadata(fs_path.join("go.mod")).is_ok_and(|m| !m.is_dir()) {
            omit(FileErrorKind::SubmoduleDir);
            return Ok(());
        }
    }
    let mut entries = fs::read_dir(fs_path)
        .and_then(|entries| {
            entries
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<Vec<_>>>()
        })
        .map_err(|source| ZipErrorKind::Io {
            path: fs_path.to_owned(),
            source,
        })?;
    // Go's Walk sorts names as byte strings; so does OsString on Unix.
    entries.sort();
    for name in entries {
        let child = fs_path.join(&name);
        // A name that is not UTF-8 keeps its place in the walk but can never pass
        // check_file_path: U+FFFD is not a letter.
        let name = name.to_string_lossy();
        let child_slash = if slash_path == "." {
            name.into_owned()
        } else {
            format!("{slash_path}/{name}")
        };
        let meta = lstat(&child)?;
        walk(&child, &child_slash, &meta, vendor_rule, files, omitted)?;
    }
    Ok(())
}

fn lstat(path: &Path) -> Result<fs::Metadata, ZipErrorKind> {
    fs::symlink_metadata(path).map_err(|source| ZipErrorKind::Io {
        path: path.to_owned(),
        source,
    })
}
