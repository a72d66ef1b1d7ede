//! Rendered answers kept by request path as sent: `.info`, `.mod` and small `.zip` answers
//! of versions, which never change once served, with their headers ready; and, for a moment,
//! answers that something is not here.
//!
//! The `go` command asks for versions far more than for anything else: a hit skips parsing
//! the path, the service's sources and the store, and hashing the ETag. A flood of requests
//! for what is not here (import probes, scanners, a misconfigured CI) costs the same. Only the
//! answer is kept; who may read it is asked of the service on every request
//! (`Service::may_read`), as on a miss.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gomod::{ModulePath, Version};
use sha2::{Digest, Sha256};

use super::{error, range};
use crate::memory::{self, Dated, Kept, Weighed};
use crate::service::UseMark;

/// Versions never change once published, so clients and caches may keep them for a year.
pub(super) const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// A body held in memory with its strong ETag, from its content.
pub(crate) struct Ready {
    /// The module path, to check access by.
    pub module: ModulePath,
    /// The version answered, to check it was not deleted since.
    pub version: Option<Version>,
    /// `info`, `mod` or `zip`, for metrics.
    pub endpoint: &'static str,
    content_type: HeaderValue,
    etag: HeaderValue,
    length: HeaderValue,
    body: Bytes,
    /// A zip's date: zips are answered in parts (`Range`), other answers whole.
    zip_date: Option<ZipDate>,
    /// The use mark of an upstream-cached version: each answer marks a use.
    used: Option<UseMark>,
}

/// Whether an answer is a zip, and its `Last-Modified` when the store gave one.
pub(crate) struct ZipDate(pub Option<HeaderValue>);

impl Ready {
    pub fn new(
        (module, version): (ModulePath, Option<Version>),
        endpoint: &'static str,
        content_type: &'static str,
        body: Bytes,
        etag: HeaderValue,
    ) -> Ready {
        Ready {
            module,
            version,
            endpoint,
            content_type: HeaderValue::from_static(content_type),
            etag,
            length: HeaderValue::from(body.len()),
            body,
            zip_date: None,
            used: None,
        }
    }

    /// With the use mark of the version it answers for.
    pub fn with_use(self, used: Option<UseMark>) -> Ready {
        Ready { used, ..self }
    }

    /// Whether gc evicted the version this answer is for: it is then answered anew (fetched
    /// again from upstream), not from here.
    pub fn is_evicted(&self) -> bool {
        self.used.as_ref().is_some_and(UseMark::is_evicted)
    }

    /// Marks a use of the version, if it is an upstream-cached one: a load, on a repeat.
    pub fn mark_used(&self) {
        if let Some(used) = &self.used {
            used.used();
        }
    }

    /// A zip: answered with `Accept-Ranges`, its date, and in parts when asked.
    pub fn zip(mut self, last_modified: Option<HeaderValue>) -> Ready {
        self.zip_date = Some(ZipDate(last_modified));
        self
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
        let mut part = range::Part::Whole;
        if let Some(ZipDate(date)) = &self.zip_date {
            let size = self.body.len() as u64;
            part = range::part(request_headers, size, Some(&self.etag), date.as_ref());
        }
        let body = match &part {
            range::Part::Whole => self.body.clone(),
            // A slice of a file-backed body is still sent from its file (`sendfile`).
            range::Part::Bytes(bytes) => {
                self.body.slice(to_usize(bytes.start)..to_usize(bytes.end))
            }
            range::Part::Unsatisfiable => return range::unsatisfiable(self.body.len() as u64),
        };
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::CACHE_CONTROL, cache_control);
        headers.insert(header::CONTENT_LENGTH, self.length.clone());
        headers.insert(header::ETAG, self.etag.clone());
        if let Some(ZipDate(date)) = &self.zip_date {
            range::add_validators(headers, date.as_ref());
        }
        if let range::Part::Bytes(bytes) = &part {
            range::make_partial(&mut response, bytes, self.body.len() as u64);
        }
        response
    }
}

impl Weighed for Ready {
    fn weight(&self) -> u64 {
        (self.module.as_str().len() + self.body.len()) as u64
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// An answer that something is not here: a 404, or a private route's refusal.
pub(crate) struct Absence {
    /// The module path, to check access by.
    pub module: ModulePath,
    pub endpoint: &'static str,
    status: StatusCode,
    /// The one-line body.
    body: Bytes,
    /// The service's generation when the answer was looked for.
    generation: u64,
}

impl Absence {
    pub fn respond(&self) -> Response {
        error::line_response(self.status, self.body.clone())
    }
}

/// The kept answers.
pub(crate) struct KeptAnswers {
    versions: Kept<String, Arc<Ready>>,
    absences: Dated<String, Arc<Absence>>,
}

impl Default for KeptAnswers {
    fn default() -> Self {
        KeptAnswers {
            versions: Kept::new(memory::RESPONSES_BYTES),
            absences: Dated::new(memory::ABSENT_ENTRIES),
        }
    }
}

impl KeptAnswers {
    pub fn get(&self, path: &str) -> Option<Arc<Ready>> {
        self.versions.get(path)
    }

    /// Keeps an immutable answer for `path`, unless it is too large to be worth the memory.
    pub fn keep(&self, path: &str, ready: Ready) -> Arc<Ready> {
        let ready = Arc::new(ready);
        if ready.body.len() as u64 <= memory::MAX_KEPT_RESPONSE {
            self.versions.keep(path.to_owned(), ready.clone());
        }
        ready
    }

    /// A "not here" for `path` still current: younger than `ABSENT_FOR`, and the service's
    /// generation (`generation`, now) unchanged since it was looked for.
    pub fn absence(&self, path: &str, generation: u64) -> Option<Arc<Absence>> {
        self.absences
            .fresh(path, memory::ABSENT_FOR)
            .filter(|absence| absence.generation == generation)
    }

    /// Keeps a "not here" for `path`, looked for at `generation`.
    pub fn keep_absence(
        &self,
        path: &str,
        module: ModulePath,
        endpoint: &'static str,
        (status, reason): (StatusCode, &str),
        generation: u64,
    ) {
        let absence = Absence {
            module,
            endpoint,
            status,
            body: error::one_line(reason),
            generation,
        };
        self.absences.remember(path.to_owned(), Arc::new(absence));
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
    fn an_absence_lasts_until_the_store_is_written() {
        let kept = KeptAnswers::default();
        let path = "/example.com/x/@v/v1.0.0.info";
        let module = ModulePath::new("example.com/x").expect("valid");
        let not_found = (StatusCode::NOT_FOUND, "gone");
        kept.keep_absence(path, module, "info", not_found, 7);
        assert!(kept.absence(path, 7).is_some());
        assert!(kept.absence(path, 8).is_none(), "a write happened since");
        assert!(kept.absence("/example.com/y/@v/list", 7).is_none());
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
