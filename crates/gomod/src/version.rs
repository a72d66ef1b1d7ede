// Ported from golang.org/x/mod (semver/semver.go, semver/semver_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Go semantic versions (x/mod `semver`), `module.CanonicalVersion` and pseudo-versions.
//!
//! The accepted form is `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`:
//!
//! - MAJOR, MINOR and PATCH are decimal without leading zeros (`0` itself is fine);
//! - PRERELEASE and BUILD are non-empty dot-separated identifiers from `[0-9A-Za-z-]`, and an
//!   all-digit PRERELEASE identifier has no leading zero;
//! - `vMAJOR` and `vMAJOR.MINOR` are shorthands for `vMAJOR.0.0` and `vMAJOR.MINOR.0`, and take
//!   neither a PRERELEASE nor a BUILD (`v1.2-pre` is invalid).
//!
//! This is Semantic Versioning 2.0.0 with the leading `v` required and the two shorthands added.
//! Numbers stay strings throughout: `v1.99999999999999999999.0` is valid and compares correctly.

use std::cmp::Ordering;

mod pseudo;

pub use pseudo::{
    is_pseudo_version, is_zero_pseudo_version, pseudo_version, pseudo_version_base,
    pseudo_version_rev, pseudo_version_time, zero_pseudo_version,
};

/// The parts of a valid version, each a slice of the input except the filled-in shorthands.
struct Parsed<'a> {
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    /// What `canonical` appends to a shorthand: `.0.0`, `.0` or nothing.
    short: &'static str,
    /// Including the leading `-`, or empty.
    prerelease: &'a str,
    /// Including the leading `+`, or empty.
    build: &'a str,
}

/// `semver.IsValid`.
pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

/// `semver.Canonical`: `v1.2` → `v1.2.0`, drops `+build`; `None` when invalid.
pub fn canonical(v: &str) -> Option<String> {
    let p = parse(v)?;
    if !p.build.is_empty() {
        return Some(v[..v.len() - p.build.len()].to_owned());
    }
    Some(format!("{v}{}", p.short))
}

/// `module.CanonicalVersion`: like `canonical` but keeps `+incompatible`.
pub fn canonical_version(v: &str) -> Option<String> {
    let mut cv = canonical(v)?;
    if build(v) == "+incompatible" {
        cv.push_str("+incompatible");
    }
    Some(cv)
}

/// `semver.Compare`.
pub fn compare(v: &str, w: &str) -> Ordering {
    // All invalid versions are equal to each other and below every valid one.
    compare_parsed(parse(v).as_ref(), parse(w).as_ref())
}

fn compare_parsed(v: Option<&Parsed<'_>>, w: Option<&Parsed<'_>>) -> Ordering {
    let (pv, pw) = match (v, w) {
        (None, None) => return Ordering::Equal,
        (None, Some(_)) => return Ordering::Less,
        (Some(_), None) => return Ordering::Greater,
        (Some(pv), Some(pw)) => (pv, pw),
    };
    compare_int(pv.major, pw.major)
        .then_with(|| compare_int(pv.minor, pw.minor))
        .then_with(|| compare_int(pv.patch, pw.patch))
        .then_with(|| compare_prerelease(pv.prerelease, pw.prerelease))
}

/// `semver.Major`: `v2.1.0` → `v2`; `None` when invalid.
pub fn major(v: &str) -> Option<&str> {
    let p = parse(v)?;
    Some(&v[..1 + p.major.len()])
}

/// `semver.Prerelease`: `v1.2.3-pre+b` → `-pre`; empty when none or invalid.
pub fn prerelease(v: &str) -> &str {
    parse(v).map_or("", |p| p.prerelease)
}

/// `semver.Build`: `v1.2.3+meta` → `+meta`; empty when none or invalid.
pub fn build(v: &str) -> &str {
    parse(v).map_or("", |p| p.build)
}

/// `semver.Sort`: ascending, ties broken by byte order.
///
/// Each version is parsed once, not at every comparison: a repository's list runs to
/// thousands of tags, and parsing twice per comparison was most of the cost of `@v/list`.
pub fn sort<T: AsRef<str>>(versions: &mut [T]) {
    let order = {
        let keyed: Vec<(Option<Parsed<'_>>, &str)> = versions
            .iter()
            .map(|v| (parse(v.as_ref()), v.as_ref()))
            .collect();
        let mut order: Vec<usize> = (0..keyed.len()).collect();
        order.sort_by(|&i, &j| {
            let ((pa, a), (pb, b)) = (&keyed[i], &keyed[j]);
            compare_parsed(pa.as_ref(), pb.as_ref()).then_with(|| a.cmp(b))
        });
        order
    };
    permute(versions, order);
}

/// Puts `items[order[i]]` at `i`, following each cycle of the permutation once.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut i = start;
        while order[i] != start {
            let next = order[i];
            items.swap(i, next);
            order[i] = i;
            i = next;
        }
        order[i] = i;
    }
}

