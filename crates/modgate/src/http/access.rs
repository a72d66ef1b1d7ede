//! One access-log line and the request metrics per request.
//!
//! A plain event rather than a span per request: a span with fields costs several allocations
//! and a formatting pass of its own, a tenth of a cached `.info` answer.

use std::cell::RefCell;
use std::time::Instant;

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::Endpoint;

tokio::task_local! {
    /// Who the request turned out to be from, once known; set by `record_user`.
    static USER: RefCell<Option<String>>;
}

/// Names the user in this request's log line. Outside a request it does nothing.
pub(super) fn record_user(name: &str) {
    let _ = USER.try_with(|user| *user.borrow_mut() = Some(name.to_owned()));
}

pub(super) async fn observe(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    // The path and user only: headers carry credentials.
    let uri = request.uri().clone();
    let ops_path = match uri.path() {
        "/healthz" => Some("healthz"),
        "/readyz" => Some("readyz"),
        "/metrics" => Some("metrics"),
        _ => None,
    };
    let mut handled = std::pin::pin!(USER.scope(RefCell::new(None), next.run(request)));
    let response = handled.as_mut().await;
    let user = handled.as_mut().take_value().and_then(RefCell::into_inner);
    let elapsed = started.elapsed();

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
        .record(elapsed.as_secs_f64());
    let length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = length {
        metrics::counter!("modgate_http_response_bytes_total", "endpoint" => endpoint)
            .increment(length);
    }
    tracing::info!(
        target: "modgate::access",
        method = %method,
        path = uri.path(),
        status = status.as_u16(),
        ms = elapsed.as_secs_f64() * 1000.0,
        user = user.as_deref().unwrap_or("-"),
        "request"
    );
    response
}
