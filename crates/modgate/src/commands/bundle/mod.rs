//! `modgate bundle`: versions carried to a site with no route to the internet (or a laptop at
//! home) as one file, `OUT.tar.zst`. Unpacked, it is a `GOPROXY=file://` tree whose public
//! versions verify against the checksum database by the proofs it holds; imported, it goes
//! into a store whole or not at all.

mod archive;
mod create;
mod import;
mod manifest;
mod resolve;

use std::path::PathBuf;

pub(crate) use create::CreateArgs;

use super::ConfigArgs;

#[derive(clap::Subcommand)]
pub(crate) enum BundleCommand {
    /// Write a bundle: versions fetched as downloads would be, their checksum-database proofs,
    /// and a manifest of every file.
    #[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["modules", "toolchains"])))]
    Create {
        /// The bundle to write (.tar.zst).
        out: PathBuf,
        /// module@version, or a file: one module@version per line, a go.sum, or a go.mod
        /// (its whole build list, by minimal version selection).
        #[arg(long = "modules", value_name = "FILE")]
        modules: Vec<String>,
        /// Only what an earlier bundle (or its manifest) does not hold, and the proof that its
        /// checksum-database tree is in this one's.
        #[arg(long, value_name = "OLD_MANIFEST_OR_BUNDLE")]
        since: Option<PathBuf>,
        /// Go toolchains (go1.X.Y), as golang.org/toolchain versions.
        #[arg(long, value_delimiter = ',')]
        toolchains: Vec<String>,
        /// The toolchains' platforms [default: linux-amd64].
        #[arg(long, value_delimiter = ',', requires = "toolchains")]
        platforms: Vec<String>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Import a bundle (the .tar.zst or its unpacked directory), checked whole first: any
    /// problem refuses all of it, one line each.
    Import {
        /// The bundle file or directory.
        source: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// Runs `command` on the config `load` reads from its arguments.
pub(crate) fn run(
    command: BundleCommand,
    load: impl FnOnce(ConfigArgs) -> anyhow::Result<crate::config::Config>,
) -> anyhow::Result<()> {
    match command {
        BundleCommand::Create {
            out,
            modules,
            since,
            toolchains,
            platforms,
            config,
        } => {
            let args = CreateArgs {
                out,
                modules,
                since,
                toolchains,
                platforms,
            };
            create::run(&load(config)?, &args).map(drop)
        }
        BundleCommand::Import { source, config } => import::run(&load(config)?, &source).map(drop),
    }
}
