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
