// Ported from golang.org/x/mod (zip/zip.go) and Go's unicode/tables.go. Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Which paths collide on a case-insensitive file system (x/mod `collisionChecker`), by
//! x/mod's `strToFold`: a key that is equal for two paths exactly when they collide, so
//! collisions are found with one map instead of comparing every pair.
//!
//! Each character is replaced by the smallest member of its `unicode.SimpleFold` orbit, then
//! `A`–`Z` by `a`–`z`. Go's `SimpleFold` walks the small `caseOrbit` table for the characters
//! with more than two case forms (`K`, `k` and the Kelvin sign `K`) or with one of their own
//! (`İ`, `ı`), and otherwise pairs a character with its simple lower or upper case. The table
//! is copied from Go 1.19's `unicode/tables.go`; for the rest, Rust's case mappings stand in
//! for Go's where they are a single character. Where Rust's mapping is several characters (`ß`
//! upper-cases to `SS`), Go's simple mapping has nothing or a larger partner, so the minimum
//! comes out the same.

use std::collections::HashMap;

use super::FileErrorKind;
use super::gopath::dir;

/// Go's `caseOrbit`: each entry maps a character to the next in its orbit.
const CASE_ORBIT: &[(u32, u32)] = &[
    (0x004B, 0x006B),
    (0x0053, 0x0073),
    (0x006B, 0x212A),
    (0x0073, 0x017F),
    (0x00B5, 0x039C),
    (0x00C5, 0x00E5),
    (0x00DF, 0x1E9E),
    (0x00E5, 0x212B),
    (0x0130, 0x0130),
    (0x0131, 0x0131),
    (0x017F, 0x0053),
    (0x01C4, 0x01C5),
    (0x01C5, 0x01C6),
    (0x01C6, 0x01C4),
    (0x01C7, 0x01C8),
    (0x01C8, 0x01C9),
    (0x01C9, 0x01C7),
    (0x01CA, 0x01CB),
    (0x01CB, 0x01CC),
    (0x01CC, 0x01CA),
    (0x01F1, 0x01F2),
    (0x01F2, 0x01F3),
    (0x01F3, 0x01F1),
    (0x0345, 0x0399),
    (0x0392, 0x03B2),
    (0x0395, 0x03B5),
    (0x0398, 0x03B8),
    (0x0399, 0x03B9),
    (0x039A, 0x03BA),
    (0x039C, 0x03BC),
    (0x03A0, 0x03C0),
    (0x03A1, 0x03C1),
    (0x03A3, 0x03C2),
    (0x03A6, 0x03C6),
    (0x03A9, 0x03C9),
    (0x03B2, 0x03D0),
    (0x03B5, 0x03F5),
    (0x03B8, 0x03D1),
    (0x03B9, 0x1FBE),
    (0x03BA, 0x03F0),
    (0x03BC, 0x00B5),
    (0x03C0, 0x03D6),
    (0x03C1, 0x03F1),
    (0x03C2, 0x03C3),
    (0x03C3, 0x03A3),
    (0x03C6, 0x03D5),
    (0x03C9, 0x2126),
    (0x03D0, 0x0392),
    (0x03D1, 0x03F4),
    (0x03D5, 0x03A6),
    (0x03D6, 0x03A0),
    (0x03F0, 0x039A),
    (0x03F1, 0x03A1),
    (0x03F4, 0x0398),
    (0x03F5, 0x0395),
    (0x0412, 0x0432),
    (0x0414, 0x0434),
    (0x041E, 0x043E),
    (0x0421, 0x0441),
    (0x0422, 0x0442),
    (0x042A, 0x044A),
    (0x0432, 0x1C80),
    (0x0434, 0x1C81),
    (0x043E, 0x1C82),
    (0x0441, 0x1C83),
    (0x0442, 0x1C84),
    (0x044A, 0x1C86),
    (0x0462, 0x0463),
    (0x0463, 0x1C87),
    (0x1C80, 0x0412),
    (0x1C81, 0x0414),
    (0x1C82, 0x041E),
    (0x1C83, 0x0421),
    (0x1C84, 0x1C85),
    (0x1C85, 0x0422),
    (0x1C86, 0x042A),
    (0x1C87, 0x0462),
    (0x1C88, 0xA64A),
    (0x1E60, 0x1E61),
    (0x1E61, 0x1E9B),
    (0x1E9B, 0x1E60),
    (0x1E9E, 0x00DF),
    (0x1FBE, 0x0345),
    (0x2126, 0x03A9),
    (0x212A, 0x004B),
    (0x212B, 0x00C5),
    (0xA64A, 0xA64B),
    (0xA64B, 0x1C88),
];

/// x/mod `collisionChecker`: finds case-fold collisions, and names used both as a file and as
/// a directory, across a path and all its parents.
#[derive(Default)]
pub(super) struct Collisions {
    /// Folded path → (path as first seen, whether it is a directory).
    seen: HashMap<String, (String, bool)>,
}

