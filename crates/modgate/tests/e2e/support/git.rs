//! `git daemon` on a loopback port, so that the `go` command can fetch a repository made for
//! tag-based publishing in direct mode.
//!
//! Module paths need a dot in their first element, which no loopback address has, so the go
//! command is pointed at the daemon by a `url.<base>.insteadOf` rewrite in a test-only
//! `GIT_CONFIG_GLOBAL`: `https://corp.example/…` becomes `git://127.0.0.1:PORT/…`.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use testkit::git::git;

use super::{wait_until, write_file};

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
