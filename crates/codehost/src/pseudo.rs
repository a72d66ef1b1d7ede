// Ported from golang.org/x/mod's module/pseudo.go and module/module.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The parts of x/mod's pseudo-version and major-version helpers that `gomod` does not
//! have yet (`PseudoVersion`, `PseudoVersionBase`, `PseudoVersionRev`, `PathMajorPrefix`,
//! `MatchPathMajor`, `CanonicalVersion`'s build rule, `modfile.ModulePath`), and the UTC
//! time formats the go command writes. Candidates to move into `gomod`.

/// `semver.Build`: the `+build` suffix of a valid version, or "".
pub(crate) fn build(v: &str) -> &str {
    if !gomod::is_valid(v) {
        return "";
    }
    v.find('+').map_or("", |i| &v[i..])
}

/// `module.MatchPathMajor`.
pub(crate) fn match_path_major(v: &str, path_major: &str) -> bool {
    gomod::check_path_major(v, path_major).is_ok()
}

/// `module.PathMajorPrefix`: `"/v2"` → `"v2"`, `".v1-unstable"` → `"v1"`, `""` → `""`.
pub(crate) fn path_major_prefix(path_major: &str) -> &str {
    if path_major.is_empty() {
        return "";
    }
    let mut m = path_major;
    if m.starts_with(".v") {
        m = m.strip_suffix("-unstable").unwrap_or(m);
    }
    &m[1..]
}

/// `module.PseudoVersion`: the pseudo-version for a commit at `time` (Unix seconds) with
/// the 12-digit `rev`, above the tag `older` (may be "") and in major version `major`
/// (may be "" for v0).
pub(crate) fn pseudo_version(major: &str, older: &str, time: i64, rev: &str) -> String {
    let major = if major.is_empty() { "v0" } else { major };
    let segment = format!("{}-{rev}", pseudo_time(time));
    let build = build(older);
    let Some(older) = gomod::canonical(older) else {
        return format!("{major}.0.0-{segment}"); // form (1)
    };
    if !gomod::prerelease(&older).is_empty() {
        return format!("{older}.0.{segment}{build}"); // form (4), (5)
    }
    let i = older.rfind('.').map_or(0, |i| i + 1);
    let (v, patch) = older.split_at(i);
    format!("{v}{}-0.{segment}{build}", inc_decimal(patch))
}

fn inc_decimal(decimal: &str) -> String {
    let mut digits = decimal.as_bytes().to_vec();
    let mut i = digits.len();
    while i > 0 && digits[i - 1] == b'9' {
        digits[i - 1] = b'0';
        i -= 1;
    }
    if i > 0 {
        digits[i - 1] += 1;
    } else {
        digits.insert(0, b'1');
    }
    String::from_utf8_lossy(&digits).into_owned()
}

fn dec_decimal(decimal: &str) -> Option<String> {
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

/// The parts of a pseudo-version: base, timestamp, revision, build.
struct Parts<'a> {
    base: &'a str,
    timestamp: &'a str,
    rev: &'a str,
    build: &'a str,
}

fn parse(v: &str) -> Option<Parts<'_>> {
    if !gomod::is_pseudo_version(v) {
        return None;
    }
    let build = build(v);
    let v = &v[..v.len() - build.len()];
    let j = v.rfind('-')?;
    let (v, rev) = (&v[..j], &v[j + 1..]);
    let i = v.rfind('-')?;
    let (base, timestamp) = match v.rfind('.') {
        Some(j) if j > i => (&v[..j], &v[j + 1..]),
        _ => (&v[..i], &v[i + 1..]),
    };
    Some(Parts {
        base,
        timestamp,
        rev,
        build,
    })
}

/// `module.PseudoVersionRev`: the commit-hash prefix of a pseudo-version.
pub(crate) fn pseudo_version_rev(v: &str) -> Option<&str> {
    parse(v).map(|p| p.rev)
}

/// The timestamp of a pseudo-version, `yyyymmddhhmmss`.
pub(crate) fn pseudo_version_timestamp(v: &str) -> Option<&str> {
    parse(v).map(|p| p.timestamp)
}

/// `module.PseudoVersionBase`: the tag a pseudo-version is above, "" for none; `Err` with
/// the go command's reason when the pseudo-version cannot have one.
pub(crate) fn pseudo_version_base(v: &str) -> Result<String, String> {
    let Some(Parts { base, build, .. }) = parse(v) else {
        return Err("syntax error".into());
    };
    match gomod::prerelease(base) {
        "" => {
            if !build.is_empty() {
                return Err(format!(
                    "lacks base version, but has build metadata {build:?}"
                ));
            }
            Ok(String::new())
        }
        "-0" => {
            let base = &base[..base.len() - 2];
            let i = base.rfind('.').ok_or("syntax error")?;
            match dec_decimal(&base[i + 1..]) {
                Some(patch) => Ok(format!("{}{patch}{build}", &base[..=i])),
                None => Err(format!(
                    "version before {base} would have negative patch number"
                )),
            }
        }
        _ => Ok(format!(
            "{}{build}",
            base.strip_suffix(".0").unwrap_or(base)
        )),
    }
}

