//! The subcommands other than `serve`: each takes its parsed arguments and does one job.

pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod prefetch;
pub(crate) mod publish;
pub(crate) mod sumdb;
pub(crate) mod token;
mod tree;
pub(crate) mod verify;
