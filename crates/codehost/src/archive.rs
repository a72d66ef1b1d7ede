// Ported from Go's cmd/go/internal/modfetch/codehost/git.go (ReadZip) and coderepo.go (Zip). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The files of a module zip, as the go command takes them from `git archive`.
//!
//! The go command runs `git -c core.autocrlf=input -c core.eol=lf archive --format=zip
//! <commit> <subdir>` in a clone whose `info/attributes` says `* -export-subst
//! -export-ignore`, and hands the archive's files to x/mod's `zip.Create`. So:
//!
//! - `.gitattributes` conversions on the way out apply: `eol=crlf` (and `text=auto eol=crlf`),
//!   `ident`, `working-tree-encoding`. `text` alone changes nothing (autocrlf=input writes LF).
//!   Filter drivers apply only when configured, and a mirror configures none.
//! - `export-ignore` and `export-subst` never apply: ignored files are kept, `$Format:…$` is
//!   left as is.
//! - Symbolic links become symlink entries, which `zip.Create` omits; submodules become
//!   directory entries, which the go command skips. Neither reaches the zip.
//!
//! Here the tree is walked with gix and each blob converted with gix's filter pipeline,
//! configured and attributed as git's archive is (attributes from the archived tree and
//! `info/attributes`, `core.autocrlf=input`, `core.eol=lf`). Files are read one at a time
//! when they are written: memory is bounded by the largest file, never the tree.
//!
//! The limits are checked before anything is written, on the sizes the go command sees: the
//! archive's, after conversion. Only `ident`, `eol=crlf`, `working-tree-encoding` and a
//! filter driver can make those differ from the blob's own (with `core.autocrlf=input` and
//! `core.eol=lf`, `text` and `text=auto` alone end lines in LF, as stored), so a file with
//! none of them takes its size from the object's header, and only the others are converted
//! once more to learn theirs. Decompressing every blob twice would read the whole pack twice.

use std::cell::{RefCell, RefMut};
use std::io::{self, Cursor, Read};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gomod::{FileInfo, FileKind, ModuleFile};

use crate::error::{Error, ErrorKind, Result};
use crate::git::GitRepo;
use crate::mirror::gix_error;

mod blobs;

use blobs::Blobs;

/// Converts blobs to what `git archive` writes.
struct Converter<'repo> {
    blobs: RefCell<Blobs>,
    pipeline: RefCell<gix::filter::Pipeline<'repo>>,
    /// The file being read, converted: one buffer for the whole build, as large as the
    /// largest file, rather than one per file, which gix zeroes to the blob's size before
    /// decompressing into it and which, past the allocator's mmap threshold, is fresh pages
    /// from the kernel each time.
    buffer: RefCell<Vec<u8>>,
}

impl Converter<'_> {
    /// The size of the blob `oid`, from its header.
    fn size(&self, oid: ObjectId) -> io::Result<u64> {
        self.blobs
            .try_borrow_mut()
            .map_err(|_| io::Error::other("blob reader in use"))?
            .size(oid)
    }

    /// The archived contents of the blob `oid` at `path` (from the repository root), with
    /// `$Id$` expanded first when `ident` applies, as git orders its conversions. They are in
    /// the converter's one buffer, until the next file is read.
    fn convert(&self, oid: ObjectId, path: &[u8], ident: bool) -> io::Result<RefMut<'_, Vec<u8>>> {
        let mut data = self
            .buffer
            .try_borrow_mut()
            .map_err(|_| io::Error::other("another file is being read"))?;
        self.blobs
            .try_borrow_mut()
            .map_err(|_| io::Error::other("blob reader in use"))?
            .read(oid, &mut data)?;
        if ident && let Some(expanded) = ident_to_worktree(&data, &oid.to_string()) {
            *data = expanded;
        }
        let mut pipeline = self
            .pipeline
            .try_borrow_mut()
            .map_err(|_| io::Error::other("filter pipeline in use"))?;
        let options = gix::filter::plumbing::pipeline::convert::to_worktree::Options::default();
        use gix::filter::plumbing::pipeline::convert::ToWorktreeOutcome;
        let outcome = pipeline
            .convert_to_worktree(&data, path.as_bstr(), options)
            .map_err(io::Error::other)?;
        let converted = match outcome {
            ToWorktreeOutcome::Unchanged(_) => None,
            ToWorktreeOutcome::Buffer(converted) => Some(converted.to_vec()),
            ToWorktreeOutcome::Process(process) => {
                use gix::filter::plumbing::driver::apply::MaybeDelayed;
                let mut out = Vec::new();
                match process {
                    MaybeDelayed::Immediate(mut read) => {
                        read.read_to_end(&mut out)?;
                    }
                    MaybeDelayed::Delayed(_) => {
                        return Err(io::Error::other("filter driver delayed its output"));
                    }
                }
                Some(out)
            }
        };
        if let Some(converted) = converted {
            *data = converted;
        }
        Ok(data)
    }
}

