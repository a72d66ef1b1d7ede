//! Logs (tracing, text or JSON) and the Prometheus recorder.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Format;
use tracing_subscriber::fmt::time::SystemTime;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

/// Which requests get an access-log line (`[server] request_log`). Metrics count every
/// request whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestLog {
    /// One line per request: the default.
    All,
    /// No access-log lines; other events (warnings, errors) are still written.
    Off,
    /// One request in N, plus every answer with a 5xx status: failures are never left out.
    Sample(std::num::NonZeroU32),
}

impl RequestLog {
    /// `"all"`, `"off"` or `"sample N"` (N >= 1; `"sample 1"` is `"all"`).
    pub(crate) fn parse(text: &str) -> Option<RequestLog> {
        match text.trim() {
            "all" => Some(RequestLog::All),
            "off" => Some(RequestLog::Off),
            other => {
                let n = other.strip_prefix("sample")?.trim().parse().ok()?;
                Some(match n {
                    1 => RequestLog::All,
                    _ => RequestLog::Sample(std::num::NonZeroU32::new(n)?),
                })
            }
        }
    }
}

impl RequestLog {
    /// Whether the `nth` request (counted from 0 by the caller), answered with `status`, gets
    /// its line.
    pub(crate) fn logs(self, status: u16, nth: u32) -> bool {
        match self {
            RequestLog::All => true,
            RequestLog::Off => false,
            RequestLog::Sample(n) => status >= 500 || nth.is_multiple_of(n.get()),
        }
    }
}

impl std::fmt::Display for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestLog::All => f.write_str("every request"),
            RequestLog::Off => f.write_str("off"),
            RequestLog::Sample(n) => write!(f, "one request in {n}, and every 5xx"),
        }
    }
}

mod access_lines;
mod gathered_log;

pub(crate) use access_lines::ACCESS_TARGET;
use access_lines::AccessLines;
pub(crate) use gathered_log::FlushOnDrop;

/// Latency buckets in seconds: from a cached `.info` to a large zip on a slow link.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How long log lines gather before the writer thread writes them in one go.
const LOG_GATHER: Duration = Duration::from_millis(10);

/// Gathered log lines past which requests wait for the writer thread.
const LOG_BUFFER_LIMIT: usize = 1024 * 1024;

/// Logs to stderr; `RUST_LOG` refines the default of `info`. Lines are written by a
/// background thread, so a request never waits on the terminal or the log collector; keep the
/// guard until exit, it writes what is left.
pub(crate) fn init_logs(format: LogFormat) -> std::io::Result<FlushOnDrop> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = gathered_log::start(std::io::stderr(), LOG_GATHER, LOG_BUFFER_LIMIT)?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        // Colour codes only for a person at a terminal, never into log files.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests starting several servers in one process) keeps the first.
    let _ = match format {
        LogFormat::Text => builder
            .event_format(AccessLines {
                other: Format::default(),
                timer: SystemTime,
            })
            .try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(guard)
}

/// How often histogram samples are folded into their buckets.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Folds recorded histogram samples into buckets now and then, for as long as the process
/// runs. A recorder built without its own upkeep task keeps every sample until `/metrics` is
/// scraped: megabytes a minute under load when nothing scrapes.
pub(crate) async fn metrics_upkeep(handle: PrometheusHandle) {
    let mut every = tokio::time::interval(METRICS_UPKEEP);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        handle.run_upkeep();
    }
}

/// The process-wide metrics recorder; installed on first use, shared afterwards.
pub(crate) fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets(LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, in which case ours stays local.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}
