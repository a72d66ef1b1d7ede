// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! What a revision resolves to (`.info`): the version a commit is, by its tags, or its
//! pseudo-version (`codeRepo.Stat`, `convert`, `validatePseudoVersion`).

use std::cell::RefCell;
use std::collections::HashMap;

use super::{
    Converted, MAX_GO_MOD, Session, canonical, canonical_version, invalid_version, join, major,
    tag_prefix,
};
use crate::error::{Error, ErrorKind, Result};
use crate::git::CommitInfo;
use crate::timefmt::pseudo_time;

impl Session<'_, '_> {
    /// `codeRepo.Stat`: the commit `rev` names, and the version it is.
    pub(super) fn stat(&self, rev: &str) -> Result<Converted> {
        if rev == "latest" {
            return self.code_latest();
        }
        let code_rev = self.rev_to_rev(rev);
        let info = self.code_stat(&code_rev).map_err(|e| {
            let kind = e.kind().clone();
            let message = e.message().to_owned();
            invalid_version(&self.r.mod_path, rev, kind, message).with_source(e)
        })?;
        self.convert(info, rev)
    }

    /// `codeRepo.Latest`: the default branch's head.
    pub(super) fn code_latest(&self) -> Result<Converted> {
        let Some(head) = self.git.refs.head() else {
            return Err(Error::new(
                ErrorKind::NoCommits,
                &self.r.mod_path,
                "no commits",
            ));
        };
        let info = self.code_stat(&head.to_string())?;
        self.convert(info, "")
    }

    /// `codeRepo.convert`: the version of the commit `info`, asked for as `stat_vers` ("" for
    /// none): that version if it is one of the commit's, else the tag on the commit that is
    /// the highest canonical version of this module, else a pseudo-version above the tag
    /// `stat_vers` names or above the most recent tag before the commit.
    fn convert(&self, info: CommitInfo, stat_vers: &str) -> Result<Converted> {
        let c = Conversion {
            s: self,
            info,
            stat_vers,
            incompatible_ok: RefCell::new(HashMap::new()),
            tag_prefix: tag_prefix(&self.r.code_dir),
        };
        if gomod::is_pseudo_version(stat_vers) {
            let converted = c.check_canonical(stat_vers)?;
            self.validate_pseudo_version(&c.info, stat_vers)?;
            return Ok(converted);
        }
        let retractions = self.retracted_versions().unwrap_or_default();
        let is_retracted = |v: &str| retractions.is_retracted(v).is_some();
        let (v, tag_is_canonical) = c.tag_to_version(&c.info.version);
        if tag_is_canonical && let Ok(converted) = c.check_canonical(&v) {
            return Ok(converted);
        }
        c.by_tags(&is_retracted)
    }

    /// `codeRepo.validatePseudoVersion`: whether `version`, a pseudo-version, is one the go
    /// command could have made for the commit `info`: its revision and time, and a base that is
    /// a tag before the commit but not on it.
    fn validate_pseudo_version(&self, info: &CommitInfo, version: &str) -> Result<()> {
        let r = self.r;
        let fail =
            |m: String| invalid_version(&r.mod_path, version, ErrorKind::NotModuleVersion, m);
        let rev = gomod::pseudo_version_rev(version).unwrap_or_default();
        if rev != info.short {
            return Err(fail(if rev.starts_with(&info.short) {
                format!(
                    "revision is longer than canonical (expected {})",
                    info.short
                )
            } else if info.short.starts_with(rev) {
                format!(
                    "revision is shorter than canonical (expected {})",
                    info.short
                )
            } else {
                format!(
                    "does not match short name of revision (expected {})",
                    info.short
                )
            }));
        }
        let want_time = pseudo_time(info.time);
        if gomod::pseudo_version_time(version).ok() != Some(want_time.as_str()) {
            return Err(fail(format!(
                "does not match version-control timestamp (expected {want_time})"
            )));
        }
        let base =
            gomod::pseudo_version_base(version.strip_suffix("+incompatible").unwrap_or(version))
                .map_err(|e| fail(reason(&e)))?;
        if base.is_empty() {
            if r.pseudo_major.is_empty() && major(version) == "v1" {
                return Err(fail(
                    "major version without preceding tag must be v0, not v1".into(),
                ));
            }
            return Ok(());
        }
        self.validate_pseudo_version_base(info, &base, rev, &fail)
    }

