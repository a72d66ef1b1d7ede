//! The publishing API for CI: `PUT /api/v1/MODULE/@v/VERSION.zip` with the zip as the body, or
//! `POST` of a multipart form with a `zip` file and an optional `info` JSON (`{"Time": …}`).
//! Answers JSON: `module`, `version`, `h1`, `gomod_h1`, `created`.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use futures::{Stream, StreamExt};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncWriteExt;

use super::error::HttpError;
use super::{AppState, Endpoint, identify, request};
use crate::auth::Action;
use crate::proxy_files::Info;
use crate::publish::PublishError;
use crate::service::Query;

/// x/mod's `MaxZipFile`: the go command refuses larger zips, so accepting one is pointless.
pub(crate) const MAX_UPLOAD_BYTES: u64 = 500 << 20;

/// A form's `info` part is a line of JSON; it is read into memory, so it is kept small.
const MAX_INFO_BYTES: usize = 64 << 10;

/// What a form may hold besides the zip: the info part, boundaries and part headers.
const MAX_FORM_OVERHEAD: u64 = 1 << 20;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/{*path}", put(upload).post(upload))
        // axum's Multipart stops forms at 2 MiB by default; `receive` counts the zip's bytes
        // itself, and this bounds the form as a whole.
        .layer(DefaultBodyLimit::max(
            usize::try_from(MAX_UPLOAD_BYTES + MAX_FORM_OVERHEAD).unwrap_or(usize::MAX),
        ))
}

async fn upload(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let mut response = match handle(&state, peer, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(Endpoint("publish"));
    response
}

async fn handle(
    state: &AppState,
    peer: SocketAddr,
    request: Request,
) -> Result<Response, HttpError> {
    let (client, principal) = identify(state, peer, request.headers()).await?;

    let path = request
        .uri()
        .path()
        .strip_prefix("/api/v1")
        .unwrap_or_default();
    let parsed =
        request::parse(path).map_err(|m| HttpError::new(StatusCode::BAD_REQUEST, m.reason))?;
    let Query::Zip(version) = parsed.query else {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "publish to /api/v1/MODULE/@v/VERSION.zip",
        ));
    };
    let module = parsed.module;
    let Some(route) = state.service.route(&module) else {
        return Err(HttpError::new(
            StatusCode::NOT_FOUND,
            format!("{module}: no route of this proxy serves it"),
        ));
    };
    state
        .auth
        .authorize(&route.access, Action::Write, &principal, client)
        .map_err(|d| HttpError::from_denied(d, &state.realm))?;

    let mut time = time_from_query(request.uri().query())?;
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    // An announced length over the limit is refused before a byte is spooled; a chunked body
    // is counted as it comes.
    let limit = if is_form {
        MAX_UPLOAD_BYTES + MAX_FORM_OVERHEAD
    } else {
        MAX_UPLOAD_BYTES
    };
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let temp =
        crate::spool::new_file().map_err(|e| internal(format!("creating a temp file: {e}")))?;
    if is_form {
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| HttpError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
        let mut got_zip = false;
        while let Some(field) = form.next_field().await.map_err(|e| {
            HttpError::new(
                StatusCode::BAD_REQUEST,
                format!("reading the form: {}", e.body_text()),
            )
        })? {
            match field.name() {
                Some("zip") => {
                    receive(field.map(|r| r.map_err(std::io::Error::other)), temp.path()).await?;
                    got_zip = true;
                }
                Some("info") => {
                    let text = read_info(field).await?;
                    time = time_from_info(&text)?.or(time);
                }
                other => {
                    return Err(HttpError::new(
                        StatusCode::BAD_REQUEST,
                        format!(
                            "unknown form field {:?}: expected zip and info",
                            other.unwrap_or("")
                        ),
                    ));
                }
            }
        }
        if !got_zip {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                "the form has no zip field",
            ));
        }
    } else {
        let body = request.into_body().into_data_stream();
        receive(body.map(|r| r.map_err(std::io::Error::other)), temp.path()).await?;
    }

    let published = state
        .publisher
        .publish(&module, &version, temp.path(), time)
        .await
        .map_err(publish_error)?;
    let status = if published.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(published)).into_response())
}

/// Streams an upload to `path`, refusing more than `MAX_UPLOAD_BYTES`.
async fn receive(
    mut body: impl Stream<Item = Result<bytes::Bytes, std::io::Error>> + Unpin,
    path: &std::path::Path,
) -> Result<(), HttpError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(|e| internal(format!("creating a temp file: {e}")))?;
    let mut received: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            HttpError::new(StatusCode::BAD_REQUEST, format!("upload interrupted: {e}"))
        })?;
        received += chunk.len() as u64;
        if received > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| internal(format!("writing a temp file: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| internal(format!("writing a temp file: {e}")))
}

fn too_large() -> HttpError {
    HttpError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("zip larger than {MAX_UPLOAD_BYTES} bytes, the go command's limit"),
    )
}

/// The `info` part as text, refused past `MAX_INFO_BYTES` instead of read whole into memory.
async fn read_info(mut field: axum::extract::multipart::Field<'_>) -> Result<String, HttpError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            format!("reading info: {}", e.body_text()),
        )
    })? {
        if bytes.len() + chunk.len() > MAX_INFO_BYTES {
            return Err(HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("info larger than {MAX_INFO_BYTES} bytes: it holds one line of JSON"),
            ));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| HttpError::new(StatusCode::BAD_REQUEST, "info is not UTF-8"))
}

fn time_from_query(query: Option<&str>) -> Result<Option<OffsetDateTime>, HttpError> {
    let Some(value) = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("time="))
    else {
        return Ok(None);
    };
    let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
    parse_time(&value).map(Some)
}

fn time_from_info(text: &str) -> Result<Option<OffsetDateTime>, HttpError> {
    let info = Info::parse(text.as_bytes())
        .map_err(|e| HttpError::new(StatusCode::BAD_REQUEST, format!("info is not JSON: {e}")))?;
    info.time.as_deref().map(parse_time).transpose()
}

fn parse_time(value: &str) -> Result<OffsetDateTime, HttpError> {
    OffsetDateTime::parse(value, &Rfc3339).map_err(|_| {
        HttpError::new(
            StatusCode::BAD_REQUEST,
            format!("time {value:?} is not RFC 3339 (like 2024-01-02T03:04:05Z)"),
        )
    })
}

fn internal(reason: String) -> HttpError {
    tracing::error!(%reason, "publish failed");
    HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while publishing",
    )
}

fn publish_error(error: PublishError) -> HttpError {
    match error {
        PublishError::Invalid(reason) => HttpError::new(StatusCode::UNPROCESSABLE_ENTITY, reason),
        PublishError::Conflict(reason) => HttpError::new(StatusCode::CONFLICT, reason),
        PublishError::Storage(e) => {
            tracing::error!(cause = %e, "storage failed while publishing");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage unavailable, try again later",
            )
        }
        PublishError::Internal(reason) => internal(reason),
    }
}
