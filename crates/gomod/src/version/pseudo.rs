// Ported from golang.org/x/mod (module/pseudo.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Pseudo-versions (x/mod `module/pseudo.go`): versions that name an untagged commit.
//!
//! The forms, with `yyyymmddhhmmss` the UTC commit time and `abcdef123456` the commit prefix:
//!
//! 1. `vX.0.0-yyyymmddhhmmss-abcdef123456`, when no earlier tag has major version X;
//! 2. `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456`, when the latest earlier tag is `vX.Y.Z`;
//! 3. `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456`, when the latest earlier tag is `vX.Y.Z-pre`;
//!
//! and forms 2 and 3 again with `+incompatible`. Each sorts just above its base tag and below any
//! later tag, which is the point of the `-0.` and `.0.` segments.
//!
//! x/mod recognises them with the regular expression
//! `^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`;
//! [`match_syntax`] is that expression written out by hand, to keep the crate free of a regex engine.

use super::is_valid;
use crate::ModuleError;
use crate::error::quote;

/// `module.IsPseudoVersion`.
pub fn is_pseudo_version(v: &str) -> bool {
    timestamp(v).is_some()
}

/// `module.PseudoVersionTime`, as the 14 UTC digits `yyyymmddhhmmss`.
pub fn pseudo_version_time(v: &str) -> Result<&str, ModuleError> {
    let ts =
        timestamp(v).ok_or_else(|| ModuleError::invalid_version("", v, "not a pseudo-version"))?;
    if !is_valid_time(ts) {
        return Err(ModuleError::invalid_version(
            "",
            v,
            format!("malformed time {}", quote(ts)),
        ));
    }
    Ok(ts)
}

/// The timestamp digits of a pseudo-version, checked as `IsPseudoVersion` checks.
fn timestamp(v: &str) -> Option<&str> {
    if v.bytes().filter(|&b| b == b'-').count() < 2 || !is_valid(v) {
        return None;
    }
    match_syntax(v)
}

/// The pseudo-version regular expression; on a match, the `\d{14}` it matched.
fn match_syntax(v: &str) -> Option<&str> {
    // ^v[0-9]+\.
    let rest = strip_digits(v.strip_prefix('v')?)?.strip_prefix('.')?;

    // (\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$ : nothing else may hold a '+', so the first one
    // starts the build and the build runs to the end.
    let (body, build) = rest.split_at(rest.find('+').unwrap_or(rest.len()));
    if let Some(build) = build.strip_prefix('+') {
        let ident =
            |id: &str| !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-');
        if !build.split('.').all(ident) {
            return None;
        }
    }

    // \d{14}-[A-Za-z0-9]+ : the revision holds no '-', so it follows the last one.
    let (head_and_time, rev) = body.rsplit_once('-')?;
    if rev.is_empty() || !rev.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let split = head_and_time.len().checked_sub(14)?;
    let (head, ts) = (head_and_time.get(..split)?, head_and_time.get(split..)?);
    if !ts.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }

    // (0\.0-|\d+\.\d+-([^+]*\.)?0\.) : form 1, or forms 2 and 3.
    (head == "0.0-" || match_base(head)).then_some(ts)
}

/// `\d+\.\d+-([^+]*\.)?0\.`, where the optional group is a prerelease and its trailing dot
/// (`head` holds no `+`: that starts the build).
fn match_base(head: &str) -> bool {
    let Some(head) = head.strip_suffix("0.") else {
        return false;
    };
    let pre = strip_digits(head)
        .and_then(|h| h.strip_prefix('.'))
        .and_then(strip_digits)
        .and_then(|h| h.strip_prefix('-'));
    pre.is_some_and(|pre| pre.is_empty() || pre.ends_with('.'))
}

/// `\d+`: what follows one or more ASCII digits.
fn strip_digits(s: &str) -> Option<&str> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    (n > 0).then(|| &s[n..])
}

