//! Deleting a version: `DELETE /api/v1/MODULE/@v/VERSION` with `{"reason": "…"}` (admins).
//! Answers the tombstone as JSON.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{ConnectInfo, Request as HttpRequest, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::error::HttpError;
use super::{AppState, Endpoint, api_caller, request};
use crate::service::Request;

/// A reason is a line; the body is a small JSON object.
const MAX_BODY_BYTES: usize = 4096;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    reason: String,
}

pub(super) async fn remove(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: HttpRequest,
) -> Response {
    let mut response = match delete(&state, peer, request).await {
        Ok(response) => response,
        Err(error) => error.into_json_response(),
    };
    response.extensions_mut().insert(Endpoint("delete"));
    response
}

async fn delete(
    state: &AppState,
    peer: SocketAddr,
    request: HttpRequest,
) -> Result<Response, HttpError> {
    let refusal = |r| state.refusal(r, StatusCode::BAD_REQUEST);
    let (caller, path) = api_caller(state, peer, request.headers(), request.uri()).await?;
    // The version is named without a file; `.zip` is accepted too.
    let file = if path.ends_with(".zip") {
        path
    } else {
        format!("{path}.zip")
    };
    let version = match request::parse(&file) {
        Ok(Request::Zip(version)) => version,
        Ok(_) => {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                "delete /api/v1/MODULE/@v/VERSION",
            ));
        }
        Err(malformed) => return Err(HttpError::new(StatusCode::BAD_REQUEST, malformed.reason)),
    };
    let body = axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                format!("the body is a JSON object {{\"reason\": \"…\"}} of at most {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let body: DeleteBody = serde_json::from_slice(&body).map_err(|e| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            format!("the body is a JSON object {{\"reason\": \"…\"}}: {e}"),
        )
    })?;
    let tombstone = state
        .service
        .delete_version(&caller, &version, &body.reason)
        .await
        .map_err(refusal)?;
    Ok((StatusCode::OK, Json(tombstone)).into_response())
}