impl Collisions {
    /// Records `path` (a directory when `is_dir`) and each of its parents, as x/mod's
    /// `check` does; `Err` for the first that collides with a path already recorded.
    pub(super) fn check(&mut self, path: &str, is_dir: bool) -> Result<(), FileErrorKind> {
        let mut p = path.to_owned();
        let mut is_dir = is_dir;
        loop {
            match self.seen.get(&str_to_fold(&p)) {
                Some((other, other_is_dir)) => {
                    if *other != p {
                        return Err(FileErrorKind::CaseCollision {
                            first: other.clone(),
                            second: p,
                        });
                    }
                    if is_dir != *other_is_dir {
                        return Err(FileErrorKind::FileAndDirectory { path: p });
                    }
                    if !is_dir {
                        return Err(FileErrorKind::Duplicate { path: p });
                    }
                    // The same directory again: every file in it checks it.
                }
                None => {
                    self.seen.insert(str_to_fold(&p), (p.clone(), is_dir));
                }
            }
            let parent = dir(&p);
            if parent == "." || parent == p {
                return Ok(());
            }
            p = parent;
            is_dir = true;
        }
    }
}

/// x/mod `strToFold`.
pub(super) fn str_to_fold(s: &str) -> String {
    // Most paths are lower-case ASCII already.
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        return s.to_owned();
    }
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    let min = orbit_min(c).unwrap_or_else(|| {
        [Some(c), single(c.to_lowercase()), single(c.to_uppercase())]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(c)
    });
    min.to_ascii_lowercase()
}

/// The smallest character in `c`'s `caseOrbit` cycle, if it has one.
fn orbit_min(c: char) -> Option<char> {
    let next = |c: u32| {
        CASE_ORBIT
            .binary_search_by_key(&c, |&(from, _)| from)
            .ok()
            .map(|i| CASE_ORBIT[i].1)
    };
    let start = u32::from(c);
    let mut min = start;
    let mut at = next(start)?;
    // Every orbit is a cycle of at most four; the bound only guards against a bad table.
    for _ in 0..CASE_ORBIT.len() {
        if at == start {
            break;
        }
        min = min.min(at);
        at = next(at)?;
    }
    char::from_u32(min)
}

fn single(mut mapped: impl Iterator<Item = char>) -> Option<char> {
    let first = mapped.next()?;
    mapped.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (input, Go's strToFold): computed by x/mod 0.7.0 with Go 1.19.
    const CASES: &[(&str, &str)] = &[
        ("abc", "abc"),
        ("ABC", "abc"),
        ("M.GO", "m.go"),
        // K, k and the Kelvin sign are one orbit; so are s, S and ſ.
        ("\u{212a}", "k"),
        ("\u{17f}", "s"),
        // µ (micro sign) is the smallest of µ, Μ, μ.
        ("\u{3bc}", "\u{b5}"),
        ("\u{39c}", "\u{b5}"),
        // ι's orbit starts at the combining ypogegrammeni.
        ("\u{3b9}", "\u{345}"),
        ("\u{1fbe}", "\u{345}"),
        // İ and ı are orbits of their own.
        ("\u{130}", "\u{130}"),
        ("\u{131}", "\u{131}"),
        ("I", "i"),
        ("ß", "ß"),
        ("\u{1e9e}", "ß"),
        ("Ǆ", "Ǆ"),
        ("ǅ", "Ǆ"),
        ("ǆ", "Ǆ"),
        ("Å", "\u{c5}"),
        ("\u{212b}", "\u{c5}"),
        ("Ωω\u{2126}", "ΩΩΩ"),
        ("испытание", "ИСПЫТАНИЕ"),
        ("ᾀ", "ᾀ"),
        ("ᾈ", "ᾀ"),
    ];

    #[test]
    fn fold_like_go() {
        for &(s, want) in CASES {
            assert_eq!(str_to_fold(s), want, "str_to_fold({s:?})");
        }
    }

    #[test]
    fn table_is_sorted_and_cyclic() {
        assert!(CASE_ORBIT.windows(2).all(|w| w[0].0 < w[1].0));
        for &(from, _) in CASE_ORBIT {
            let c = char::from_u32(from).unwrap();
            assert!(orbit_min(c).is_some(), "{c:?} is on no cycle");
        }
    }

    #[test]
    fn collisions() {
        let mut c = Collisions::default();
        assert!(c.check("a/b.go", false).is_ok());
        assert!(c.check("a/c.go", false).is_ok());
        assert_eq!(
            c.check("A/d.go", false).unwrap_err().to_string(),
            r#"case-insensitive file name collision: "a" and "A""#
        );
        assert_eq!(
            c.check("a", false).unwrap_err().to_string(),
            r#"entry "a" is both a file and a directory"#
        );
        assert_eq!(
            c.check("a/b.go", false).unwrap_err().to_string(),
            r#"multiple entries for file "a/b.go""#
        );
        assert!(c.check("a", true).is_ok());
    }
}
