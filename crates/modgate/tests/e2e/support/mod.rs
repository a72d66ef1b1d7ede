//! The shared harness of modgate's integration tests: module trees written by hand, the real
//! `modgate` binary on a loopback port, a test CA, the real `go` command in a clean
//! environment, a stand-in public proxy that logs what it is asked, raw HTTP helpers, zips and
//! multipart bodies and a harness for the publishing API, and git repositories served by
//! `git daemon`. What codehost's tests share with these (git repositories and server, the go
//! commands) is in the `testkit` crate.

mod api;
mod gateway;
mod git;
mod http;
mod publish;
pub mod s3;
mod second;
mod server;
mod sumdb;
mod tree;
mod ui;

pub use api::{Api, Auth, GO_MOD, M_GO, assert_verify_clean, start_server};
pub use gateway::{Gateway, PublicSide};
pub use git::GitDaemon;
pub use http::{Http, Reply, raw_request, raw_upload, read_status};
pub use publish::{
    Published, Token, api_path, describe, files_below, h1_of, module_zip, multipart, new_token,
    noise, parse_published, publish_command, published_by, publishing_config, write_module, zip_of,
    zip_with,
};
pub use s3::{Backend, Storage, Weed};
pub use second::{Fault, Second};
pub use server::{Modgate, TestCa, modgate_command, tls_config, write_htpasswd};
pub use sumdb::TestSumdb;
pub use testkit::git::GitRepo;
pub use testkit::go::{GoClient, GoEnv, GoOutput, go_clients};
pub use testkit::{temp_dir, write_file};
pub use tree::{TreeBuilder, copy_tree, digest_tree, escape, private_tree, public_tree};
pub use ui::{ADMIN, BOBS_MODULES, USER, UiSite, assert_no_secret};

use std::path::Path;
use std::time::{Duration, Instant};

/// Polls `done` until it holds or `limit` passes; false on timeout.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    done()
}

/// `file://` URL of a directory, as GOPROXY takes it.
pub fn file_url(dir: &Path) -> String {
    format!("file://{}", dir.display())
}
