//! modgate: a private Go module proxy. See `DESIGN.md` in the shared notes for the map.
//!
//! # Layout
//! - `config`: TOML file + `MODGATE_*` environment + flags, validated at start.
//! - `storage`: the store over object_store, in the `cache/download` layout.
//! - `source`: where versions come from (the store today; upstream and git later).
//! - `service`: routes module paths to sources; answers queries; the not-found policy.
//! - `auth`: htpasswd users, read rights, IP allow-lists.
//! - `http`: axum handlers and layers; thin.
//! - `tls`, `telemetry`: certificates with reload; logs and metrics.
//! - `serve`: wires it all together for `modgate serve`.

mod auth;
pub mod config;
mod http;
mod serve;
mod service;
mod source;
mod storage;
pub mod telemetry;
mod tls;

pub use serve::run as serve;
