//! How long a request may take, and a one-line answer the `go` command shows when it takes
//! longer (tower-http's timeout answers with an empty body).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::HttpError;

#[derive(Clone, Copy)]
pub(super) struct TimeLimits {
    /// For answers: ours to give.
    pub answer: Duration,
    /// For uploads (PUT, POST): mostly the client's time to send them.
    pub upload: Duration,
}

impl TimeLimits {
    /// `response` if it comes within the limit for `method`: else 503 for an answer we were
    /// too slow to give, 408 for an upload too slow to arrive.
    pub async fn apply(
        self,
        method: &Method,
        response: impl Future<Output = Response>,
    ) -> Response {
        let (limit, status, setting) = if method == Method::PUT || method == Method::POST {
            (
                self.upload,
                StatusCode::REQUEST_TIMEOUT,
                "the limit for uploads",
            )
        } else {
            (
                self.answer,
                StatusCode::SERVICE_UNAVAILABLE,
                "server.request_timeout_secs",
            )
        };
        // A limit on waiting idle, not on the whole: while a transfer the answer waits on
        // (a large zip from a slow upstream) keeps receiving bytes, another period is given.
        crate::progress::watching(async {
            let mut response = std::pin::pin!(response);
            let mut seen = crate::progress::watched_total();
            loop {
                if let Ok(response) = tokio::time::timeout(limit, response.as_mut()).await {
                    return response;
                }
                let now = crate::progress::watched_total();
                if now == seen {
                    break;
                }
                seen = now;
            }
            HttpError::new(
                status,
                format!(
                    "no answer within {} s ({setting}); try again",
                    limit.as_secs()
                ),
            )
            .into_response()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_past_its_limit_ends_with_a_status_and_a_reason() {
        let limits = TimeLimits {
            answer: Duration::from_secs(1),
            upload: Duration::from_secs(2),
        };
        let never = || async {
            tokio::time::sleep(Duration::from_secs(600)).await;
            StatusCode::OK.into_response()
        };
        let quick = limits
            .apply(&Method::GET, async { StatusCode::OK.into_response() })
            .await;
        assert_eq!(quick.status(), StatusCode::OK);
        for (method, status, line) in [
            (
                Method::GET,
                StatusCode::SERVICE_UNAVAILABLE,
                "no answer within 1 s (server.request_timeout_secs); try again\n",
            ),
            (
                Method::PUT,
                StatusCode::REQUEST_TIMEOUT,
                "no answer within 2 s (the limit for uploads); try again\n",
            ),
        ] {
            let late = limits.apply(&method, never()).await;
            assert_eq!(late.status(), status, "{method}");
            let body = axum::body::to_bytes(late.into_body(), 1024)
                .await
                .expect("body");
            assert_eq!(&body[..], line.as_bytes(), "{method}");
        }
    }
}
