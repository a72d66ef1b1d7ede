// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Where a module version is in its repository (`codeRepo.findDir`): the module's directory,
//! or for a `/vN` module its `vN/` subdirectory, judged by the go.mod found there.

use super::{MAX_GO_MOD, Session, invalid_version, join, major};
use crate::error::{Error, ErrorKind, Result};

/// A version's place in the repository: the revision, the module's directory, and, when
/// already read, its go.mod.
pub(super) type Found = (String, String, Option<Vec<u8>>);

impl Session<'_, '_> {
    /// `codeRepo.findDir`: the module's directory at `version`. The go.mod there must name
    /// the module's major version, or, for a `/vN` module, the go.mod in `vN/` may; with no
    /// go.mod, only a module at the repository root without a `/vN` suffix is found.
    pub(super) fn find_dir(&self, version: &str) -> Result<Found> {
        let r = self.r;
        if !gomod::is_valid(version) {
            return Err(invalid_version(
                &r.mod_path,
                version,
                ErrorKind::InvalidQuery,
                "syntax error",
            ));
        }
        let rev = self.rev_to_rev(version);
        let file1 = join(&r.code_dir, "go.mod");
        let gomod1 = self.read_go_mod_file(&rev, &file1)?;
        let mpath1 = module_path(gomod1.as_deref());
        let found1 = gomod1.is_some()
            && (is_major(&mpath1, &r.path_major)
                || self.can_replace_mismatched_version_due_to_bug(&mpath1));

        // A `/vN` module may be in the `vN/` subdirectory of its directory.
        let mut file2 = String::new();
        if !r.path_major.is_empty() && r.code_root != r.mod_path && !r.path_major.starts_with('.') {
            let dir2 = join(&r.code_dir, &r.path_major[1..]);
            file2 = join(&dir2, "go.mod");
            if let Some(gomod2) = self.major_subdir_go_mod(&rev, &file1, found1, &file2)? {
                return Ok((rev, dir2, Some(gomod2)));
            }
        }

        if found1 {
            return Ok((rev, r.code_dir.clone(), gomod1));
        }
        if gomod1.is_some() {
            return Err(self.mismatched_go_mod(version, &rev, &file1, &mpath1, &file2));
        }
        self.without_go_mod(rev, &file2)
    }

    /// The go.mod at `file` in `rev`, `None` if there is none.
    fn read_go_mod_file(&self, rev: &str, file: &str) -> Result<Option<Vec<u8>>> {
        self.read_file(rev, file, MAX_GO_MOD).map_err(|e| {
            Error::new(
                e.kind().clone(),
                "",
                format!(
                    "reading {}/{file} at revision {rev}: {}",
                    self.r.code_root,
                    e.message()
                ),
            )
            .with_source(e)
        })
    }

    /// The go.mod at `file2`, in the `vN/` subdirectory, when it names the module's major
    /// version; `None` when there is no such go.mod. An error when the go.mod at `file1`
    /// names it too (`found1`), or this one names another.
    fn major_subdir_go_mod(
        &self,
        rev: &str,
        file1: &str,
        found1: bool,
        file2: &str,
    ) -> Result<Option<Vec<u8>>> {
        let r = self.r;
        let Some(gomod2) = self.read_go_mod_file(rev, file2)? else {
            return Ok(None);
        };
        let mpath2 = module_path(Some(&gomod2));
        let found2 = is_major(&mpath2, &r.path_major);
        if found1 && found2 {
            return Err(not_module(format!(
                "{}/{file1} and ...{}/go.mod both have ...{} module paths at revision {rev}",
                r.path_prefix, r.path_major, r.path_major
            )));
        }
        if found2 {
            return Ok(Some(gomod2));
        }
        if mpath2.is_empty() {
            return Err(not_module(format!(
                "{}/{file2} is missing module path at revision {rev}",
                r.code_root
            )));
        }
        Err(not_module(format!(
            "{}/{file2} has non-...{} module path {mpath2:?} at revision {rev}",
            r.code_root, r.path_major
        )))
    }

    /// Why the go.mod at `file1`, whose module path is `mpath1`, is not the module's at
    /// `version` (`file2` is the `vN/go.mod` looked for too, or "").
    fn mismatched_go_mod(
        &self,
        version: &str,
        rev: &str,
        file1: &str,
        mpath1: &str,
        file2: &str,
    ) -> Error {
        let r = self.r;
        let suffix = if file2.is_empty() {
            String::new()
        } else {
            format!(" (and ...{}/go.mod does not exist)", r.path_major)
        };
        if mpath1.is_empty() {
            return not_module(format!(
                "{file1} is missing module path{suffix} at revision {rev}"
            ));
        }
        if !r.path_major.is_empty() {
            return not_module(format!(
                "{file1} has non-...{} module path {mpath1:?}{suffix} at revision {rev}",
                r.path_major
            ));
        }
        if gomod::split_path_version(mpath1).is_none() {
            return not_module(format!(
                "{file1} has malformed module path {mpath1:?}{suffix} at revision {rev}"
            ));
        }
        not_module(format!(
            "{file1} has post-{} module path {mpath1:?}{suffix} at revision {rev}",
            major(version)
        ))
    }

    /// The module without a go.mod: found only at the repository root, and not for a `/vN`
    /// module (`file2` is the `vN/go.mod` looked for too, or "").
    fn without_go_mod(&self, rev: String, file2: &str) -> Result<Found> {
        let r = self.r;
        if r.code_dir.is_empty() && (r.path_major.is_empty() || r.path_major.starts_with('.')) {
            return Ok((rev, String::new(), None));
        }
        if !file2.is_empty() {
            return Err(not_module(format!(
                "missing {}/go.mod and ...{}/go.mod at revision {rev}",
                r.path_prefix, r.path_major
            )));
        }
        Err(not_module(format!(
            "missing {}/go.mod at revision {rev}",
            r.path_prefix
        )))
    }

    /// `canReplaceMismatchedVersionDueToBug`: a gopkg.in go.mod at the root of a module
    /// without a suffix, which early go commands wrote.
    fn can_replace_mismatched_version_due_to_bug(&self, mpath: &str) -> bool {
        self.r.path_major.is_empty() && mpath.starts_with("gopkg.in/")
    }
}

/// The module path of a go.mod, "" for none.
fn module_path(go_mod: Option<&[u8]>) -> String {
    go_mod.map(gomod::ModFile::module_path).unwrap_or_default()
}

/// The error for a revision that holds no version of the module.
fn not_module(message: String) -> Error {
    Error::new(ErrorKind::NotModuleVersion, "", message)
}

/// `isMajor`: whether the versions allowed for `mpath` match `path_major`.
fn is_major(mpath: &str, path_major: &str) -> bool {
    if mpath.is_empty() {
        return false;
    }
    let Some((_, mpath_major)) = gomod::split_path_version(mpath) else {
        return false;
    };
    if path_major.is_empty() {
        return matches!(
            gomod::path_major_prefix(mpath_major),
            Some("" | "v0" | "v1")
        );
    }
    if mpath_major.is_empty() {
        return false;
    }
    path_major[1..] == mpath_major[1..]
}
