//! One access-log line and the request metrics per request.
//!
//! A plain event rather than a span per request: a span with fields costs several allocations
//! and a formatting pass of its own, a tenth of a cached `.info` answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};

use super::Endpoint;
use super::time_limit::TimeLimits;

tokio::task_local! {
    /// Who the request turned out to be from, once known; set by `record_user`.
    static USER: RefCell<Option<String>>;
}

/// Names the user in this request's log line. Outside a request it does nothing.
pub(super) fn record_user(name: &str) {
    let _ = USER.try_with(|user| *user.borrow_mut() = Some(name.to_owned()));
}

/// The request's outer frame: its time limit, then its metrics and log line.
pub(super) async fn observe(
    State(limits): State<TimeLimits>,
    request: Request,
    next: Next,
) -> Response {
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
    let response = limits.apply(&method, handled.as_mut()).await;
    let user = handled.as_mut().take_value().and_then(RefCell::into_inner);
    let elapsed = started.elapsed();

    let endpoint = ops_path
        .or_else(|| response.extensions().get::<Endpoint>().map(|e| e.0))
        .unwrap_or("other");
    let status = response.status();
    let length = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    count(endpoint, status, elapsed, length);
    tracing::info!(
        target: crate::telemetry::ACCESS_TARGET,
        method = %method,
        path = uri.path(),
        status = status.as_u16(),
        ms = %Millis(elapsed),
        user = user.as_deref().unwrap_or("-"),
        "request"
    );
    response
}

/// One request's metrics for `endpoint` and `status`.
struct Counted {
    requests: Counter,
    duration: Histogram,
    bytes: Counter,
}

/// The metrics of every endpoint and status seen, registered once: finding a metric by its
/// labels takes building a key, allocating the status label and hashing it, per request.
static COUNTED: LazyLock<RwLock<HashMap<(&'static str, StatusCode), Counted>>> =
    LazyLock::new(RwLock::default);

fn count(endpoint: &'static str, status: StatusCode, elapsed: Duration, length: Option<u64>) {
    let record = |counted: &Counted| {
        counted.requests.increment(1);
        counted.duration.record(elapsed.as_secs_f64());
        if let Some(length) = length {
            counted.bytes.increment(length);
        }
    };
    if let Some(counted) = COUNTED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(endpoint, status))
    {
        return record(counted);
    }
    let mut all = COUNTED.write().unwrap_or_else(PoisonError::into_inner);
    let counted = all.entry((endpoint, status)).or_insert_with(|| Counted {
        requests: metrics::counter!(
            "modgate_http_requests_total",
            "endpoint" => endpoint,
            "status" => status.as_str().to_owned()
        ),
        duration: metrics::histogram!(
            "modgate_http_request_duration_seconds",
            "endpoint" => endpoint
        ),
        bytes: metrics::counter!("modgate_http_response_bytes_total", "endpoint" => endpoint),
    });
    record(counted);
}

/// A duration as milliseconds with three decimals, formatted without floating point.
struct Millis(Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let micros = self.0.as_micros();
        write!(f, "{}.{:03}", micros / 1000, micros % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_have_three_decimals() {
        assert_eq!(Millis(Duration::from_micros(2_034)).to_string(), "2.034");
        assert_eq!(Millis(Duration::from_nanos(999)).to_string(), "0.000");
        assert_eq!(Millis(Duration::from_millis(1_500)).to_string(), "1500.000");
    }
}
