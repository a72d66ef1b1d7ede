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
//! `info/attributes`, `core.autocrlf=input`, `core.eol=lf`). A file is read when its size
//! is needed (to check the limits) and again when it is written, one at a time: memory is
//! bounded by the largest file, never the tree.

use std::cell::RefCell;
use std::io::{self, Cursor, Read};

use gix::ObjectId;
use gix::bstr::{BString, ByteSlice};
use gomod::{FileInfo, FileKind, ModuleFile};

use crate::error::{Error, ErrorKind, Result};
use crate::git::GitRepo;
use crate::mirror::gix_error;

/// Converts blobs to what `git archive` writes.
struct Converter<'repo> {
    repo: &'repo gix::Repository,
    pipeline: RefCell<gix::filter::Pipeline<'repo>>,
}

impl Converter<'_> {
    /// The archived contents of the blob `oid` at `path` (from the repository root).
    fn convert(&self, oid: ObjectId, path: &[u8]) -> io::Result<Vec<u8>> {
        let blob = self.repo.find_blob(oid).map_err(io::Error::other)?.detach();
        let mut pipeline = self
            .pipeline
            .try_borrow_mut()
            .map_err(|_| io::Error::other("filter pipeline in use"))?;
        let options = gix::filter::plumbing::pipeline::convert::to_worktree::Options::default();
        use gix::filter::plumbing::pipeline::convert::ToWorktreeOutcome;
        let outcome = pipeline
            .convert_to_worktree(&blob.data, path.as_bstr(), options)
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
        Ok(converted.unwrap_or(blob.data))
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
                converter,
            } => Ok(Box::new(Cursor::new(converter.convert(*oid, repo_path)?))),
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
    let tree = if subdir.is_empty() {
        root.clone()
    } else {
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
        repo.find_tree(entry.oid)
            .map_err(|e| gix_error(subject, "reading a tree", e))?
    };
    let (pipeline, _index) = repo
        .filter_pipeline(Some(root.id))
        .map_err(|e| gix_error(subject, "reading .gitattributes", e))?;
    let converter = Converter {
        repo,
        pipeline: RefCell::new(pipeline),
    };

    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse()
        .depthfirst(&mut recorder)
        .map_err(|e| gix_error(subject, "walking the tree", e))?;

    let mut files = Vec::new();
    for entry in recorder.records {
        let mode = entry.mode;
        let kind = if mode.is_tree() || mode.is_commit() {
            // Directories are implied by paths; submodules are empty directories in the
            // archive, which the go command skips.
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
        files.push(GitFile {
            path,
            kind,
            size: 0,
            source: Source::Blob {
                oid: entry.oid,
                repo_path,
                converter: &converter,
            },
        });
    }
    // Sizes as archived: a file converted on the way out has its converted size.
    for file in &mut files {
        if let (
            FileKind::Regular,
            Source::Blob {
                oid,
                repo_path,
                converter,
            },
        ) = (file.kind, &file.source)
        {
            file.size = converter
                .convert(*oid, repo_path)
                .map_err(|e| {
                    Error::internal(subject, format!("reading {}", file.path)).with_source(e)
                })?
                .len() as u64;
        } else if file.kind == FileKind::Symlink {
            // A symlink is omitted by name and kind alone; never read.
            file.source = Source::Nothing;
        }
    }
    f(files)
}
