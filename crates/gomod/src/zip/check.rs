// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Whether a module zip is valid (x/mod `CheckZip` and `checkZip`), from its central directory
//! alone, and its go.mod.

use std::io::{self, Read, Seek, SeekFrom};

use super::fold::Collisions;
use super::gopath::{clean, split};
use super::{
    CheckedFiles, FileError, FileErrorKind, MAX_GO_MOD, MAX_ZIP_FILE, SizeError, ZipError,
    ZipErrorKind, ZipStrictness, check_file_size, check_module_version, is_go_mod_name,
};
use crate::archive::Archive;
use crate::{ModuleError, ModuleErrorKind, check_file_path};

/// Checks a module zip's names and declared sizes without extracting it (x/mod `CheckZip`);
/// [`unzip`](super::unzip) and [`hash_zip`](crate::hash_zip) hold each entry to its declared
/// size when they read it.
///
/// Directory entries are allowed and skipped, as in x/mod, but take part in the collision
/// checks. `Err` for an invalid module path or version, an unreadable zip, or a zip that breaks
/// the rules, in which case [`checked_files`](ZipError::checked_files) lists every problem.
///
/// ```
/// use std::io::{Cursor, Write};
///
/// // Two entries that collide on a case-insensitive file system.
/// let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
/// for name in ["example.com/m@v1.0.0/m.go", "example.com/m@v1.0.0/M.GO"] {
///     zip.start_file(name, zip::write::SimpleFileOptions::default())?;
///     zip.write_all(b"package m\n")?;
/// }
/// let zip = zip.finish()?;
///
/// let err = gomod::check_zip(zip, "example.com/m", "v1.0.0").unwrap_err();
/// let report = err.checked_files().expect("a report");
/// assert_eq!(report.valid, ["example.com/m@v1.0.0/m.go"]);
/// assert_eq!(
///     err.to_string(),
///     r#"example.com/m@v1.0.0: example.com/m@v1.0.0/M.GO: case-insensitive file name collision: "m.go" and "M.GO""#
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_zip<R: Read + Seek>(
    zip: R,
    module: &str,
    version: &str,
) -> Result<CheckedFiles, ZipError> {
    let (_, checked) = open_valid(zip, module, version, ZipStrictness::Lenient)?;
    Ok(checked)
}

/// Like [`check_zip`], and refuses directory entries too (the bare `<module>@<version>/` one
/// included), each reported as [`FileErrorKind::DirectoryEntry`]. Not in x/mod: for zips a proxy
/// accepts for publishing.
///
/// x/mod skips directory entries when reading a zip, but [`hash_zip`](crate::hash_zip) hashes
/// every entry, so a zip with one has another `h1:` than the zip the `go` command builds from the
/// same files in direct mode (spec 3.1): go.sum lines made from the source would not match it.
///
/// ```
/// use std::io::{Cursor, Write};
///
/// let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
/// let options = zip::write::SimpleFileOptions::default();
/// zip.add_directory("example.com/m@v1.0.0/sub/", options)?;
/// zip.start_file("example.com/m@v1.0.0/sub/s.go", options)?;
/// zip.write_all(b"package sub\n")?;
/// let zip = zip.finish()?.into_inner();
///
/// gomod::check_zip(Cursor::new(&zip), "example.com/m", "v1.0.0")?;
/// let err = gomod::check_zip_strict(Cursor::new(&zip), "example.com/m", "v1.0.0").unwrap_err();
/// assert!(err.to_string().starts_with(
///     "example.com/m@v1.0.0: example.com/m@v1.0.0/sub/: directory entries are not allowed"
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_zip_strict<R: Read + Seek>(
    zip: R,
    module: &str,
    version: &str,
) -> Result<CheckedFiles, ZipError> {
    let (_, checked) = open_valid(zip, module, version, ZipStrictness::Strict)?;
    Ok(checked)
}