/// `module.CanonicalVersion`: `semver.Canonical`, keeping a `+incompatible` suffix.
pub(crate) fn canonical_version(v: &str) -> String {
    gomod::canonical_version(v).unwrap_or_default()
}

/// `semver.Canonical`, "" for an invalid version.
pub(crate) fn canonical(v: &str) -> String {
    gomod::canonical(v).unwrap_or_default()
}

/// `semver.Major`, "" for an invalid version.
pub(crate) fn major(v: &str) -> &str {
    gomod::major(v).unwrap_or("")
}

/// `modfile.ModulePath`: the path of the first `module` line, "" if there is none or it is
/// malformed. As lax as the go command: no full parse.
pub(crate) fn go_mod_module_path(go_mod: &[u8]) -> String {
    for line in go_mod.split(|&b| b == b'\n') {
        let line = match find(line, b"//") {
            Some(i) => &line[..i],
            None => line,
        };
        let line = line.trim_ascii();
        let Some(rest) = line.strip_prefix(b"module") else {
            continue;
        };
        let trimmed = rest.trim_ascii();
        if trimmed.len() == rest.len() || trimmed.is_empty() {
            continue;
        }
        if trimmed[0] == b'"' || trimmed[0] == b'`' {
            return unquote(trimmed).unwrap_or_default();
        }
        return String::from_utf8_lossy(trimmed).into_owned();
    }
    String::new()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Go's `strconv.Unquote` for the simple cases a module path can be: a raw string, or an
/// interpreted string whose escapes are `\"`, `\\` and the one-letter escapes.
fn unquote(s: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(s).ok()?;
    if let Some(raw) = s.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        return (!raw.contains('`')).then(|| raw.replace('\r', ""));
    }
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => out.push(match chars.next()? {
                '"' => '"',
                '\\' => '\\',
                '\'' => return None,
                'a' => '\x07',
                'b' => '\x08',
                'f' => '\x0c',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                'v' => '\x0b',
                _ => return None,
            }),
            c => out.push(c),
        }
    }
    Some(out)
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn utc_parts(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `yyyymmddhhmmss` in UTC, the timestamp of a pseudo-version.
pub(crate) fn pseudo_time(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// RFC 3339 in UTC, as Go's `time.Time` marshals to JSON for whole seconds:
/// `2024-03-01T10:00:00Z`.
pub(crate) fn rfc3339(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_versions() {
        // x/mod's pseudoTests, at its fixed time 2018-02-10 18:40:37 UTC.
        let t = 1_518_288_037;
        const CASES: &[(&str, &str, &str)] = &[
            ("", "", "v0.0.0-20180210184037-123456789abc"),
            ("", "v0.0.0", "v0.0.1-0.20180210184037-123456789abc"),
            ("", "v1.2.3", "v1.2.4-0.20180210184037-123456789abc"),
            (
                "",
                "v1.2.99999999999999999",
                "v1.2.100000000000000000-0.20180210184037-123456789abc",
            ),
            ("", "v1.2.3-pre", "v1.2.3-pre.0.20180210184037-123456789abc"),
            ("", "v1.3.0-pre", "v1.3.0-pre.0.20180210184037-123456789abc"),
            ("", "v0.0.0--", "v0.0.0--.0.20180210184037-123456789abc"),
            ("v1", "", "v1.0.0-20180210184037-123456789abc"),
            ("v2", "", "v2.0.0-20180210184037-123456789abc"),
            (
                "v2",
                "v2.0.0+incompatible",
                "v2.0.1-0.20180210184037-123456789abc+incompatible",
            ),
        ];
        for (major, older, want) in CASES {
            let v = pseudo_version(major, older, t, "123456789abc");
            assert_eq!(v, *want, "{major} {older}");
            assert!(gomod::is_pseudo_version(&v), "{v}");
            assert_eq!(pseudo_version_rev(&v), Some("123456789abc"));
            assert_eq!(pseudo_version_timestamp(&v), Some("20180210184037"));
            let base = pseudo_version_base(&v).unwrap();
            let want_base = if older.is_empty() { "" } else { *older };
            assert_eq!(base, want_base, "{v}");
        }
        assert_eq!(rfc3339(t), "2018-02-10T18:40:37Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(pseudo_time(951_782_400), "20000229000000");
    }

    #[test]
    fn module_paths_from_go_mod() {
        const CASES: &[(&str, &str)] = &[
            ("module x.example/m\n", "x.example/m"),
            (
                "// c\n  module   x.example/m // c\ngo 1.19\n",
                "x.example/m",
            ),
            ("module \"x.example/q\"\n", "x.example/q"),
            ("module `x.example/r`\n", "x.example/r"),
            ("modulex x.example/m\n", ""),
            ("module\n", ""),
            ("go 1.19\n", ""),
            ("module \"bad\n", ""),
        ];
        for (go_mod, want) in CASES {
            assert_eq!(go_mod_module_path(go_mod.as_bytes()), *want, "{go_mod:?}");
        }
    }
}
