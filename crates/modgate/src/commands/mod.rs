//! The subcommands other than `serve`: each takes its parsed arguments and does one job.

pub mod export;
pub mod import;
pub mod prefetch;
pub mod publish;
pub mod token;
mod tree;
pub mod verify;