/// A file's archived contents, read from the converter's buffer.
struct Archived<'a> {
    data: RefMut<'a, Vec<u8>>,
    at: usize,
}

impl Read for Archived<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.data.get(self.at..).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

/// A file of a module zip read from git: a blob (converted on the way out), or data.
pub(crate) struct GitFile<'c, 'r> {
    path: String,
    kind: FileKind,
    size: u64,
    source: Source<'c, 'r>,
}

enum Source<'c, 'r> {
    Blob {
        oid: ObjectId,
        /// The path from the repository root, for attribute lookup.
        repo_path: BString,
        /// Whether the `ident` attribute applies.
        ident: bool,
        /// Whether a conversion may change the blob on the way out.
        converted: bool,
        converter: &'c Converter<'r>,
    },
    Data(Vec<u8>),
    Nothing,
}

impl<'c, 'r> GitFile<'c, 'r> {
    /// A file held in memory, e.g. the root LICENSE copied into a subdirectory module.
    pub(crate) fn data(path: &str, data: Vec<u8>) -> GitFile<'c, 'r> {
        GitFile {
            path: path.to_owned(),
            kind: FileKind::Regular,
            size: data.len() as u64,
            source: Source::Data(data),
        }
    }
}

impl ModuleFile for GitFile<'_, '_> {
    fn path(&self) -> &str {
        &self.path
    }

    fn info(&self) -> io::Result<FileInfo> {
        Ok(FileInfo {
            kind: self.kind,
            size: self.size,
        })
    }

    fn open(&self) -> io::Result<Box<dyn Read + '_>> {
        match &self.source {
            Source::Blob {
                oid,
                repo_path,
                ident,
                converter,
                ..
            } => {
                let data = converter.convert(*oid, repo_path, *ident)?;
                // The limits were checked on the declared size: a file whose conversion was
                // not foreseen must fail the zip, not slip past them.
                if data.len() as u64 != self.size {
                    return Err(io::Error::other(format!(
                        "{} is {} bytes as archived, not {}",
                        self.path,
                        data.len(),
                        self.size
                    )));
                }
                Ok(Box::new(Archived { data, at: 0 }))
            }
            Source::Data(data) => Ok(Box::new(Cursor::new(data.as_slice()))),
            Source::Nothing => Ok(Box::new(io::empty())),
        }
    }
}

/// Builds the zip of the tree of `commit` below `subdir`, calling `f` with the files.
///
/// The files borrow a converter that lives only for the call, hence the callback.
pub(crate) fn with_files<T>(
    git: &GitRepo<'_>,
    commit: ObjectId,
    subdir: &str,
    subject: &str,
    f: impl FnOnce(Vec<GitFile<'_, '_>>) -> Result<T>,
) -> Result<T> {
    let repo = &git.repo;
    let root = git.root_tree(commit)?;
    let tree = module_tree(git, &root, commit, subdir, subject)?;
    let (pipeline, _index) = repo
        .filter_pipeline(Some(root.id))
        .map_err(|e| gix_error(subject, "reading .gitattributes", e))?;
    let converter = Converter {
        blobs: RefCell::new(Blobs::new(repo)),
        pipeline: RefCell::new(pipeline),
        buffer: RefCell::default(),
    };
    let mut attributes = ConversionAttributes::new(repo, root.id, subject)?;
    let mut files = list_files(&tree, subdir, &converter, &mut attributes, subject)?;
    set_archived_sizes(&mut files, subject)?;
    f(files)
}

