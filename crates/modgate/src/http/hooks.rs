//! `POST /api/v1/hooks/git`: push webhooks from GitLab, Gitea, Forgejo and GitHub. The host
//! signs the event with a route's shared secret; the service checks it and refreshes the
//! mirror of the repository pushed to. Answers 202 with the repositories being refreshed.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::{AppState, Endpoint};
use crate::service::PushEvent;

/// A push event lists its commits; GitHub caps a payload at 25 MB, most are a few KB.
const MAX_EVENT_BYTES: usize = 25 << 20;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/hooks/git", post(push))
        .layer(DefaultBodyLimit::max(MAX_EVENT_BYTES))
}

async fn push(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let event = PushEvent {
        body: &body,
        hub_signature: header("x-hub-signature-256"),
        gitea_signature: header("x-gitea-signature"),
        gitlab_token: header("x-gitlab-token"),
    };
    let mut response = match state.service.git_push(&event) {
        Ok(refreshing) => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "refreshing": refreshing })),
        )
            .into_response(),
        Err(refusal) => state
            .refusal(refusal, StatusCode::BAD_REQUEST)
            .into_response(),
    };
    response.extensions_mut().insert(Endpoint("git_hook"));
    response
}
