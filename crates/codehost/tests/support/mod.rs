//! The harness of codehost's integration tests, self-contained so that it can move to a
//! shared test crate: git repositories made with the `git` binary at fixed dates
//! ([`GitRepo`]), a loopback server ([`GitServer`]) that serves them over smart HTTP through
//! the real `git http-backend` behind basic auth, answers `?go-get=1` with go-import pages and
//! acts as an HTTP proxy for `git.corp.example`, and the real `go` command in direct mode
//! ([`GoEnv`]) as the reference.
#![allow(dead_code, unused_imports)]

mod git;
mod go;
mod server;

pub use git::{GitRepo, git, git_command};
pub use go::{Downloaded, GoClient, GoEnv, GoOutput, go_clients};
pub use server::{CORP_HOST, GitServer, Route};

use std::path::Path;

/// A fresh temporary directory, removed when the test ends.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("codehost-it-")
        .tempdir()
        .expect("creating a temporary directory")
}

/// Writes `contents` to `path`, creating its directory.
pub fn write_file(path: &Path, contents: impl AsRef<[u8]>) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("creating a directory");
    }
    std::fs::write(path, contents).expect("writing a file");
}
