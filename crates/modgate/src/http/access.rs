//! One access-log line and the request metrics per request.
//!
//! A plain event rather than a span per request: a span with fields costs several allocations
//! and a formatting pass of its own, a tenth of a cached `.info` answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{LazyLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{Counter, Histogram};

use super::Endpoint;
use super::time_limit::TimeLimits;
use crate::telemetry::RequestLog;

/// What wraps every request: its time limit, and which requests get a log line.
#[derive(Clone, Copy)]
pub(super) struct Frame {
    pub limits: TimeLimits,
    pub log: RequestLog,
}

/// Requests seen, for `sample N`: every Nth gets its line.
static SEEN: AtomicU32 = AtomicU32::new(0);

tokio::task_local! {
    /// Who the request turned out to be from, once known; set by `record_user`.
    static USER: RefCell<Option<String>>;
}

/// Names the user in this request's log line. Outside a request it does nothing.
pub(super) fn record_user(name: &str) {
    let _ = USER.try_with(|user| *user.borrow_mut() = Some(name.to_owned()));
}

/// The request's outer frame: its time limit, then its metrics and log line.
pub(super) async fn observe(State(frame): State<Frame>, request: Request, next: Next) -> Response {
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
    let (response, user) = if frame.log == RequestLog::Off {
        // No line to name the user in: `record_user` finds no scope and does nothing.
        (frame.limits.apply(&method, next.run(request)).await, None)
    } else {
        let mut handled = std::pin::pin!(USER.scope(RefCell::new(None), next.run(request)));
        let response = frame.limits.apply(&method, handled.as_mut()).await;
        let user = handled.as_mut().take_value().and_then(RefCell::into_inner);
        (response, user)
    };
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
    let nth = match frame.log {
        RequestLog::Sample(_) => SEEN.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    if !frame.log.logs(status.as_u16(), nth) {
        return response;
    }
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
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;
    use tracing_subscriber::layer::{Context, SubscriberExt};

    use super::*;

    /// Counts the access-log events, whatever else is logged.
    struct AccessLines(Arc<AtomicUsize>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for AccessLines {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            if event.metadata().target() == crate::telemetry::ACCESS_TARGET {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The access lines `setting` writes for 10 answers of 200 then 2 of 500.
    async fn lines_for(setting: &str) -> usize {
        let log = RequestLog::parse(setting).expect("a valid setting");
        let frame = Frame {
            limits: TimeLimits {
                answer: Duration::from_secs(10),
                upload: Duration::from_secs(10),
            },
            log,
        };
        let app = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/fail", get(|| async { StatusCode::BAD_GATEWAY }))
            .layer(axum::middleware::from_fn_with_state(frame, observe));
        let lines = Arc::new(AtomicUsize::new(0));
        let subscriber = tracing_subscriber::registry().with(AccessLines(lines.clone()));
        let _guard = tracing::subscriber::set_default(subscriber);
        for path in ["/ok"; 10].into_iter().chain(["/fail"; 2]) {
            let request = Request::get(path).body(Body::empty()).expect("a request");
            let response = app.clone().oneshot(request).await.expect("an answer");
            assert!(response.status() == StatusCode::OK || path == "/fail");
        }
        lines.load(Ordering::Relaxed)
    }

    #[tokio::test]
    async fn the_request_log_setting_decides_which_requests_get_a_line() {
        assert_eq!(lines_for("all").await, 12);
        assert_eq!(lines_for("sample 1").await, 12);
        assert_eq!(lines_for("off").await, 0);
        // One in five of the ten successes (the shared counter may start anywhere), and every
        // failure.
        assert_eq!(lines_for("sample 5").await, 2 + 2);
    }

    #[test]
    fn settings_parse_or_are_refused() {
        assert_eq!(RequestLog::parse("all"), Some(RequestLog::All));
        assert_eq!(RequestLog::parse("off"), Some(RequestLog::Off));
        assert!(
            matches!(RequestLog::parse("sample 100"), Some(RequestLog::Sample(n)) if n.get() == 100)
        );
        for bad in [
            "",
            "none",
            "sample",
            "sample 0",
            "sample -1",
            "sample x",
            "All",
        ] {
            assert_eq!(RequestLog::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn milliseconds_have_three_decimals() {
        assert_eq!(Millis(Duration::from_micros(2_034)).to_string(), "2.034");
        assert_eq!(Millis(Duration::from_nanos(999)).to_string(), "0.000");
        assert_eq!(Millis(Duration::from_millis(1_500)).to_string(), "1500.000");
    }
}
