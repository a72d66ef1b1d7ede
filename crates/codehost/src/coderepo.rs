// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! One module in a repository (`codeRepo`): which tags are its versions, what a revision
//! resolves to (a tag's version or a pseudo-version), its go.mod and its zip, by the go
//! command's rules, case for case. Go 1.19 and Go 1.27 agree on all of it; the one
//! difference, Go 1.21+'s refusal to zip a module whose go.mod asks for a newer Go than the
//! go command itself, concerns a client's toolchain and has no place in a proxy.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Seek, Write};

use crate::archive;
use crate::error::{Error, ErrorKind, Result};
use crate::git::{CommitInfo, GitRepo};
use crate::mirror::Mirror;
use crate::timefmt::{pseudo_time, rfc3339};

/// The largest go.mod read (`codehost.MaxGoMod`).
const MAX_GO_MOD: u64 = gomod::MAX_GO_MOD;
/// The largest LICENSE copied from the repository root (`codehost.MaxLICENSE`).
const MAX_LICENSE: u64 = gomod::MAX_LICENSE;

/// What a revision resolves to: `modfetch.RevInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevInfo {
    /// The module version: a tag's, or a pseudo-version.
    pub version: String,
    /// The commit time, Unix seconds (the `.info` file's `Time`).
    pub time: i64,
    /// The full commit hash.
    pub commit: String,
}

impl RevInfo {
    /// The time as the `.info` file writes it: RFC 3339 in UTC, `2024-03-01T10:00:00Z`.
    pub fn time_rfc3339(&self) -> String {
        rfc3339(self.time)
    }

    /// The `.info` file: `{"Version":"v1.0.0","Time":"2024-03-01T10:00:00Z"}`. The
    /// repository's URL (the go command's `Origin`) is left out: a proxy must not show
    /// where its private repositories live.
    pub fn info_json(&self) -> String {
        format!(
            r#"{{"Version":"{}","Time":"{}"}}"#,
            json_escape(&self.version),
            self.time_rfc3339()
        )
    }
}

fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A module in a repository mirror: `codeRepo`.
///
/// Every method reads the mirror as of its last fetch; none fetches. Blocking (disk I/O and
/// decompression on the calling thread).
#[derive(Debug)]
pub struct CodeRepo<'m> {
    mirror: &'m Mirror,
    mod_path: String,
    code_root: String,
    /// The module's directory in the repository: "" for the root, `sub` for a
    /// `<root>/sub` module.
    code_dir: String,
    path_prefix: String,
    /// The path's major-version suffix: "" or `/v2` (or `.v2` for gopkg.in).
    path_major: String,
    /// The major version pseudo-versions get: "" (v0) or `v2`.
    pseudo_major: String,
}

fn has_path_prefix(s: &str, prefix: &str) -> bool {
    if s.len() == prefix.len() {
        return s == prefix;
    }
    if s.len() > prefix.len() {
        if prefix.ends_with('/') {
            return s.starts_with(prefix);
        }
        return s.as_bytes()[prefix.len()] == b'/' && s.starts_with(prefix);
    }
    false
}

/// Joins slash-separated paths as Go's `path.Join` does for our clean inputs.
fn join(a: &str, b: &str) -> String {
    match (a.trim_matches('/'), b.trim_matches('/')) {
        ("", b) => b.to_owned(),
        (a, "") => a.to_owned(),
        (a, b) => format!("{a}/{b}"),
    }
}

