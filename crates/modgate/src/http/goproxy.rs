//! The GOPROXY endpoints: one route for every module path, since module paths contain `/`.
//!
//! A request is answered from the kept answers when its path was answered before (after the
//! service says the caller may read the module); otherwise its path is parsed into the
//! service's `Request`, the service answers it, and the answer is shaped here: content type,
//! ETag, cache lifetime, zips streamed or sent whole.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request as HttpRequest, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::TryStreamExt;

use super::error::HttpError;
use super::kept::{IMMUTABLE, Ready, content_etag, not_modified};
use super::{AppState, Endpoint, caller, range, request};
use crate::sendfile;
use crate::service::{Answer, ObjectBody, Request, Zip};

/// `list`, `@latest` and queries change when a version is published.
const SHORT_LIVED: &str = "public, max-age=60";

/// Zips up to this size are read whole before answering (and may be kept); larger ones are
/// streamed from the store at the speed of the client.
const READ_WHOLE_ZIP: u64 = crate::memory::MAX_KEPT_RESPONSE;

/// Takes the whole request rather than its method, URI and headers as extractors, which would
/// copy each of them for every request.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: HttpRequest,
) -> Response {
    // GOPROXY requests have no body; the rest is borrowed from here on.
    let (mut parts, _) = request.into_parts();
    // RFC 9110 §14.2 defines ranges for GET only: a HEAD answers for the whole zip.
    if parts.method == Method::HEAD {
        parts.headers.remove(header::RANGE);
    }
    let (method, headers, path) = (&parts.method, &parts.headers, parts.uri.path());
    // Read before anything is looked for: a write meanwhile makes what is not found now stale.
    let generation = state.service.generation();
    let asked = Asked {
        method,
        headers,
        path,
        generation,
    };
    let kept_answer = state.kept.get(path).filter(|ready| !ready.is_evicted());
    let (endpoint, outcome) = if let Some(ready) = kept_answer {
        let kept = kept(&state, peer, &asked, &ready.module)
            .await
            .and_then(|()| not_deleted(&state, &ready));
        (
            ready.endpoint,
            kept.map(|()| {
                ready.mark_used();
                ready.respond(headers, IMMUTABLE)
            }),
        )
    } else if let Some(absence) = state.kept.absence(path, generation) {
        let kept = kept(&state, peer, &asked, &absence.module).await;
        (absence.endpoint, kept.map(|()| absence.respond()))
    } else {
        let parsed = request::parse(path);
        let endpoint = parsed.as_ref().map_or("invalid", Request::endpoint);
        (endpoint, answer(&state, peer, &asked, parsed).await)
    };
    let mut response = outcome.unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(Endpoint(endpoint));
    response
}

/// GOPROXY is read-only.
fn check_method(method: &Method) -> Result<(), HttpError> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    Err(HttpError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "the GOPROXY protocol is read-only: use GET or HEAD",
    ))
}

/// What a request asks, borrowed from it.
struct Asked<'a> {
    method: &'a Method,
    headers: &'a HeaderMap,
    path: &'a str,
    /// The service's generation before anything was looked for.
    generation: u64,
}

/// Whether an answer kept from before may go to this caller: the service's access check, as
/// for every other answer.
async fn kept(
    state: &AppState,
    peer: SocketAddr,
    asked: &Asked<'_>,
    module: &gomod::ModulePath,
) -> Result<(), HttpError> {
    check_method(asked.method)?;
    let refusal = |r| state.refusal(r, StatusCode::NOT_FOUND);
    let caller = caller(state, peer, asked.headers).await.map_err(refusal)?;
    state.service.may_read(&caller, module).map_err(refusal)
}

/// A kept version deleted since answers 410: a lookup in memory, no store read.
fn not_deleted(state: &AppState, ready: &Ready) -> Result<(), HttpError> {
    let gone = ready
        .version
        .as_ref()
        .and_then(|version| state.service.deleted(&ready.module, version.as_str()));
    match gone {
        Some(gone) => Err(state.refusal(gone, StatusCode::NOT_FOUND)),
        None => Ok(()),
    }
}

async fn answer(
    state: &AppState,
    peer: SocketAddr,
    asked: &Asked<'_>,
    parsed: Result<Request, crate::service::Malformed>,
) -> Result<Response, HttpError> {
    check_method(asked.method)?;
    let refusal = |r| state.refusal(r, StatusCode::NOT_FOUND);
    let caller = caller(state, peer, asked.headers).await.map_err(refusal)?;
    let answer = state.service.get(&caller, parsed.as_ref()).await;
    // `get` answers only what parsed.
    let Ok(request) = parsed else {
        return Err(answer.map_or_else(refusal, |_| {
            HttpError::new(StatusCode::NOT_FOUND, "invalid request")
        }));
    };
    match answer {
        Ok(answer) => shape(state, asked.path, answer, &request, asked.headers).await,
        Err(absence) if absence.is_absence() => {
            let error = refusal(absence);
            state.kept.keep_absence(
                asked.path,
                request.module().clone(),
                request.endpoint(),
                (error.status(), error.reason()),
                asked.generation,
            );
            Err(error)
        }
        Err(other) => Err(refusal(other)),
    }
}

