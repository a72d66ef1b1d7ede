// Ported from golang.org/x/mod (module/module.go) and Go's path/match.go. Copyright 2010, 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Module path patterns, as `GONOSUMDB`, `GOPRIVATE` and `GONOPROXY` take them (x/mod
//! `module.MatchPrefixPatterns`, over Go's `path.Match`).
//!
//! - A pattern is a glob in `path.Match` syntax: `*` is any run of characters but `/`, `?` one
//!   character but `/`, `[a-z]` and `[^a-z]` classes, `\` escapes the next character.
//! - A pattern with `N` slashes matches a module path when it matches the path's first `N + 1`
//!   elements: `corp.example` matches `corp.example/lib/v2`, `*/quote` matches
//!   `rsc.io/quote/v3`, `rsc` does not match `rsc.io/quote`. One trailing slash is ignored.
//! - A malformed pattern matches nothing, as in the go command; [`check_prefix_pattern`]
//!   tells a configuration reader which patterns those are.

/// x/mod `MatchPrefixPatterns`: whether any of `patterns` matches a prefix of `target`'s path
/// elements. Empty patterns (and `/`) are skipped. The go command's variables are
/// comma-separated lists: pass `list.split(',')`.
pub fn match_prefix_patterns<P: AsRef<str>>(
    patterns: impl IntoIterator<Item = P>,
    target: &str,
) -> bool {
    patterns.into_iter().any(|pattern| {
        let pattern = pattern.as_ref();
        let pattern = pattern.strip_suffix('/').unwrap_or(pattern);
        if pattern.is_empty() {
            return false;
        }
        // A pattern of N+1 elements is matched against target's first N+1 elements, which end
        // just before its N+1'th slash.
        let slashes = pattern.matches('/').count();
        let mut ends = target.match_indices('/').map(|(i, _)| i);
        let prefix = match ends.nth(slashes) {
            Some(end) => &target[..end],
            None if target.matches('/').count() == slashes => target,
            None => return false,
        };
        glob_match(pattern.as_bytes(), prefix.as_bytes()) == Ok(true)
    })
}

/// Whether `pattern` is a well-formed glob, so that [`match_prefix_patterns`] can ever match it.
pub fn check_prefix_pattern(pattern: &str) -> bool {
    glob_match(pattern.as_bytes(), b"").is_ok()
}

/// A glob that Go's `path.Match` refuses (`ErrBadPattern`).
#[derive(Debug, PartialEq, Eq)]
struct BadPattern;

/// Go's `path.Match`: the whole of `name` against `pattern`. Like Go (since 1.16), a malformed
/// pattern is reported even when the name fails to match before the malformed part.
fn glob_match(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing * matches the rest of the element.
            return Ok(!name.contains(&b'/'));
        }
        // Look for a match at the current position.
        let (matched, error) = split(match_chunk(chunk, name));
        if let Some(t) = matched
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        error?;
        if star {
            // Look for a match skipping i+1 bytes; * cannot skip a slash.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                let (matched, error) = split(match_chunk(chunk, &name[i + 1..]));
                if let Some(t) = matched {
                    // On the last chunk, only a match that uses all of name will do.
                    if !pattern.is_empty() || t.is_empty() {
                        name = t;
                        continue 'pattern;
                    }
                }
                error?;
                i += 1;
            }
        }
        // No match: check the rest of the pattern for syntax errors before giving up.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// A chunk's outcome as (what is left of the name on a match, the error on bad syntax).
fn split(result: Result<Option<&[u8]>, BadPattern>) -> (Option<&[u8]>, Result<(), BadPattern>) {
    match result {
        Ok(matched) => (matched, Ok(())),
        Err(e) => (None, Err(e)),
    }
}

/// Go's `scanChunk`: leading stars, then the chunk up to the next star outside a class.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let [b'*', rest @ ..] = pattern {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &pattern[..i], &pattern[i..])
}

/// Go's `matchChunk`: matches `chunk` (no stars) at the start of `s`, returning the rest of
/// `s` on a match. The whole chunk is always read, so bad syntax is found even on a mismatch.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = &s[n..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&b']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk[0] == b'-' {
                        (hi, chunk) = get_esc(&chunk[1..])?;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    s = &s[decode_rune(s).1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok((!failed).then_some(s))
}

/// Go's `getEsc`: one possibly escaped character of a class, which must not end the pattern.
fn get_esc(mut chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    if matches!(chunk.first(), None | Some(b'-' | b']')) {
        return Err(BadPattern);
    }
    if chunk[0] == b'\\' {
        chunk = &chunk[1..];
    }
    let (r, n) = decode_rune(chunk);
    if n == 0 || (r == RUNE_ERROR && n == 1) || chunk.len() == n {
        return Err(BadPattern);
    }
    Ok((r, &chunk[n..]))
}

/// Go's `utf8.RuneError`.
const RUNE_ERROR: u32 = 0xFFFD;

