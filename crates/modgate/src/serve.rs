//! `modgate serve`: build the service from the config and serve it on a bound listener until
//! the shutdown future resolves, then drain requests in flight within the shutdown timeout.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::RustlsAcceptor;

use crate::config::Config;
use crate::http::{self, AppState};
use crate::sendfile::SendfileAcceptor;
use crate::service::Service;
use crate::{app, telemetry, tls};

pub(crate) async fn run(
    config: Config,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let service = Arc::new(app::service(&config, Some(config.request_timeout))?);
    let mut state = AppState::new(service.clone(), &config.realm, telemetry::metrics());
    state.ui = ui_settings(&config);
    let state = Arc::new(state);
    let address = listener
        .local_addr()
        .context("reading the listener's address")?;
    warn_about_exposure(&config, address);
    // In the background: a bucket's listing can be slow, and serving need not wait for it.
    tokio::spawn({
        let service = service.clone();
        async move { service.warm_catalog().await }
    });
    // Deleted versions are known before the first request, then kept current in the
    // background (another replica's deletes).
    if let Err(e) = service.refresh_tombstones().await {
        tracing::warn!(cause = %e, "listing deleted versions at start failed; trying again");
    }
    tokio::spawn({
        let service = service.clone();
        async move { service.watch_tombstones().await }
    });
    tokio::spawn(retention(service.clone()));
    tokio::spawn(async move { service.clean_leftovers().await });
    tokio::spawn(telemetry::metrics_upkeep(state.metrics.clone()));
    if let Err(e) = state.service.ready().await {
        // Keep going: /readyz reports it, and requests recover once the store is back.
        tracing::warn!(store = state.service.store_description(), cause = %e, "store unreachable at start");
    }
    let app = http::router(state.clone(), config.request_timeout, config.request_log)
        .into_make_service_with_connect_info::<SocketAddr>();

    let handle = Handle::new();
    let drain = handle.clone();
    let shutdown_timeout = config.shutdown_timeout;
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!(timeout = ?shutdown_timeout, "shutting down: finishing requests in flight");
        drain.graceful_shutdown(Some(shutdown_timeout));
    });

    announce(&config, address, &state.service).await;
    // TCP_NODELAY on every connection: a response written in pieces (headers, then body
    // chunks) must not wait for the client's delayed ACK, ~40 ms per small zip otherwise.
    // Without TLS, kept zips also go out by sendfile.
    match &config.tls {
        Some(tls_config) => {
            let rustls = tls::load(tls_config).await?;
            tokio::spawn(tls::watch(tls_config.clone(), rustls.clone()));
            let acceptor = RustlsAcceptor::new(rustls).acceptor(NoDelayAcceptor::new());
            let mut server = axum_server::from_tcp(listener)?
                .acceptor(acceptor)
                .handle(handle);
            limit_headers(server.http_builder(), config.max_header_bytes);
            server.serve(app).await?;
        }
        None => {
            let mut server = axum_server::from_tcp(listener)?
                .acceptor(SendfileAcceptor)
                .handle(handle);
            limit_headers(server.http_builder(), config.max_header_bytes);
            server.serve(app).await?;
        }
    }
    // Uses marked since the last flush would otherwise be lost with the process.
    state.service.flush_last_use().await;
    tracing::info!("modgate stopped");
    Ok(())
}

/// Writes the marked uses of upstream-cached versions every [`LAST_USE_FLUSH`], and runs gc
/// every `[retention] interval_secs` when a limit is set; the first run one interval after start.
async fn retention(service: Arc<Service>) {
    let mut flush = tokio::time::interval(LAST_USE_FLUSH);
    let gc_every = service.gc_interval();
    let mut gc = tokio::time::interval(gc_every.unwrap_or(IDLE));
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    gc.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Both first ticks are at once: skip them.
    flush.tick().await;
    gc.tick().await;
    loop {
        tokio::select! {
            _ = flush.tick() => {
                service.flush_last_use().await;
            }
            _ = gc.tick(), if gc_every.is_some() => service.gc_run().await,
        }
    }
}

/// The gc timer's period when gc is off (its ticks are then ignored).
const IDLE: Duration = Duration::from_secs(86_400);

/// How often marked uses are written: often enough that a crash loses little, rarely enough
/// that they go in batches.
const LAST_USE_FLUSH: Duration = Duration::from_secs(10);

/// What the web UI needs to know of the listener: its connect page's scheme and CA hint.
fn ui_settings(config: &Config) -> http::UiSettings {
    http::UiSettings {
        tls: config.tls.is_some(),
        private_ca: config
            .tls
            .as_ref()
            .is_some_and(|tls| tls::is_privately_signed(&tls.cert)),
    }
}

/// The start-up lines: where modgate serves, and its private checksum database's state.
async fn announce(config: &Config, address: SocketAddr, service: &Service) {
    tracing::info!(
        %address,
        tls = config.tls.is_some(),
        store = service.store_description(),
        routes = config.routes.len(),
        "modgate serving"
    );
    match service.private_gosumdb().await {
        Some((gosumdb, Ok(records))) => {
            tracing::info!(GOSUMDB = %gosumdb, records, "private checksum database");
        }
        Some((gosumdb, Err(e))) => {
            tracing::error!(GOSUMDB = %gosumdb, cause = %e, "private checksum database unreadable");
        }
        None => {}
    }
}

/// Requests with larger headers get 431 from hyper before they reach us.
fn limit_headers(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    max_header_bytes: usize,
) {
    builder.http1().max_buf_size(max_header_bytes);
    builder
        .http2()
        .max_header_list_size(u32::try_from(max_header_bytes).unwrap_or(u32::MAX));
}

fn warn_about_exposure(config: &Config, address: SocketAddr) {
    if address.ip().is_loopback() {
        return;
    }
    let has_users = config.auth.htpasswd.is_some();
    if has_users && config.tls.is_none() {
        tracing::warn!(
            %address,
            "users are configured but TLS is not: the go command sends credentials only over https, so authenticated routes cannot be used; set [tls] cert and key"
        );
    }
    if !has_users && config.allow.is_empty() {
        tracing::warn!(%address, "listening beyond loopback with no users and no allow-list: anyone who can reach this address can read every module");
    }
}