/// The response for an answer: content type, ETag, lifetime; immutable answers kept.
async fn shape(
    state: &AppState,
    path: &str,
    answer: Answer,
    request: &Request,
    request_headers: &HeaderMap,
) -> Result<Response, HttpError> {
    const JSON: &str = "application/json";
    const TEXT: &str = "text/plain; charset=utf-8";
    const ZIP: &str = "application/zip";
    let hashed = |content_type, body: Bytes| {
        let etag = content_etag(&body);
        (content_type, body, etag)
    };
    let version = request.version().map(|v| v.version().clone());
    let used = state.service.record_use(request);
    let (content_type, body, etag) = match answer {
        Answer::Zip(zip) if zip.size <= READ_WHOLE_ZIP => {
            let etag = store_etag(&zip);
            let date = zip.last_modified.and_then(range::http_date);
            let body = read_whole(zip, request).await?;
            let etag = etag.unwrap_or_else(|| content_etag(&body));
            let owner = (request.module().clone(), version);
            let ready = Ready::new(owner, "zip", ZIP, body, etag)
                .zip(date)
                .with_use(used);
            let ready = state.kept.keep(path, ready);
            return Ok(ready.respond(request_headers, IMMUTABLE));
        }
        Answer::Zip(zip) => return stream_zip(zip, request, request_headers).await,
        Answer::List(text) => hashed(TEXT, text),
        Answer::Info(json) => hashed(JSON, json),
        Answer::Mod(go_mod) => hashed(TEXT, go_mod),
    };
    let ready = Ready::new(
        (request.module().clone(), version),
        request.endpoint(),
        content_type,
        body,
        etag,
    )
    .with_use(used);
    Ok(if request.is_immutable() {
        // Kept for the next request for this path.
        state
            .kept
            .keep(path, ready)
            .respond(request_headers, IMMUTABLE)
    } else {
        ready.respond(request_headers, SHORT_LIVED)
    })
}

/// A small zip's bytes, read before answering: a failure is a 503, not a cut-off body. Read
/// from a directory store, the bytes come with their open file, and plain-HTTP connections
/// send them from there (`sendfile`).
async fn read_whole(zip: Zip, request: &Request) -> Result<Bytes, HttpError> {
    let stream = match zip.body {
        ObjectBody::Read { bytes, file } => return Ok(sendfile::file_backed(bytes, file)),
        other => other.into_stream(),
    };
    let mut chunks: Vec<Bytes> = stream
        .try_collect()
        .await
        .map_err(|e| unavailable(request, &e))?;
    Ok(match chunks.len() {
        1 => chunks.remove(0),
        _ => Bytes::from(chunks.concat()),
    })
}

fn store_etag(zip: &Zip) -> Option<HeaderValue> {
    zip.etag
        .as_deref()
        .and_then(|tag| HeaderValue::from_str(&quoted(tag)).ok())
}

/// A failure reading a zip: a 503, never a cut-off body or a "not found".
fn unavailable(request: &Request, cause: &dyn std::fmt::Display) -> HttpError {
    tracing::error!(module = %request.module(), %cause, "reading a zip failed");
    HttpError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!("{}: storage unavailable, try again later", request.module()),
    )
}

/// A zip too large to keep in memory, streamed from the store, whole or the part asked for.
async fn stream_zip(
    zip: Zip,
    request: &Request,
    request_headers: &HeaderMap,
) -> Result<Response, HttpError> {
    let cache_control = HeaderValue::from_static(IMMUTABLE);
    let etag = store_etag(&zip);
    if let Some(etag) = &etag
        && not_modified(request_headers, etag)
    {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        let headers = response.headers_mut();
        headers.insert(header::ETAG, etag.clone());
        headers.insert(header::CACHE_CONTROL, cache_control);
        return Ok(response);
    }
    let date = zip.last_modified.and_then(range::http_date);
    let size = zip.size;
    let part = range::part(request_headers, size, etag.as_ref(), date.as_ref());
    let body = match &part {
        range::Part::Whole => zip.body.into_stream(),
        range::Part::Bytes(bytes) => zip
            .slice(bytes.clone())
            .await
            .map_err(|e| unavailable(request, &e))?
            .into_stream(),
        range::Part::Unsatisfiable => return Ok(range::unsatisfiable(size)),
    };
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    headers.insert(header::CACHE_CONTROL, cache_control);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Some(etag) = etag {
        headers.insert(header::ETAG, etag);
    }
    range::add_validators(headers, date.as_ref());
    if let range::Part::Bytes(bytes) = &part {
        range::make_partial(&mut response, bytes, size);
    }
    Ok(response)
}

fn quoted(tag: &str) -> String {
    if tag.starts_with('"') || tag.starts_with("W/\"") {
        tag.to_owned()
    } else {
        format!("\"{tag}\"")
    }
}