fn parse(v: &str) -> Option<Parsed<'_>> {
    let rest = v.strip_prefix('v')?;
    let (major, rest) = parse_int(rest)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor: "0",
            patch: "0",
            short: ".0.0",
            prerelease: "",
            build: "",
        });
    }
    let (minor, rest) = parse_int(rest.strip_prefix('.')?)?;
    if rest.is_empty() {
        return Some(Parsed {
            major,
            minor,
            patch: "0",
            short: ".0",
            prerelease: "",
            build: "",
        });
    }
    let (patch, mut rest) = parse_int(rest.strip_prefix('.')?)?;
    let mut prerelease = "";
    if rest.starts_with('-') {
        (prerelease, rest) = parse_prerelease(rest)?;
    }
    let mut build = "";
    if rest.starts_with('+') {
        (build, rest) = parse_build(rest)?;
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Parsed {
        major,
        minor,
        patch,
        short: "",
        prerelease,
        build,
    })
}

/// A decimal number without a leading zero, and what follows it.
fn parse_int(v: &str) -> Option<(&str, &str)> {
    let n = v.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (n > 1 && v.starts_with('0')) {
        return None;
    }
    Some(v.split_at(n))
}

/// `-ident(.ident)*` up to a `+` or the end, and what follows it.
fn parse_prerelease(v: &str) -> Option<(&str, &str)> {
    let end = v.find('+').unwrap_or(v.len());
    let (pre, rest) = v.split_at(end);
    let idents = pre.strip_prefix('-')?;
    idents
        .split('.')
        .all(|id| is_ident(id) && !is_bad_num(id))
        .then_some((pre, rest))
}

/// `+ident(.ident)*` to the end, and the (empty) rest.
fn parse_build(v: &str) -> Option<(&str, &str)> {
    let idents = v.strip_prefix('+')?;
    idents.split('.').all(is_ident).then_some((v, ""))
}

