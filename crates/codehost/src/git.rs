// Ported from Go's cmd/go/internal/modfetch/codehost/git.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! What the go command asks of a git repository (`codehost.Repo`): resolve a revision
//! (`Stat`), read a file at a commit (`ReadFile`), find the highest tag below a commit
//! (`RecentTag`), and ask whether a commit descends from a tag (`DescendsFrom`), answered
//! from a fetched [`Mirror`] and its in-memory [`Refs`] instead of by running git.
//!
//! The go command's clone starts shallow and fetches more on demand; a mirror holds every
//! branch and tag with full history, which is the state the go command ends in after its
//! "last resort" full fetch, so every answer is the one it reaches.

use std::collections::{HashMap, HashSet};

use gix::ObjectId;

use crate::error::{Error, ErrorKind, Result};
use crate::mirror::{Mirror, gix_error};
use crate::refs::Refs;

/// The fewest hex digits accepted as a commit hash (`minHashDigits`).
const MIN_HASH_DIGITS: usize = 7;
/// Hex digits of a full SHA-1.
const HEX_HASH_LEN: usize = 40;

/// A resolved revision: `codehost.RevInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CommitInfo {
    /// The full commit hash.
    pub(crate) name: ObjectId,
    /// Its first 12 hex digits.
    pub(crate) short: String,
    /// The committer time, Unix seconds.
    pub(crate) time: i64,
    /// The tag name if the revision was asked for by a tag on it, else the full hash.
    pub(crate) version: String,
    /// Every tag on the commit, sorted.
    pub(crate) tags: Vec<String>,
}

/// A view of a mirror at one set of refs.
pub(crate) struct GitRepo<'a> {
    _mirror: std::marker::PhantomData<&'a Mirror>,
    pub(crate) repo: gix::Repository,
    pub(crate) refs: std::sync::Arc<Refs>,
    subject: String,
}

fn all_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn unknown_revision(subject: &str, rev: &str) -> Error {
    Error::new(
        ErrorKind::UnknownRevision,
        subject,
        format!("unknown revision {rev}"),
    )
}