impl<'m> CodeRepo<'m> {
    /// The module `module_path` in the repository whose root is the import path
    /// `root_path` (`newCodeRepo`). `subdir` is the Go 1.25 `subdir` of a go-import tag:
    /// the directory of the repository that `root_path` names ("" for the root).
    pub fn new(
        mirror: &'m Mirror,
        module_path: &str,
        root_path: &str,
        subdir: &str,
    ) -> Result<CodeRepo<'m>> {
        let config = |message: String| Error::new(ErrorKind::Config, module_path, message);
        if !has_path_prefix(module_path, root_path) {
            return Err(config(format!(
                "mismatched repo: found {root_path} for {module_path}"
            )));
        }
        let Some((mut path_prefix, path_major)) = gomod::split_path_version(module_path) else {
            return Err(config(format!("invalid module path {module_path:?}")));
        };
        if root_path == module_path {
            path_prefix = module_path;
        }
        let mut code_dir = String::new();
        if root_path != module_path {
            if !has_path_prefix(path_prefix, root_path) {
                return Err(config(format!(
                    "repository rooted at {root_path} cannot contain module {module_path}"
                )));
            }
            code_dir = path_prefix[root_path.len()..].trim_matches('/').to_owned();
        }
        if !subdir.is_empty() {
            code_dir = join(&code_dir, subdir);
        }
        Ok(CodeRepo {
            mirror,
            mod_path: module_path.to_owned(),
            code_root: root_path.to_owned(),
            code_dir,
            path_prefix: path_prefix.to_owned(),
            // From split_path_version, so never None.
            pseudo_major: gomod::path_major_prefix(path_major)
                .unwrap_or_default()
                .to_owned(),
            path_major: path_major.to_owned(),
        })
    }

    /// The module path.
    pub fn module_path(&self) -> &str {
        &self.mod_path
    }

    /// The module's directory in the repository ("" for the root).
    pub fn code_dir(&self) -> &str {
        &self.code_dir
    }

    fn session(&self) -> Session<'_, 'm> {
        Session {
            r: self,
            git: GitRepo::new(self.mirror),
            stats: RefCell::new(HashMap::new()),
        }
    }

    /// The module's versions (`@v/list`): the tags that are valid versions of this module,
    /// sorted, then `+incompatible` ones. Pseudo-versions are never listed.
    pub fn versions(&self) -> Result<Vec<String>> {
        self.session().versions()
    }

    /// What a version or query resolves to (`.info`): a tag, a `+incompatible` tag, a
    /// pseudo-version, a branch, a full or abbreviated commit hash, `HEAD`, or any other tag
    /// name. `latest` is the default branch's head, as the go command's `codeRepo.Stat`
    /// has it; for the `@latest` endpoint use [`latest`](Self::latest).
    pub fn stat(&self, rev: &str) -> Result<RevInfo> {
        let s = self.session();
        s.stat(rev).map(|info| s.rev_info(info))
    }

    /// `@latest`, as `go get module@latest` picks it: the highest release, else the highest
    /// pre-release, else the default branch head's version. Retracted versions are passed
    /// over, as are `+incompatible` ones above a compatible version that has a go.mod.
    pub fn latest(&self) -> Result<RevInfo> {
        let s = self.session();
        s.query_latest().map(|info| s.rev_info(info))
    }

    /// The go.mod of a version (`.mod`): the module's own, or `module <path>` when it has
    /// none.
    pub fn go_mod(&self, version: &str) -> Result<Vec<u8>> {
        self.session().go_mod(version)
    }

    /// Writes the zip of a version to `w`, as the go command builds it from `git archive`,
    /// and returns what went in and what was left out. Files are read one at a time, so
    /// memory stays bounded by the largest file, not the tree.
    pub fn zip<W: Write + Seek>(&self, version: &str, w: W) -> Result<gomod::CheckedFiles> {
        self.session().zip(version, w)
    }
}

/// Errors as the go command words them: `module@version: invalid version: …`.
fn invalid_version(
    module: &str,
    version: &str,
    kind: ErrorKind,
    message: impl std::fmt::Display,
) -> Error {
    Error::new(
        kind,
        format!("{module}@{version}"),
        format!("invalid version: {message}"),
    )
}

/// A resolved revision, before conversion.
struct Converted {
    info: CommitInfo,
    version: String,
}