/// Go's `utf8.DecodeRune`: the first character and its length; `RUNE_ERROR` and 1 for a byte
/// that starts no valid character, 0 for nothing.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    if s.is_empty() {
        return (RUNE_ERROR, 0);
    }
    let head = &s[..s.len().min(4)];
    let valid = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    valid
        .chars()
        .next()
        .map_or((RUNE_ERROR, 1), |c| (u32::from(c), c.len_utf8()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x/mod `TestMatchPrefixPatterns`.
    const PREFIX_CASES: &[(&str, &str, bool)] = &[
        ("", "rsc.io/quote", false),
        ("/", "rsc.io/quote", false),
        ("*/quote", "rsc.io/quote", true),
        ("*/quo", "rsc.io/quote", false),
        ("*/quo??", "rsc.io/quote", true),
        ("*/quo*", "rsc.io/quote", true),
        ("*quo*", "rsc.io/quote", false),
        ("rsc.io", "rsc.io/quote", true),
        ("*.io", "rsc.io/quote", true),
        ("rsc.io/", "rsc.io/quote", true),
        ("rsc", "rsc.io/quote", false),
        ("rsc*", "rsc.io/quote", true),
        ("rsc.io", "rsc.io/quote/v3", true),
        ("*/quote", "rsc.io/quote/v3", true),
        ("*/quote/", "rsc.io/quote/v3", true),
        ("*/quote/*", "rsc.io/quote/v3", true),
        ("*/quote/*/", "rsc.io/quote/v3", true),
        ("*/v3", "rsc.io/quote/v3", false),
        ("*/*/v3", "rsc.io/quote/v3", true),
        ("*/*/*", "rsc.io/quote/v3", true),
        ("*/*/*/", "rsc.io/quote/v3", true),
        ("*/*/*", "rsc.io/quote", false),
        ("*/*/*/", "rsc.io/quote", false),
        ("*/*/*,,", "rsc.io/quote", false),
        ("*/*/*,,*/quote", "rsc.io/quote", true),
        (",,*/quote", "rsc.io/quote", true),
        // Ours: a bad pattern matches nothing; the rest of the list still counts.
        ("rsc.io[", "rsc.io/quote", false),
        ("rsc.io[,rsc.io", "rsc.io/quote", true),
    ];

    #[test]
    fn match_prefix_patterns_cases() {
        for &(globs, target, want) in PREFIX_CASES {
            assert_eq!(
                match_prefix_patterns(globs.split(','), target),
                want,
                "match_prefix_patterns({globs:?}, {target:?})"
            );
        }
    }

    /// Go's `path` `matchTests`: pattern, name, match, bad pattern.
    const GLOB_CASES: &[(&str, &str, bool, bool)] = &[
        ("abc", "abc", true, false),
        ("*", "abc", true, false),
        ("*c", "abc", true, false),
        ("a*", "a", true, false),
        ("a*", "abc", true, false),
        ("a*", "ab/c", false, false),
        ("a*/b", "abc/b", true, false),
        ("a*/b", "a/c/b", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false),
        ("a*b?c*x", "abxbbxdbxebxczzx", true, false),
        ("a*b?c*x", "abxbbxdbxebxczzy", false, false),
        ("ab[c]", "abc", true, false),
        ("ab[b-d]", "abc", true, false),
        ("ab[e-g]", "abc", false, false),
        ("ab[^c]", "abc", false, false),
        ("ab[^b-d]", "abc", false, false),
        ("ab[^e-g]", "abc", true, false),
        ("a\\*b", "a*b", true, false),
        ("a\\*b", "ab", false, false),
        ("a?b", "a☺b", true, false),
        ("a[^a]b", "a☺b", true, false),
        ("a???b", "a☺b", false, false),
        ("a[^a][^a][^a]b", "a☺b", false, false),
        ("[a-ζ]*", "α", true, false),
        ("*[a-ζ]", "A", false, false),
        ("a?b", "a/b", false, false),
        ("a*b", "a/b", false, false),
        ("[\\]a]", "]", true, false),
        ("[\\-]", "-", true, false),
        ("[x\\-]", "x", true, false),
        ("[x\\-]", "-", true, false),
        ("[x\\-]", "z", false, false),
        ("[\\-x]", "x", true, false),
        ("[\\-x]", "-", true, false),
        ("[\\-x]", "a", false, false),
        ("[]a]", "]", false, true),
        ("[-]", "-", false, true),
        ("[x-]", "x", false, true),
        ("[x-]", "-", false, true),
        ("[x-]", "z", false, true),
        ("[-x]", "x", false, true),
        ("[-x]", "-", false, true),
        ("[-x]", "a", false, true),
        ("\\", "a", false, true),
        ("[a-b-c]", "a", false, true),
        ("[", "a", false, true),
        ("[^", "a", false, true),
        ("[^bc", "a", false, true),
        ("a[", "a", false, true),
        ("a[", "ab", false, true),
        ("a[", "x", false, true),
        ("a/b[", "x", false, true),
        ("*x", "xxx", true, false),
    ];

    #[test]
    fn glob_match_cases() {
        for &(pattern, name, matched, bad) in GLOB_CASES {
            let want = if bad { Err(BadPattern) } else { Ok(matched) };
            assert_eq!(
                glob_match(pattern.as_bytes(), name.as_bytes()),
                want,
                "glob_match({pattern:?}, {name:?})"
            );
            assert_eq!(check_prefix_pattern(pattern), !bad, "{pattern:?}");
        }
    }
}
