// Ported from golang.org/x/mod (module/pseudo.go, module/pseudo_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Pseudo-versions (x/mod `module/pseudo.go`): versions that name an untagged commit.
//!
//! The forms, with `yyyymmddhhmmss` the UTC commit time and `abcdef123456` the commit prefix:
//!
//! 1. `vX.0.0-yyyymmddhhmmss-abcdef123456`, when no earlier tag has major version X;
//! 2. `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456`, when the latest earlier tag is `vX.Y.Z`;
//! 3. `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456`, when the latest earlier tag is `vX.Y.Z-pre`;
//!
//! and forms 2 and 3 again with `+incompatible` (or any other build metadata the base tag had).
//! Each sorts just above its base tag and below any later tag, which is the point of the `-0.`
//! and `.0.` segments. [`pseudo_version`] builds one; [`pseudo_version_base`],
//! [`pseudo_version_time`] and [`pseudo_version_rev`] take one apart.
//!
//! x/mod recognises them with the regular expression
//! `^v[0-9]+\.(0\.0-|\d+\.\d+-([^+]*\.)?0\.)\d{14}-[A-Za-z0-9]+(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`;
//! [`match_syntax`] is that expression written out by hand, to keep the crate free of a regex engine.

use super::{build, canonical, is_valid, major, prerelease};
use crate::ModuleError;
use crate::error::quote;

/// `module.PseudoVersion`: the pseudo-version of the commit `rev` (usually its 12-digit hash
/// prefix) made at `time`, above the tag `older` ("" for none; its build metadata, such as
/// `+incompatible`, is kept), in the major version `major` (`v2`; "" for v0), which counts only
/// when there is no `older`.
///
/// `time` is the commit time in UTC, `yyyymmddhhmmss` (x/mod's
/// `PseudoVersionTimestampFormat`), as [`pseudo_version_time`] gives it back. Neither it nor
/// `rev` is checked: with a malformed one the result is no pseudo-version.
///
/// ```
/// let v = gomod::pseudo_version("", "v1.2.3", "20191109021931", "daa7c04131f5");
/// assert_eq!(v, "v1.2.4-0.20191109021931-daa7c04131f5");
/// assert_eq!(gomod::pseudo_version_base(&v)?, "v1.2.3");
/// assert_eq!(gomod::pseudo_version_rev(&v)?, "daa7c04131f5");
/// assert_eq!(gomod::pseudo_version("v2", "", "20191109021931", "daa7c04131f5"), "v2.0.0-20191109021931-daa7c04131f5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pseudo_version(major: &str, older: &str, time: &str, rev: &str) -> String {
    let major = if major.is_empty() { "v0" } else { major };
    let segment = format!("{time}-{rev}");
    let build = build(older);
    let Some(older) = canonical(older) else {
        return format!("{major}.0.0-{segment}"); // form (1)
    };
    if !prerelease(&older).is_empty() {
        return format!("{older}.0.{segment}{build}"); // form (4), (5)
    }
    // Form (2), (3): the patch number of vMAJOR.MINOR.PATCH, plus one.
    let i = older.rfind('.').map_or(0, |i| i + 1);
    let (v, patch) = older.split_at(i);
    format!("{v}{}-0.{segment}{build}", inc_decimal(patch))
}

/// `module.ZeroPseudoVersion`: the pseudo-version with a zero time (Go's zero `time.Time`, year
/// 1) and revision, a placeholder: `v0.0.0-00010101000000-000000000000`.
pub fn zero_pseudo_version(major: &str) -> String {
    pseudo_version(major, "", "00010101000000", "000000000000")
}

/// `module.IsZeroPseudoVersion`: whether `v` is the [`zero_pseudo_version`] of its major version.
pub fn is_zero_pseudo_version(v: &str) -> bool {
    v == zero_pseudo_version(major(v).unwrap_or(""))
}

/// `module.PseudoVersionRev`: the revision at the end of a pseudo-version, before any build
/// metadata.
pub fn pseudo_version_rev(v: &str) -> Result<&str, ModuleError> {
    parse(v).map(|p| p.rev)
}

