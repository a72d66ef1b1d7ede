//! The personal tokens' JSON API, for `modgate login` and scripts:
//! `POST /-/api/tokens` (`{"label": "…"}`, and `"user"` for an admin making one for someone)
//! → 201 `{"id", "token", "label", "user", "created"}`; `GET /-/api/tokens` → the caller's
//! tokens (`?user=NAME` another's, `?all=1` everyone's: admins), never a secret;
//! `DELETE /-/api/tokens/{id}` → 204. Errors are `{"error": "one line"}` with the status of
//! DESIGN.md's table, and a 401 asks for Basic credentials in the server's realm.
//!
//! For admins, the same way: `GET /-/api/users`, `POST /-/api/users` (`{"user", "password"}`),
//! `DELETE /-/api/users/{name}`, `PUT /-/api/users/{name}/password` (`{"password"}`; a user may
//! set their own), `GET /-/api/events?limit=N` (the audit ring, newest first).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_http::limit::RequestBodyLimitLayer;

use super::error::HttpError;
use super::{AppState, Endpoint, MAX_REQUEST_BODY, caller};
use crate::service::{Caller, TokenRecord};

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/-/api/tokens", get(list).post(create))
        .route("/-/api/tokens/{id}", delete(revoke))
        .route("/-/api/users", get(users).post(add_user))
        .route("/-/api/users/{name}", delete(remove_user))
        .route("/-/api/users/{name}/password", put(set_password))
        .route("/-/api/events", get(events))
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
}

#[derive(Deserialize, Default)]
struct CreateBody {
    #[serde(default)]
    label: String,
    /// Another user, for an admin.
    #[serde(default)]
    user: Option<String>,
}

#[derive(Serialize)]
struct Created<'a> {
    id: &'a str,
    token: &'a str,
    label: &'a str,
    user: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    created: OffsetDateTime,
}

#[derive(Deserialize)]
struct ListQuery {
    user: Option<String>,
    all: Option<String>,
}

async fn create(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let body: CreateBody = if body.iter().all(u8::is_ascii_whitespace) {
            CreateBody::default()
        } else {
            json_body(&body)?
        };
        let new = state
            .service
            .create_token(&caller, &body.label, body.user.as_deref())
            .await
            .map_err(refusal(&state))?;
        let answer = Created {
            id: &new.record.id,
            token: &new.token,
            label: &new.record.label,
            user: &new.record.user,
            created: new.record.created,
        };
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    };
    answered(result.await)
}

async fn list(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let service = &state.service;
        let tokens: Vec<TokenRecord> = match (&query.all, &query.user) {
            (Some(all), _) if all != "0" && all != "false" => service.all_tokens(&caller).await,
            (_, user) => service.tokens(&caller, user.as_deref()).await,
        }
        .map_err(refusal(&state))?;
        Ok(Json(tokens).into_response())
    };
    answered(result.await)
}

async fn revoke(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        state
            .service
            .revoke_token(&caller, &id)
            .await
            .map_err(refusal(&state))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    };
    answered(result.await)
}

#[derive(Deserialize)]
struct UserBody {
    #[serde(default)]
    user: String,
    password: String,
}

#[derive(Deserialize)]
struct EventsQuery {
    limit: Option<usize>,
}

async fn users(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let users = state.service.users(&caller).map_err(refusal(&state))?;
        Ok(Json(users).into_response())
    };
    answered(result.await)
}

async fn add_user(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let body: UserBody = json_body(&body)?;
        state
            .service
            .add_user(&caller, &body.user, &body.password)
            .await
            .map_err(refusal(&state))?;
        Ok(StatusCode::CREATED.into_response())
    };
    answered(result.await)
}

async fn remove_user(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        state
            .service
            .remove_user(&caller, &name)
            .await
            .map_err(refusal(&state))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    };
    answered(result.await)
}

async fn set_password(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Bytes,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let body: UserBody = json_body(&body)?;
        state
            .service
            .set_password(&caller, &name, &body.password)
            .await
            .map_err(refusal(&state))?;
        Ok(StatusCode::NO_CONTENT.into_response())
    };
    answered(result.await)
}

async fn events(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> Response {
    let result = async {
        let caller = api_caller(&state, peer, &headers).await?;
        let limit = query.limit.unwrap_or(100);
        let events = state
            .service
            .recent_events(&caller, limit)
            .map_err(refusal(&state))?;
        Ok(Json(events).into_response())
    };
    answered(result.await)
}

/// A JSON body; the error never repeats it (it may hold a password).
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_data() {
            "missing or wrong fields"
        } else {
            "not JSON"
        };
        HttpError::new(StatusCode::BAD_REQUEST, format!("the body: {what}"))
    })
}

fn refusal(state: &AppState) -> impl Fn(crate::service::Refusal) -> HttpError + '_ {
    |r| state.refusal(r, StatusCode::BAD_REQUEST)
}

async fn api_caller(
    state: &AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
) -> Result<Caller, HttpError> {
    caller(state, peer, headers)
        .await
        .map_err(|r| state.refusal(r, StatusCode::BAD_REQUEST))
}

/// The answer, or the error as JSON with its status (and realm on a 401).
fn answered(result: Result<Response, HttpError>) -> Response {
    let mut response = match result {
        Ok(response) => response,
        Err(error) => error.into_json_response(),
    };
    response.extensions_mut().insert(Endpoint("tokens"));
    response
}
