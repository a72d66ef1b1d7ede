//! Reading a module version out of a git repository at a tag, the way the `go` command builds
//! a zip in direct mode (spec 3.4, `cmd/go/internal/modfetch/codehost/git.go` `ReadZip` and
//! `coderepo.go` `Zip`):
//!
//! - the tree comes from `git -c core.autocrlf=input -c core.eol=lf archive --format=zip`, so
//!   `.gitattributes` conversions (`eol=crlf`, `ident`, filters) apply as they do for the go
//!   command, while `export-ignore` and `export-subst` are turned off by `* -export-subst
//!   -export-ignore` in `info/attributes`;
//! - directories, symlinks and submodules are left out;
//! - a module in a subdirectory (a `sub/vX.Y.Z` tag, or a `vN/` major-version directory) with no
//!   LICENSE of its own gets the repository root's, as the raw blob.
//!
//! The go command archives in its own clone; here the archive runs in a throwaway git directory
//! that borrows the repository's objects (`objects/info/alternates`), so the attributes file
//! never touches the user's repository. It drives the `git` command; no `go` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// A tag's tree, written out to a directory.
pub(crate) struct TaggedTree {
    /// The directory the tag names: the checkout's root, or `SUB` for a `SUB/vX.Y.Z` tag.
    pub dir: PathBuf,
    /// The version the tag names, e.g. `v1.2.3` for `sub/v1.2.3`.
    pub version: String,
    /// The commit time, which the `go` command reports as the version's Time.
    pub commit_time: time::OffsetDateTime,
    /// The root of the checkout.
    root: PathBuf,
    /// The repository root's LICENSE as stored (no attribute conversions), if it has one.
    root_license: Option<Vec<u8>>,
}

impl TaggedTree {
    /// Gives a module in `module_dir`, below the root, the root's LICENSE if it has none, as
    /// the go command does for a module in a subdirectory.
    pub fn copy_root_license(&self, module_dir: &Path) -> anyhow::Result<()> {
        let license = module_dir.join("LICENSE");
        if module_dir == self.root || license.exists() {
            return Ok(());
        }
        if let Some(text) = &self.root_license {
            std::fs::write(&license, text).context("copying the root LICENSE")?;
        }
        Ok(())
    }
}

/// Writes the tree of `tag` in `repo` below `into` and says where the module is.
pub(crate) fn checkout_tag(repo: &Path, tag: &str, into: &Path) -> anyhow::Result<TaggedTree> {
    let (subdir, version) = match tag.rsplit_once('/') {
        Some((subdir, version)) => (subdir.to_owned(), version.to_owned()),
        None => (String::new(), tag.to_owned()),
    };
    if gomod::canonical(&version).as_deref() != Some(version.as_str()) {
        bail!("tag {tag:?}: {version:?} is not a canonical semantic version (like v1.2.3)");
    }
    let commit = git(
        repo,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/tags/{tag}^{{commit}}"),
        ],
    )
    .with_context(|| format!("tag {tag:?} not found in {}", repo.display()))?;
    let commit = commit.trim().to_owned();
    let seconds: i64 = git(repo, &["show", "-s", "--format=%ct", &commit])?
        .trim()
        .parse()
        .context("reading the commit time")?;
    let commit_time =
        time::OffsetDateTime::from_unix_timestamp(seconds).context("commit time out of range")?;

    write_archive(repo, &commit, into)?;
    let root_license = blob(repo, &commit, "LICENSE")?;
    let mut dir = into.to_path_buf();
    if !subdir.is_empty() {
        dir.push(&subdir);
        if !dir.is_dir() {
            bail!("tag {tag:?}: the tagged commit has no directory {subdir:?}");
        }
    }
    Ok(TaggedTree {
        dir,
        version,
        commit_time,
        root: into.to_path_buf(),
        root_license,
    })
}

/// Writes the regular files of `git archive` of `commit` below `into`.
fn write_archive(repo: &Path, commit: &str, into: &Path) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("creating a temp directory")?;
    let git_dir = scratch.path().join("git");
    let objects = git(
        repo,
        &[
            "rev-parse",
            "--path-format=absolute",
            "--git-path",
            "objects",
        ],
    )?;
    git(
        scratch.path(),
        &["init", "--quiet", "--bare", &git_dir.display().to_string()],
    )?;
    std::fs::write(
        git_dir.join("objects/info/alternates"),
        format!("{}\n", objects.trim()),
    )
    .context("borrowing the repository's objects")?;
    // What the go command's ensureGitAttributes writes into its clone.
    std::fs::write(
        git_dir.join("info/attributes"),
        "* -export-subst -export-ignore\n",
    )
    .context("writing info/attributes")?;

    let zip_path = scratch.path().join("archive.zip");
    let zip_file = std::fs::File::create(&zip_path).context("creating the archive file")?;
    let output = Command::new("git")
        .arg("--git-dir")
        .arg(&git_dir)
        .args([
            "-c",
            "core.autocrlf=input",
            "-c",
            "core.eol=lf",
            "archive",
            "--format=zip",
            commit,
        ])
        .stdout(zip_file)
        .stderr(Stdio::piped())
        .output()
        .context("running git archive")?;
    if !output.status.success() {
        bail!(
            "git archive {commit}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }

    let file = std::fs::File::open(&zip_path).context("opening the archive")?;
    let mut archive =
        zip::ZipArchive::new(std::io::BufReader::new(file)).context("reading git archive's zip")?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index)?;
        // Symlinks are left out of module zips, and submodules appear as directories.
        if entry.is_dir() || entry.is_symlink() {
            continue;
        }
        let Some(relative) = entry.enclosed_name() else {
            bail!("git archive: unsafe path {:?}", entry.name());
        };
        let target = into.join(relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::File::create(&target)
            .with_context(|| format!("writing {}", target.display()))?;
        std::io::copy(&mut entry, &mut out)
            .with_context(|| format!("extracting {}", target.display()))?;
    }
    Ok(())
}

/// The raw contents of `path` at `commit` (`git cat-file blob`, as the go command's `ReadFile`),
/// or `None` when it is not a file there.
fn blob(repo: &Path, commit: &str, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let spec = format!("{commit}:{path}");
    let kind = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "-t", &spec])
        .stderr(Stdio::null())
        .output()
        .context("running git cat-file")?;
    if !kind.status.success() || kind.stdout.trim_ascii() != b"blob" {
        return Ok(None);
    }
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "blob", &spec])
        .output()
        .context("running git cat-file")?;
    if !output.status.success() {
        bail!(
            "git cat-file blob {spec}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(Some(output.stdout))
}

fn git(repo: &Path, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .context("running git (is it installed?)")?;
    if !output.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    String::from_utf8(output.stdout).context("git printed something that is not UTF-8")
}