/// `module.PseudoVersionBase`: the tag a pseudo-version is above (`v1.2.3` for
/// `v1.2.4-0.…`, `v1.2.3-pre+incompatible` for `v1.2.3-pre.0.…+incompatible`), "" when it is
/// above none (`vX.0.0-…`).
///
/// `Err` for a version that is no pseudo-version, and for two that are but can have no base:
/// `vX.0.0-…` with build metadata, and `vX.Y.0-0.…`, whose base would have patch number −1.
pub fn pseudo_version_base(v: &str) -> Result<String, ModuleError> {
    let Parts { base, build, .. } = parse(v)?;
    let invalid = |reason: String| Err(ModuleError::invalid_version("", v, reason));
    match prerelease(base) {
        // vX.0.0-yyyymmddhhmmss-abcdef123456 → "". With build metadata it makes no sense: the
        // form says there is no parent tag, `+incompatible` that the parent's major version is
        // incompatible with the path.
        "" if !build.is_empty() => invalid(format!(
            "lacks base version, but has build metadata {}",
            quote(build)
        )),
        "" => Ok(String::new()),
        // vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdef123456[+build] → vX.Y.Z[+build]
        "-0" => {
            let base = &base[..base.len() - "-0".len()];
            let i = base.rfind('.').map_or(0, |i| i + 1);
            match dec_decimal(&base[i..]) {
                Some(patch) => Ok(format!("{}{patch}{build}", &base[..i])),
                // vX.Y.0-0 has been seen in the wild (proxy.golang.org's index), but nothing
                // explains it, so x/mod refuses it.
                None => invalid(format!(
                    "version before {base} would have negative patch number"
                )),
            }
        }
        // vX.Y.Z-pre.0.yyyymmddhhmmss-abcdef123456[+build] → vX.Y.Z-pre[+build]
        _ => Ok(format!(
            "{}{build}",
            base.strip_suffix(".0").unwrap_or(base)
        )),
    }
}

