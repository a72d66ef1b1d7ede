// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Extracting a module zip (x/mod `Unzip`).

use std::fs;
use std::io::{self, Read, Seek, Write};
use std::path::Path;

use super::check::open_valid;
use super::{CheckedFiles, MAX_ZIP_FILE, SizeError, ZipError, ZipErrorKind, ZipStrictness};
use crate::archive::Archive;

/// Extracts the module zip of `module@version` into `dir` (x/mod `Unzip`).
///
/// `dir` may be missing (it is created, with its parents) or empty; anything in it is an
/// error. The zip is checked first as [`check_zip`](super::check_zip) does, and nothing is
/// written if that fails. Files are created read-only. An entry that holds more than its
/// declared size fails the extraction, which may then leave some files behind.
pub fn unzip<R: Read + Seek>(
    dir: &Path,
    module: &str,
    version: &str,
    zip: R,
) -> Result<(), ZipError> {
    let fail = |kind| ZipError::new(module, version, kind);
    // Only a readable, non-empty directory is refused, as in x/mod; the errors come later.
    if fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(fail(ZipErrorKind::NotEmpty {
            dir: dir.to_owned(),
        }));
    }
    let (mut archive, _) = open_valid(zip, module, version, ZipStrictness::Lenient)?;

    fs::create_dir_all(dir).map_err(|e| fail(io_error(dir)(e)))?;
    let prefix_len = module.len() + 1 + version.len() + 1;
    // check_zip held the declared sizes to the limit, and each read is held to its declared
    // size; this running total is a second guard on the same limit.
    let mut total = 0u64;
    for index in 0..archive.entries().len() {
        let entry = &archive.entries()[index];
        // check_zip refused any entry without the prefix; skipping one here just keeps this
        // loop panic-free on its own.
        let Some(raw) = entry.name.get(prefix_len..) else {
            continue;
        };
        if raw.is_empty() || raw.ends_with(b"/") {
            continue;
        }
        // check_zip accepted the name, so it is UTF-8 and a clean relative path.
        let dst = dir.join(String::from_utf8_lossy(raw).as_ref());
        extract(&mut archive, index, &dst, &mut total).map_err(fail)?;
    }
    Ok(())
}

/// Writes the file entry `index` to `dst`, a new file, creating its parent directories, and
/// adds what it wrote to `total`. Fails once the entry yields more than its declared size, or
/// `total` more than [`MAX_ZIP_FILE`].
fn extract<R: Read + Seek>(
    archive: &mut Archive<R>,
    index: usize,
    dst: &Path,
    total: &mut u64,
) -> Result<(), ZipErrorKind> {
    let entry = &archive.entries()[index];
    let full_name = String::from_utf8_lossy(&entry.name).into_owned();
    let declared = entry.uncompressed_size;
    if let Some(parent) = dst.parent() {
        fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let mut out = create_read_only(dst).map_err(io_error(dst))?;
    let read_error = |source| ZipErrorKind::Read {
        name: full_name.clone(),
        source,
    };
    let mut contents = archive
        .open(index)
        .map_err(read_error)?
        .take(declared.saturating_add(1));
    let mut buf = vec![0u8; 64 << 10];
    let mut written = 0u64;
    loop {
        let n = match contents.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        written += n as u64;
        *total += n as u64;
        if written > declared {
            return Err(ZipErrorKind::LargerThanDeclared {
                name: full_name,
                declared,
            });
        }
        if *total > MAX_ZIP_FILE {
            let checked = CheckedFiles {
                size_error: Some(SizeError::Contents),
                ..Default::default()
            };
            return Err(ZipErrorKind::Invalid(Box::new(checked)));
        }
        out.write_all(&buf[..n]).map_err(io_error(dst))?;
    }
}

/// The error for a file system operation on `path`.
fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ZipErrorKind + '_ {
    move |source| ZipErrorKind::Io {
        path: path.to_owned(),
        source,
    }
}

/// A new file, never an existing one, with mode 0444: the module cache is read-only.
fn create_read_only(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o444);
    }
    let file = options.open(path)?;
    #[cfg(not(unix))]
    {
        let mut permissions = file.metadata()?.permissions();
        permissions.set_readonly(true);
        file.set_permissions(permissions)?;
    }
    Ok(file)
}
