// Ported from golang.org/x/mod (zip/zip.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Which files of a list go into a module zip (x/mod `CheckFiles` and `checkFiles`): the rules
//! for files not yet in a zip, which [`check_files`], [`create`](super::create) and
//! [`check_dir`](super::check_dir) share.

use std::collections::HashSet;

use super::fold::Collisions;
use super::gopath::{clean, split};
use super::vendor::{VendorRule, is_vendored_package, read_vendor_rule};
use super::{
    CheckedFiles, FileError, FileErrorKind, FileInfo, FileKind, MAX_GO_MOD, MAX_ZIP_FILE,
    ModuleFile, SizeError, ZipError, check_file_size, is_go_mod_name,
};
use crate::check_file_path;

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
    checked.into_result("", "")
}

/// A file that passed: its index in the input and its declared size.
pub(super) struct ValidFile {
    pub(super) index: usize,
    pub(super) size: u64,
}

/// x/mod `checkFiles`: the report, and the valid files for `create` to write.
///
/// Each file is held to the rules on its path, then to those on its metadata, then counted
/// against [`MAX_ZIP_FILE`] and the limits on single files, in x/mod's order, which decides
/// the reason given for a file that breaks several rules.
pub(super) fn check_file_list<F: ModuleFile>(files: &[F]) -> (CheckedFiles, Vec<ValidFile>) {
    let mut report = Report::default();
    let modules = Modules::scan(files, &mut report);
    let mut collisions = Collisions::default();
    let mut valid = Vec::new();
    let mut room = MAX_ZIP_FILE;
    for (index, f) in files.iter().enumerate() {
        let p = f.path();
        let info = match modules
            .check_path(p)
            .and_then(|()| check_info(f, &mut collisions))
        {
            Ok(info) => info,
            Err(verdict) => {
                report.add(p, verdict);
                continue;
            }
        };
        // Too large is a module-wide error, but the file itself stays valid.
        match room.checked_sub(info.size) {
            Some(left) => room = left,
            None => {
                report
                    .checked
                    .size_error
                    .get_or_insert(SizeError::SourceTree);
            }
        }
        if let Err(kind) = check_file_size(p, info.size) {
            report.add(p, Verdict::Invalid(kind));
            continue;
        }
        report.checked.valid.push(p.to_owned());
        valid.push(ValidFile {
            index,
            size: info.size,
        });
    }
    (report.checked, valid)
}

/// Why a file does not go into the zip.
enum Verdict {
    /// Left out on purpose.
    Omitted(FileErrorKind),
    /// Makes the module invalid.
    Invalid(FileErrorKind),
}

/// The report being built.
#[derive(Default)]
struct Report {
    checked: CheckedFiles,
    /// The paths reported as omitted or invalid.
    reported: HashSet<String>,
}

impl Report {
    /// Files `path` as omitted or invalid. x/mod reports each path once: a third `valid.go`
    /// adds nothing to the second's error.
    fn add(&mut self, path: &str, verdict: Verdict) {
        if !self.reported.insert(path.to_owned()) {
            return;
        }
        let (list, kind) = match verdict {
            Verdict::Omitted(kind) => (&mut self.checked.omitted, kind),
            Verdict::Invalid(kind) => (&mut self.checked.invalid, kind),
        };
        list.push(FileError {
            path: path.to_owned(),
            kind,
        });
    }
}

/// What the go.mod files in the list decide: which directories below the root are other
/// modules, and, by the root go.mod's `go` line, which vendor rule applies.
struct Modules<'a> {
    go_mod_dirs: HashSet<&'a str>,
    vendor_rule: VendorRule,
}

impl<'a> Modules<'a> {
    /// Finds the go.mod files (named so in any case) among `files`; one whose metadata cannot
    /// be read is reported invalid.
    fn scan<F: ModuleFile>(files: &'a [F], report: &mut Report) -> Self {
        let mut modules = Modules {
            go_mod_dirs: HashSet::new(),
            vendor_rule: VendorRule::Go123,
        };
        for f in files {
            let p = f.path();
            let (dir, base) = split(p);
            if !is_go_mod_name(base) {
                continue;
            }
            match f.info() {
                Err(e) => report.add(p, Verdict::Invalid(FileErrorKind::Io(e))),
                Ok(info) if info.kind == FileKind::Regular => {
                    modules.go_mod_dirs.insert(dir);
                    // The root go.mod's go version decides the vendor rule. A failure to read
                    // it is ignored, and with several the last one read counts, as in x/mod;
                    // x/mod reads it whatever its size, but one over MAX_GO_MOD makes the
                    // module invalid anyway.
                    if p == "go.mod"
                        && info.size <= MAX_GO_MOD
                        && let Some(rule) = read_vendor_rule(f)
                    {
                        modules.vendor_rule = rule;
                    }
                }
                Ok(_) => {}
            }
        }
        modules
    }

    /// Whether a directory above `p`, below the root, holds a go.mod.
    fn in_submodule(&self, mut p: &str) -> bool {
        loop {
            let (dir, _) = split(p);
            if dir.is_empty() {
                return false;
            }
            if self.go_mod_dirs.contains(dir) {
                return true;
            }
            p = &dir[..dir.len() - 1];
        }
    }

    /// The rules on a file's path alone.
    fn check_path(&self, p: &str) -> Result<(), Verdict> {
        use Verdict::{Invalid, Omitted};
        if clean(p) != p {
            return Err(Invalid(FileErrorKind::PathNotClean));
        }
        if p.starts_with('/') {
            return Err(Invalid(FileErrorKind::PathNotRelative));
        }
        if is_vendored_package(p, self.vendor_rule) {
            return Err(Omitted(FileErrorKind::Vendored));
        }
        if self.in_submodule(p) {
            return Err(Omitted(FileErrorKind::SubmoduleFile));
        }
        if p == ".hg_archival.txt" {
            // hg archive adds it; the go command drops it whatever the VCS.
            return Err(Omitted(FileErrorKind::HgArchival));
        }
        check_file_path(p).map_err(|e| Invalid(FileErrorKind::InvalidPath(e)))?;
        if is_go_mod_name(p) && p != "go.mod" {
            return Err(Invalid(FileErrorKind::GoModCase));
        }
        Ok(())
    }
}

/// The rules on a file's metadata: it can be read, its name collides with no other, and it is
/// a regular file.
fn check_info<F: ModuleFile>(f: &F, collisions: &mut Collisions) -> Result<FileInfo, Verdict> {
    use Verdict::{Invalid, Omitted};
    let info = f.info().map_err(|e| Invalid(FileErrorKind::Io(e)))?;
    // Before the kind checks, as in x/mod: a symlink still claims its name.
    collisions
        .check(f.path(), info.kind == FileKind::Dir)
        .map_err(Invalid)?;
    match info.kind {
        FileKind::Regular => Ok(info),
        // golang.org/issue/27093
        FileKind::Symlink => Err(Omitted(FileErrorKind::Symlink)),
        FileKind::Dir | FileKind::Other => Err(Omitted(FileErrorKind::NotRegular)),
    }
}
