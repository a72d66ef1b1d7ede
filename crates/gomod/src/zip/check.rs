// Ported from golang.org/x/mod (zip/zip.go, zip/vendor_test.go) and Go's go/version (internal/gover/gover.go). Copyright 2019, 2020, 2023 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Which files belong in a module zip (x/mod `checkFiles`) and whether a zip is valid
//! (x/mod `checkZip`).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom};

use super::fold::str_to_fold;
use super::{
    CheckedFiles, FileError, FileErrorKind, FileKind, MAX_GO_MOD, MAX_LICENSE, MAX_ZIP_FILE,
    ModuleFile, SizeError, ZipError, ZipErrorKind, ZipStrictness, check_module_version, clean,
};
use crate::archive::Archive;
use crate::{ModuleError, ModuleErrorKind, check_file_path};

/// Sorts `files` into valid, omitted and invalid, as [`create`](super::create) would
/// (x/mod `CheckFiles`). Opens only the root `go.mod`, whose `go` line decides which vendored
/// files are left out (a go.mod that cannot be read, or is over [`MAX_GO_MOD`], counts as one
/// without a `go` line), so `create` can still fail on a read error or a file longer than it
/// said.
///
/// `Err` when the files do not make a valid module; its
/// [`checked_files`](ZipError::checked_files) is the full report.
pub fn check_files<F: ModuleFile>(files: &[F]) -> Result<CheckedFiles, ZipError> {
    let (checked, _) = check_file_list(files);
    into_result(checked, "", "")
}

pub(super) fn into_result(
    checked: CheckedFiles,
    module: &str,
    version: &str,
) -> Result<CheckedFiles, ZipError> {
    if checked.is_valid() {
        Ok(checked)
    } else {
        Err(invalid(checked, module, version))
    }
}

/// The error for a module whose files or zip break the rules: the whole report.
fn invalid(checked: CheckedFiles, module: &str, version: &str) -> ZipError {
    ZipError::new(module, version, ZipErrorKind::Invalid(Box::new(checked)))
}

/// A file that passed: its index in the input and its declared size.
pub(super) struct ValidFile {
    pub(super) index: usize,
    pub(super) size: u64,
}

