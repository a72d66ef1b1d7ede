//! `.info`, `.mod` and small `.zip` answers kept by request path as sent, with their headers
//! ready.
//!
//! They never change once served, and the `go` command asks for them far more than for
//! anything else: a hit skips parsing and case-decoding the path, the source, the store, and
//! hashing the ETag. Only the answer is kept; who may read it is checked on every request, as
//! on a miss.
//!
//! A plain 404 is kept too, for a moment: a flood of requests for what is not here (import
//! probes, scanners, a misconfigured CI) then costs what a kept answer does.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sha2::{Digest, Sha256};

use super::error;

/// Memory for kept answers.
const BUDGET_BYTES: u64 = 8 << 20;
/// Larger bodies are not kept rather than crowd out the rest: most module zips are smaller,
/// and a large one streams from the store at the speed of the client anyway.
pub(super) const MAX_BODY: u64 = 128 << 10;
/// How many entries to plan for: sizes the tables, not the memory bound.
const ESTIMATED_ENTRIES: usize = 8 * 1024;
/// Headers and bookkeeping per entry, roughly.
const ENTRY_OVERHEAD: u64 = 256;

/// How long a 404 is kept. Publishing through this process makes it stale at once; a version
/// published through another replica on the same bucket is seen within this time.
const MISSING_FOR: Duration = Duration::from_secs(1);
/// How many 404s are kept at most.
const MAX_MISSING: usize = 4096;

/// Versions never change once published, so clients and caches may keep them for a year.
pub(super) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A body held in memory with its strong ETag, from its content.
pub(crate) struct Ready {
    /// The module path, to route and check access by.
    pub module: String,
    /// `info` or `mod`, for metrics.
    pub endpoint: &'static str,
    content_type: HeaderValue,
    etag: HeaderValue,
    length: HeaderValue,
    body: Bytes,
}

impl Ready {
    pub fn new(
        module: String,
        endpoint: &'static str,
        content_type: &'static str,
        body: Bytes,
        etag: HeaderValue,
    ) -> Ready {
        Ready {
            module,
            endpoint,
            content_type: HeaderValue::from_static(content_type),
            etag,
            length: HeaderValue::from(body.len()),
            body,
        }
    }

    /// The response, or 304 when the client holds these bytes already.
    pub fn respond(&self, request_headers: &HeaderMap, cache_control: &'static str) -> Response {
        let cache_control = HeaderValue::from_static(cache_control);
        if not_modified(request_headers, &self.etag) {
            let mut response = StatusCode::NOT_MODIFIED.into_response();
            let headers = response.headers_mut();
            headers.insert(header::ETAG, self.etag.clone());
            headers.insert(header::CACHE_CONTROL, cache_control);
            return response;
        }
        let mut response = Response::new(Body::from(self.body.clone()));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::CACHE_CONTROL, cache_control);
        headers.insert(header::CONTENT_LENGTH, self.length.clone());
        headers.insert(header::ETAG, self.etag.clone());
        response
    }
}

#[derive(Clone)]
struct Weight;

impl Weighter<String, Arc<Ready>> for Weight {
    fn weight(&self, key: &String, ready: &Arc<Ready>) -> u64 {
        (key.len() + ready.module.len() + ready.body.len()) as u64 + ENTRY_OVERHEAD
    }
}

/// A plain 404: not here, and the client may ask the next proxy.
pub(crate) struct Missing {
    /// The module path, to route and check access by.
    pub module: String,
    pub endpoint: &'static str,
    /// The response body, one line.
    body: Bytes,
    at: Instant,
    /// The store's write count before the answer was looked for.
    writes: u64,
}

impl Missing {
    pub fn respond(&self) -> Response {
        error::line_response(StatusCode::NOT_FOUND, self.body.clone())
    }
}

pub(crate) struct Answers {
    entries: Cache<String, Arc<Ready>, Weight>,
    missing: Cache<String, Arc<Missing>>,
}

impl Default for Answers {
    fn default() -> Self {
        Answers {
            entries: Cache::with_weighter(ESTIMATED_ENTRIES, BUDGET_BYTES, Weight),
            missing: Cache::new(MAX_MISSING),
        }
    }
}

impl Answers {
    pub fn get(&self, path: &str) -> Option<Arc<Ready>> {
        self.entries.get(path)
    }

    /// A 404 for `path` still current: younger than `MISSING_FOR`, and nothing written to the
    /// store since (`writes` is its write count now).
    pub fn get_missing(&self, path: &str, writes: u64) -> Option<Arc<Missing>> {
        self.missing
            .get(path)
            .filter(|m| m.writes == writes && m.at.elapsed() < MISSING_FOR)
    }

    /// Keeps a plain 404 for `path`; `writes`: the store's write count before looking.
    pub fn keep_missing(
        &self,
        path: &str,
        module: String,
        endpoint: &'static str,
        reason: String,
        writes: u64,
    ) {
        let missing = Missing {
            module,
            endpoint,
            body: error::one_line(&reason),
            at: Instant::now(),
            writes,
        };
        self.missing.insert(path.to_owned(), Arc::new(missing));
    }

    /// Keeps an immutable answer for `path`.
    pub fn keep(&self, path: &str, ready: Ready) -> Arc<Ready> {
        let ready = Arc::new(ready);
        if ready.body.len() as u64 <= MAX_BODY {
            self.entries.insert(path.to_owned(), ready.clone());
        }
        ready
    }
}

/// A strong ETag from the content: the first 128 bits of its SHA-256, quoted.
pub(super) fn content_etag(body: &[u8]) -> HeaderValue {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        tag.push_str(&format!("{byte:02x}"));
    }
    tag.push('"');
    HeaderValue::from_str(&tag).unwrap_or_else(|_| HeaderValue::from_static("\"\""))
}

/// `If-None-Match` with our tag, or `*`.
pub(super) fn not_modified(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_404_lasts_until_the_store_is_written() {
        let answers = Answers::default();
        let path = "/example.com/x/@v/v1.0.0.info";
        answers.keep_missing(path, "example.com/x".into(), "info", "gone".into(), 7);
        assert_eq!(
            answers.get_missing(path, 7).map(|m| m.body.clone()),
            Some(Bytes::from("gone\n"))
        );
        assert!(answers.get_missing(path, 8).is_none());
        assert!(answers.get_missing("/example.com/y/@v/list", 7).is_none());
    }

    #[test]
    fn etags_follow_the_content_and_if_none_match() {
        let etag = content_etag(b"v1");
        assert_ne!(etag, content_etag(b"v2"));
        assert_eq!(etag.len(), 34);
        let mut headers = HeaderMap::new();
        assert!(!not_modified(&headers, &etag));
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"x\", W/\"y\""),
        );
        assert!(!not_modified(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, etag.clone());
        assert!(not_modified(&headers, &etag));
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(not_modified(&headers, &etag));
    }
}