/// The module's `go.mod`, read from its zip: `None` when the zip has none. Checks nothing but
/// its size ([`MAX_GO_MOD`]); call [`check_zip`] first, or call
/// [`inspect_zip`](super::inspect_zip), which does both and hashes the zip, in one pass.
pub fn read_go_mod<R: Read + Seek>(
    zip: R,
    module: &str,
    version: &str,
) -> Result<Option<Vec<u8>>, ZipError> {
    let fail = |kind| ZipError::new(module, version, kind);
    let name = root_go_mod(module, version);
    let mut archive = open_archive(zip).map_err(|e| fail(ZipErrorKind::Archive(e)))?;
    // After check_zip there is at most one; with several, hash_zip (like x/mod's HashZip)
    // hashes the last one's contents, so that is the one to read.
    let Some(index) = archive
        .entries()
        .iter()
        .rposition(|e| e.name == name.as_bytes())
    else {
        return Ok(None);
    };
    if archive.entries()[index].uncompressed_size > MAX_GO_MOD {
        let checked = CheckedFiles {
            invalid: vec![FileError {
                path: name,
                kind: FileErrorKind::GoModSize,
            }],
            ..CheckedFiles::default()
        };
        return Err(fail(ZipErrorKind::Invalid(Box::new(checked))));
    }
    let read_error = |source| ZipErrorKind::Read {
        name: name.clone(),
        source,
    };
    let mut go_mod = Vec::new();
    archive
        .open(index)
        .and_then(|mut r| r.read_to_end(&mut go_mod))
        .map_err(|e| fail(read_error(e)))?;
    Ok(Some(go_mod))
}

/// The name of the zip entry that holds the module's go.mod.
pub(super) fn root_go_mod(module: &str, version: &str) -> String {
    format!("{module}@{version}/go.mod")
}

fn open_archive<R: Read + Seek>(mut zip: R) -> io::Result<Archive<R>> {
    let size = zip.seek(SeekFrom::End(0))?;
    Archive::new(zip, size)
}

/// x/mod `checkZip`, the one implementation of the zip rules: the open archive (for `unzip`,
/// `inspect_zip`) and the report, `Err` with the whole report when the zip is invalid.
pub(super) fn open_valid<R: Read + Seek>(
    zip: R,
    module: &str,
    version: &str,
    strictness: ZipStrictness,
) -> Result<(Archive<R>, CheckedFiles), ZipError> {
    match open_checked(zip, module, version, strictness)? {
        (Some(archive), checked) if checked.is_valid() => Ok((archive, checked)),
        // No archive only for a zip over the size limit, which the report says.
        (_, checked) => Err(ZipError::invalid(checked, module, version)),
    }
}

/// `Err` only for the module path and version or an unreadable archive; the report says
/// whether the zip is valid. The archive is not opened when the zip is over the size limit.
fn open_checked<R: Read + Seek>(
    mut zip: R,
    module: &str,
    version: &str,
    strictness: ZipStrictness,
) -> Result<(Option<Archive<R>>, CheckedFiles), ZipError> {
    let strict = strictness == ZipStrictness::Strict;
    check_module_version(module, version)?;
    let fail = |e| ZipError::new(module, version, ZipErrorKind::Archive(e));
    let size = zip.seek(SeekFrom::End(0)).map_err(fail)?;
    if size > MAX_ZIP_FILE {
        let checked = CheckedFiles {
            size_error: Some(SizeError::ZipFile { size }),
            ..CheckedFiles::default()
        };
        return Ok((None, checked));
    }
    let archive = Archive::new(zip, size).map_err(fail)?;

    let mut checked = CheckedFiles::default();
    let prefix = format!("{module}@{version}/");
    let mut collisions = Collisions::default();
    let mut total = 0u64;
    for entry in archive.entries() {
        // Names are bytes; a name that is not UTF-8 can only be invalid, and is shown lossily.
        let full = String::from_utf8_lossy(&entry.name).into_owned();
        let outcome = check_entry(
            entry,
            &prefix,
            strict,
            &mut collisions,
            &mut total,
            &mut checked,
        );
        match outcome {
            Ok(true) => checked.valid.push(full),
            Ok(false) => {}
            Err(kind) => checked.invalid.push(FileError { path: full, kind }),
        }
    }
    Ok((Some(archive), checked))
}

