//! modgate: a private Go module proxy. See `DESIGN.md` in the shared notes for the map.
//!
//! # Layout
//! - `config`: TOML file + `MODGATE_*` environment + flags, validated at start.
//! - `storage`: the store over object_store, in the `cache/download` layout.
//! - `source`: where versions come from: the store, or the store filled from upstream proxies.
//! - `service`: routes module paths to sources; answers queries; the not-found policy.
//! - `filter`: allow and deny rules by module pattern and version range.
//! - `sumdb`: the checksum database: a caching proxy, and checks of upstream modules.
//! - `publish`: checks and stores new versions, immutably.
//! - `proxy_files`: the `.info` JSON and `list` formats of a proxy tree.
//! - `auth`: htpasswd users, CI tokens, read and write rights, IP allow-lists.
//! - `http`: axum handlers and layers; thin.
//! - `git`: a module version's tree at a tag, for `modgate publish --git`.
//! - `commands`: `publish`, `import`, `verify`, `token`.
//! - `tls`, `telemetry`: certificates with reload; logs and metrics.
//! - `serve`: wires it all together for `modgate serve`.

mod auth;
pub mod commands;
pub mod config;
pub mod filter;
mod git;
mod http;
mod proxy_files;
pub mod publish;
mod sendfile;
mod serve;
mod service;
mod singleflight;
mod source;
mod spool;
mod storage;
mod sumdb;
mod sweep;
pub mod telemetry;
mod tls;

pub use serve::run as serve;
