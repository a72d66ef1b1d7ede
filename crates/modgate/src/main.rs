//! modgate: a private Go module proxy. `ARCHITECTURE.md` at the repository's root is the map;
//! this is its table of contents.
//!
//! # Layout, from the edge inwards
//! - `cli`: the command line: arguments, the subcommands, exit codes.
//! - `config`: the TOML file, `MODGATE_*` variables and flags, checked into plain settings.
//! - `serve`, `app`: the listener, TLS and shutdown; the service built from the settings.
//! - `http`: thin handlers: parse into the service's types, call it once, shape the answer.
//! - `service`: every question a client can ask: routes, access, filters, the not-found policy.
//! - `source`: where versions come from: the store, or the store filled from upstream.
//! - `writer`: the one way a version enters the store, after the one checker.
//! - `sumdb`: the public checksum database: a caching proxy, and checks of what is fetched.
//! - `sumlog`: the private checksum database: a transparency log of every version served.
//! - `auth`, `filter`: who may read and publish what; allow and deny rules by version.
//! - `storage`: the store over object_store, in the `cache/download` layout.
//! - `retention`: when upstream-cached versions were last used, and which gc evicts.
//! - `commands`: `publish`, `import`, `export`, `verify`, `prefetch`, `gc`, `token`, `doctor`,
//!   `healthcheck`, completions and the manual page.
//! - `doctor`: judges a developer's go settings against a server, pure.
//! - Leaves any layer may use: `memory` (every cache, named once), `telemetry`, `tls`,
//!   `sendfile`, `spool`, `sweep`, `singleflight`, `proxy_files`, `secret`, `git`,
//!   `outbound` (every outbound HTTP client), `atomic_file` (files replaced in one step).

mod app;
mod atomic_file;
mod auth;
mod cli;
mod commands;
mod config;
mod doctor;
mod filter;
mod git;
mod http;
mod memory;
mod outbound;
mod progress;
mod proxy_files;
mod retention;
mod secret;
mod sendfile;
mod serve;
mod service;
mod singleflight;
mod source;
mod spool;
mod storage;
mod sumdb;
mod sumlog;
mod sweep;
mod telemetry;
mod tls;
mod writer;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run()
}