fn is_ident(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// An all-digit identifier with a leading zero, which SemVer forbids in a prerelease.
fn is_bad_num(id: &str) -> bool {
    id.len() > 1 && id.starts_with('0') && is_num(id)
}

fn is_num(id: &str) -> bool {
    id.bytes().all(|c| c.is_ascii_digit())
}

/// Numbers without leading zeros: the longer is larger, and equal lengths compare as bytes.
fn compare_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// SemVer precedence for two prereleases, each `-a.b.c` or empty.
fn compare_prerelease(x: &str, y: &str) -> Ordering {
    if x == y {
        return Ordering::Equal;
    }
    // A release sorts above any of its prereleases.
    if x.is_empty() {
        return Ordering::Greater;
    }
    if y.is_empty() {
        return Ordering::Less;
    }
    let mut xs = x[1..].split('.');
    let mut ys = y[1..].split('.');
    loop {
        let (dx, dy) = match (xs.next(), ys.next()) {
            (Some(dx), Some(dy)) => (dx, dy),
            // With every shared identifier equal, the longer list is larger.
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
        };
        if dx == dy {
            continue;
        }
        return match (is_num(dx), is_num(dy)) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (true, true) => compare_int(dx, dy),
            (false, false) => dx.cmp(dy),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x/mod `semver_test.go` `tests`: (input, canonical form or "" when invalid), in ascending
    /// order, so that row order is the expected `compare` result.
    const CASES: &[(&str, &str)] = &[
        ("bad", ""),
        ("v1-alpha.beta.gamma", ""),
        ("v1-pre", ""),
        ("v1+meta", ""),
        ("v1-pre+meta", ""),
        ("v1.2-pre", ""),
        ("v1.2+meta", ""),
        ("v1.2-pre+meta", ""),
        ("v1.0.0-alpha", "v1.0.0-alpha"),
        ("v1.0.0-alpha.1", "v1.0.0-alpha.1"),
        ("v1.0.0-alpha.beta", "v1.0.0-alpha.beta"),
        ("v1.0.0-beta", "v1.0.0-beta"),
        ("v1.0.0-beta.2", "v1.0.0-beta.2"),
        ("v1.0.0-beta.11", "v1.0.0-beta.11"),
        ("v1.0.0-rc.1", "v1.0.0-rc.1"),
        ("v1", "v1.0.0"),
        ("v1.0", "v1.0.0"),
        ("v1.0.0", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.0", "v1.2.0"),
        ("v1.2.3-456", "v1.2.3-456"),
        ("v1.2.3-456.789", "v1.2.3-456.789"),
        ("v1.2.3-456-789", "v1.2.3-456-789"),
        ("v1.2.3-456a", "v1.2.3-456a"),
        ("v1.2.3-pre", "v1.2.3-pre"),
        ("v1.2.3-pre+meta", "v1.2.3-pre"),
        ("v1.2.3-pre.1", "v1.2.3-pre.1"),
        ("v1.2.3-zzz", "v1.2.3-zzz"),
        ("v1.2.3", "v1.2.3"),
        ("v1.2.3+meta", "v1.2.3"),
        ("v1.2.3+meta-pre", "v1.2.3"),
        ("v1.2.3+meta-pre.sha.256a", "v1.2.3"),
    ];

    #[test]
    fn is_valid_cases() {
        for &(v, out) in CASES {
            assert_eq!(is_valid(v), !out.is_empty(), "is_valid({v:?})");
        }
    }

    #[test]
    fn canonical_cases() {
        for &(v, out) in CASES {
            let want = (!out.is_empty()).then(|| out.to_owned());
            assert_eq!(canonical(v), want, "canonical({v:?})");
        }
    }

    #[test]
    fn major_cases() {
        for &(v, out) in CASES {
            let want = out.split_once('.').map(|(m, _)| m);
            assert_eq!(major(v), want, "major({v:?})");
        }
    }

    #[test]
    fn prerelease_cases() {
        for &(v, out) in CASES {
            let want = out.find('-').map_or("", |i| &out[i..]);
            assert_eq!(prerelease(v), want, "prerelease({v:?})");
        }
    }

    #[test]
    fn build_cases() {
        for &(v, out) in CASES {
            let want = match v.find('+') {
                Some(i) if !out.is_empty() => &v[i..],
                _ => "",
            };
            assert_eq!(build(v), want, "build({v:?})");
        }
    }

    #[test]
    fn compare_every_pair() {
        for (i, &(vi, outi)) in CASES.iter().enumerate() {
            for (j, &(vj, outj)) in CASES.iter().enumerate() {
                let want = if outi == outj {
                    Ordering::Equal
                } else {
                    i.cmp(&j)
                };
                assert_eq!(compare(vi, vj), want, "compare({vi:?}, {vj:?})");
            }
        }
    }

    #[test]
    fn sort_shuffled() {
        let cases: Vec<String> = CASES.iter().map(|&(v, _)| v.to_owned()).collect();
        let mut want = cases.clone();
        want.sort_by(|a, b| compare(a, b).then_with(|| a.cmp(b)));
        // Fixed permutations stand in for rand.Shuffle: i -> (i * k + 3) mod n, k coprime with n.
        let n = cases.len();
        let gcd = |mut a: usize, mut b: usize| {
            while b != 0 {
                (a, b) = (b, a % b);
            }
            a
        };
        for k in (1..n).filter(|&k| gcd(k, n) == 1) {
            let mut versions: Vec<String> =
                (0..n).map(|i| cases[(i * k + 3) % n].clone()).collect();
            sort(&mut versions);
            assert_eq!(versions, want, "permutation i*{k}+3");
        }
    }

    const COMPARE_CASES: &[(&str, &str, Ordering)] = &[
        // Numbers compare by length first, so huge ones need no integer type.
        ("v1.10.0", "v1.9.0", Ordering::Greater),
        (
            "v1.99999999999999999999.0",
            "v1.100000000000000000000.0",
            Ordering::Less,
        ),
        ("v1.2.0-rc.10", "v1.2.0-rc.2", Ordering::Greater),
        ("v1.2.0-rc.1", "v1.2.0", Ordering::Less),
        ("v1.2.0-1", "v1.2.0-a", Ordering::Less),
        ("v1.2.0-a", "v1.2.0-a.0", Ordering::Less),
        ("v1.0.0+a", "v1.0.0+b", Ordering::Equal),
        ("bad", "also bad", Ordering::Equal),
        ("", "v0.0.0", Ordering::Less),
        ("v2.0.0+incompatible", "v1.99.0", Ordering::Greater),
    ];

    #[test]
    fn compare_cases() {
        for &(v, w, want) in COMPARE_CASES {
            assert_eq!(compare(v, w), want, "compare({v:?}, {w:?})");
            assert_eq!(compare(w, v), want.reverse(), "compare({w:?}, {v:?})");
        }
    }

    #[test]
    fn sort_example() {
        let mut versions: Vec<String> = [
            "v1.10.0",
            "v1.2.0",
            "v1.2.0-rc.10",
            "v0.9.0",
            "v1.2.0-rc.2",
            "v1.2.0-rc.1",
            "v1.2",
            "bad",
        ]
        .map(String::from)
        .into();
        sort(&mut versions);
        let want = [
            "bad",
            "v0.9.0",
            "v1.2.0-rc.1",
            "v1.2.0-rc.2",
            "v1.2.0-rc.10",
            "v1.2",
            "v1.2.0",
            "v1.10.0",
        ];
        assert_eq!(versions, want);
    }

    const CANONICAL_VERSION_CASES: &[(&str, Option<&str>)] = &[
        ("v2.0.0+incompatible", Some("v2.0.0+incompatible")),
        ("v2.0.0+meta", Some("v2.0.0")),
        ("v2.0.0+incompatible.1", Some("v2.0.0")),
        ("v2.0+incompatible", None),
        ("v2", Some("v2.0.0")),
        ("v1.0.0-pre+incompatible", Some("v1.0.0-pre+incompatible")),
        ("bad+incompatible", None),
        ("", None),
    ];

    #[test]
    fn canonical_version_cases() {
        for &(v, want) in CANONICAL_VERSION_CASES {
            assert_eq!(
                canonical_version(v).as_deref(),
                want,
                "canonical_version({v:?})"
            );
        }
    }
}