/// The tree of the module: the commit's root tree, or the directory `subdir` in it.
fn module_tree<'repo>(
    git: &'repo GitRepo<'_>,
    root: &gix::Tree<'repo>,
    commit: ObjectId,
    subdir: &str,
    subject: &str,
) -> Result<gix::Tree<'repo>> {
    if subdir.is_empty() {
        return Ok(root.clone());
    }
    let missing = || {
        Error::new(
            ErrorKind::NotModuleVersion,
            subject,
            format!("no directory {subdir} at revision {commit}"),
        )
    };
    let entry = git.tree_entry(commit, subdir)?.ok_or_else(missing)?;
    if !entry.mode.is_tree() {
        return Err(missing());
    }
    git.repo
        .find_tree(entry.oid)
        .map_err(|e| gix_error(subject, "reading a tree", e))
}

/// The attributes of the archived tree and `info/attributes` that convert a file on the way
/// out.
///
/// gix writes `$Id: <hash>$` where git writes `$Id: <hash> $`, so `ident` is done here, the
/// git way ([`ident_to_worktree`]); gix's then finds no `$Id$` left.
struct ConversionAttributes<'repo> {
    attributes: gix::AttributeStack<'repo>,
    outcome: gix::attrs::search::Outcome,
}

/// What the attributes say of one file.
struct Conversion {
    /// `ident` is set.
    ident: bool,
    /// The archived bytes may differ from the blob's.
    may_change: bool,
}

impl<'repo> ConversionAttributes<'repo> {
    /// The attributes of the tree `root`.
    fn new(repo: &'repo gix::Repository, root: ObjectId, subject: &str) -> Result<Self> {
        let index = repo
            .index_from_tree(&root)
            .map_err(|e| gix_error(subject, "reading the tree", e))?;
        let attributes = repo
            .attributes_only(
                &index,
                gix::worktree::stack::state::attributes::Source::IdMapping,
            )
            .map_err(|e| gix_error(subject, "reading .gitattributes", e))?;
        let outcome = attributes.selected_attribute_matches([
            "ident",
            "eol",
            "working-tree-encoding",
            "filter",
        ]);
        Ok(Self {
            attributes,
            outcome,
        })
    }

    /// The conversions of the file at `repo_path`, from the repository root. Any value of
    /// `working-tree-encoding` or `filter`, and any `eol` but `lf`, counts as a change: the
    /// size is then learnt from the converted bytes, which is exact whatever the pipeline
    /// makes of them.
    fn at(&mut self, repo_path: &BString, subject: &str) -> Result<Conversion> {
        use gix::attrs::StateRef;
        let platform = self
            .attributes
            .at_entry(repo_path.as_bstr(), None)
            .map_err(|e| gix_error(subject, "reading .gitattributes", e))?;
        platform.matching_attributes(&mut self.outcome);
        let mut conversion = Conversion {
            ident: false,
            may_change: false,
        };
        for m in self.outcome.iter_selected() {
            let state = m.assignment.state;
            let changes = match m.assignment.name.as_str() {
                "ident" => {
                    conversion.ident = matches!(state, StateRef::Set);
                    conversion.ident
                }
                "eol" => matches!(state, StateRef::Value(v) if v.as_bstr() != "lf"),
                "working-tree-encoding" => !matches!(state, StateRef::Unspecified),
                "filter" => matches!(state, StateRef::Value(_)),
                _ => false,
            };
            conversion.may_change |= changes;
        }
        Ok(conversion)
    }
}

