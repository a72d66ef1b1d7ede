//! The HTTP layer: thin handlers that parse, check access, call the service and shape answers.

mod access;
mod answers;
mod error;
mod goproxy;
mod ops;
mod publish;
mod request;
mod sumdb;
mod time_limit;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;

use crate::auth::{Auth, ClientAddress, Principal};
use crate::publish::Publisher;
use crate::service::Service;
use crate::sumdb::ChecksumDb;
use time_limit::TimeLimits;

/// GOPROXY requests are GETs; a body is never needed, so a large one is refused early.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// An upload of up to 500 MiB over a slow link takes longer than a download may.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

/// Shared by every request as one `Arc`: one reference count per request, not one per field.
pub(crate) struct AppState {
    pub service: Arc<Service>,
    pub auth: Arc<Auth>,
    pub publisher: Arc<Publisher>,
    pub realm: Arc<str>,
    pub metrics: PrometheusHandle,
    /// The checksum database proxy; `None` when `[sumdb] proxy = false`.
    pub sumdb: Option<Arc<ChecksumDb>>,
    pub answers: Arc<answers::Answers>,
}

/// The endpoint a response answered, for metrics: set by handlers in response extensions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint(pub &'static str);

/// The client's address and who it is, or the 401/403 that ends the request. Every route but
/// the health checks starts here.
async fn identify(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<(ClientAddress, Principal), error::HttpError> {
    let denied = |d| error::HttpError::from_denied(d, &state.realm);
    let forwarded_for = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client = state.auth.client_address(peer.ip(), forwarded_for);
    state.auth.check_address(client).map_err(denied)?;
    let principal = state
        .auth
        .authenticate(
            headers
                .get(header::AUTHORIZATION)
                .map(HeaderValue::as_bytes),
        )
        .await
        .map_err(denied)?;
    access::record_user(principal.name());
    Ok((client, principal))
}

/// The whole application.
pub(crate) fn router(state: Arc<AppState>, request_timeout: Duration) -> Router {
    // Router::layer wraps what came before: the last layer added is the outermost.
    let reading = Router::new()
        .merge(ops::router())
        .merge(sumdb::router())
        .fallback(goproxy::handle)
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY));
    let limits = TimeLimits {
        answer: request_timeout,
        upload: UPLOAD_TIMEOUT,
    };
    Router::new()
        .merge(reading)
        // Publishing bounds its body itself while streaming it to disk.
        .merge(publish::router())
        .with_state(state)
        .layer(middleware::from_fn_with_state(limits, access::observe))
}
