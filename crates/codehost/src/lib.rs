//! Go module versions from git repositories, computed in-process exactly as the `go` command
//! computes them in direct mode (`GOPROXY=direct`), with no `git` or `go` binary: git is
//! gix, over smart HTTP.
//!
//! Three layers, each usable alone:
//!
//! - [`Remote`] and [`Network`]: where a repository is, modgate's credentials for it, and the
//!   proxy, CA and time limits of every outbound connection.
//! - [`Mirror`]: a bare mirror of one repository in a cache directory, fetched incrementally
//!   ([`Mirror::fetch`], [`Mirror::fetch_if_older`]), one fetch at a time across processes
//!   (a lock file), with its branches, tags and `HEAD` indexed in memory ([`Refs`]).
//! - [`CodeRepo`]: one module in a mirror, by the rules of the go command's
//!   `modfetch/coderepo.go`: its versions ([`CodeRepo::versions`], the `@v/list`), what a tag,
//!   branch, commit hash or other query resolves to ([`CodeRepo::stat`], the `.info`, with
//!   pseudo-versions), `@latest` ([`CodeRepo::latest`]), the go.mod ([`CodeRepo::go_mod`])
//!   and the zip ([`CodeRepo::zip`]), whose `h1:` hash is the one `go mod download` computes.
//!
//! Finding a repository from a module path is [`parse_go_import`] (a pure function over the
//! HTML of a `?go-get=1` page, Go 1.25 `subdir` included) and [`discover`] (the request).
//!
//! Everything here is blocking: a server calls it under `spawn_blocking`. Nothing here knows
//! about HTTP serving or modgate's storage.
//!
//! Errors are one [`Error`] type with a kind, and query methods for the choices a server
//! makes: [`Error::is_not_found`], [`Error::is_auth_failed`], [`Error::is_unreachable`],
//! [`Error::is_timeout`]. No error or log holds credentials: URLs with user info are refused
//! or redacted.
#![deny(missing_docs)]

mod archive;
mod coderepo;
mod discovery;
mod error;
mod git;
mod mirror;
mod probe;
mod refs;
mod remote;
mod timefmt;

pub use coderepo::{CodeRepo, RevInfo};
pub use discovery::{GoImport, discover, parse_go_import};
pub use error::{Error, ErrorKind, Result};
pub use gix::ObjectId;
pub use mirror::Mirror;
pub use refs::Refs;
pub use remote::{Credentials, Network, ProxySettings, Remote, redact_url};
