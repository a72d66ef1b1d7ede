//! The GOPROXY endpoints: one handler for every module path, since module paths contain `/`.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::error::HttpError;
use super::request::{self, ProxyRequest};
use super::{AppState, Endpoint, identify};
use crate::auth::Action;
use crate::service::{Answer, Query};

/// Versions never change once published, so clients and caches may keep them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `list` and `@latest` change when a version is published.
const SHORT_LIVED: &str = "public, max-age=60";

pub(crate) async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let parsed = request::parse(uri.path());
    let endpoint = Endpoint(match &parsed {
        Ok(request) => request.query.endpoint(),
        Err(_) => "invalid",
    });
    let mut response = match serve(&state, peer, &method, parsed, &headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(endpoint);
    response
}

async fn serve(
    state: &AppState,
    peer: SocketAddr,
    method: &Method,
    parsed: Result<ProxyRequest, request::Malformed>,
    headers: &HeaderMap,
) -> Result<Response, HttpError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(HttpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the GOPROXY protocol is read-only: use GET or HEAD",
        ));
    }
    let (client, principal) = identify(state, peer, headers).await?;

    let route_key = match &parsed {
        Ok(request) => Some(request.module.as_str()),
        Err(malformed) => malformed.route_hint.as_deref(),
    };
    let Some(route) = route_key.and_then(|key| state.service.route(key)) else {
        let reason = match &parsed {
            Ok(request) => format!("{}: not served by this proxy", request.module),
            Err(malformed) => malformed.reason.clone(),
        };
        return Err(HttpError::new(StatusCode::NOT_FOUND, reason));
    };
    // Rights first: a stranger learns nothing, not even whether a path is well-formed.
    state
        .auth
        .authorize(&route.access, Action::Read, &principal, client)
        .map_err(|d| HttpError::from_denied(d, &state.realm))?;
    let request = parsed.map_err(|m| HttpError::new(StatusCode::NOT_FOUND, m.reason))?;
    tracing::Span::current().record("module", request.module.as_str());

    let answer = state
        .service
        .answer(route, &request.module, &request.query)
        .await?;
    Ok(respond(answer, &request.query, headers))
}

fn respond(answer: Answer, query: &Query, request_headers: &HeaderMap) -> Response {
    let cache_control = match query {
        Query::List | Query::Latest => SHORT_LIVED,
        Query::Info(_) | Query::Mod(_) | Query::Zip(_) => IMMUTABLE,
    };
    let (content_type, etag, length, body) = match answer {
        Answer::List(text) => small("text/plain; charset=utf-8", text.into()),
        Answer::Info(json) => small("application/json", json),
        Answer::Mod(go_mod) => small("text/plain; charset=utf-8", go_mod),
        Answer::Zip(object) => (
            "application/zip",
            object.etag.map(|tag| quoted(&tag)),
            object.size,
            Body::from_stream(object.body),
        ),
    };
    if let Some(etag) = &etag
        && not_modified(request_headers, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        set(&mut response, header::ETAG, etag);
        set(&mut response, header::CACHE_CONTROL, cache_control);
        return response;
    }
    let mut response = Response::new(body);
    set(&mut response, header::CONTENT_TYPE, content_type);
    set(&mut response, header::CACHE_CONTROL, cache_control);
    set(&mut response, header::CONTENT_LENGTH, &length.to_string());
    if let Some(etag) = &etag {
        set(&mut response, header::ETAG, etag);
    }
    response
}

/// A body held in memory, with a strong ETag from its content.
fn small(
    content_type: &'static str,
    bytes: bytes::Bytes,
) -> (&'static str, Option<String>, u64, Body) {
    let digest = Sha256::digest(&bytes);
    let etag = format!("\"{}\"", hex(&digest[..16]));
    (
        content_type,
        Some(etag),
        bytes.len() as u64,
        Body::from(bytes),
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn quoted(tag: &str) -> String {
    if tag.starts_with('"') || tag.starts_with("W/\"") {
        tag.to_owned()
    } else {
        format!("\"{tag}\"")
    }
}

/// `If-None-Match` with our tag, or `*`.
fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

fn set(response: &mut Response, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}
