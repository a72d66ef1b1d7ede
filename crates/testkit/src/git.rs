//! Git repositories made with the `git` binary, with fixed identities and dates so that
//! commit hashes, times and pseudo-versions are the same on every run.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::write_file;

/// `git` with nothing from the host: no system or global config, fixed identity.
pub fn git_command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "modgate test")
        .env("GIT_AUTHOR_EMAIL", "test@modgate.example")
        .env("GIT_COMMITTER_NAME", "modgate test")
        .env("GIT_COMMITTER_EMAIL", "test@modgate.example");
    command
}

/// Runs git in `dir`; panics with its stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_command(dir).args(args).output().expect("running git");
    assert!(
        output.status.success(),
        "git {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A work tree whose commits have fixed dates.
pub struct GitRepo {
    dir: PathBuf,
}

impl GitRepo {
    pub fn init(dir: &Path, branch: &str) -> GitRepo {
        std::fs::create_dir_all(dir).expect("creating the repository");
        git(
            dir,
            &["init", "--quiet", &format!("--initial-branch={branch}")],
        );
        // Store files exactly as written: no conversion on the way in.
        git(dir, &["config", "core.autocrlf", "false"]);
        GitRepo {
            dir: dir.to_path_buf(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn write(&self, files: &[(&str, &str)]) -> &Self {
        for (name, contents) in files {
            write_file(&self.dir.join(name), contents);
        }
        self
    }

    pub fn write_bytes(&self, name: &str, contents: &[u8]) -> &Self {
        write_file(&self.dir.join(name), contents);
        self
    }

    pub fn remove(&self, name: &str) -> &Self {
        git(&self.dir, &["rm", "-r", "--quiet", name]);
        self
    }

    pub fn symlink(&self, link: &str, target: &str) -> &Self {
        std::os::unix::fs::symlink(target, self.dir.join(link)).expect("creating a symlink");
        self
    }

    /// A submodule entry (a gitlink) at `path` naming `commit`, as `git submodule add` leaves
    /// in the tree.
    pub fn gitlink(&self, path: &str, commit: &str) -> &Self {
        // An empty directory, as for a submodule not checked out, so `add --all` keeps it.
        std::fs::create_dir_all(self.dir.join(path)).expect("creating the submodule directory");
        git(
            &self.dir,
            &[
                "update-index",
                "--add",
                "--cacheinfo",
                &format!("160000,{commit},{path}"),
            ],
        );
        self
    }

    /// Commits everything at `date` (e.g. `2024-03-01T10:00:00Z`); returns the hash.
    pub fn commit(&self, message: &str, date: &str) -> String {
        git(&self.dir, &["add", "--all"]);
        let output = git_command(&self.dir)
            .args(["commit", "--quiet", "--allow-empty", "-m", message])
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("running git commit");
        assert!(
            output.status.success(),
            "git commit: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.head()
    }

    pub fn head(&self) -> String {
        git(&self.dir, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// An annotated tag on HEAD (the go command peels it to the commit).
    pub fn tag(&self, name: &str) -> &Self {
        let output = git_command(&self.dir)
            .args(["tag", "-a", "-m", name, name])
            .env("GIT_COMMITTER_DATE", "2030-01-01T00:00:00Z")
            .output()
            .expect("running git tag");
        assert!(output.status.success(), "git tag {name}");
        self
    }

    /// A lightweight tag on HEAD.
    pub fn light_tag(&self, name: &str) -> &Self {
        git(&self.dir, &["tag", name]);
        self
    }

    pub fn checkout(&self, args: &[&str]) -> &Self {
        let mut all = vec!["checkout", "--quiet"];
        all.extend_from_slice(args);
        git(&self.dir, &all);
        self
    }

    /// A bare clone at `to`, what a git server holds, with every branch and tag.
    pub fn publish(&self, to: &Path) {
        let parent = to.parent().expect("a parent directory");
        std::fs::create_dir_all(parent).expect("creating the clone's parent");
        git(
            parent,
            &[
                "clone",
                "--quiet",
                "--mirror",
                &self.dir.display().to_string(),
                &to.display().to_string(),
            ],
        );
    }
}
