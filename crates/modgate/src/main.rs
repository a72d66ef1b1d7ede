//! The `modgate` command: parse arguments, build the config, run the subcommand.
//!
//! Exit codes: 0 success, 1 runtime failure, 2 bad configuration or arguments.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use modgate::config::{self, Config, Overrides, RawConfig};

#[derive(Parser)]
#[command(name = "modgate", version, about = "A private Go module proxy")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GOPROXY protocol.
    Serve(ServeArgs),
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Config file [default: modgate.toml in the working directory, if present].
    #[arg(long, env = "MODGATE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// Directory store, laid out like $GOPATH/pkg/mod/cache/download [default: ./data].
    #[arg(long)]
    store: Option<PathBuf>,
    /// Log format: text or json.
    #[arg(long)]
    log_format: Option<String>,
    /// TLS certificate chain (PEM).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Apache htpasswd file with bcrypt hashes.
    #[arg(long)]
    htpasswd: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = match load_config(args) {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("modgate: {e:#}");
                    return ExitCode::from(2);
                }
            };
            report(serve(config))
        }
    }
}

fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modgate: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(args: ServeArgs) -> anyhow::Result<Config> {
    let (path, required) = match args.config {
        Some(path) => (path, true),
        None => (PathBuf::from(config::DEFAULT_CONFIG_FILE), false),
    };
    let raw = RawConfig::load(&path, required)?.unwrap_or_default();
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let flags = Overrides {
        listen: args.listen,
        store: args.store,
        log_format: args.log_format,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        htpasswd: args.htpasswd,
    };
    let overrides = Overrides::from_env().overlay(flags);
    Ok(Config::from_raw(raw, overrides, &base_dir)?)
}

fn serve(config: Config) -> anyhow::Result<()> {
    modgate::telemetry::init_logs(config.log_format);
    let listener = TcpListener::bind(config.listen)
        .with_context(|| format!("listening on {}", config.listen))?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(modgate::serve(config, listener, shutdown_signal()))
}

/// SIGTERM (service managers) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
