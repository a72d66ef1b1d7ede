//! `/sumdb/<name>/…`: the checksum database proxy (GOPROXY spec's `sumdb` paths).
//!
//! The go command asks `<proxy>/sumdb/<name>/supported` once, and on 200 sends its lookups and
//! tile reads here instead of to the database. These paths reveal nothing private but the
//! module names of lookups, and `ChecksumDb` refuses those under private routes; so they need
//! what a route with anonymous reads needs: the server's allow-list, and credentials that check
//! out when some are sent.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::HttpError;
use super::{AppState, Endpoint, caller};

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new().route("/sumdb/{*path}", get(handle))
}

async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mut response = match answer(&state, peer, &path, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(Endpoint("sumdb"));
    response
}

async fn answer(
    state: &AppState,
    peer: SocketAddr,
    path: &str,
    headers: &HeaderMap,
) -> Result<Response, HttpError> {
    let refusal = |r| state.refusal(r, StatusCode::NOT_FOUND);
    let caller = caller(state, peer, headers).await.map_err(refusal)?;
    let answer = state
        .service
        .checksum_db(&caller, path)
        .await
        .map_err(refusal)?;
    let mut response = answer.body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(answer.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(answer.cache_control),
    );
    Ok(response)
}