/// x/mod `checkFiles`: the report, and the valid files for `create` to write.
pub(super) fn check_file_list<F: ModuleFile>(files: &[F]) -> (CheckedFiles, Vec<ValidFile>) {
    let mut checked = CheckedFiles::default();
    // x/mod reports each path once: a third `valid.go` adds nothing to the second's error.
    let mut reported: HashSet<String> = HashSet::new();
    let mut report = |checked: &mut CheckedFiles, path: &str, omitted: bool, kind| {
        if !reported.insert(path.to_owned()) {
            return;
        }
        let error = FileError {
            path: path.to_owned(),
            kind,
        };
        if omitted {
            checked.omitted.push(error);
        } else {
            checked.invalid.push(error);
        }
    };

    // Directories below the root that hold a go.mod are other modules.
    let mut go_mod_dirs: HashSet<&str> = HashSet::new();
    let mut vendor_rule = VendorRule::Go123;
    for f in files {
        let p = f.path();
        let (dir, base) = split(p);
        if is_go_mod_name(base) {
            match f.info() {
                Err(e) => report(&mut checked, p, false, FileErrorKind::Io(e)),
                Ok(info) if info.kind == FileKind::Regular => {
                    go_mod_dirs.insert(dir);
                    // The root go.mod's go version decides the vendor rule. A failure to read
                    // it is ignored, and with several the last one read counts, as in x/mod;
                    // x/mod reads it whatever its size, but one over MAX_GO_MOD makes the
                    // module invalid anyway.
                    if p == "go.mod"
                        && info.size <= MAX_GO_MOD
                        && let Some(rule) = read_vendor_rule(f)
                    {
                        vendor_rule = rule;
                    }
                }
                Ok(_) => {}
            }
        }
    }
    let in_submodule = |mut p: &str| loop {
        let (dir, _) = split(p);
        if dir.is_empty() {
            return false;
        }
        if go_mod_dirs.contains(dir) {
            return true;
        }
        p = &dir[..dir.len() - 1];
    };

    let mut collisions = Collisions::default();
    let mut valid = Vec::new();
    let mut room = MAX_ZIP_FILE;
    for (index, f) in files.iter().enumerate() {
        let p = f.path();
        if clean(p) != p {
            report(&mut checked, p, false, FileErrorKind::PathNotClean);
            continue;
        }
        if p.starts_with('/') {
            report(&mut checked, p, false, FileErrorKind::PathNotRelative);
            continue;
        }
        if is_vendored_package(p, vendor_rule) {
            report(&mut checked, p, true, FileErrorKind::Vendored);
            continue;
        }
        if in_submodule(p) {
            report(&mut checked, p, true, FileErrorKind::SubmoduleFile);
            continue;
        }
        if p == ".hg_archival.txt" {
            // hg archive adds it; the go command drops it whatever the VCS.
            report(&mut checked, p, true, FileErrorKind::HgArchival);
            continue;
        }
        if let Err(e) = check_file_path(p) {
            report(&mut checked, p, false, FileErrorKind::InvalidPath(e));
            continue;
        }
        if is_go_mod_name(p) && p != "go.mod" {
            report(&mut checked, p, false, FileErrorKind::GoModCase);
            continue;
        }
        let info = match f.info() {
            Ok(info) => info,
            Err(e) => {
                report(&mut checked, p, false, FileErrorKind::Io(e));
                continue;
            }
        };
        // Before the kind checks, as in x/mod: a symlink still claims its name.
        if let Err(kind) = collisions.check(p, info.kind == FileKind::Dir) {
            report(&mut checked, p, false, kind);
            continue;
        }
        match info.kind {
            FileKind::Regular => {}
            FileKind::Symlink => {
                // golang.org/issue/27093
                report(&mut checked, p, true, FileErrorKind::Symlink);
                continue;
            }
            FileKind::Dir | FileKind::Other => {
                report(&mut checked, p, true, FileErrorKind::NotRegular);
                continue;
            }
        }
        // Too large is a module-wide error, but the file itself stays valid.
        match room.checked_sub(info.size) {
            Some(left) => room = left,
            None => {
                checked.size_error.get_or_insert(SizeError::SourceTree);
            }
        }
        if p == "go.mod" && info.size > MAX_GO_MOD {
            report(&mut checked, p, false, FileErrorKind::GoModSize);
            continue;
        }
        if p == "LICENSE" && info.size > MAX_LICENSE {
            report(&mut checked, p, false, FileErrorKind::LicenseSize);
            continue;
        }
        checked.valid.push(p.to_owned());
        valid.push(ValidFile {
            index,
            size: info.size,
        });
    }
    (checked, valid)
}

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
        (_, checked) => Err(invalid(checked, module, version)),
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
    if name == "go.mod" && size > MAX_GO_MOD {
        return Err(FileErrorKind::GoModSize);
    }
    if name == "LICENSE" && size > MAX_LICENSE {
        return Err(FileErrorKind::LicenseSize);
    }
    Ok(true)
}

/// x/mod `collisionChecker`: finds case-fold collisions, and names used both as a file and as
/// a directory, across a path and all its parents.
#[derive(Default)]
struct Collisions {
    /// Folded path → (path as first seen, whether it is a directory).
    seen: HashMap<String, (String, bool)>,
}

impl Collisions {
    fn check(&mut self, path: &str, is_dir: bool) -> Result<(), FileErrorKind> {
        let mut p = path.to_owned();
        let mut is_dir = is_dir;
        loop {
            match self.seen.get(&str_to_fold(&p)) {
                Some((other, other_is_dir)) => {
                    if *other != p {
                        return Err(FileErrorKind::CaseCollision {
                            first: other.clone(),
                            second: p,
                        });
                    }
                    if is_dir != *other_is_dir {
                        return Err(FileErrorKind::FileAndDirectory { path: p });
                    }
                    if !is_dir {
                        return Err(FileErrorKind::Duplicate { path: p });
                    }
                    // The same directory again: every file in it checks it.
                }
                None => {
                    self.seen.insert(str_to_fold(&p), (p.clone(), is_dir));
                }
            }
            let parent = dir(&p);
            if parent == "." || parent == p {
                return Ok(());
            }
            p = parent;
            is_dir = true;
        }
    }
}

