//! The publishing API for CI: `PUT /api/v1/MODULE/@v/VERSION.zip` with the zip as the body, or
//! `POST` of a multipart form with a `zip` file and an optional `info` JSON (`{"Time": …}`).
//! Answers JSON: `module`, `version`, `h1`, `gomod_h1`, `created`.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request as HttpRequest, State,
};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use futures::{Stream, StreamExt};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::io::AsyncWriteExt;

use super::error::HttpError;
use super::{AppState, Endpoint, api_caller, request};
use crate::proxy_files::Info;
use crate::service::{MalformedPart, Request, Upload};

/// x/mod's `MaxZipFile`: the go command refuses larger zips, so accepting one is pointless.
pub(crate) const MAX_UPLOAD_BYTES: u64 = 500 << 20;

/// A form's `info` part is a line of JSON; it is read into memory, so it is kept small.
const MAX_INFO_BYTES: usize = 64 << 10;

/// What a form may hold besides the zip: the info part, boundaries and part headers.
const MAX_FORM_OVERHEAD: u64 = 1 << 20;

pub(crate) fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/api/v1/{*path}",
            put(upload).post(upload).delete(super::delete::remove),
        )
        // axum's Multipart stops forms at 2 MiB by default; `receive` counts the zip's bytes
        // itself, and this bounds the form as a whole.
        .layer(DefaultBodyLimit::max(
            usize::try_from(MAX_UPLOAD_BYTES + MAX_FORM_OVERHEAD).unwrap_or(usize::MAX),
        ))
}

async fn upload(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: HttpRequest,
) -> Response {
    let mut response = match publish(&state, peer, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    response.extensions_mut().insert(Endpoint("publish"));
    response
}

/// Who, then what, is checked before a byte of the upload is received; then the upload is
/// spooled to a temp file and handed to the service.
async fn publish(
    state: &AppState,
    peer: SocketAddr,
    request: HttpRequest,
) -> Result<Response, HttpError> {
    let refusal = |r| state.refusal(r, StatusCode::BAD_REQUEST);
    let (caller, path) = api_caller(state, peer, request.headers(), request.uri()).await?;
    let version = match request::parse(&path) {
        Ok(Request::Zip(version)) => version,
        Ok(_) => {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                "publish to /api/v1/MODULE/@v/VERSION.zip",
            ));
        }
        // A version the module cannot have is a problem with the upload, like any other the go
        // command would refuse; the rest is a request that is not an upload.
        Err(malformed) => {
            let status = match malformed.part {
                MalformedPart::Version => StatusCode::UNPROCESSABLE_ENTITY,
                MalformedPart::Path => StatusCode::BAD_REQUEST,
            };
            return Err(HttpError::new(status, malformed.reason));
        }
    };
    state
        .service
        .may_publish(&caller, &version)
        .map_err(refusal)?;
    let time = time_from_query(request.uri().query())?;
    let temp =
        crate::spool::new_file().map_err(|e| internal(format!("creating a temp file: {e}")))?;
    let time = receive_request(state, request, temp.path()).await?.or(time);
    let upload = Upload {
        version,
        zip: temp.path().to_owned(),
        time,
    };
    let published = state
        .service
        .publish(&caller, upload)
        .await
        .map_err(refusal)?;
    let status = if published.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(published)).into_response())
}

/// Receives the zip into `path`: the body itself, or a multipart form's `zip` part, whose
/// `info` part may give the version's time.
async fn receive_request(
    state: &AppState,
    request: HttpRequest,
    path: &std::path::Path,
) -> Result<Option<OffsetDateTime>, HttpError> {
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
    if is_form {
        return receive_form(state, request, path).await;
    }
    let body = request.into_body().into_data_stream();
    receive(body.map(|r| r.map_err(std::io::Error::other)), path).await?;
    Ok(None)
}

/// A multipart form: the `zip` part into `path`, and the time from the `info` part, if any.
async fn receive_form(
    state: &AppState,
    request: HttpRequest,
    path: &std::path::Path,
) -> Result<Option<OffsetDateTime>, HttpError> {
    let bad_request = |reason: String| HttpError::new(StatusCode::BAD_REQUEST, reason);
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|e| bad_request(e.body_text()))?;
    let (mut got_zip, mut time) = (false, None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| bad_request(format!("reading the form: {}", e.body_text())))?
    {
        match field.name() {
            Some("zip") => {
                receive(field.map(|r| r.map_err(std::io::Error::other)), path).await?;
                got_zip = true;
            }
            Some("info") => time = time_from_info(&read_info(field).await?)?,
            other => {
                return Err(bad_request(format!(
                    "unknown form field {:?}: expected zip and info",
                    other.unwrap_or("")
                )));
            }
        }
    }
    if !got_zip {
        return Err(bad_request("the form has no zip field".to_owned()));
    }
    Ok(time)
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

/// Our own temp file failed: logged here, since it never reaches the service.
fn internal(reason: String) -> HttpError {
    tracing::error!(%reason, "publish failed");
    HttpError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error while publishing",
    )
}
