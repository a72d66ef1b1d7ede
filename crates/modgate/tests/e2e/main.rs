//! modgate end to end: the real binary on a loopback port, driven by raw HTTP and by the real
//! `go` commands (Go 1.19 and the current Go, from `MODGATE_TEST_GO`), with real parts around
//! it: a test CA, a stand-in upstream proxy, a test checksum database, SeaweedFS for S3 and
//! git repositories. One test binary, so the harness in `support` is compiled once.
//!
//! Tests that need `go`, SeaweedFS or Chromium are `#[ignore]`d; `scripts/test.sh` runs them all.

mod support;

mod audit_log;
mod bundle;
mod config_errors;
mod delete;
mod doctor;
mod git;
mod goauth;
mod goproxy;
mod http_checks;
mod packaging;
mod private_sumdb;
mod publish;
mod publish_api;
mod publish_refusals;
mod publish_safety;
mod resume;
mod retention;
mod s3;
mod s3_zips;
mod shutdown;
mod sumdb;
mod sumdb_offline;
mod tls_reload;
mod toolchain;
mod ui;
mod ui_browser;
mod ui_browser_account;
mod ui_browser_admin;
mod upstream;
mod upstream_policy;
mod users;
mod zip_rule;
