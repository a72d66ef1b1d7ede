//! TLS from certificate and key files, reloaded on SIGHUP or when the files change, so that a
//! renewed certificate is picked up without dropping connections.

use std::path::Path;
use std::time::SystemTime;

use axum_server::tls_rustls::RustlsConfig;
use tokio::signal::unix::{SignalKind, signal};

use crate::config::TlsConfig;

/// Loads the files, failing with the file named when they cannot be used.
pub async fn load(config: &TlsConfig) -> anyhow::Result<RustlsConfig> {
    // Both ring and aws-lc may be linked in; name ours, or rustls cannot pick one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    RustlsConfig::from_pem_file(&config.cert, &config.key)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "TLS certificate {} / key {}: {e}",
                config.cert.display(),
                config.key.display()
            )
        })
}

/// Runs until the process ends: reloads on SIGHUP, and when either file's mtime changes.
pub async fn watch(config: TlsConfig, rustls: RustlsConfig) {
    let mut hangup = match signal(SignalKind::hangup()) {
        Ok(stream) => Some(stream),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGHUP; TLS reloads on file change only");
            None
        }
    };
    let mut seen = stamps(&config);
    loop {
        let hung_up = tokio::select! {
            Some(()) = async { match hangup.as_mut() { Some(h) => h.recv().await, None => None } } => true,
            () = tokio::time::sleep(config.reload_check) => false,
        };
        let now = stamps(&config);
        if !hung_up && now == seen {
            continue;
        }
        seen = now;
        match rustls.reload_from_pem_file(&config.cert, &config.key).await {
            Ok(()) => tracing::info!(cert = %config.cert.display(), "TLS certificate reloaded"),
            // Keep serving with the old certificate: a half-written renewal must not take us down.
            Err(e) => {
                tracing::error!(cert = %config.cert.display(), error = %e, "TLS reload failed; keeping the previous certificate")
            }
        }
    }
}

fn stamps(config: &TlsConfig) -> (Option<SystemTime>, Option<SystemTime>) {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (modified(&config.cert), modified(&config.key))
}