/// The files of `tree`, the module's directory `subdir`, in the order `git archive` writes
/// them, sizes not yet known. Directories are implied by paths; submodules, empty directories
/// in the archive, which the go command skips, are left out.
fn list_files<'c, 'r>(
    tree: &gix::Tree<'_>,
    subdir: &str,
    converter: &'c Converter<'r>,
    attributes: &mut ConversionAttributes<'_>,
    subject: &str,
) -> Result<Vec<GitFile<'c, 'r>>> {
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .depthfirst(&mut recorder)
        .map_err(|e| gix_error(subject, "walking the tree", e))?;

    let mut files = Vec::new();
    for entry in recorder.records {
        let mode = entry.mode;
        let kind = if mode.is_tree() || mode.is_commit() {
            continue;
        } else if mode.is_link() {
            FileKind::Symlink
        } else {
            FileKind::Regular
        };
        let path = entry.filepath.to_str_lossy().into_owned();
        let repo_path: BString = if subdir.is_empty() {
            entry.filepath.clone()
        } else {
            format!("{subdir}/{path}").into()
        };
        let conversion = if kind == FileKind::Regular {
            attributes.at(&repo_path, subject)?
        } else {
            Conversion {
                ident: false,
                may_change: false,
            }
        };
        files.push(GitFile {
            path,
            kind,
            size: 0,
            source: Source::Blob {
                oid: entry.oid,
                repo_path,
                ident: conversion.ident,
                converted: conversion.may_change,
                converter,
            },
        });
    }
    Ok(files)
}

/// Sizes as archived: the blob's, from its header, unless a conversion may change it; then
/// the converted size. A symlink is omitted by name and kind alone, so it is never read.
fn set_archived_sizes(files: &mut [GitFile<'_, '_>], subject: &str) -> Result<()> {
    for file in files {
        if let (
            FileKind::Regular,
            Source::Blob {
                oid,
                repo_path,
                ident,
                converted,
                converter,
            },
        ) = (file.kind, &file.source)
        {
            let reading = |e: io::Error| {
                Error::internal(subject, format!("reading {}", file.path)).with_source(e)
            };
            file.size = if *converted {
                converter
                    .convert(*oid, repo_path, *ident)
                    .map_err(reading)?
                    .len() as u64
            } else {
                converter.size(*oid).map_err(reading)?
            };
        } else if file.kind == FileKind::Symlink {
            file.source = Source::Nothing;
        }
    }
    Ok(())
}

/// git's `ident_to_worktree` (convert.c): each `$Id$`, and each `$Id:…$` that git itself
/// could have written (no newline, no inner space but the last), becomes
/// `$Id: <blob hash> $`. `None` when there is nothing to expand.
fn ident_to_worktree(src: &[u8], hash: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(src.len() + 48);
    let mut changed = false;
    let mut rest = src;
    while let Some(dollar) = rest.iter().position(|&b| b == b'$') {
        out.extend_from_slice(&rest[..=dollar]);
        rest = &rest[dollar + 1..];
        if rest.len() < 3 || &rest[..2] != b"Id" {
            continue;
        }
        if rest[2] == b'$' {
            rest = &rest[3..];
        } else if rest[2] == b':' {
            let Some(end) = rest[3..].iter().position(|&b| b == b'$').map(|i| i + 3) else {
                break;
            };
            if rest[3..end].contains(&b'\n') {
                continue;
            }
            let space = rest
                .get(4..end)
                .and_then(|s| s.iter().position(|&b| b == b' '))
                .map(|i| i + 4);
            if space.is_some_and(|i| i < end - 1) {
                continue;
            }
            rest = &rest[end + 1..];
        } else {
            continue;
        }
        out.extend_from_slice(b"Id: ");
        out.extend_from_slice(hash.as_bytes());
        out.extend_from_slice(b" $");
        changed = true;
    }
    out.extend_from_slice(rest);
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::ident_to_worktree;

    #[test]
    fn ident_as_git_expands_it() {
        let h = "055c8729cdcc372500a08db659c045e16c4409fb";
        const CASES: &[(&str, Option<&str>)] = &[
            ("$Id$\n", Some("$Id: H $\n")),
            ("a $Id$ b $Id$", Some("a $Id: H $ b $Id: H $")),
            ("$Id: old $", Some("$Id: H $")),
            ("$Id:old$", Some("$Id: H $")),
            ("$Id: from cvs 1.2 $", None),
            ("$Id: line\nbreak $", None),
            ("$Id", None),
            ("$Idx$", None),
            ("no ident", None),
        ];
        for (src, want) in CASES {
            let got = ident_to_worktree(src.as_bytes(), h).map(|v| String::from_utf8(v).unwrap());
            assert_eq!(got, want.map(|w| w.replace('H', h)), "{src:?}");
        }
    }
}
