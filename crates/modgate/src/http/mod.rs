//! The HTTP layer: thin handlers that parse a request into the service's types, call the
//! service once, and shape what comes back. Nothing here decides who may read what or what is
//! found: that is `crate::service`. This layer imports the service's types and the leaf
//! utilities (`memory`, `telemetry`, `sendfile`), nothing from below the service.

mod access;
mod delete;
mod error;
mod goproxy;
mod hooks;
mod identity;
mod kept;
mod ops;
mod publish;
mod range;
mod request;
mod sumdb;
mod time_limit;
mod ui;

#[cfg(test)]
mod range_tests;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::middleware;
use axum::routing::any;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;

use crate::service::{Caller, Refusal, Service};
use crate::telemetry::RequestLog;
use error::HttpError;
use kept::KeptAnswers;
use time_limit::TimeLimits;
pub(crate) use ui::UiSettings;

/// GOPROXY requests are GETs; a body is never needed, so a large one is refused early.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// An upload of up to 500 MiB over a slow link takes longer than a download may.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Shared by every request as one `Arc`: one reference count per request, not one per field.
pub(crate) struct AppState {
    pub service: Arc<Service>,
    /// The Basic auth realm sent with a 401.
    pub realm: Arc<str>,
    pub metrics: PrometheusHandle,
    pub kept: KeptAnswers,
    /// What the web UI knows of the listener.
    pub ui: UiSettings,
}

impl AppState {
    pub fn new(service: Arc<Service>, realm: &str, metrics: PrometheusHandle) -> AppState {
        AppState {
            service,
            realm: realm.into(),
            metrics,
            kept: KeptAnswers::default(),
            ui: UiSettings::default(),
        }
    }

    /// The HTTP answer for a refusal; `malformed` as in [`HttpError::from_refusal`].
    fn refusal(&self, refusal: Refusal, malformed: StatusCode) -> HttpError {
        HttpError::from_refusal(refusal, &self.realm, malformed)
    }
}

/// The endpoint a response answered, for metrics: set by handlers in response extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint(pub &'static str);

/// Who the request is from, or the refusal that ends it; named in the access log.
async fn caller(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Caller, Refusal> {
    let forwarded_for = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let authorization = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let caller = state
        .service
        .caller(peer.ip(), forwarded_for, authorization)
        .await?;
    access::record_user(caller.name());
    Ok(caller)
}

/// The caller of an `/api/v1/…` request and its path below `/api/v1`: what publish and delete
/// both start from.
async fn api_caller(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<(Caller, String), HttpError> {
    let caller = caller(state, peer, headers)
        .await
        .map_err(|r| state.refusal(r, StatusCode::BAD_REQUEST))?;
    let path = uri.path().strip_prefix("/api/v1").unwrap_or_default();
    Ok((caller, path.to_owned()))
}

/// The whole application.
pub(crate) fn router(
    state: Arc<AppState>,
    request_timeout: Duration,
    request_log: RequestLog,
) -> Router {
    // Router::layer wraps what came before: the last layer added is the outermost.
    let reading = Router::new()
        .merge(ops::router())
        .merge(ui::router())
        .merge(sumdb::router())
        // Module paths hold `/`: every path the routes above do not take is a GOPROXY
        // request. The root, which a wildcard does not match, is answered the same way.
        .route("/{*module_path}", any(goproxy::handle))
        .fallback(goproxy::handle)
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY));
    let frame = access::Frame {
        limits: TimeLimits {
            answer: request_timeout,
            upload: UPLOAD_TIMEOUT,
        },
        log: request_log,
    };
    Router::new()
        .merge(reading)
        // Publishing bounds its body itself while streaming it to disk.
        .merge(publish::router())
        .merge(hooks::router())
        .merge(identity::router())
        .with_state(state)
        .layer(middleware::from_fn_with_state(frame, access::observe))
}
