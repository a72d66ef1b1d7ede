//! The HTTP layer: thin handlers that parse, check access, call the service and shape answers.

mod answers;
mod error;
mod goproxy;
mod ops;
mod publish;
mod request;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::auth::{Auth, ClientAddress, Principal};
use crate::publish::Publisher;
use crate::service::Service;

/// GOPROXY requests are GETs; a body is never needed, so a large one is refused early.
const MAX_REQUEST_BODY: usize = 64 * 1024;

/// An upload of up to 500 MiB over a slow link takes longer than a download may.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub(crate) struct AppState {
    pub service: Arc<Service>,
    pub auth: Arc<Auth>,
    pub publisher: Arc<Publisher>,
    pub realm: Arc<str>,
    pub metrics: PrometheusHandle,
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
    tracing::Span::current().record("user", principal.name());
    Ok((client, principal))
}

/// The whole application.
pub(crate) fn router(state: AppState, request_timeout: Duration) -> Router {
    // Router::layer wraps what came before: the last layer added is the outermost.
    let reading = Router::new()
        .merge(ops::router())
        .fallback(goproxy::handle)
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));
    // Publishing bounds its body itself while streaming it to disk.
    let publishing = publish::router().layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        UPLOAD_TIMEOUT,
    ));
    Router::new()
        .merge(reading)
        .merge(publishing)
        .with_state(state)
        .layer(middleware::from_fn(record_metrics))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    // The path and user only: headers carry credentials.
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = %request.uri().path(),
                        user = tracing::field::Empty,
                        module = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
}

async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let ops_path = match request.uri().path() {
        "/healthz" => Some("healthz"),
        "/readyz" => Some("readyz"),
        "/metrics" => Some("metrics"),
        _ => None,
    };
    let response = next.run(request).await;
    let endpoint = ops_path
        .or_else(|| response.extensions().get::<Endpoint>().map(|e| e.0))
        .unwrap_or("other");
    let status = response.status();
    metrics::counter!(
        "modgate_http_requests_total",
        "endpoint" => endpoint,
        "status" => status.as_str().to_owned()
    )
    .increment(1);
    metrics::histogram!("modgate_http_request_duration_seconds", "endpoint" => endpoint)
        .record(started.elapsed().as_secs_f64());
    let length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = length {
        metrics::counter!("modgate_http_response_bytes_total", "endpoint" => endpoint)
            .increment(length);
    }
    response
}