/// One entry of x/mod `checkZip`: `Ok(true)` for a valid file, `Ok(false)` for an entry that is
/// skipped (a directory, or the bare prefix; with `strict`, those are errors).
fn check_entry(
    entry: &crate::archive::Entry,
    prefix: &str,
    strict: bool,
    collisions: &mut Collisions,
    total: &mut u64,
    checked: &mut CheckedFiles,
) -> Result<bool, FileErrorKind> {
    let rest =
        entry
            .name
            .strip_prefix(prefix.as_bytes())
            .ok_or_else(|| FileErrorKind::MissingPrefix {
                prefix: prefix.to_owned(),
            })?;
    if rest.is_empty() {
        return if strict {
            Err(FileErrorKind::DirectoryEntry)
        } else {
            Ok(false)
        };
    }
    let (rest, is_dir) = match rest.strip_suffix(b"/") {
        Some(dir) => (dir, true),
        None => (rest, false),
    };
    // Replacing bad bytes with U+FFFD keeps every `/` and `.`, so cleanliness is unchanged.
    let lossy = String::from_utf8_lossy(rest);
    if clean(&lossy) != lossy {
        return Err(FileErrorKind::PathNotClean);
    }
    let name = std::str::from_utf8(rest).map_err(|_| {
        FileErrorKind::InvalidPath(ModuleError::new(
            &lossy,
            "",
            ModuleErrorKind::InvalidFilePath("invalid UTF-8".into()),
        ))
    })?;
    check_file_path(name).map_err(FileErrorKind::InvalidPath)?;
    // Before the collision check, so a refused directory does not also collide with its files.
    if is_dir && strict {
        return Err(FileErrorKind::DirectoryEntry);
    }
    collisions.check(name, is_dir)?;
    if is_dir {
        return Ok(false);
    }
    let (_, base) = split(name);
    if is_go_mod_name(base) {
        if base != name {
            return Err(FileErrorKind::GoModNotRoot);
        }
        if name != "go.mod" {
            return Err(FileErrorKind::GoModCase);
        }
    }
    let size = entry.uncompressed_size;
    match total.checked_add(size).filter(|&t| t <= MAX_ZIP_FILE) {
        Some(t) => *total = t,
        None => {
            checked.size_error.get_or_insert(SizeError::Contents);
        }
    }
    check_file_size(name, size)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zip of `names`, each with empty contents (a trailing `/` makes a directory entry).
    fn zip_of(names: &[&str]) -> std::io::Cursor<Vec<u8>> {
        let mut zip = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = ::zip::write::SimpleFileOptions::default();
        for name in names {
            match name.strip_suffix('/') {
                Some(dir) => zip.add_directory(dir, options).expect("directory entry"),
                None => zip.start_file(*name, options).expect("file entry"),
            }
        }
        let mut zip = zip.finish().expect("zip");
        zip.set_position(0);
        zip
    }

    #[test]
    fn strict_check_refuses_every_directory_entry() {
        let (m, v) = ("example.com/m", "v1.0.0");
        let files = ["example.com/m@v1.0.0/go.mod", "example.com/m@v1.0.0/a/b.go"];
        assert!(check_zip_strict(zip_of(&files), m, v).is_ok());
        for dir in ["example.com/m@v1.0.0/", "example.com/m@v1.0.0/a/"] {
            let zip = || zip_of(&[files[0], dir, files[1]]);
            assert!(check_zip(zip(), m, v).is_ok(), "{dir}");
            let err = check_zip_strict(zip(), m, v).expect_err(dir);
            let report = err.checked_files().expect("a report");
            assert_eq!(report.invalid.len(), 1, "{dir}: {err}");
            assert_eq!(report.invalid[0].path, dir);
            assert!(matches!(
                report.invalid[0].kind,
                FileErrorKind::DirectoryEntry
            ));
            assert_eq!(report.valid, files, "{dir}");
        }
    }
}
