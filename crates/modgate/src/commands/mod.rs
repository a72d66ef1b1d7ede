//! The subcommands other than `serve`: each takes its parsed arguments and does one job.
//! `login` and `auth` run on a developer's machine, against a server.

pub(crate) mod audit;
pub(crate) mod bundle;
pub(crate) mod delete;
pub(crate) mod docs;
pub(crate) mod doctor;
pub(crate) mod export;
pub(crate) mod gc;
pub(crate) mod goauth;
pub(crate) mod healthcheck;
pub(crate) mod import;
pub(crate) mod login;
pub(crate) mod prefetch;
pub(crate) mod progress;
pub(crate) mod proofs;
pub(crate) mod publish;
pub(crate) mod sumdb;
pub(crate) mod token;
mod tree;
pub(crate) mod user;
pub(crate) mod verify;

/// The usual config, and the directory store it may be overridden with.
#[derive(clap::Args)]
pub(crate) struct ConfigArgs {
    /// Config file [default: modgate.toml in the working directory, if present].
    #[arg(long, env = "MODGATE_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Directory store [default: the config's, else ./data].
    #[arg(long)]
    pub store: Option<std::path::PathBuf>,
}

/// The runtime for a command's few requests, one after another: one thread is enough.
fn current_thread_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}