    /// The part of `validatePseudoVersion` about the base: a tag `base` must not be on the
    /// commit, and one must be on an ancestor of it; `fail` makes the error from the reason.
    fn validate_pseudo_version_base(
        &self,
        info: &CommitInfo,
        base: &str,
        rev: &str,
        fail: &dyn Fn(String) -> Error,
    ) -> Result<()> {
        let tag_prefix = tag_prefix(&self.r.code_dir);
        for tag in &info.tags {
            if tag.strip_prefix(tag_prefix.as_str()).unwrap_or(tag) == base {
                return Err(fail(format!(
                    "tag ({tag}) found on revision {rev} is already canonical, so should not be replaced with a pseudo-version derived from that tag"
                )));
            }
        }
        let mut last_tag = String::new();
        let mut ancestor_found = false;
        let prefix = format!("{tag_prefix}{base}");
        for (tag, _) in self.git.refs.tags_with_prefix(&prefix) {
            let version_only = tag.strip_prefix(tag_prefix.as_str()).unwrap_or(tag);
            if gomod::compare(version_only, base).is_eq() {
                last_tag = tag.to_owned();
                ancestor_found = self.git.descends_from(info.name, tag)?;
                if ancestor_found {
                    break;
                }
            }
        }
        if last_tag.is_empty() {
            return Err(fail(format!("preceding tag ({base}) not found")));
        }
        if !ancestor_found {
            return Err(fail(format!(
                "revision {rev} is not a descendent of preceding tag ({last_tag})"
            )));
        }
        Ok(())
    }
}

/// The reason a [`gomod::ModuleError`] gives, without the version it is about.
fn reason(e: &gomod::ModuleError) -> String {
    match &e.kind {
        gomod::ModuleErrorKind::InvalidVersion(reason) => reason.clone(),
        _ => e.to_string(),
    }
}

/// One `convert`: the commit, what it was asked for as, and what was learned of it.
struct Conversion<'c, 'a, 'm> {
    s: &'c Session<'a, 'm>,
    info: CommitInfo,
    stat_vers: &'c str,
    /// `incompatibleOk`: whether the commit has no go.mod ("") and no `vN/go.mod` (`vN`).
    incompatible_ok: RefCell<HashMap<String, bool>>,
    /// The prefix of the module's tags.
    tag_prefix: String,
}

