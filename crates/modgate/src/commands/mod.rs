//! The subcommands other than `serve`: each takes its parsed arguments and does one job.
//! `login` and `auth` run on a developer's machine, against a server.

pub(crate) mod export;
pub(crate) mod goauth;
pub(crate) mod import;
pub(crate) mod login;
pub(crate) mod prefetch;
pub(crate) mod publish;
pub(crate) mod sumdb;
pub(crate) mod token;
mod tree;
pub(crate) mod user;
pub(crate) mod verify;
