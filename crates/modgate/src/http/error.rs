//! `HttpError`: DESIGN.md's status table in one place, with a one-line plain-text body.
//!
//! The `go` command shows a non-200 body only when it is `text/plain` in UTF-8, at most eight
//! lines and 648 bytes, without control characters; every error body here is one such line.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::auth::Denied;
use crate::service;
use crate::source::{SourceError, UpstreamError};
use crate::sumdb::SumdbError;

/// The `go` command drops an error body longer than this.
const MAX_REASON_BYTES: usize = 600;

#[derive(Debug)]
pub(crate) struct HttpError {
    status: StatusCode,
    reason: String,
    /// Set for 401, so the client learns which realm to send credentials for.
    realm: Option<String>,
}

impl HttpError {
    pub fn new(status: StatusCode, reason: impl Into<String>) -> HttpError {
        HttpError {
            status,
            reason: reason.into(),
            realm: None,
        }
    }

    pub fn from_denied(denied: Denied, realm: &str) -> HttpError {
        let kind = match &denied {
            Denied::Unauthenticated(_) => "unauthenticated",
            Denied::Forbidden(_) => "forbidden",
        };
        metrics::counter!("modgate_auth_failures_total", "kind" => kind).increment(1);
        match denied {
            Denied::Unauthenticated(reason) => HttpError {
                status: StatusCode::UNAUTHORIZED,
                reason,
                realm: Some(realm.to_owned()),
            },
            Denied::Forbidden(reason) => HttpError::new(StatusCode::FORBIDDEN, reason),
        }
    }
}

impl From<service::Error> for HttpError {
    fn from(error: service::Error) -> HttpError {
        match error {
            // Malformed paths are 404 with a reason (spec 7.1): any 4xx is safe, and only
            // clients other than `go` send them.
            service::Error::Malformed(reason) | service::Error::NotFound(reason) => {
                HttpError::new(StatusCode::NOT_FOUND, reason)
            }
            service::Error::Refused(reason) | service::Error::Denied(reason) => {
                HttpError::new(StatusCode::FORBIDDEN, reason)
            }
            service::Error::Unavailable {
                source: SourceError::Upstream(UpstreamError::Timeout(reason)),
                ..
            } => HttpError::new(StatusCode::GATEWAY_TIMEOUT, reason),
            service::Error::Unavailable {
                source: SourceError::Upstream(UpstreamError::Failed(reason)),
                ..
            } => HttpError::new(StatusCode::BAD_GATEWAY, reason),
            service::Error::Unavailable { context, source } => {
                // The client gets the summary; the cause, which may name files, goes to the log.
                tracing::error!(module = %context, cause = %source, "storage unavailable");
                HttpError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!("{context}: storage unavailable, try again later"),
                )
            }
        }
    }
}

impl From<SumdbError> for HttpError {
    fn from(error: SumdbError) -> HttpError {
        let status = match &error {
            SumdbError::NotFound(_) => StatusCode::NOT_FOUND,
            SumdbError::Refused(_) => StatusCode::FORBIDDEN,
            SumdbError::Mismatch(_) | SumdbError::Invalid(_) | SumdbError::Unreachable(_) => {
                StatusCode::BAD_GATEWAY
            }
            SumdbError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
        };
        if status.is_server_error() {
            tracing::warn!(cause = %error, "checksum database failed");
        }
        HttpError::new(status, error.to_string())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = line_response(self.status, one_line(&self.reason));
        if let Some(realm) = self.realm
            && let Ok(value) =
                HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// An error's response from its status and `one_line` body.
pub(super) fn line_response(status: StatusCode, line: Bytes) -> Response {
    let mut response = Response::new(Body::from(line));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Control characters removed, cut to what the `go` command will show, ending in a newline.
pub(super) fn one_line(reason: &str) -> Bytes {
    if reason.len() <= MAX_REASON_BYTES && !reason.chars().any(char::is_control) {
        return Bytes::from([reason, "\n"].concat());
    }
    let mut line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if line.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        line.truncate(end);
    }
    line.push('\n');
    Bytes::from(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_one_short_line() {
        assert_eq!(one_line("a\nb\tc"), "a b c\n");
        assert_eq!(one_line("plain"), "plain\n");
        let long = one_line(&"é".repeat(1000));
        assert!(long.len() <= MAX_REASON_BYTES + 1 && long.ends_with(b"\n"));
    }
}