/// x/mod `incDecimal`: the decimal string plus one.
fn inc_decimal(decimal: &str) -> String {
    // Turn 9s to 0s from the right until a digit can be incremented.
    let mut digits = decimal.as_bytes().to_vec();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'9' {
        digits[i - 1] = b'0';
        i -= 1;
    }
    if i > 0 {
        digits[i - 1] += 1;
    } else {
        // All nines.
        digits.insert(0, b'1');
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// x/mod `decDecimal`: the decimal string minus one, `None` when it is all zeros.
fn dec_decimal(decimal: &str) -> Option<String> {
    // Turn 0s to 9s from the right until a digit can be decremented.
    let mut digits = decimal.as_bytes().to_vec();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'0' {
        digits[i - 1] = b'9';
        i -= 1;
    }
    if i == 0 {
        return None;
    }
    if i == 1 && digits[0] == b'1' && digits.len() > 1 {
        digits.remove(0);
    } else {
        digits[i - 1] -= 1;
    }
    Some(String::from_utf8_lossy(&digits).into_owned())
}

/// The parts of a pseudo-version (x/mod `parsePseudoVersion`).
struct Parts<'a> {
    /// `vX.0.0`, `vX.Y.(Z+1)-0` or `vX.Y.Z-pre.0`.
    base: &'a str,
    rev: &'a str,
    /// Including the leading `+`, or empty.
    build: &'a str,
}

fn parse(v: &str) -> Result<Parts<'_>, ModuleError> {
    if !is_pseudo_version(v) {
        return Err(ModuleError::invalid_version("", v, "syntax error"));
    }
    // The pattern matched, so there are two dashes before the build.
    let build = build(v);
    let v = &v[..v.len() - build.len()];
    let (v, rev) = v.rsplit_once('-').unwrap_or((v, ""));
    let i = v.rfind('-').unwrap_or(0);
    let base = match v.rfind('.') {
        Some(j) if j > i => &v[..j],
        _ => &v[..i],
    };
    Ok(Parts { base, rev, build })
}

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

    /// x/mod `pseudo_test.go` `pseudoTests`: (major, older, version), where `version` is the
    /// pseudo-version `PseudoVersion` builds in `major` on `older` at 2006-01-02 15:04:05 UTC
    /// with revision "hash".
    const CASES: &[(&str, &str, &str)] = &[
        ("", "", "v0.0.0-20060102150405-hash"),
        ("v0", "", "v0.0.0-20060102150405-hash"),
        ("v1", "", "v1.0.0-20060102150405-hash"),
        ("v2", "", "v2.0.0-20060102150405-hash"),
        ("unused", "v0.0.0", "v0.0.1-0.20060102150405-hash"),
        ("unused", "v1.2.3", "v1.2.4-0.20060102150405-hash"),
        (
            "unused",
            "v1.2.99999999999999999",
            "v1.2.100000000000000000-0.20060102150405-hash",
        ),
        ("unused", "v1.2.3-pre", "v1.2.3-pre.0.20060102150405-hash"),
        ("unused", "v1.3.0-pre", "v1.3.0-pre.0.20060102150405-hash"),
        ("unused", "v0.0.0--", "v0.0.0--.0.20060102150405-hash"),
        (
            "unused",
            "v1.0.0+metadata",
            "v1.0.1-0.20060102150405-hash+metadata",
        ),
        (
            "unused",
            "v2.0.0+incompatible",
            "v2.0.1-0.20060102150405-hash+incompatible",
        ),
        (
            "unused",
            "v2.3.0-pre+incompatible",
            "v2.3.0-pre.0.20060102150405-hash+incompatible",
        ),
    ];

    #[test]
    fn pseudo_version_cases() {
        for &(major, older, version) in CASES {
            let v = pseudo_version(major, older, "20060102150405", "hash");
            assert_eq!(v, version, "pseudo_version({major:?}, {older:?}, …)");
        }
    }

    #[test]
    fn is_pseudo_version_cases() {
        for &(_, older, version) in CASES {
            assert!(is_pseudo_version(version), "is_pseudo_version({version:?})");
            assert!(!is_pseudo_version(older), "is_pseudo_version({older:?})");
        }
    }

    #[test]
    fn pseudo_version_rev_cases() {
        for &(_, older, version) in CASES {
            assert_eq!(pseudo_version_rev(version), Ok("hash"), "{version:?}");
            assert!(pseudo_version_rev(older).is_err(), "{older:?}");
        }
    }

    #[test]
    fn pseudo_version_base_cases() {
        for &(_, older, version) in CASES {
            assert_eq!(
                pseudo_version_base(version).as_deref(),
                Ok(older),
                "{version:?}"
            );
        }
    }

    /// x/mod `TestInvalidPseudoVersionBase`.
    const INVALID_BASES: &[&str] = &[
        "v0.0.0",
        "v0.0.0-",                                 // malformed: empty prerelease
        "v0.0.0-0.20060102150405-hash",            // Z+1 == 0
        "v0.1.0-0.20060102150405-hash",            // Z+1 == 0
        "v1.0.0-0.20060102150405-hash",            // Z+1 == 0
        "v0.0.0-20060102150405-hash+incompatible", // "+incompatible without base version
        "v0.0.0-20060102150405-hash+metadata",     // other metadata without base version
    ];

    #[test]
    fn invalid_pseudo_version_base_cases() {
        for &v in INVALID_BASES {
            assert!(
                pseudo_version_base(v).is_err(),
                "pseudo_version_base({v:?})"
            );
        }
        let err = pseudo_version_base("v1.0.0-0.20060102150405-hash").unwrap_err();
        assert_eq!(
            err.to_string(),
            "v1.0.0-0.20060102150405-hash: invalid version: version before v1.0.0 would have negative patch number"
        );
        let err = pseudo_version_base("v0.0.0-20060102150405-hash+incompatible").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"v0.0.0-20060102150405-hash+incompatible: invalid version: lacks base version, but has build metadata "+incompatible""#
        );
    }

    /// x/mod `TestIncDecimal` and `TestDecDecimal` ("" for `None`).
    const INC_DECIMAL: &[(&str, &str)] = &[
        ("0", "1"),
        ("1", "2"),
        ("99", "100"),
        ("100", "101"),
        ("101", "102"),
    ];
    const DEC_DECIMAL: &[(&str, &str)] = &[
        ("", ""),
        ("0", ""),
        ("00", ""),
        ("1", "0"),
        ("2", "1"),
        ("99", "98"),
        ("100", "99"),
        ("101", "100"),
    ];

    #[test]
    fn decimal_cases() {
        for &(n, want) in INC_DECIMAL {
            assert_eq!(inc_decimal(n), want, "inc_decimal({n:?})");
        }
        for &(n, want) in DEC_DECIMAL {
            assert_eq!(
                dec_decimal(n).unwrap_or_default(),
                want,
                "dec_decimal({n:?})"
            );
        }
    }

    /// (version, whether it is a zero pseudo-version): ours.
    const ZERO_CASES: &[(&str, bool)] = &[
        ("v0.0.0-00010101000000-000000000000", true),
        ("v2.0.0-00010101000000-000000000000", true),
        ("v1.0.0-00010101000000-000000000000", true),
        ("v0.0.1-0.00010101000000-000000000000", false),
        ("v0.0.0-00010101000000-000000000001", false),
        ("v0.0.0-20060102150405-000000000000", false),
        ("v0.0.0-00010101000000-000000000000+incompatible", false),
        ("", false),
    ];

    #[test]
    fn zero_pseudo_version_cases() {
        assert_eq!(
            zero_pseudo_version(""),
            "v0.0.0-00010101000000-000000000000"
        );
        for &(v, want) in ZERO_CASES {
            assert_eq!(
                is_zero_pseudo_version(v),
                want,
                "is_zero_pseudo_version({v:?})"
            );
        }
    }

    #[test]
    fn pseudo_version_time_cases() {
        for &(_, older, version) in CASES {
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