/// Which `isVendoredPackage` applies to a module, by the go version its go.mod declares: x/mod
/// v0.22.0 fixed two of its bugs for modules that say `go 1.24` or later, and kept them for the
/// rest, whose checksums must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VendorRule {
    /// No go.mod, no `go` line, a go.mod that does not parse, or a version before 1.24.
    Go123,
    /// `go 1.24` or later.
    Go124,
}

impl VendorRule {
    /// The rule for a module whose root go.mod holds `go_mod` (x/mod `parseGoVers`, then
    /// `version.Compare(version.Lang(vers), "go1.24") >= 0`).
    pub(super) fn of_go_mod(go_mod: &[u8]) -> Self {
        match crate::modfile::parse_go_version(go_mod) {
            Some(version) if go_1_24_or_later(&version) => Self::Go124,
            _ => Self::Go123,
        }
    }
}

/// The rule of the module whose root go.mod is `f`, read as x/mod reads it (to the end, an
/// error meaning no answer), but no further than [`MAX_GO_MOD`]: a longer one makes the module
/// invalid anyway.
fn read_vendor_rule<F: ModuleFile>(f: &F) -> Option<VendorRule> {
    let mut go_mod = Vec::new();
    f.open()
        .and_then(|r| r.take(MAX_GO_MOD + 1).read_to_end(&mut go_mod))
        .ok()?;
    (go_mod.len() as u64 <= MAX_GO_MOD).then(|| VendorRule::of_go_mod(&go_mod))
}

/// Whether `go{version}` is a valid Go version (Go's `go/version.IsValid`) of language version
/// 1.24 or later: `1.24`, `1.24.0`, `1.24rc1`, `1.25`, `2.0`, but not `1.24.1rc1` or `1.24rc01`,
/// which go/version refuses.
fn go_1_24_or_later(version: &str) -> bool {
    /// go/version `cutInt`: a decimal number without a needless leading zero.
    fn cut_int(s: &str) -> Option<(&str, &str)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, rest) = s.split_at(end);
        (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some((n, rest))
    }
    /// go/version `Parse`: the major and minor of a valid version.
    fn parse(s: &str) -> Option<(&str, &str)> {
        let (major, rest) = cut_int(s)?;
        if rest.is_empty() {
            return Some((major, "0"));
        }
        let (minor, rest) = cut_int(rest.strip_prefix('.')?)?;
        if let Some(patch) = rest.strip_prefix('.') {
            // No prerelease of a patch release.
            return cut_int(patch)
                .filter(|(_, rest)| rest.is_empty())
                .map(|_| (major, minor));
        }
        if !rest.is_empty() {
            let kind = rest
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(rest.len());
            let pre = &rest[kind..];
            if kind == 0 || !pre.is_empty() && cut_int(pre).is_none_or(|(_, r)| !r.is_empty()) {
                return None;
            }
        }
        Some((major, minor))
    }
    /// go/version `CmpInt`, for numbers without leading zeros.
    fn cmp_int(x: &str, y: &str) -> Ordering {
        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
    }
    parse(version).is_some_and(|(major, minor)| {
        cmp_int(major, "1").then_with(|| cmp_int(minor, "24")) != Ordering::Less
    })
}

/// x/mod `isVendoredPackage` (v0.22.0 and later): whether the file is in a vendored package.
///
/// For paths under `vendor/`, true below `vendor/<dir>/`; with [`VendorRule::Go124`], also
/// for `vendor/modules.txt` (golang.org/issue/63395). For `…/vendor/` deeper in the tree,
/// x/mod before v0.22.0 counted its offset from the start of the path instead of from the
/// match, and since the match starts at 1 or later the rest always holds a `/`: every file
/// below a nested `vendor` directory is dropped, `pkg/vendor/vendor.go` included. Fixing that
/// changes checksums (golang.org/issue/31562, golang.org/issue/37397), so only
/// [`VendorRule::Go124`] counts from the match.
pub(super) fn is_vendored_package(name: &str, rule: VendorRule) -> bool {
    if rule == VendorRule::Go124 && name == "vendor/modules.txt" {
        return true;
    }
    let offset = if name.starts_with("vendor/") {
        "vendor/".len()
    } else if let Some(j) = name.find("/vendor/") {
        match rule {
            VendorRule::Go123 => "/vendor/".len(),
            VendorRule::Go124 => j + "/vendor/".len(),
        }
    } else {
        return false;
    };
    // Bytes, as in Go: the buggy offset need not fall on a character boundary.
    name.as_bytes()[offset..].contains(&b'/')
}

