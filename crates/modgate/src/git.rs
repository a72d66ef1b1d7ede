//! Reading a module version out of a git repository at a tag, the way the `go` command builds
//! a zip in direct mode: the raw tree (so `.gitattributes` export-ignore and export-subst have no
//! effect), without symlinks or submodules, from the tag's subdirectory for `sub/vX.Y.Z` tags,
//! with the repository's root LICENSE copied into a subdirectory module that has none.
//!
//! It drives the `git` command (plumbing only: rev-parse, ls-tree, cat-file); no `go` binary.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// A tag's tree, written out to a directory.
pub struct TaggedTree {
    /// The module's directory inside the checkout.
    pub dir: PathBuf,
    /// The version the tag names, e.g. `v1.2.3` for `sub/v1.2.3`.
    pub version: String,
    /// The commit time, which the `go` command reports as the version's Time.
    pub commit_time: time::OffsetDateTime,
}

/// Writes the tree of `tag` in `repo` below `into` and says where the module is.
pub fn checkout_tag(repo: &Path, tag: &str, into: &Path) -> anyhow::Result<TaggedTree> {
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

    let files = list_files(repo, &commit)?;
    write_blobs(repo, &files, into)?;
    let mut dir = into.to_path_buf();
    if !subdir.is_empty() {
        dir.push(&subdir);
        if !dir.is_dir() {
            bail!("tag {tag:?}: the tagged commit has no directory {subdir:?}");
        }
        let license = dir.join("LICENSE");
        let root_license = into.join("LICENSE");
        if !license.exists() && root_license.is_file() {
            std::fs::copy(&root_license, &license).context("copying the root LICENSE")?;
        }
    }
    Ok(TaggedTree {
        dir,
        version,
        commit_time,
    })
}

/// (object id, path) of every regular file in the commit; symlinks (mode 120000) and
/// submodules (160000) are left out, as the `go` command leaves them out of zips.
fn list_files(repo: &Path, commit: &str) -> anyhow::Result<Vec<(String, String)>> {
    let listing = git(repo, &["ls-tree", "-r", "-z", "--full-tree", commit])?;
    let mut files = Vec::new();
    for entry in listing.split('\0').filter(|e| !e.is_empty()) {
        let (meta, path) = entry
            .split_once('\t')
            .context("unexpected ls-tree output")?;
        let mut fields = meta.split(' ');
        let (Some(mode), Some(kind), Some(id)) = (fields.next(), fields.next(), fields.next())
        else {
            bail!("unexpected ls-tree output: {meta:?}");
        };
        if kind == "blob" && (mode == "100644" || mode == "100755") {
            files.push((id.to_owned(), path.to_owned()));
        }
    }
    Ok(files)
}

/// Streams every blob through one `git cat-file --batch`.
fn write_blobs(repo: &Path, files: &[(String, String)], into: &Path) -> anyhow::Result<()> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("running git cat-file")?;
    let mut stdin = child.stdin.take().context("git cat-file stdin")?;
    let ids: String = files.iter().map(|(id, _)| format!("{id}\n")).collect();
    // Feed ids from a thread: git's output would otherwise fill the pipe while we write.
    let feeder = std::thread::spawn(move || stdin.write_all(ids.as_bytes()));
    let mut stdout = BufReader::new(child.stdout.take().context("git cat-file stdout")?);
    for (_, path) in files {
        let mut header = String::new();
        stdout.read_line(&mut header)?;
        let size: u64 = header
            .split(' ')
            .nth(2)
            .and_then(|s| s.trim().parse().ok())
            .with_context(|| format!("git cat-file: unexpected header {header:?} for {path}"))?;
        let target = into.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::File::create(&target)
            .with_context(|| format!("writing {}", target.display()))?;
        std::io::copy(&mut (&mut stdout).take(size), &mut file)?;
        let mut newline = [0u8; 1];
        stdout.read_exact(&mut newline)?;
    }
    feeder
        .join()
        .map_err(|_| anyhow::anyhow!("git cat-file feeder panicked"))??;
    let status = child.wait()?;
    if !status.success() {
        bail!("git cat-file failed: {status}");
    }
    Ok(())
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
