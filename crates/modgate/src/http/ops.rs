//! Liveness, readiness and Prometheus metrics.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use super::AppState;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

async fn ready(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    match state.service.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(failure) => {
            tracing::warn!(cause = %failure, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store unreachable: {}\n", state.service.store_description()),
            )
        }
    }
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