/// Go's `path.Split`: the directory with its trailing slash, and the base name.
fn split(p: &str) -> (&str, &str) {
    match p.rfind('/') {
        Some(i) => (&p[..=i], &p[i + 1..]),
        None => ("", p),
    }
}

/// Go's `path.Dir`.
fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => clean(&p[..=i]),
        None => ".".to_owned(),
    }
}

/// x/mod's `strings.EqualFold(base, "go.mod")`, also its `strings.ToLower(p) == "go.mod"`: no
/// character outside ASCII folds or lower-cases to one of `go.mod`'s letters, so ASCII case
/// folding gives the same answer.
fn is_go_mod_name(name: &str) -> bool {
    name.eq_ignore_ascii_case("go.mod")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, vendored by the Go 1.23 rule, by the Go 1.24 rule): x/mod's `TestIsVendoredPackage`
    /// (vendor_test.go, v0.22.0) first, then ours, all checked against x/mod.
    const VENDOR_CASES: &[(&str, bool, bool)] = &[
        ("vendor/foo/foo.go", true, true),
        ("pkg/vendor/foo/foo.go", true, true),
        ("longpackagename/vendor/foo/foo.go", true, true),
        ("vendor/vendor.go", false, false),
        ("vendor/foo/modules.txt", true, true),
        ("modules.txt", false, false),
        ("vendor/amodules.txt", false, false),
        // golang.org/issue/63395
        ("vendor/modules.txt", false, true),
        // golang.org/issue/37397: the bug kept for older modules.
        ("pkg/vendor/vendor.go", true, false),
        ("longpackagename/vendor/vendor.go", true, false),
        // Ours.
        ("vendor/x.go", false, false),
        ("vendor/a/b.go", true, true),
        ("vendor/example.com/x/x.go", true, true),
        ("vendored/a/b.go", false, false),
        ("a/vendor", false, false),
        ("sub/vendor/sub.txt", true, false),
        ("inner/vendor/deep/y.go", true, true),
        ("a/vendor/b/vendor/c.go", true, true),
        ("é/vendor/x.go", true, false),
        ("a/vendor/modules.txt", true, false),
        ("a.go", false, false),
    ];

    #[test]
    fn vendored_like_x_mod() {
        for &(name, go123, go124) in VENDOR_CASES {
            assert_eq!(
                is_vendored_package(name, VendorRule::Go123),
                go123,
                "{name}"
            );
            assert_eq!(
                is_vendored_package(name, VendorRule::Go124),
                go124,
                "{name}"
            );
        }
    }

    /// (go.mod, the vendor rule x/mod v0.22.0's `CheckFiles` applies to its module), as
    /// x/mod v0.22.0 built with Go 1.27.3 answers: whether it keeps `pkg/vendor/vendor.go`.
    const GO_MOD_RULES: &[(&str, VendorRule)] = &[
        ("module m\n\ngo 1.24\n", VendorRule::Go124),
        ("go 1.23\n", VendorRule::Go123),
        ("", VendorRule::Go123),
        ("module m\n", VendorRule::Go123),
        ("go 1.24.0\n", VendorRule::Go124),
        ("go 1.24rc1\n", VendorRule::Go124),
        ("go 1.24beta2\n", VendorRule::Go124),
        ("go 1.24.1rc1\n", VendorRule::Go123),
        ("go 1.24rc01\n", VendorRule::Go123),
        ("go 1.24rc0\n", VendorRule::Go124),
        ("go v1.24\n", VendorRule::Go123),
        ("go 1.24-pre\n", VendorRule::Go124),
        ("go 1.24rc\n", VendorRule::Go124),
        ("go 1.024\n", VendorRule::Go123),
        ("go 01.24\n", VendorRule::Go123),
        ("go 1.24.01\n", VendorRule::Go124),
        ("go 1.23.9\n", VendorRule::Go123),
        ("go 1.25\n", VendorRule::Go124),
        ("go 1.240\n", VendorRule::Go124),
        ("go 2.0\n", VendorRule::Go124),
        ("go 1.24 // comment\n", VendorRule::Go124),
        ("go \"1.24\"\n", VendorRule::Go123),
        ("go 1.24\ngo 1.25\n", VendorRule::Go123),
        ("go 1.24\nrequire example.com/x v1.2\n", VendorRule::Go124),
        ("go 1.24\nrequire example.com/x v2.0.0\n", VendorRule::Go123),
        (
            "go 1.24\nrequire example.com/x/v2 v2.0.0\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire example.com/x v2.0.0+incompatible\n",
            VendorRule::Go124,
        ),
        ("go 1.24\nrequire example.com/x\n", VendorRule::Go123),
        ("go 1.24\nrequire example.com/x latest\n", VendorRule::Go123),
        (
            "go 1.24\nrequire \"example.com/x\" \"v1.0.0\"\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire 'example.com/x' v1.0.0\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y bad\n)\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire gopkg.in/yaml.v2 v2.4.0\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire gopkg.in/yaml.v2 v3.0.0\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire example.com/x/v2 v0.0.0-20200101000000-abcdefabcdef\n",
            VendorRule::Go123,
        ),
        ("go 1.24\nretract [v1.0.0\n", VendorRule::Go124),
        ("go 1.24\nretract v1.0.0 extra\n", VendorRule::Go124),
        (
            "go 1.24\ntoolchain go1.24.0\ngodebug x=1\n",
            VendorRule::Go124,
        ),
        ("go 1.24\ntoolchain bad\n", VendorRule::Go124),
        (
            "go 1.24\nreplace example.com/x => bad bad\n",
            VendorRule::Go124,
        ),
        ("go 1.24\nexclude example.com/x bad\n", VendorRule::Go124),
        ("go 1.24\nmodule a\nmodule b\n", VendorRule::Go123),
        ("go 1.24\nmodule a b\n", VendorRule::Go123),
        ("go 1.24\n/* comment */\n", VendorRule::Go123),
        ("go 1.24\nunknown directive here\n", VendorRule::Go124),
        ("go 1.24\nfoo (\n bar\n)\n", VendorRule::Go124),
        ("go 1.24\ntool example.com/x\n", VendorRule::Go124),
        ("go 1.24 1.25\n", VendorRule::Go123),
        ("go\n", VendorRule::Go123),
        ("go 1.24\0\n", VendorRule::Go123),
    ];

    #[test]
    fn vendor_rule_by_go_mod_like_x_mod() {
        for &(go_mod, want) in GO_MOD_RULES {
            assert_eq!(VendorRule::of_go_mod(go_mod.as_bytes()), want, "{go_mod:?}");
        }
    }

    /// (version, whether go/version puts it at language version 1.24 or later).
    const GO_VERSIONS: &[(&str, bool)] = &[
        ("1.24", true),
        ("1.24.0", true),
        ("1.24.9", true),
        ("1.24rc1", true),
        ("1.24rc0", true),
        ("1.24rc", true),
        ("1.24beta2", true),
        ("1.25", true),
        ("1.99.0", true),
        ("1.240", true),
        ("2", true),
        ("2.0", true),
        ("10.0", true),
        ("1.23", false),
        ("1.23.9", false),
        ("1.23rc1", false),
        ("1.2", false),
        ("1", false),
        ("1.0", false),
        // Invalid for go/version, so before every valid version.
        ("", false),
        ("1.24.1rc1", false),
        ("1.24rc01", false),
        ("1.24rc1x", false),
        ("1.24RC1", false),
        ("1.024", false),
        ("01.24", false),
        ("1.24.01", false),
        ("1.24.", false),
        ("1.", false),
        ("v1.24", false),
        ("1.24-pre", false),
    ];

    #[test]
    fn go_versions_like_go_version_package() {
        for &(version, want) in GO_VERSIONS {
            assert_eq!(go_1_24_or_later(version), want, "{version:?}");
        }
    }

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

    #[test]
    fn collisions() {
        let mut c = Collisions::default();
        assert!(c.check("a/b.go", false).is_ok());
        assert!(c.check("a/c.go", false).is_ok());
        assert_eq!(
            c.check("A/d.go", false).unwrap_err().to_string(),
            r#"case-insensitive file name collision: "a" and "A""#
        );
        assert_eq!(
            c.check("a", false).unwrap_err().to_string(),
            r#"entry "a" is both a file and a directory"#
        );
        assert_eq!(
            c.check("a/b.go", false).unwrap_err().to_string(),
            r#"multiple entries for file "a/b.go""#
        );
        assert!(c.check("a", true).is_ok());
    }
}