impl<'a> GitRepo<'a> {
    pub(crate) fn new(mirror: &'a Mirror) -> GitRepo<'a> {
        GitRepo {
            _mirror: std::marker::PhantomData,
            repo: mirror.thread_local(),
            refs: mirror.refs(),
            subject: mirror.subject(),
        }
    }

    /// The same view through a repository opened for it alone ([`Mirror::open_private`]):
    /// what it reads is let go when it is dropped.
    pub(crate) fn private(mirror: &'a Mirror) -> Result<GitRepo<'a>> {
        Ok(GitRepo {
            _mirror: std::marker::PhantomData,
            repo: mirror.open_private()?,
            refs: mirror.refs(),
            subject: mirror.subject(),
        })
    }

    /// `gitRepo.Stat`: resolves a tag, branch, `HEAD`, or full or abbreviated commit hash.
    pub(crate) fn stat(&self, rev: &str) -> Result<CommitInfo> {
        let is_hash = |r: &str| (MIN_HASH_DIGITS..=HEX_HASH_LEN).contains(&r.len()) && all_hex(r);
        // A hash the repository has (the go command's fast path, and its last resort).
        if is_hash(rev)
            && let Some(commit) = self.resolve_hash_prefix(rev)?
        {
            return self.stat_local(rev, commit);
        }
        let refs = &self.refs;
        if let Some(id) = refs.tag(rev) {
            // Tags keep their name: they are assumed not to move.
            return self.stat_local(rev, id);
        }
        if let Some(id) = refs.branch(rev) {
            return self.stat_local(&id.to_string(), id);
        }
        if rev == "HEAD"
            && let Some(id) = refs.head()
        {
            return self.stat_local(&id.to_string(), id);
        }
        if is_hash(rev) {
            // The prefix may be ambiguous among all objects but name one ref's commit.
            let mut hash: Option<ObjectId> = None;
            for (_, id) in refs.all() {
                if id.to_string().starts_with(rev) {
                    if hash.is_some_and(|h| h != id) {
                        return Err(Error::new(
                            ErrorKind::UnknownRevision,
                            &self.subject,
                            format!("ambiguous revision {rev}"),
                        ));
                    }
                    hash = Some(id);
                }
            }
            if let Some(id) = hash {
                return self.stat_local(&id.to_string(), id);
            }
        }
        Err(unknown_revision(&self.subject, rev))
    }

    /// The one commit (or tag of a commit) whose hash starts with `prefix`, if exactly one.
    fn resolve_hash_prefix(&self, prefix: &str) -> Result<Option<ObjectId>> {
        let Ok(prefix) = gix::hash::Prefix::from_hex(prefix) else {
            return Ok(None);
        };
        let mut candidates = HashSet::new();
        self.repo
            .objects
            .lookup_prefix(prefix, Some(&mut candidates))
            .map_err(|e| gix_error(&self.subject, "looking up a hash", e))?;
        // As git resolves a committish: among the candidates, only commits (and tags of
        // commits) count.
        let mut commits = HashSet::new();
        for id in candidates {
            if let Some(commit) = self.peel_to_commit(id) {
                commits.insert(commit);
            }
        }
        Ok(if commits.len() == 1 {
            commits.into_iter().next()
        } else {
            None
        })
    }

    /// Peels `id` through tags to a commit, if it names one.
    fn peel_to_commit(&self, id: ObjectId) -> Option<ObjectId> {
        let object = self.repo.find_object(id).ok()?;
        let commit = object.peel_to_commit().ok()?;
        Some(commit.id)
    }

    /// `gitRepo.statLocal`: the commit `id` names, with `version` kept when it is one of
    /// the commit's tags.
    fn stat_local(&self, version: &str, id: ObjectId) -> Result<CommitInfo> {
        let Some(commit_id) = self.peel_to_commit(id) else {
            return Err(unknown_revision(&self.subject, version));
        };
        let commit = self
            .repo
            .find_commit(commit_id)
            .map_err(|e| gix_error(&self.subject, "reading a commit", e))?;
        let time = commit
            .committer()
            .map_err(|e| gix_error(&self.subject, "reading a commit", e))?
            .time()
            .map_err(|e| gix_error(&self.subject, "reading a commit time", e))?
            .seconds;
        let hash = commit_id.to_string();
        let mut version = version.to_owned();
        if hash.starts_with(&version) {
            version = hash.clone();
        }
        let tags = self.refs.tags_at(&commit_id).to_vec();
        if !tags.contains(&version) {
            version = hash.clone();
        }
        Ok(CommitInfo {
            name: commit_id,
            short: hash[..12].to_owned(),
            time,
            version,
            tags,
        })
    }

    /// `gitRepo.ReadFile`: the blob at `path` in `commit`, or `None` when there is none
    /// (the go command's `fs.ErrNotExist`). Refuses blobs larger than `max` bytes.
    pub(crate) fn read_file(
        &self,
        commit: ObjectId,
        path: &str,
        max: u64,
    ) -> Result<Option<Vec<u8>>> {
        let Some(entry) = self.tree_entry(commit, path)? else {
            return Ok(None);
        };
        if !entry.mode.is_blob_or_symlink() {
            return Ok(None);
        }
        let header = self
            .repo
            .find_header(entry.oid)
            .map_err(|e| gix_error(&self.subject, "reading a blob", e))?;
        if header.size() > max {
            return Err(Error::new(
                ErrorKind::NotModuleVersion,
                &self.subject,
                format!("{path} at revision {commit} is larger than {max} bytes"),
            ));
        }
        let blob = self
            .repo
            .find_blob(entry.oid)
            .map_err(|e| gix_error(&self.subject, "reading a blob", e))?;
        Ok(Some(blob.detach().data))
    }

    /// The entry at `path` (slash-separated, relative to the root) in `commit`'s tree.
    pub(crate) fn tree_entry(&self, commit: ObjectId, path: &str) -> Result<Option<TreeEntry>> {
        let tree = self.root_tree(commit)?;
        let entry = tree
            .lookup_entry(path.split('/').filter(|c| !c.is_empty()))
            .map_err(|e| gix_error(&self.subject, "reading a tree", e))?;
        Ok(entry.map(|e| TreeEntry {
            mode: e.mode(),
            oid: e.object_id(),
        }))
    }

    /// The root tree of `commit`.
    pub(crate) fn root_tree(&self, commit: ObjectId) -> Result<gix::Tree<'_>> {
        let commit = self
            .repo
            .find_commit(commit)
            .map_err(|e| gix_error(&self.subject, "reading a commit", e))?;
        commit
            .tree()
            .map_err(|e| gix_error(&self.subject, "reading a tree", e))
    }

    /// Every commit reachable from `from`, `from` included.
    fn ancestors(&self, from: ObjectId) -> Result<impl Iterator<Item = Result<ObjectId>> + '_> {
        let walk = self
            .repo
            .rev_walk([from])
            .all()
            .map_err(|e| gix_error(&self.subject, "walking history", e))?;
        Ok(walk.map(|info| {
            info.map(|i| i.id)
                .map_err(|e| gix_error(&self.subject, "walking history", e))
        }))
    }

    /// `gitRepo.RecentTag`: the highest tag with `prefix`, allowed by `allowed`, on `commit`
    /// or one of its ancestors (`git for-each-ref --merged`), compared by the version after
    /// the prefix.
    pub(crate) fn recent_tag(
        &self,
        commit: ObjectId,
        prefix: &str,
        mut allowed: impl FnMut(&str) -> Result<bool>,
    ) -> Result<Option<String>> {
        let mut candidates: HashMap<ObjectId, Vec<&str>> = HashMap::new();
        for (name, id) in self.refs.tags_with_prefix(prefix) {
            if let Some(commit) = self.peel_to_commit(id) {
                candidates.entry(commit).or_default().push(name);
            }
        }
        let mut merged: Vec<&str> = Vec::new();
        if !candidates.is_empty() {
            for id in self.ancestors(commit)? {
                if let Some(names) = candidates.remove(&id?) {
                    merged.extend(names);
                    if candidates.is_empty() {
                        break;
                    }
                }
            }
        }
        // for-each-ref lists in ref-name order; the first of equal versions wins.
        merged.sort_unstable();
        let mut highest = String::new();
        for tag in merged {
            if !allowed(tag)? {
                continue;
            }
            let semtag = &tag[prefix.len()..];
            if gomod::compare(semtag, &highest).is_gt() {
                highest = semtag.to_owned();
            }
        }
        Ok((!highest.is_empty()).then(|| format!("{prefix}{highest}")))
    }

    /// `gitRepo.DescendsFrom`: whether the commit `tag` names is `commit` or an ancestor.
    pub(crate) fn descends_from(&self, commit: ObjectId, tag: &str) -> Result<bool> {
        let Some(target) = self.refs.tag(tag).and_then(|id| self.peel_to_commit(id)) else {
            return Ok(false);
        };
        for id in self.ancestors(commit)? {
            if id? == target {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// One entry of a tree: its mode and object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TreeEntry {
    pub(crate) mode: gix::objs::tree::EntryMode,
    pub(crate) oid: ObjectId,
}