/// One public call's state: the repository as of one set of refs, and the revisions
/// already resolved (the go command's `statCache`).
struct Session<'a, 'm> {
    r: &'a CodeRepo<'m>,
    git: GitRepo<'m>,
    stats: RefCell<HashMap<String, CommitInfo>>,
}

impl Session<'_, '_> {
    fn rev_info(&self, c: Converted) -> RevInfo {
        RevInfo {
            version: c.version,
            time: c.info.time,
            commit: c.info.name.to_string(),
        }
    }

    /// `Repo.Stat` on the git level, cached.
    fn code_stat(&self, rev: &str) -> Result<CommitInfo> {
        if let Some(info) = self.stats.borrow().get(rev) {
            return Ok(info.clone());
        }
        let info = self.git.stat(rev)?;
        self.stats.borrow_mut().insert(rev.to_owned(), info.clone());
        Ok(info)
    }

    /// `Repo.ReadFile`: `Ok(None)` for "does not exist".
    fn read_file(&self, rev: &str, file: &str, max: u64) -> Result<Option<Vec<u8>>> {
        let info = self.code_stat(rev)?;
        self.git.read_file(info.name, file, max)
    }

    fn versions(&self) -> Result<Vec<String>> {
        let r = self.r;
        if r.mod_path.starts_with("gopkg.in/") && r.mod_path.ends_with("-unstable") {
            return Ok(Vec::new());
        }
        let p = if r.code_dir.is_empty() {
            String::new()
        } else {
            format!("{}/", r.code_dir)
        };
        let mut list = Vec::new();
        let mut incompatible = Vec::new();
        for (tag, _) in self.git.refs.tags_with_prefix(&p) {
            let v = &tag[p.len()..];
            if v.is_empty() || v != canonical(v) {
                continue;
            }
            if gomod::is_pseudo_version(v) {
                continue;
            }
            if !gomod::match_path_major(v, &r.path_major) {
                if r.code_dir.is_empty() && r.path_major.is_empty() && major(v) > "v1" {
                    incompatible.push(v.to_owned());
                }
                continue;
            }
            list.push(v.to_owned());
        }
        gomod::sort(&mut list);
        gomod::sort(&mut incompatible);
        self.append_incompatible_versions(list, incompatible)
    }

    fn version_has_go_mod(&self, v: &str) -> Result<bool> {
        Ok(self.read_file(v, "go.mod", MAX_GO_MOD)?.is_some())
    }

    fn append_incompatible_versions(
        &self,
        mut list: Vec<String>,
        incompatible: Vec<String>,
    ) -> Result<Vec<String>> {
        if incompatible.is_empty() || !self.r.path_major.is_empty() {
            return Ok(list);
        }
        if let Some(last) = list.last()
            && self.version_has_go_mod(last)?
        {
            // The latest compatible version has a go.mod: no +incompatible versions
            // (golang.org/issue/34189).
            return Ok(list);
        }
        let mut last_major = "";
        let mut last_major_has_go_mod = false;
        for (i, v) in incompatible.iter().enumerate() {
            let m = major(v);
            if m != last_major {
                let rem = &incompatible[i..];
                let j = rem.iter().position(|w| major(w) != m).unwrap_or(rem.len());
                let latest_at_major = &rem[j - 1];
                last_major = m;
                last_major_has_go_mod = self.version_has_go_mod(latest_at_major)?;
            }
            if last_major_has_go_mod {
                continue;
            }
            list.push(format!("{v}+incompatible"));
        }
        Ok(list)
    }

    fn rev_to_rev(&self, rev: &str) -> String {
        if gomod::is_valid(rev) {
            if gomod::is_pseudo_version(rev) {
                return gomod::pseudo_version_rev(rev).unwrap_or(rev).to_owned();
            }
            let rev = rev.strip_suffix("+incompatible").unwrap_or(rev);
            if self.r.code_dir.is_empty() {
                return rev.to_owned();
            }
            return format!("{}/{rev}", self.r.code_dir);
        }
        rev.to_owned()
    }

