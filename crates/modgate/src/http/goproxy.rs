//! The GOPROXY endpoints: one handler for every module path, since module paths contain `/`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::TryStreamExt;

use super::answers::{IMMUTABLE, MAX_BODY, Missing, Ready, content_etag, not_modified};
use super::error::HttpError;
use super::request::{self, ProxyRequest};
use super::{AppState, Endpoint, identify};
use crate::auth::Action;
use crate::config::Missing as WhenMissing;
use crate::sendfile;
use crate::service::{self, Answer, Query};
use crate::storage::StoredObject;

/// `list` and `@latest` change when a version is published.
const SHORT_LIVED: &str = "public, max-age=60";

/// Takes the whole request rather than its method, URI and headers as extractors, which would
/// copy each of them for every request.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    // GOPROXY requests have no body; the rest is borrowed from here on.
    let (parts, _) = request.into_parts();
    let (method, headers, path) = (&parts.method, &parts.headers, parts.uri.path());
    let writes = state.service.store_writes();
    let target = if let Some(ready) = state.answers.get(path) {
        Target::Kept(ready)
    } else if let Some(missing) = state.answers.get_missing(path, writes) {
        Target::Missing(missing)
    } else {
        Target::Parsed(request::parse(path), writes)
    };
    let endpoint = Endpoint(target.endpoint());
    let mut response = match serve(&state, peer, method, path, target, headers).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(endpoint);
    response
}

/// What a request path asks for: an answer or a 404 kept from before, or the parsed request.
enum Target {
    Kept(Arc<Ready>),
    Missing(Arc<Missing>),
    /// With the store's write count before anything was looked up.
    Parsed(Result<ProxyRequest, request::Malformed>, u64),
}

impl Target {
    fn endpoint(&self) -> &'static str {
        match self {
            Target::Kept(ready) => ready.endpoint,
            Target::Missing(missing) => missing.endpoint,
            Target::Parsed(Ok(request), _) => request.query.endpoint(),
            Target::Parsed(Err(_), _) => "invalid",
        }
    }

    /// What to pick the route by.
    fn route_key(&self) -> Option<&str> {
        match self {
            Target::Kept(ready) => Some(&ready.module),
            Target::Missing(missing) => Some(&missing.module),
            Target::Parsed(Ok(request), _) => Some(&request.module),
            Target::Parsed(Err(malformed), _) => malformed.route_hint.as_deref(),
        }
    }
}

async fn serve(
    state: &AppState,
    peer: SocketAddr,
    method: &Method,
    path: &str,
    target: Target,
    headers: &HeaderMap,
) -> Result<Response, HttpError> {
    if method != Method::GET && method != Method::HEAD {
        return Err(HttpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the GOPROXY protocol is read-only: use GET or HEAD",
        ));
    }
    let (client, principal) = identify(state, peer, headers).await?;

    let Some(route) = target.route_key().and_then(|key| state.service.route(key)) else {
        let reason = match (&target, target.route_key()) {
            (Target::Parsed(Err(malformed), _), _) => malformed.reason.clone(),
            (_, module) => format!("{}: not served by this proxy", module.unwrap_or_default()),
        };
        return Err(HttpError::new(StatusCode::NOT_FOUND, reason));
    };
    // Rights first: a stranger learns nothing, not even whether a path is well-formed.
    state
        .auth
        .authorize(&route.access, Action::Read, &principal, client)
        .map_err(|d| HttpError::from_denied(d, &state.realm))?;
    let (request, writes) = match target {
        Target::Kept(ready) => return Ok(ready.respond(headers, IMMUTABLE)),
        Target::Missing(missing) => return Ok(missing.respond()),
        Target::Parsed(parsed, writes) => (
            parsed.map_err(|m| HttpError::new(StatusCode::NOT_FOUND, m.reason))?,
            writes,
        ),
    };
    let answer = match state
        .service
        .answer(route, &request.module, &request.query)
        .await
    {
        Ok(answer) => answer,
        // Only where "not here" is all a 404 says: a refusing route's 404s depend on what
        // else it holds.
        Err(service::Error::NotFound(reason)) if route.missing == WhenMissing::NotFound => {
            state.answers.keep_missing(
                path,
                request.module,
                request.query.endpoint(),
                reason.clone(),
                writes,
            );
            return Err(HttpError::new(StatusCode::NOT_FOUND, reason));
        }
        Err(e) => return Err(e.into()),
    };
    respond(state, path, answer, request, headers).await
}