/// Whether `ts` parses as Go's `time.Parse("20060102150405", ts)`: any four-digit year, then a
/// month, a day that exists in that month, an hour, a minute and a second (no leap second).
fn is_valid_time(ts: &str) -> bool {
    let b = ts.as_bytes();
    if b.len() != 14 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |i: usize, n: usize| {
        b[i..i + n]
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(0, 4), num(4, 2), num(6, 2));
    let (hour, minute, second) = (num(8, 2), num(10, 2), num(12, 2));
    (1..=12).contains(&month)
        && (1..=days_in(month, year)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x/mod `pseudo_test.go` `pseudoTests`: (older, version), where `version` is the
    /// pseudo-version `PseudoVersion` builds on `older` at 2006-01-02 15:04:05 UTC with revision
    /// "hash". The `major` column is dropped: we do not build pseudo-versions.
    const CASES: &[(&str, &str)] = &[
        ("", "v0.0.0-20060102150405-hash"),
        ("", "v0.0.0-20060102150405-hash"),
        ("", "v1.0.0-20060102150405-hash"),
        ("", "v2.0.0-20060102150405-hash"),
        ("v0.0.0", "v0.0.1-0.20060102150405-hash"),
        ("v1.2.3", "v1.2.4-0.20060102150405-hash"),
        (
            "v1.2.99999999999999999",
            "v1.2.100000000000000000-0.20060102150405-hash",
        ),
        ("v1.2.3-pre", "v1.2.3-pre.0.20060102150405-hash"),
        ("v1.3.0-pre", "v1.3.0-pre.0.20060102150405-hash"),
        ("v0.0.0--", "v0.0.0--.0.20060102150405-hash"),
        ("v1.0.0+metadata", "v1.0.1-0.20060102150405-hash+metadata"),
        (
            "v2.0.0+incompatible",
            "v2.0.1-0.20060102150405-hash+incompatible",
        ),
        (
            "v2.3.0-pre+incompatible",
            "v2.3.0-pre.0.20060102150405-hash+incompatible",
        ),
    ];

    #[test]
    fn is_pseudo_version_cases() {
        for &(older, version) in CASES {
            assert!(is_pseudo_version(version), "is_pseudo_version({version:?})");
            assert!(!is_pseudo_version(older), "is_pseudo_version({older:?})");
        }
    }

    #[test]
    fn pseudo_version_time_cases() {
        for &(older, version) in CASES {
            assert_eq!(pseudo_version_time(version), Ok("20060102150405"));
            assert!(pseudo_version_time(older).is_err(), "time of {older:?}");
        }
        // x/mod TestInvalidPseudoVersionTime.
        assert!(pseudo_version_time("---").is_err());
    }

    /// Versions that are not pseudo-versions although they come close.
    const NOT_PSEUDO: &[&str] = &[
        "v1.2.3",
        "v0.0.0-20060102150405-",
        "v0.0.0-2006010215040-hash",
        "v0.0.0-200601021504055-hash",
        "v0.0.0-20060102150405-ha-sh",
        "v0.0.0-20060102150405-hash+",
        "v0.0.0-20060102150405-hash+a+b",
        "v0.0.0-20060102150405-hash+a..b",
        "v1.2.3-1.20060102150405-hash",
        "v1.2.3-pre.1.20060102150405-hash",
        "v1.2-0.20060102150405-hash",
        "v1.2.3-pre.20060102150405-hash",
        "v01.0.0-20060102150405-hash",
        "1.0.0-20060102150405-hash",
        "v1.0.0-20060102150405-hash",
        "",
    ];

    #[test]
    fn not_pseudo_cases() {
        for &v in NOT_PSEUDO {
            // v1.0.0-… is form 1 for major 1; the rest fail the pattern or semver.
            let want = v == "v1.0.0-20060102150405-hash";
            assert_eq!(is_pseudo_version(v), want, "is_pseudo_version({v:?})");
        }
    }

    /// (pseudo-version, whether its time is valid): the calendar as Go's time.Parse sees it.
    const TIME_CASES: &[(&str, bool)] = &[
        ("v0.0.0-20060102150405-hash", true),
        ("v0.0.0-00000101000000-hash", true),
        ("v0.0.0-99991231235959-hash", true),
        ("v0.0.0-20040229000000-hash", true),
        ("v0.0.0-20000229000000-hash", true),
        ("v0.0.0-19000229000000-hash", false),
        ("v0.0.0-20060229000000-hash", false),
        ("v0.0.0-20060431000000-hash", false),
        ("v0.0.0-20060001000000-hash", false),
        ("v0.0.0-20061301000000-hash", false),
        ("v0.0.0-20060100000000-hash", false),
        ("v0.0.0-20060132000000-hash", false),
        ("v0.0.0-20060102240000-hash", false),
        ("v0.0.0-20060102236000-hash", false),
        ("v0.0.0-20060102235960-hash", false),
        ("v1.2.4-0.20061302150405-hash", false),
    ];

    #[test]
    fn time_cases() {
        for &(v, ok) in TIME_CASES {
            assert!(is_pseudo_version(v), "is_pseudo_version({v:?})");
            let got = pseudo_version_time(v);
            assert_eq!(got.is_ok(), ok, "pseudo_version_time({v:?}) = {got:?}");
        }
        let err = pseudo_version_time("v0.0.0-20061301000000-hash").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"v0.0.0-20061301000000-hash: invalid version: malformed time "20061301000000""#
        );
    }
}
