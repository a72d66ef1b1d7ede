// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! One module in a repository (`codeRepo`): which tags are its versions, what a revision
//! resolves to (a tag's version or a pseudo-version), its go.mod and its zip, by the go
//! command's rules, case for case. Go 1.19 and Go 1.27 agree on all of it but two things. Go
//! 1.21+ refuses to zip a module whose go.mod asks for a newer Go than the go command itself:
//! that concerns a client's toolchain and has no place in a proxy. And Go 1.24+ leaves out
//! fewer vendored files from the zip of a module whose go.mod says `go 1.24` or later, which
//! changes its `h1:`: [`gomod::create`] builds the zip Go 1.24 and later build.
//!
//! The session's steps, one file each: listing the versions (`versions`), resolving a
//! revision to a version (`stat`), finding the module's directory at a version (`find_dir`),
//! its go.mod and zip (`download`), and `@latest` (`latest`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{Seek, Write};

use crate::error::{Error, ErrorKind, Result};
use crate::git::{CommitInfo, GitRepo};
use crate::mirror::Mirror;
use crate::timefmt::rfc3339;

mod download;
mod find_dir;
mod latest;
mod stat;
mod versions;

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

    /// A session on a repository of its own, for work that reads much of the pack once: the
    /// mirror's shared handles would keep every page it read resident for good.
    fn private_session(&self) -> Result<Session<'_, 'm>> {
        Ok(Session {
            r: self,
            git: GitRepo::private(self.mirror)?,
            stats: RefCell::new(HashMap::new()),
        })
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
        self.private_session()?.zip(version, w)
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

    /// The revision that names `rev` in the repository: a pseudo-version's commit hash, or the
    /// tag of a version (below the module's directory, without `+incompatible`); anything else
    /// as it is.
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

/// The prefix of the module's tags: "" at the repository root, `sub/` in `sub`.
fn tag_prefix(code_dir: &str) -> String {
    if code_dir.is_empty() {
        String::new()
    } else {
        format!("{code_dir}/")
    }
}