async fn respond(
    state: &AppState,
    path: &str,
    answer: Answer,
    request: ProxyRequest,
    request_headers: &HeaderMap,
) -> Result<Response, HttpError> {
    const JSON: &str = "application/json";
    const TEXT: &str = "text/plain; charset=utf-8";
    const ZIP: &str = "application/zip";
    let endpoint = request.query.endpoint();
    let hashed = |content_type, body: Bytes| {
        let etag = content_etag(&body);
        (content_type, body, etag)
    };
    let (content_type, body, etag) = match answer {
        Answer::Zip(mut object) if object.size <= MAX_BODY => {
            let etag = store_etag(&object);
            let file = object.file.take();
            let body = read_whole(object, &request).await?;
            let etag = etag.unwrap_or_else(|| content_etag(&body));
            let body = match file {
                Some(file) => sendfile::file_backed(body, file),
                None => body,
            };
            (ZIP, body, etag)
        }
        Answer::Zip(object) => return Ok(stream_zip(object, request_headers)),
        Answer::List(text) => hashed(TEXT, Bytes::from(text)),
        Answer::Info(json) => hashed(JSON, json),
        Answer::Mod(go_mod) => hashed(TEXT, go_mod),
    };
    // A query such as `master` or `v1.2` resolves to another version tomorrow; only a
    // canonical version's files never change.
    let immutable = match &request.query {
        Query::Info(version) => {
            gomod::canonical_version(version).as_deref() == Some(version.as_str())
        }
        Query::Mod(_) | Query::Zip(_) => true,
        Query::List | Query::Latest => false,
    };
    let ready = Ready::new(request.module, endpoint, content_type, body, etag);
    Ok(if immutable {
        // Kept for the next request for this path.
        state
            .answers
            .keep(path, ready)
            .respond(request_headers, IMMUTABLE)
    } else {
        ready.respond(request_headers, SHORT_LIVED)
    })
}

/// A small zip's bytes, read before answering: a failure is a 503, not a cut-off body.
async fn read_whole(object: StoredObject, request: &ProxyRequest) -> Result<Bytes, HttpError> {
    let mut chunks: Vec<Bytes> = object.body.try_collect().await.map_err(|e| {
        tracing::error!(module = %request.module, cause = %e, "reading a zip failed");
        HttpError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{}: storage unavailable, try again later", request.module),
        )
    })?;
    Ok(match chunks.len() {
        1 => chunks.remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

fn store_etag(object: &StoredObject) -> Option<HeaderValue> {
    object
        .etag
        .as_deref()
        .and_then(|tag| HeaderValue::from_str(&quoted(tag)).ok())
}

/// A zip too large to keep in memory, streamed from the store.
fn stream_zip(object: StoredObject, request_headers: &HeaderMap) -> Response {
    let cache_control = HeaderValue::from_static(IMMUTABLE);
    let etag = store_etag(&object);
    if let Some(etag) = &etag
        && not_modified(request_headers, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ETAG, etag.clone());
        headers.insert(header::CACHE_CONTROL, cache_control);
        return response;
    }
    let mut response = Response::new(Body::from_stream(object.body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CACHE_CONTROL, cache_control);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(object.size));
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    response
}

fn quoted(tag: &str) -> String {
    if tag.starts_with('"') || tag.starts_with("W/\"") {
        tag.to_owned()
    } else {
        format!("\"{tag}\"")
    }
}
