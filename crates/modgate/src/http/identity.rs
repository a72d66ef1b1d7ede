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
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, put};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_http::limit::RequestBodyLimitLayer;

use super::error::HttpError;
use super::{AppState, Endpoint, MAX_REQUEST_BODY, caller};
use crate::service::{Caller, Refusal, TokenRecord};

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

async fn create(api: Api, body: Bytes) -> Response {
    api.answer(async |caller| {
        let body: CreateBody = if body.iter().all(u8::is_ascii_whitespace) {
            CreateBody::default()
        } else {
            json_body(&body)?
        };
        let new = api
            .state
            .service
            .create_token(&caller, &body.label, body.user.as_deref())
            .await
            .map_err(api.refusal())?;
        let answer = Created {
            id: &new.record.id,
            token: &new.token,
            label: &new.record.label,
            user: &new.record.user,
            created: new.record.created,
        };
        Ok((StatusCode::CREATED, Json(answer)).into_response())
    })
    .await
}

async fn list(api: Api, Query(query): Query<ListQuery>) -> Response {
    api.answer(async |caller| {
        let service = &api.state.service;
        let tokens: Vec<TokenRecord> = match (&query.all, &query.user) {
            (Some(all), _) if all != "0" && all != "false" => service.all_tokens(&caller).await,
            (_, user) => service.tokens(&caller, user.as_deref()).await,
        }
        .map_err(api.refusal())?;
        Ok(Json(tokens).into_response())
    })
    .await
}

async fn revoke(api: Api, Path(id): Path<String>) -> Response {
    api.answer(async |caller| {
        let service = &api.state.service;
        service
            .revoke_token(&caller, &id)
            .await
            .map_err(api.refusal())?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
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

async fn users(api: Api) -> Response {
    api.answer(async |caller| {
        let users = api.state.service.users(&caller).map_err(api.refusal())?;
        Ok(Json(users).into_response())
    })
    .await
}

async fn add_user(api: Api, body: Bytes) -> Response {
    api.answer(async |caller| {
        let body: UserBody = json_body(&body)?;
        let service = &api.state.service;
        let added = service.add_user(&caller, &body.user, &body.password).await;
        added.map_err(api.refusal())?;
        Ok(StatusCode::CREATED.into_response())
    })
    .await
}

async fn remove_user(api: Api, Path(name): Path<String>) -> Response {
    api.answer(async |caller| {
        let service = &api.state.service;
        service
            .remove_user(&caller, &name)
            .await
            .map_err(api.refusal())?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

async fn set_password(api: Api, Path(name): Path<String>, body: Bytes) -> Response {
    api.answer(async |caller| {
        let body: UserBody = json_body(&body)?;
        let service = &api.state.service;
        let set = service.set_password(&caller, &name, &body.password).await;
        set.map_err(api.refusal())?;
        Ok(StatusCode::NO_CONTENT.into_response())
    })
    .await
}

async fn events(api: Api, Query(query): Query<EventsQuery>) -> Response {
    api.answer(async |caller| {
        let limit = query.limit.unwrap_or(100);
        let events = api.state.service.recent_events(&caller, limit);
        Ok(Json(events.map_err(api.refusal())?).into_response())
    })
    .await
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

/// What every handler here starts from. Taking it checks nothing: the caller is checked in
/// [`Api::answer`], after the path, query and body are taken, as each handler did before.
struct Api {
    state: Arc<AppState>,
    peer: SocketAddr,
    headers: HeaderMap,
}

impl FromRequestParts<Arc<AppState>> for Api {
    type Rejection = <ConnectInfo<SocketAddr> as FromRequestParts<Arc<AppState>>>::Rejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Api, Self::Rejection> {
        let ConnectInfo(peer) = ConnectInfo::from_request_parts(parts, state).await?;
        Ok(Api {
            state: Arc::clone(state),
            peer,
            headers: parts.headers.clone(),
        })
    }
}

impl Api {
    /// `work` for the caller, once known: its answer, or the error as JSON.
    async fn answer(
        &self,
        work: impl AsyncFnOnce(Caller) -> Result<Response, HttpError>,
    ) -> Response {
        let result = match caller(&self.state, self.peer, &self.headers).await {
            Ok(caller) => work(caller).await,
            Err(refusal) => Err((self.refusal())(refusal)),
        };
        answered(result)
    }

    fn refusal(&self) -> impl Fn(Refusal) -> HttpError + '_ {
        |r| self.state.refusal(r, StatusCode::BAD_REQUEST)
    }
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
