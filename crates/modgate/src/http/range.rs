//! Parts of zips (RFC 9110 §14): newer go commands resume an interrupted download with
//! `Range: bytes=N-` and `If-Range: <ETag>`.
//!
//! One range is answered with 206 and `Content-Range`; several ranges get the whole zip with
//! 200, which the RFC allows (a server may ignore `Range`), rather than a multipart body no Go
//! client asks for. A range past the end is 416 with `Content-Range: bytes */<size>`. An
//! `If-Range` that does not name the zip as it is (its strong ETag, or exactly its
//! `Last-Modified` date) gets the whole zip. A HEAD ignores `Range` (ranges are defined for GET
//! only): it gets the whole zip's headers.

use std::ops::Range;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::error;

/// What part of a zip of `size` bytes a request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Part {
    Whole,
    /// Bytes `start..end` of it.
    Bytes(Range<u64>),
    /// A range that starts past the end.
    Unsatisfiable,
}

/// The part asked for by `Range` (and `If-Range`), for a zip with these validators.
pub(super) fn part(
    headers: &HeaderMap,
    size: u64,
    etag: Option<&HeaderValue>,
    last_modified: Option<&HeaderValue>,
) -> Part {
    let Some(range) = headers.get(header::RANGE) else {
        return Part::Whole;
    };
    if let Some(condition) = headers.get(header::IF_RANGE)
        && !if_range_holds(condition, etag, last_modified)
    {
        return Part::Whole;
    }
    range
        .to_str()
        .map_or(Part::Whole, |range| parse(range, size))
}

/// `If-Range`: an entity tag compared strongly (a weak one never matches), or a date equal to
/// the zip's `Last-Modified`.
fn if_range_holds(
    condition: &HeaderValue,
    etag: Option<&HeaderValue>,
    last_modified: Option<&HeaderValue>,
) -> bool {
    let condition = condition.as_bytes();
    if condition.starts_with(b"\"") {
        return etag.is_some_and(|etag| etag.as_bytes() == condition);
    }
    if condition.starts_with(b"W/") {
        return false;
    }
    let date = |value: &[u8]| {
        std::str::from_utf8(value)
            .ok()
            .and_then(|text| httpdate::parse_http_date(text).ok())
    };
    match (
        date(condition),
        last_modified.and_then(|lm| date(lm.as_bytes())),
    ) {
        (Some(asked), Some(ours)) => asked == ours,
        _ => false,
    }
}

/// A `Range` value: `bytes=a-b`, `bytes=a-` or `bytes=-n`. Anything else, several ranges
/// included, is answered whole (RFC 9110 lets a server ignore `Range`).
fn parse(range: &str, size: u64) -> Part {
    let Some((unit, spec)) = range.trim().split_once('=') else {
        return Part::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return Part::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Part::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        // Too many digits to be a position in any zip: past the end.
        digits.then(|| text.parse().unwrap_or(u64::MAX))
    };
    match (number(first), number(last), last.trim().is_empty()) {
        (Some(start), _, true) if start < size => Part::Bytes(start..size),
        (Some(_), _, true) => Part::Unsatisfiable,
        (Some(start), Some(end), false) if end < start => Part::Whole,
        (Some(start), Some(end), false) if start < size => {
            Part::Bytes(start..end.saturating_add(1).min(size))
        }
        (Some(_), Some(_), false) => Part::Unsatisfiable,
        (None, Some(suffix), false) if first.trim().is_empty() => match suffix.min(size) {
            0 => Part::Unsatisfiable,
            length => Part::Bytes(size - length..size),
        },
        _ => Part::Whole,
    }
}

/// Makes `response` (headers for the whole zip already set) the answer for `bytes` of it.
pub(super) fn make_partial(response: &mut Response, bytes: &Range<u64>, size: u64) {
    *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    let headers = response.headers_mut();
    let content_range = format!("bytes {}-{}/{size}", bytes.start, bytes.end - 1);
    if let Ok(value) = HeaderValue::from_str(&content_range) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    headers.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(bytes.end - bytes.start),
    );
}

/// 416 for a zip of `size` bytes.
pub(super) fn unsatisfiable(size: u64) -> Response {
    let mut response = error::line_response(
        StatusCode::RANGE_NOT_SATISFIABLE,
        error::one_line(&format!("the zip has {size} bytes")),
    );
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
        headers.insert(header::CONTENT_RANGE, value);
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    response
}

/// The headers every zip answer carries for resuming: `Accept-Ranges` and `Last-Modified`.
pub(super) fn add_validators(headers: &mut HeaderMap, last_modified: Option<&HeaderValue>) {
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(date) = last_modified {
        headers.insert(header::LAST_MODIFIED, date.clone());
    }
}

/// `Last-Modified` for a store's date.
pub(super) fn http_date(time: std::time::SystemTime) -> Option<HeaderValue> {
    HeaderValue::from_str(&httpdate::fmt_http_date(time)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn ranges_by_rfc_9110() {
        let size = 100;
        for (range, want) in [
            ("bytes=0-9", Part::Bytes(0..10)),
            ("bytes=90-", Part::Bytes(90..100)),
            ("bytes=-10", Part::Bytes(90..100)),
            ("bytes=-1000", Part::Bytes(0..100)),
            ("bytes=95-1000", Part::Bytes(95..100)),
            ("BYTES = 5 - 5", Part::Bytes(5..6)),
            ("bytes=99-99", Part::Bytes(99..100)),
            ("bytes=100-", Part::Unsatisfiable),
            ("bytes=100-200", Part::Unsatisfiable),
            ("bytes=99999999999999999999999-", Part::Unsatisfiable),
            ("bytes=-0", Part::Unsatisfiable),
            ("bytes=5-1", Part::Whole),
            ("bytes=0-1,5-6", Part::Whole),
            ("items=0-1", Part::Whole),
            ("bytes=a-b", Part::Whole),
            ("bytes=-", Part::Whole),
            ("bytes", Part::Whole),
        ] {
            let headers = asked(&[(header::RANGE, range)]);
            assert_eq!(part(&headers, size, None, None), want, "{range}");
        }
        assert_eq!(part(&HeaderMap::new(), size, None, None), Part::Whole);
        let empty = asked(&[(header::RANGE, "bytes=-5")]);
        assert_eq!(part(&empty, 0, None, None), Part::Unsatisfiable);
    }

    #[test]
    fn if_range_needs_the_strong_etag_or_the_exact_date() {
        let etag = HeaderValue::from_static("\"abc\"");
        let date = HeaderValue::from_static("Tue, 01 Dec 2026 10:00:00 GMT");
        let check = |if_range: &'static str| {
            let headers = asked(&[(header::RANGE, "bytes=10-"), (header::IF_RANGE, if_range)]);
            part(&headers, 100, Some(&etag), Some(&date))
        };
        assert_eq!(check("\"abc\""), Part::Bytes(10..100));
        assert_eq!(check("Tue, 01 Dec 2026 10:00:00 GMT"), Part::Bytes(10..100));
        assert_eq!(check("\"other\""), Part::Whole);
        assert_eq!(check("W/\"abc\""), Part::Whole, "weak tags never match");
        assert_eq!(check("Tue, 01 Dec 2026 10:00:01 GMT"), Part::Whole);
        assert_eq!(check("yesterday"), Part::Whole);
        let no_date = asked(&[
            (header::RANGE, "bytes=10-"),
            (header::IF_RANGE, "Tue, 01 Dec 2026 10:00:00 GMT"),
        ]);
        assert_eq!(part(&no_date, 100, Some(&etag), None), Part::Whole);
    }
}
