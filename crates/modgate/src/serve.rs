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

use crate::auth::{Access, Auth};
use crate::config::{Config, Missing, SourceKind};
use crate::filter::Filters;
use crate::http::{self, AppState};
use crate::publish::Publisher;
use crate::sendfile::SendfileAcceptor;
use crate::service::{Route, Service, covers};
use crate::source::{Source, StoreSource, UpstreamSource};
use crate::storage::Store;
use crate::sumdb::ChecksumDb;
use crate::{spool, telemetry, tls};

/// A checksum database that does not accept a connection by then is down: fail fast, and let
/// the stored tiles serve.
const SUMDB_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds everything the config describes, failing on the first thing that cannot be used.
/// `answer_within`: how long a client waits for an answer (the request timeout), if one does.
pub(crate) fn build_state(
    config: &Config,
    answer_within: Option<Duration>,
) -> anyhow::Result<AppState> {
    let store = Store::from_config(&config.storage)?;
    let auth = Auth::new(
        &config.auth,
        config.allow.clone(),
        config.trusted_proxies.clone(),
    )?;
    let publisher = Arc::new(Publisher::new(store.clone()));
    let sumdb = Arc::new(checksum_db(config, store.clone())?);
    let stored: Arc<dyn Source> = Arc::new(StoreSource::new(store.clone()));
    let uses_upstream = config
        .routes
        .iter()
        .any(|r| r.source == SourceKind::Upstream);
    let upstream: Option<Arc<dyn Source>> = match uses_upstream && !config.upstream.offline {
        true => Some(Arc::new(
            UpstreamSource::new(
                &config.upstream,
                answer_within,
                stored.clone(),
                publisher.clone(),
                sumdb.clone(),
            )
            .context("setting up the upstream client")?,
        )),
        false => None,
    };
    let routes = config
        .routes
        .iter()
        .map(|r| {
            let access = Access::new(&r.read, &r.write, r.allow.clone(), auth.has_identities());
            let (source, missing) = match (r.source, &upstream) {
                (SourceKind::Upstream, Some(upstream)) => (upstream.clone(), r.missing),
                (SourceKind::Upstream, None) => (stored.clone(), Missing::Offline),
                (SourceKind::Store, _) => (stored.clone(), r.missing),
            };
            Route::new(r.prefix.clone(), missing, access, source)
        })
        .collect();
    let service = Arc::new(Service::new(
        routes,
        store,
        Filters::new(config.filters.clone()),
    ));
    Ok(AppState {
        publisher,
        service,
        auth: Arc::new(auth),
        realm: config.realm.as_str().into(),
        metrics: telemetry::metrics(),
        sumdb: config.sumdb.proxy.then_some(sumdb),
        answers: Arc::default(),
    })
}

/// The checksum database, told which modules are private: those a private route serves.
fn checksum_db(config: &Config, store: Store) -> anyhow::Result<ChecksumDb> {
    let client = reqwest::Client::builder()
        .connect_timeout(SUMDB_CONNECT_TIMEOUT)
        .user_agent(concat!("modgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the checksum database's HTTP client")?;
    // The route serving a module is the longest prefix that covers it, as in `Service::route`.
    let mut prefixes: Vec<(String, bool)> = config
        .routes
        .iter()
        .map(|r| (r.prefix.clone(), r.private))
        .collect();
    prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
    let is_private = move |module: &str| {
        prefixes
            .iter()
            .find(|(prefix, _)| covers(prefix, module))
            .is_some_and(|(_, private)| *private)
    };
    Ok(ChecksumDb::new(&config.sumdb, store, client)
        .context("[sumdb] key")?
        .with_private(Arc::new(is_private)))
}

pub async fn run(
    config: Config,
    listener: std::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let state = Arc::new(build_state(&config, Some(config.request_timeout))?);
    let address = listener
        .local_addr()
        .context("reading the listener's address")?;
    warn_about_exposure(&config, &state, address);
    // In the background: a bucket's listing can be slow, and serving need not wait for it.
    let publisher = state.publisher.clone();
    tokio::spawn(async move {
        match publisher.clean_staging().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed uploads abandoned by a crash"),
            Err(e) => tracing::warn!(cause = %e, "cleaning the staging area failed"),
        }
        match tokio::task::spawn_blocking(spool::clean_abandoned).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "removed temp files abandoned by a crash"),
            Ok(Err(e)) => tracing::warn!(cause = %e, "cleaning the temp directory failed"),
            Err(e) => tracing::warn!(cause = %e, "cleaning the temp directory stopped"),
        }
    });
    tokio::spawn(telemetry::metrics_upkeep(state.metrics.clone()));
    if let Err(e) = state.service.ready().await {
        // Keep going: /readyz reports it, and requests recover once the store is back.
        tracing::warn!(store = state.service.store_description(), cause = %e, "store unreachable at start");
    }
    let app = http::router(state.clone(), config.request_timeout)
        .into_make_service_with_connect_info::<SocketAddr>();

    let handle = Handle::new();
    let drain = handle.clone();
    let shutdown_timeout = config.shutdown_timeout;
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!(timeout = ?shutdown_timeout, "shutting down: finishing requests in flight");
        drain.graceful_shutdown(Some(shutdown_timeout));
    });

    tracing::info!(
        %address,
        tls = config.tls.is_some(),
        store = state.service.store_description(),
        routes = config.routes.len(),
        "modgate serving"
    );
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
    tracing::info!("modgate stopped");
    Ok(())
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

fn warn_about_exposure(config: &Config, state: &AppState, address: SocketAddr) {
    if address.ip().is_loopback() {
        return;
    }
    if state.auth.has_users() && config.tls.is_none() {
        tracing::warn!(
            %address,
            "users are configured but TLS is not: the go command sends credentials only over https, so authenticated routes cannot be used; set [tls] cert and key"
        );
    }
    if !state.auth.has_users() && config.allow.is_empty() {
        tracing::warn!(%address, "listening beyond loopback with no users and no allow-list: anyone who can reach this address can read every module");
    }
}
