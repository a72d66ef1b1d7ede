//! Git repositories for tag-based publishing, and `git daemon` on a loopback port so that the
//! `go` command can fetch the same repository in direct mode.
//!
//! Module paths need a dot in their first element, which no loopback address has, so the go
//! command is pointed at the daemon by a `url.<base>.insteadOf` rewrite in a test-only
//! `GIT_CONFIG_GLOBAL`: `https://corp.example/…` becomes `git://127.0.0.1:PORT/…`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{wait_until, write_file};

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

/// A work tree whose commits have fixed dates, so `.info` times can be compared.
pub struct GitRepo {
    dir: PathBuf,
}

impl GitRepo {
    pub fn init(dir: &Path) -> GitRepo {
        std::fs::create_dir_all(dir).expect("creating the repository");
        git(dir, &["init", "--quiet", "--initial-branch=main"]);
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

    pub fn symlink(&self, link: &str, target: &str) -> &Self {
        std::os::unix::fs::symlink(target, self.dir.join(link)).expect("creating a symlink");
        self
    }

    /// Commits everything at `date` (e.g. `2024-03-01T10:00:00Z`).
    pub fn commit(&self, message: &str, date: &str) -> &Self {
        git(&self.dir, &["add", "--all"]);
        let output = git_command(&self.dir)
            .args(["commit", "--quiet", "-m", message])
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .output()
            .expect("running git commit");
        assert!(
            output.status.success(),
            "git commit: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self
    }

    /// An annotated tag, as releases usually are (the go command peels it to the commit).
    pub fn tag(&self, name: &str) -> &Self {
        git(&self.dir, &["tag", "-a", "-m", name, name]);
        self
    }

    /// A bare clone at `to`, what a git server holds.
    pub fn bare_clone(&self, to: &Path) {
        let parent = to.parent().expect("a parent directory");
        std::fs::create_dir_all(parent).expect("creating the clone's parent");
        git(
            parent,
            &[
                "clone",
                "--quiet",
                "--bare",
                &self.dir.display().to_string(),
                &to.display().to_string(),
            ],
        );
    }
}

/// `git daemon` serving every repository below a directory, read-only, on a loopback port;
/// killed by PID when dropped.
pub struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    pub fn start(base: &Path) -> GitDaemon {
        // A free port, released before the daemon binds it; retried if someone took it.
        for _ in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("binding a free port")
                .port();
            // git-daemon itself, not `git daemon`: the `git` wrapper runs it as a child, which
            // killing the wrapper would leave running.
            let exec_path = git(base, &["--exec-path"]);
            let mut child = Command::new(Path::new(exec_path.trim()).join("git-daemon"))
                .current_dir(base)
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("HOME", base)
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .args([
                    "--reuseaddr",
                    "--export-all",
                    "--listen=127.0.0.1",
                    &format!("--port={port}"),
                    &format!("--base-path={}", base.display()),
                    &base.display().to_string(),
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning git daemon");
            let up = wait_until(Duration::from_secs(10), || {
                matches!(child.try_wait(), Ok(Some(_)))
                    || TcpStream::connect(("127.0.0.1", port)).is_ok()
            });
            if up && matches!(child.try_wait(), Ok(None)) {
                return GitDaemon { child, port };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start");
    }

    /// Writes a git config file that sends `https://<host>/` to this daemon, for
    /// `GIT_CONFIG_GLOBAL`.
    pub fn rewrite_config(&self, host: &str, path: &Path) {
        write_file(
            path,
            format!(
                "[url \"git://127.0.0.1:{}/\"]\n\tinsteadOf = https://{host}/\n",
                self.port
            ),
        );
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
