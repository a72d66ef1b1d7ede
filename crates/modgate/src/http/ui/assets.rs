//! The UI's two static files, built into the binary. Pages link them with a hash of their
//! content in the query, so they are cached for good and a new binary's files are fetched anew.

use std::sync::LazyLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::super::Endpoint;

const CSS: &str = include_str!("static/ui.css");
const JS: &str = include_str!("static/ui.js");

/// `/-/static/ui.css?v=<hash>`.
pub(super) static CSS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/-/static/ui.css?v={}", short_hash(CSS)));
/// `/-/static/ui.js?v=<hash>`.
pub(super) static JS_URL: LazyLock<String> =
    LazyLock::new(|| format!("/-/static/ui.js?v={}", short_hash(JS)));

fn short_hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(serde::Deserialize)]
pub(super) struct Versioned {
    v: Option<String>,
}

pub(super) async fn serve(Path(file): Path<String>, Query(query): Query<Versioned>) -> Response {
    let (body, content_type) = match file.as_str() {
        "ui.css" => (CSS, "text/css; charset=utf-8"),
        "ui.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    };
    // Only the current content's URL is cached for good.
    let current = query.v.as_deref() == Some(short_hash(body).as_str());
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response.extensions_mut().insert(Endpoint("ui"));
    response
}