impl Conversion<'_, '_, '_> {
    /// The rest of `convert`, for a commit that is not exactly the tag it was asked for by:
    /// the highest canonical version among its tags, else a pseudo-version.
    fn by_tags(&self, is_retracted: &dyn Fn(&str) -> bool) -> Result<Converted> {
        let r = self.s.r;
        let mut highest_canonical = String::new();
        let mut pseudo_base = String::new();
        for path_tag in &self.info.tags {
            let (v, tag_is_canonical) = self.tag_to_version(path_tag);
            if !self.stat_vers.is_empty() && gomod::compare(&v, self.stat_vers).is_eq() {
                if tag_is_canonical {
                    return self.check_canonical(&v);
                }
                pseudo_base = v.clone();
            }
            if tag_is_canonical
                && gomod::compare(&highest_canonical, &v).is_lt()
                && !is_retracted(&v)
                && (gomod::match_path_major(&v, &r.path_major) || self.can_use_incompatible(&v))
            {
                highest_canonical = v;
            }
        }
        if !highest_canonical.is_empty() {
            return self.check_canonical(&highest_canonical);
        }

        if pseudo_base.is_empty() {
            let tag = self
                .s
                .git
                .recent_tag(self.info.name, &self.tag_prefix, |tag| {
                    let (v, _) = self.tag_to_version(tag);
                    if v.is_empty() {
                        return Ok(false);
                    }
                    if !gomod::match_path_major(&v, &r.path_major) && !self.can_use_incompatible(&v)
                    {
                        return Ok(false);
                    }
                    Ok(!is_retracted(&v))
                })?;
            if let Some(tag) = tag {
                pseudo_base = self.tag_to_version(&tag).0;
            }
        }
        self.check_canonical(&gomod::pseudo_version(
            &r.pseudo_major,
            &pseudo_base,
            &pseudo_time(self.info.time),
            &self.info.short,
        ))
    }

    /// `tagToVersion`: the version a tag of the module names (below its directory, not a
    /// pseudo-version, starting with a canonical version), and whether the tag is exactly that
    /// version; "" for a tag that names none.
    fn tag_to_version(&self, tag: &str) -> (String, bool) {
        let Some(trimmed) = tag.strip_prefix(self.tag_prefix.as_str()) else {
            return (String::new(), false);
        };
        if gomod::is_pseudo_version(tag) {
            return (String::new(), false);
        }
        let v = canonical(trimmed);
        if v.is_empty() || !trimmed.starts_with(&v) {
            return (String::new(), false);
        }
        let is_canonical = v == trimmed;
        (v, is_canonical)
    }

    /// `canUseIncompatible`: whether `v` of a module without a major-version suffix may be
    /// `+incompatible`: only at the repository root, when the commit has no go.mod, and (unless
    /// `+incompatible` was asked for) no `vN/go.mod` for its major version either.
    fn can_use_incompatible(&self, v: &str) -> bool {
        let r = self.s.r;
        if !r.code_dir.is_empty() || !r.path_major.is_empty() {
            return false;
        }
        if !self.lacks_file("", "go.mod") {
            return false;
        }
        // golang.org/issue/51324: vN/go.mod claims the vN tags, unless +incompatible
        // was asked for explicitly.
        if !v.is_empty() && !self.stat_vers.ends_with("+incompatible") {
            let m = major(v);
            return self.lacks_file(m, &join(m, "go.mod"));
        }
        true
    }

    /// Whether the commit has no `file`, or it cannot be read; remembered as `key`.
    fn lacks_file(&self, key: &str, file: &str) -> bool {
        if let Some(&ok) = self.incompatible_ok.borrow().get(key) {
            return ok;
        }
        let ok = self
            .s
            .git
            .read_file(self.info.name, file, MAX_GO_MOD)
            .map_or(true, |f| f.is_none());
        self.incompatible_ok.borrow_mut().insert(key.to_owned(), ok);
        ok
    }

    /// `checkCanonical`: the commit as the version `v` of the module, with `+incompatible`
    /// added where the module allows it; `Err` when the module is not at `v` in the commit, or
    /// `v` cannot be its version.
    fn check_canonical(&self, v: &str) -> Result<Converted> {
        let r = self.s.r;
        if let Err(e) = self.s.find_dir(v) {
            let message = e.message().to_owned();
            let kind = match e.kind() {
                ErrorKind::Internal => ErrorKind::Internal,
                _ => ErrorKind::NotModuleVersion,
            };
            return Err(invalid_version(&r.mod_path, v, kind, message).with_source(e));
        }
        let asked = v;
        let mut v = v.to_owned();
        let stat_base = self
            .stat_vers
            .strip_suffix("+incompatible")
            .unwrap_or(self.stat_vers);
        if v == stat_base {
            v = self.stat_vers.to_owned();
        }
        let base = v.strip_suffix("+incompatible").unwrap_or(&v).to_owned();
        let (v, err_incompatible) = self.incompatible(asked, v, &base);
        if !self.stat_vers.is_empty()
            && self.stat_vers == canonical_version(self.stat_vers)
            && stat_base != base
        {
            return Err(invalid_version(
                &r.mod_path,
                self.stat_vers,
                ErrorKind::NotModuleVersion,
                format!("resolves to version {v} ({stat_base} is not a tag)"),
            ));
        }
        if let Some(e) = err_incompatible {
            return Err(e);
        }
        Ok(Converted {
            info: self.info.clone(),
            version: v,
        })
    }

    /// The `+incompatible` rules of `checkCanonical`: `v`, made `+incompatible` if its major
    /// version (that of `base`) needs it and the module allows it, and the error about `asked`
    /// to give if the module does not allow the version, or `v` is `+incompatible` but needs
    /// not be.
    fn incompatible(&self, asked: &str, v: String, base: &str) -> (String, Option<Error>) {
        let r = self.s.r;
        let invalid =
            |m: String| invalid_version(&r.mod_path, asked, ErrorKind::NotModuleVersion, m);
        if gomod::match_path_major(base, &r.path_major) {
            if v.ends_with("+incompatible") {
                let e = invalid(format!(
                    "+incompatible suffix not allowed: major version {} is compatible",
                    major(&v)
                ));
                return (v, Some(e));
            }
            return (v, None);
        }
        if self.can_use_incompatible(base) {
            return (format!("{base}+incompatible"), None);
        }
        let e = if !r.path_major.is_empty() {
            invalid(
                "module path includes a major version suffix, so major version must match".into(),
            )
        } else {
            invalid(format!(
                "module contains a go.mod file, so module path must match major version ({:?})",
                join(&r.path_prefix, major(&v))
            ))
        };
        (v, Some(e))
    }
}
