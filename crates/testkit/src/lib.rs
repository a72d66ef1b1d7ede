//! What the tests of modgate and codehost share, so that both compare with the same references:
//!
//! - [`git`]: repositories made with the `git` binary at fixed dates (hashes, times and
//!   pseudo-versions are the same on every run);
//! - [`git_server`]: a loopback server that serves them over smart HTTP through the real
//!   `git http-backend` behind basic auth, answers `?go-get=1` with go-import pages, and acts
//!   as an HTTP proxy for `git.corp.example`;
//! - [`fixture`]: the repositories both test suites read, and the modules and queries they
//!   compare with the go command in direct mode;
//! - [`go`]: the real `go` commands (Go 1.19 and the current Go) in clean environments, in
//!   direct mode or through a proxy;
//! - [`browser`]: headless Chromium driven over WebDriver (Debian's chromedriver), with a test
//!   CA trusted, screenshots kept under `target/ui-screenshots`.
//!
//! Processes started here (git servers, go commands, chromedriver and Chromium) are stopped by
//! the tests that start them; nothing listens beyond 127.0.0.1.

pub mod browser;
pub mod fixture;
pub mod git;
pub mod git_server;
pub mod go;

use std::path::Path;

/// A fresh temporary directory, removed when the test ends.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("modgate-test-")
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