    fn stat(&self, rev: &str) -> Result<Converted> {
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
    fn code_latest(&self) -> Result<Converted> {
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

    /// `codeRepo.retractedVersions`: the retractions of the highest release's go.mod.
    fn retracted_versions(&self) -> Result<gomod::ModFile> {
        let mut versions = self.versions()?;
        if let Some(i) = versions.iter().position(|v| v.ends_with("+incompatible")) {
            versions.truncate(i);
        }
        let Some(last) = versions.last() else {
            return Ok(gomod::ModFile::default());
        };
        let highest = versions
            .iter()
            .rev()
            .find(|v| gomod::prerelease(v).is_empty())
            .unwrap_or(last);
        let data = self.go_mod(highest)?;
        gomod::ModFile::parse_lax(&data).map_err(|e| {
            Error::new(
                ErrorKind::NotModuleVersion,
                format!("{}@{highest}", self.r.mod_path),
                format!("parsing go.mod: {e}"),
            )
        })
    }

    fn convert(&self, info: CommitInfo, stat_vers: &str) -> Result<Converted> {
        let r = self.r;
        let incompatible_ok: RefCell<HashMap<String, bool>> = RefCell::new(HashMap::new());
        let can_use_incompatible = |v: &str| -> Result<bool> {
            if !r.code_dir.is_empty() || !r.path_major.is_empty() {
                return Ok(false);
            }
            let cached = incompatible_ok.borrow().get("").copied();
            let ok = match cached {
                Some(ok) => ok,
                None => {
                    let ok = self
                        .git
                        .read_file(info.name, "go.mod", MAX_GO_MOD)
                        .map_or(true, |f| f.is_none());
                    incompatible_ok.borrow_mut().insert(String::new(), ok);
                    ok
                }
            };
            if !ok {
                return Ok(false);
            }
            // golang.org/issue/51324: vN/go.mod claims the vN tags, unless +incompatible
            // was asked for explicitly.
            if !v.is_empty() && !stat_vers.ends_with("+incompatible") {
                let m = major(v).to_owned();
                let cached = incompatible_ok.borrow().get(&m).copied();
                let ok = match cached {
                    Some(ok) => ok,
                    None => {
                        let ok = self
                            .git
                            .read_file(info.name, &join(&m, "go.mod"), MAX_GO_MOD)
                            .map_or(true, |f| f.is_none());
                        incompatible_ok.borrow_mut().insert(m, ok);
                        ok
                    }
                };
                if !ok {
                    return Ok(false);
                }
            }
            Ok(true)
        };

        let check_canonical = |v: &str| -> Result<Converted> {
            if let Err(e) = self.find_dir(v) {
                let message = e.message().to_owned();
                let kind = match e.kind() {
                    ErrorKind::Internal => ErrorKind::Internal,
                    _ => ErrorKind::NotModuleVersion,
                };
                return Err(invalid_version(&r.mod_path, v, kind, message).with_source(e));
            }
            let invalid =
                |m: String| invalid_version(&r.mod_path, v, ErrorKind::NotModuleVersion, m);
            let mut v = v.to_owned();
            if v == stat_vers.strip_suffix("+incompatible").unwrap_or(stat_vers) {
                v = stat_vers.to_owned();
            }
            let base = v.strip_suffix("+incompatible").unwrap_or(&v).to_owned();
            let mut err_incompatible = None;
            if !gomod::match_path_major(&base, &r.path_major) {
                if can_use_incompatible(&base)? {
                    v = format!("{base}+incompatible");
                } else if !r.path_major.is_empty() {
                    err_incompatible = Some(invalid(
                        "module path includes a major version suffix, so major version must match"
                            .into(),
                    ));
                } else {
                    err_incompatible = Some(invalid(format!(
                        "module contains a go.mod file, so module path must match major version ({:?})",
                        join(&r.path_prefix, major(&v))
                    )));
                }
            } else if v.ends_with("+incompatible") {
                err_incompatible = Some(invalid(format!(
                    "+incompatible suffix not allowed: major version {} is compatible",
                    major(&v)
                )));
            }
            if !stat_vers.is_empty() && stat_vers == canonical_version(stat_vers) {
                let stat_base = stat_vers.strip_suffix("+incompatible").unwrap_or(stat_vers);
                if stat_base != base {
                    return Err(invalid_version(
                        &r.mod_path,
                        stat_vers,
                        ErrorKind::NotModuleVersion,
                        format!("resolves to version {v} ({stat_base} is not a tag)"),
                    ));
                }
            }
            if let Some(e) = err_incompatible {
                return Err(e);
            }
            Ok(Converted {
                info: info.clone(),
                version: v,
            })
        };

        if gomod::is_pseudo_version(stat_vers) {
            let converted = check_canonical(stat_vers)?;
            self.validate_pseudo_version(&info, stat_vers)?;
            return Ok(converted);
        }

        let tag_prefix = if r.code_dir.is_empty() {
            String::new()
        } else {
            format!("{}/", r.code_dir)
        };
        let retractions = self.retracted_versions().unwrap_or_default();
        let is_retracted = |v: &str| retractions.is_retracted(v).is_some();

        // (version, whether the tag is exactly the canonical version)
        let tag_to_version = |tag: &str| -> (String, bool) {
            let Some(trimmed) = tag.strip_prefix(tag_prefix.as_str()) else {
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
        };

        let (v, tag_is_canonical) = tag_to_version(&info.version);
        if tag_is_canonical && let Ok(converted) = check_canonical(&v) {
            return Ok(converted);
        }

        let mut highest_canonical = String::new();
        let mut pseudo_base = String::new();
        for path_tag in &info.tags {
            let (v, tag_is_canonical) = tag_to_version(path_tag);
            if !stat_vers.is_empty() && gomod::compare(&v, stat_vers).is_eq() {
                if tag_is_canonical {
                    return check_canonical(&v);
                }
                pseudo_base = v.clone();
            }
            if tag_is_canonical
                && gomod::compare(&highest_canonical, &v).is_lt()
                && !is_retracted(&v)
                && (gomod::match_path_major(&v, &r.path_major) || can_use_incompatible(&v)?)
            {
                highest_canonical = v;
            }
        }
        if !highest_canonical.is_empty() {
            return check_canonical(&highest_canonical);
        }

        if pseudo_base.is_empty() {
            let tag = self.git.recent_tag(info.name, &tag_prefix, |tag| {
                let (v, _) = tag_to_version(tag);
                if v.is_empty() {
                    return Ok(false);
                }
                if !gomod::match_path_major(&v, &r.path_major) && !can_use_incompatible(&v)? {
                    return Ok(false);
                }
                Ok(!is_retracted(&v))
            })?;
            if let Some(tag) = tag {
                pseudo_base = tag_to_version(&tag).0;
            }
        }
        check_canonical(&gomod::pseudo_version(
            &r.pseudo_major,
            &pseudo_base,
            &pseudo_time(info.time),
            &info.short,
        ))
    }

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
        let tag_prefix = if r.code_dir.is_empty() {
            String::new()
        } else {
            format!("{}/", r.code_dir)
        };
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
            if gomod::compare(version_only, &base).is_eq() {
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

    /// `codeRepo.findDir`: the revision, the module's directory and, when already read, its
    /// go.mod.
    fn find_dir(&self, version: &str) -> Result<(String, String, Option<Vec<u8>>)> {
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
        let not_module = |m: String| Error::new(ErrorKind::NotModuleVersion, "", m);
        let reading = |file: &str, e: Error| {
            Error::new(
                e.kind().clone(),
                "",
                format!(
                    "reading {}/{file} at revision {rev}: {}",
                    r.code_root,
                    e.message()
                ),
            )
            .with_source(e)
        };
        let file1 = join(&r.code_dir, "go.mod");
        let gomod1 = self
            .read_file(&rev, &file1, MAX_GO_MOD)
            .map_err(|e| reading(&file1, e))?;
        let mpath1 = gomod1
            .as_deref()
            .map(gomod::ModFile::module_path)
            .unwrap_or_default();
        let found1 = gomod1.is_some()
            && (is_major(&mpath1, &r.path_major)
                || self.can_replace_mismatched_version_due_to_bug(&mpath1));

        let mut file2 = String::new();
        if !r.path_major.is_empty() && r.code_root != r.mod_path && !r.path_major.starts_with('.') {
            let dir2 = join(&r.code_dir, &r.path_major[1..]);
            file2 = join(&dir2, "go.mod");
            let gomod2 = self
                .read_file(&rev, &file2, MAX_GO_MOD)
                .map_err(|e| reading(&file2, e))?;
            let mpath2 = gomod2
                .as_deref()
                .map(gomod::ModFile::module_path)
                .unwrap_or_default();
            let found2 = gomod2.is_some() && is_major(&mpath2, &r.path_major);
            if found1 && found2 {
                return Err(not_module(format!(
                    "{}/{file1} and ...{}/go.mod both have ...{} module paths at revision {rev}",
                    r.path_prefix, r.path_major, r.path_major
                )));
            }
            if found2 {
                return Ok((rev, dir2, gomod2));
            }
            if gomod2.is_some() {
                if mpath2.is_empty() {
                    return Err(not_module(format!(
                        "{}/{file2} is missing module path at revision {rev}",
                        r.code_root
                    )));
                }
                return Err(not_module(format!(
                    "{}/{file2} has non-...{} module path {mpath2:?} at revision {rev}",
                    r.code_root, r.path_major
                )));
            }
        }

        if found1 {
            return Ok((rev, r.code_dir.clone(), gomod1));
        }
        if gomod1.is_some() {
            let suffix = if file2.is_empty() {
                String::new()
            } else {
                format!(" (and ...{}/go.mod does not exist)", r.path_major)
            };
            if mpath1.is_empty() {
                return Err(not_module(format!(
                    "{file1} is missing module path{suffix} at revision {rev}"
                )));
            }
            if !r.path_major.is_empty() {
                return Err(not_module(format!(
                    "{file1} has non-...{} module path {mpath1:?}{suffix} at revision {rev}",
                    r.path_major
                )));
            }
            if gomod::split_path_version(&mpath1).is_none() {
                return Err(not_module(format!(
                    "{file1} has malformed module path {mpath1:?}{suffix} at revision {rev}"
                )));
            }
            return Err(not_module(format!(
                "{file1} has post-{} module path {mpath1:?}{suffix} at revision {rev}",
                major(version)
            )));
        }

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

    fn can_replace_mismatched_version_due_to_bug(&self, mpath: &str) -> bool {
        self.r.path_major.is_empty() && mpath.starts_with("gopkg.in/")
    }

    fn check_version_canonical(&self, version: &str) -> Result<()> {
        if version != canonical_version(version) {
            return Err(Error::new(
                ErrorKind::InvalidQuery,
                format!("{}@{version}", self.r.mod_path),
                format!("version {version} is not canonical"),
            ));
        }
        if gomod::is_pseudo_version(version) {
            self.stat(version)?;
        }
        Ok(())
    }

    fn go_mod(&self, version: &str) -> Result<Vec<u8>> {
        self.check_version_canonical(version)?;
        let (rev, dir, go_mod) = self.find_dir(version).map_err(|e| self.about(version, e))?;
        if let Some(go_mod) = go_mod {
            return Ok(go_mod);
        }
        match self.read_file(&rev, &join(&dir, "go.mod"), MAX_GO_MOD)? {
            Some(data) => Ok(data),
            None => Ok(gomod::legacy_go_mod(&self.r.mod_path)),
        }
    }

    fn about(&self, version: &str, e: Error) -> Error {
        if e.subject().is_empty() {
            e.about(format!("{}@{version}", self.r.mod_path))
        } else {
            e
        }
    }

    fn zip<W: Write + Seek>(&self, version: &str, w: W) -> Result<gomod::CheckedFiles> {
        self.check_version_canonical(version)?;
        let (rev, subdir, _) = self.find_dir(version).map_err(|e| self.about(version, e))?;
        let info = self.code_stat(&rev)?;
        let subject = format!("{}@{version}", self.r.mod_path);
        let license = if subdir.is_empty() {
            None
        } else {
            self.git.read_file(info.name, "LICENSE", MAX_LICENSE)?
        };
        archive::with_files(&self.git, info.name, &subdir, &subject, |mut files| {
            if let Some(data) = license
                && !files
                    .iter()
                    .any(|f| gomod::ModuleFile::path(f) == "LICENSE")
            {
                files.push(archive::GitFile::data("LICENSE", data));
            }
            gomod::create(w, &self.r.mod_path, version, &files).map_err(|e| {
                let kind = match e.checked_files() {
                    Some(_) => ErrorKind::NotModuleVersion,
                    None => ErrorKind::Internal,
                };
                Error::new(kind, &subject, format!("creating the zip: {e}")).with_source(e)
            })
        })
    }

    /// `@latest`: modload's `queryProxy` for the query `latest`.
    fn query_latest(&self) -> Result<Converted> {
        let versions = self.versions()?;
        let retractions = self.retracted_versions().unwrap_or_default();
        let (releases, prereleases) =
            self.filter_versions(&versions, |v| retractions.is_retracted(v).is_none())?;
        if let Some(v) = releases.last().or(prereleases.last()) {
            return self.stat(v);
        }
        let latest = self.code_latest()?;
        if retractions.is_retracted(&latest.version).is_some() {
            return Err(Error::new(
                ErrorKind::NotModuleVersion,
                format!("{}@latest", self.r.mod_path),
                "no matching versions for query \"latest\"",
            ));
        }
        Ok(latest)
    }

    /// modload's `filterVersions`: allowed versions split into releases and pre-releases,
    /// stopping at `+incompatible` ones when the last compatible version has a go.mod.
    fn filter_versions(
        &self,
        versions: &[String],
        allowed: impl Fn(&str) -> bool,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let mut need_incompatible = false;
        let mut last_compatible: Option<&str> = None;
        let (mut releases, mut prereleases) = (Vec::new(), Vec::new());
        for v in versions {
            if !allowed(v) {
                continue;
            }
            if !need_incompatible {
                if !v.ends_with("+incompatible") {
                    last_compatible = Some(v);
                } else if let Some(last) = last_compatible {
                    if self.go_mod(last)? != gomod::legacy_go_mod(&self.r.mod_path) {
                        break;
                    }
                    need_incompatible = true;
                }
            }
            if gomod::prerelease(v).is_empty() {
                releases.push(v.clone());
            } else {
                prereleases.push(v.clone());
            }
        }
        Ok((releases, prereleases))
    }
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

/// The reason a [`gomod::ModuleError`] gives, without the version it is about.
fn reason(e: &gomod::ModuleError) -> String {
    match &e.kind {
        gomod::ModuleErrorKind::InvalidVersion(reason) => reason.clone(),
        _ => e.to_string(),
    }
}

/// `semver.Canonical`, "" for an invalid version.
fn canonical(v: &str) -> String {
    gomod::canonical(v).unwrap_or_default()
}

/// `module.CanonicalVersion`, "" for an invalid version.
fn canonical_version(v: &str) -> String {
    gomod::canonical_version(v).unwrap_or_default()
}

/// `semver.Major`, "" for an invalid version.
fn major(v: &str) -> &str {
    gomod::major(v).unwrap_or("")
}
