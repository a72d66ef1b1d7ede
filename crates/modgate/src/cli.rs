//! The command line: arguments (clap), the subcommand that runs, and the exit code.
//!
//! Exit codes: 0 success; 1 the command ran and failed (a version rejected, a fetch failed);
//! 2 bad arguments or configuration, for every subcommand.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::publish::{Origin, Target};
use crate::commands::user::UsageError;
use crate::commands::{
    ConfigArgs, audit, bundle, delete, doctor, export, gc, goauth, healthcheck, import, prefetch,
    proofs, publish, sumdb, token, verify,
};
use crate::config::{self, Config, ConfigError, Overrides, RawConfig};
use crate::storage::StoreSettings;

/// `modgate --version`: the crate's version and the commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("MODGATE_BUILD_COMMIT"),
    ")"
);

mod identity;

#[derive(Parser)]
#[command(name = "modgate", version = VERSION, about = "A private Go module proxy")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the GOPROXY protocol.
    Serve(ServeArgs),
    /// Publish a version from a directory or a git tag, to a server or straight into a store.
    Publish(PublishArgs),
    /// Import a cache/download tree (or a whole module cache) into a store.
    Import {
        /// The tree to import: a cache/download directory or a $GOMODCACHE.
        source: PathBuf,
        #[command(flatten)]
        target: StoreArgs,
    },
    /// Copy a store (a bucket, say) into a directory, as a cache/download tree.
    Export {
        /// The directory to write.
        dest: PathBuf,
        #[command(flatten)]
        source: StoreArgs,
    },
    /// Re-check every version in a directory store and report those whose files disagree;
    /// with a config that has [private_sumdb], audit its checksum log too.
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The private checksum database: its key, its audit, logging what is stored.
    #[command(subcommand)]
    Sumdb(SumdbCommand),
    /// Fetch versions into the store through the upstream routes, as requests would.
    Prefetch {
        /// module@version, a toolchain (go1.X.Y.GOOS-GOARCH), or a go.sum, go.mod or text file
        /// (one module@version or toolchain per line).
        #[arg(required = true)]
        specs: Vec<String>,
        /// Config file [default: modgate.toml in the working directory, if present].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
        /// Directory store [default: the config's, else ./data].
        #[arg(long)]
        store: Option<PathBuf>,
        /// Upstream proxies, in GOPROXY syntax [default: the config's].
        #[arg(long)]
        upstream: Option<String>,
    },
    /// Carry versions to a site with no route to the internet: `bundle create`, `bundle import`.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// Delete a version: it answers 410 with the reason from then on, and is never written
    /// again but by `restore` with the same bytes.
    Delete {
        /// MODULE@VERSION.
        version: String,
        /// Why, in one line: clients are shown it.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Evict upstream-cached versions by [retention]'s limits, least recently used first.
    Gc {
        /// List what would be evicted, and evict nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Restore a deleted version from its zip or module directory: the same bytes only.
    Restore {
        /// MODULE@VERSION.
        version: String,
        /// The version's zip, or the module's directory.
        from: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print the audit file's events (`[audit] file`), oldest first.
    Audit {
        /// Only events since then: a duration back from now (30s, 90m, 12h, 7d) or an
        /// RFC 3339 time.
        #[arg(long)]
        since: Option<String>,
        /// The audit file [default: the config's [audit] file].
        #[arg(long)]
        file: Option<PathBuf>,
        /// Config file [default: modgate.toml in the working directory, if present].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Manage CI tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check this machine's go settings against a modgate server, and say what to change.
    Doctor(doctor::DoctorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff) on stdout: `modgate man | man -l -`.
    Man,
    /// Exit 0 when the configured server answers /healthz (a container's HEALTHCHECK).
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Check a config file as `serve` would, without serving: exit 0 when usable, 2 if not.
    CheckConfig {
        /// Config file [default: modgate.toml in the working directory, if present].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// The users of an htpasswd file (a running server sees changes within a second).
    #[command(subcommand)]
    User(identity::UserCommand),
    /// Get a personal token from a modgate server, kept for `modgate auth` (mode 0600).
    Login(identity::LoginArgs),
    /// A GOAUTH command for the go command: GOAUTH='modgate auth' sends the tokens of
    /// `modgate login`.
    Auth {
        /// The URL a request failed for (the go command's retry); every server when absent.
        url: Option<String>,
    },
}

/// A store: a directory, or the one a config file names.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("which_store").required(true).args(["store", "config"])))]
struct StoreArgs {
    /// A directory store.
    #[arg(long)]
    store: Option<PathBuf>,
    /// A config file whose [storage] names the store (a bucket, say).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new token once, with the config lines holding its digest.
    New {
        /// The token's name, as routes' write_users refer to it.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum SumdbCommand {
    /// Create the signing key (FILE must not exist) and print the verifier key for GOSUMDB.
    Init {
        /// The database's name, as clients' GOSUMDB names it: sum.corp.example, say.
        #[arg(long)]
        name: String,
        /// Where to write the signing key, readable only by its owner.
        #[arg(long)]
        key_file: PathBuf,
    },
    /// Audit the log: records against the stored files, tiles, index and signed heads.
    Verify {
        /// Config file with [private_sumdb] [default: modgate.toml in the working directory].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Log every stored version the log does not hold yet (a tree copied into the store).
    Sync {
        /// Config file with [private_sumdb] [default: modgate.toml in the working directory].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Write the [sumdb] database's proofs of VERSIONS under OUT/sumdb/<name>/, for a
    /// machine with no route to it.
    Proofs {
        /// Config file [default: modgate.toml in the working directory].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
        /// The directory (a GOPROXY=file:// tree) to write them under.
        #[arg(long)]
        out: PathBuf,
        /// An earlier proof's `latest`: also prove that tree inside the new one.
        #[arg(long)]
        since: Option<PathBuf>,
        /// module@version, each.
        #[arg(required = true)]
        versions: Vec<String>,
    },
    /// Check the proofs under DIR/sumdb/<name>/ (against DIR's module files) and store them,
    /// for serving the checksum database offline.
    StoreProofs {
        /// Config file [default: modgate.toml in the working directory].
        #[arg(long, env = "MODGATE_CONFIG")]
        config: Option<PathBuf>,
        dir: PathBuf,
    },
}

#[derive(clap::Args)]
struct PublishArgs {
    /// The module's source directory.
    #[arg(
        required_unless_present = "git",
        conflicts_with = "git",
        requires = "version"
    )]
    dir: Option<PathBuf>,
    /// A git repository to publish a tag of.
    #[arg(long, requires = "tag")]
    git: Option<PathBuf>,
    /// The tag: vX.Y.Z, or SUBDIR/vX.Y.Z for a module in a subdirectory.
    #[arg(long, requires = "git")]
    tag: Option<String>,
    /// The module path [default: from go.mod].
    #[arg(long)]
    module: Option<String>,
    /// The version (with a directory; a tag names its own).
    #[arg(long, conflicts_with = "git")]
    version: Option<String>,
    /// The version's time, RFC 3339 [default: the tag's commit time, or now].
    #[arg(long)]
    time: Option<String>,
    /// A modgate server to upload to, e.g. https://modgate.corp.example.
    #[arg(long, required_unless_present = "store", conflicts_with = "store")]
    server: Option<String>,
    /// Write straight into this directory store instead.
    #[arg(long)]
    store: Option<PathBuf>,
    /// Bearer token for --server.
    #[arg(long, env = "MODGATE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// USER:PASSWORD for --server.
    #[arg(long, env = "MODGATE_USER", hide_env_values = true, value_parser = user_password)]
    user: Option<(String, String)>,
    /// A CA certificate (PEM) to trust for --server.
    #[arg(long)]
    ca: Option<PathBuf>,
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
    /// Upstream proxies for `source = "upstream"` routes, in GOPROXY syntax
    /// [default: https://proxy.golang.org].
    #[arg(long)]
    upstream: Option<String>,
    /// Serve only what is stored: upstream routes never fetch (also MODGATE_OFFLINE=1).
    #[arg(long)]
    offline: bool,
}

/// Parses the command line, runs the subcommand, and says how it went.
pub(crate) fn run() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::Publish(args) => publish(args),
        Command::Import { source, target } => target
            .config()
            .and_then(|config| import::run(&source, &config))
            .and_then(|summary| count_failures(summary.rejected.len(), "versions rejected")),
        Command::Export { dest, source } => source
            .storage()
            .and_then(|storage| export::run(&storage, &dest).map(drop)),
        Command::Verify { store } => store.config().and_then(|config| verify_all(&config)),
        Command::Sumdb(command) => run_sumdb(command),
        Command::Prefetch {
            specs,
            config,
            store,
            upstream,
        } => load(
            config,
            Overrides {
                store,
                upstream,
                ..Overrides::default()
            },
        )
        .and_then(|config| prefetch::run(&config, &specs))
        .and_then(|summary| count_failures(summary.failed.len(), "versions could not be fetched")),
        Command::Bundle(command) => bundle::run(command, load_args),
        Command::Delete {
            version,
            reason,
            config,
        } => load_args(config).and_then(|config| delete::delete(&config, &version, &reason)),
        Command::Restore {
            version,
            from,
            config,
        } => load_args(config).and_then(|config| delete::restore(&config, &version, &from)),
        Command::Audit {
            since,
            file,
            config,
        } => audit_file(file, config).and_then(|file| audit::run(&file, since.as_deref())),
        Command::Gc { dry_run, config } => load_args(config)
            .and_then(|config| gc::run(&config, dry_run))
            .and_then(|failed| count_failures(failed, "evictions failed")),
        Command::Token(TokenCommand::New { name }) => token::new(&name),
        Command::Doctor(args) => doctor::run(args),
        Command::Completions { shell } => crate::commands::docs::completions(Cli::command(), shell),
        Command::Man => crate::commands::docs::man(Cli::command()),
        Command::Healthcheck(args) => load(args.config.clone(), Overrides::default())
            .and_then(|c| healthcheck::run(&args, &c)),
        Command::CheckConfig { config } => {
            load(config, Overrides::default()).map(|c| crate::commands::docs::describe(&c))
        }
        Command::User(command) => identity::user(command),
        Command::Login(args) => identity::login(args),
        Command::Auth { url } => goauth::run(url.as_deref()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modgate: {e:#}");
            // Bad configuration or arguments are the operator's to fix before anything can run.
            if e.downcast_ref::<ConfigError>().is_some() || e.downcast_ref::<UsageError>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// `modgate verify`: the versions of a directory store, then the checksum log if configured.
fn verify_all(config: &Config) -> anyhow::Result<()> {
    let StoreSettings::Dir(dir) = &config.storage else {
        anyhow::bail!("verify reads a directory store: export a bucket first (modgate export)");
    };
    let versions = verify::run(dir)?.len();
    let log = match config.private_sumdb {
        Some(_) => sumdb::verify(config)?.len(),
        None => 0,
    };
    count_failures(versions, "versions disagree with their files")?;
    count_failures(log, "checksum log problems")
}

fn run_sumdb(command: SumdbCommand) -> anyhow::Result<()> {
    match command {
        SumdbCommand::Init { name, key_file } => sumdb::init(&name, &key_file),
        SumdbCommand::Verify { config } => load(config, Overrides::default())
            .and_then(|config| sumdb::verify(&config))
            .and_then(|problems| count_failures(problems.len(), "checksum log problems")),
        SumdbCommand::Sync { config } => {
            load(config, Overrides::default()).and_then(|config| sumdb::sync(&config).map(drop))
        }
        SumdbCommand::Proofs {
            config,
            out,
            since,
            versions,
        } => load(config, Overrides::default())
            .and_then(|config| proofs::write(&config, &versions, &out, since.as_deref())),
        SumdbCommand::StoreProofs { config, dir } => {
            load(config, Overrides::default()).and_then(|config| proofs::store(&config, &dir))
        }
    }
}

/// The config, with `--store` for its store.
/// The config `--config` names, with `--store` for its store.
fn load_args(args: ConfigArgs) -> anyhow::Result<Config> {
    let overrides = Overrides {
        store: args.store,
        ..Overrides::default()
    };
    load(args.config, overrides)
}

/// `--file`, else the config's `[audit] file`.
fn audit_file(file: Option<PathBuf>, config: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(file) = file {
        return Ok(file);
    }
    let config = load(config, Overrides::default())?;
    config
        .audit
        .file
        .context("no audit file: give --file, or set [audit] file in the config")
}

fn count_failures(failures: usize, what: &str) -> anyhow::Result<()> {
    match failures {
        0 => Ok(()),
        n => Err(anyhow::anyhow!("{n} {what}")),
    }
}

fn user_password(text: &str) -> Result<(String, String), String> {
    text.split_once(':')
        .map(|(user, password)| (user.to_owned(), password.to_owned()))
        .ok_or_else(|| "expected USER:PASSWORD".to_owned())
}

impl StoreArgs {
    fn storage(self) -> anyhow::Result<StoreSettings> {
        Ok(self.config()?.storage)
    }

    /// The config file's settings, with `--store` for its store.
    fn config(self) -> anyhow::Result<Config> {
        let overrides = Overrides {
            store: self.store,
            ..Overrides::default()
        };
        load(self.config, overrides)
    }
}

fn publish(args: PublishArgs) -> anyhow::Result<()> {
    // clap has checked the combinations: a directory with a version or a repository with a
    // tag, and a server or a store.
    let origin = match (args.dir, args.git, args.tag, args.version) {
        (Some(dir), _, _, Some(version)) => Origin::Dir {
            dir,
            module: args.module,
            version,
        },
        (_, Some(repo), Some(tag), _) => Origin::Git {
            repo,
            tag,
            module: args.module,
        },
        _ => anyhow::bail!("give DIR with --version, or --git REPO with --tag"),
    };
    let target = match (args.server, args.store) {
        (Some(url), _) => Target::Server {
            url,
            token: args.token,
            basic: args.user,
            ca: args.ca,
        },
        (_, Some(store)) => Target::Store(store),
        _ => anyhow::bail!("give one of --server or --store"),
    };
    publish::run(origin, args.time, target)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let flags = Overrides {
        listen: args.listen,
        store: args.store,
        log_format: args.log_format,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        htpasswd: args.htpasswd,
        upstream: args.upstream,
        offline: args.offline.then_some(true),
        ..Overrides::default()
    };
    let config = load(args.config, flags)?;
    limit_malloc_arenas();
    let _logs =
        crate::telemetry::init_logs(config.log_format).context("starting the log writer thread")?;
    let listener = TcpListener::bind(config.listen)
        .with_context(|| format!("listening on {}", config.listen))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(crate::serve::run(config, listener, shutdown_signal()))
}

/// The config file (`--config`, else `modgate.toml` if present), then the environment, then
/// `flags`, validated together; a `ConfigError` (exit code 2) when anything is wrong.
fn load(config: Option<PathBuf>, flags: Overrides) -> anyhow::Result<Config> {
    let (path, required) = match config {
        Some(path) => (path, true),
        None => (PathBuf::from(config::DEFAULT_CONFIG_FILE), false),
    };
    let raw = RawConfig::load(&path, required)?.unwrap_or_default();
    let base_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    let overrides = Overrides::from_env().overlay(flags);
    Ok(Config::from_raw(raw, overrides, &base_dir)?)
}

/// File reads and bcrypt checks run on the blocking pool. Tokio's default of 512 threads lets a
/// flood of requests for files grow hundreds of threads, each with its own malloc arena, for no
/// more throughput than the disk gives a few dozen; past this many, work waits in a queue.
const MAX_BLOCKING_THREADS: usize = 32;

/// glibc gives every thread that allocates its own arena, up to eight per core, and keeps
/// what they free: blocking-pool threads that checked an upload or read a file hold megabytes
/// each long after. Two arenas keep the proxy's memory flat (measured: a burst of publishing
/// grew RSS by 7 MiB with the default, 1 MiB with two) at no measurable cost in speed.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any thread is started.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
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
