//! `HttpError`: DESIGN.md's status table in one place, with a one-line plain-text body.
//!
//! The `go` command shows a non-200 body only when it is `text/plain` in UTF-8, at most eight
//! lines and 648 bytes, without control characters; every error body here is one such line.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::service::{FailureKind, Refusal};

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

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// DESIGN.md's status table. `malformed` is the status for a malformed request: 404 with
    /// a reason on GOPROXY paths (spec 7.1: any 4xx is safe, and only clients other than `go`
    /// send them), 400 on the API.
    pub fn from_refusal(refusal: Refusal, realm: &str, malformed: StatusCode) -> HttpError {
        let status = match &refusal {
            Refusal::Unauthenticated(reason) => {
                return HttpError {
                    status: StatusCode::UNAUTHORIZED,
                    reason: reason.clone(),
                    realm: Some(realm.to_owned()),
                };
            }
            Refusal::Forbidden(_) | Refusal::NotHere(_) | Refusal::Denied(_) => {
                StatusCode::FORBIDDEN
            }
            Refusal::Malformed(_) => malformed,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::Conflict(_) => StatusCode::CONFLICT,
            Refusal::Gone(_) => StatusCode::GONE,
            Refusal::Failed(failure) => {
                let status = match failure.kind() {
                    FailureKind::Storage => StatusCode::SERVICE_UNAVAILABLE,
                    FailureKind::Upstream | FailureKind::Tampered => StatusCode::BAD_GATEWAY,
                    FailureKind::Timeout => StatusCode::GATEWAY_TIMEOUT,
                    FailureKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                };
                return HttpError::new(status, failure.public_reason());
            }
        };
        HttpError::new(status, refusal.to_string())
    }
}

impl HttpError {
    /// The same error for a JSON API: `{"error": "one line"}`, with the status and realm.
    pub fn into_json_response(self) -> Response {
        let line = one_line(&self.reason);
        let reason = String::from_utf8_lossy(&line);
        let body = serde_json::json!({ "error": reason.trim_end() });
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        self.ask_for_credentials(&mut response);
        response
    }

    /// A 401 names the realm to send Basic credentials for: the go command (GOAUTH, .netrc)
    /// and browsers then ask for them.
    fn ask_for_credentials(&self, response: &mut Response) {
        if let Some(realm) = &self.realm
            && let Ok(value) =
                HeaderValue::from_str(&format!("Basic realm=\"{realm}\", charset=\"UTF-8\""))
        {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut response = line_response(self.status, one_line(&self.reason));
        self.ask_for_credentials(&mut response);
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
