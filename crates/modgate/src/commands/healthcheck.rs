//! `modgate healthcheck`: GET /healthz on the server this config describes and exit 0 when it
//! answers 200, 1 otherwise. A container image without a shell or curl runs it as its
//! `HEALTHCHECK`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::config::Config;

/// A health check that takes longer is a failure, not a wait.
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(clap::Args)]
pub(crate) struct HealthcheckArgs {
    /// Config file whose [server] listen and [tls] say where to ask
    /// [default: modgate.toml in the working directory, if present].
    #[arg(long, env = "MODGATE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Ask this URL instead (its /healthz), e.g. https://127.0.0.1:8443.
    #[arg(long)]
    pub url: Option<String>,
}

pub(crate) fn run(args: &HealthcheckArgs, config: &Config) -> anyhow::Result<()> {
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => local_url(config),
    };
    let url = format!("{base}/healthz");
    // The server's own listener, asked from its own host: its certificate names the public
    // host name, not the loopback address asked here, so it is not checked.
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .no_proxy()
        .danger_accept_invalid_certs(true)
        .build()
        .context("building the HTTP client")?;
    let runtime = super::current_thread_runtime()?;
    let status = runtime
        .block_on(async { client.get(&url).send().await })
        .with_context(|| format!("GET {url}"))?
        .status();
    if !status.is_success() {
        anyhow::bail!("GET {url}: {status}");
    }
    println!("{url}: {status}");
    Ok(())
}

/// `http(s)://ADDR:PORT` of the listener, an unspecified address asked on loopback.
fn local_url(config: &Config) -> String {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let ip = match config.listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("{scheme}://{}", SocketAddr::new(ip, config.listen.port()))
}
