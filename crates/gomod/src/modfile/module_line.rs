// Ported from golang.org/x/mod (modfile/read.go, modfile/rule.go, modfile/read_test.go) and Go's cmd/go/internal/modfetch/coderepo.go (LegacyGoMod). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The `module` line on its own: read from a go.mod without parsing the rest (x/mod
//! `ModulePath`), and written, quoted where it must be (x/mod `AutoQuote`), as the whole go.mod
//! of a module that has none (the go command's `LegacyGoMod`).

use super::{ModFile, unquote};
use crate::error::{needs_escape, quote};

impl ModFile {
    /// x/mod `modfile.ModulePath`: the path of the first `module` line of a go.mod, unquoted;
    /// empty when there is none or it is malformed.
    ///
    /// Much laxer than [`parse_lax`](Self::parse_lax), as the go command is when all it wants
    /// is the path: each line is looked at alone, up to any `//`, so a go.mod that does not
    /// parse still gives its path.
    ///
    /// ```
    /// let go_mod = b"// The hello module.\nmodule \"example.com/hello\" // quoted\n\ngo 1.19\n";
    /// assert_eq!(gomod::ModFile::module_path(go_mod), "example.com/hello");
    /// assert_eq!(gomod::ModFile::module_path(b"go 1.19\n"), "");
    /// ```
    pub fn module_path(go_mod: &[u8]) -> String {
        for line in go_mod.split(|&b| b == b'\n') {
            let line = match line.windows(2).position(|w| w == b"//") {
                Some(i) => &line[..i],
                None => line,
            };
            let Some(rest) = trim_space(line).strip_prefix(b"module") else {
                continue;
            };
            let path = trim_space(rest);
            if path.len() == rest.len() || path.is_empty() {
                continue;
            }
            if path[0] == b'"' || path[0] == b'`' {
                // A malformed quoted string, or a module path over several lines.
                return go_unquote(path).unwrap_or_default();
            }
            return String::from_utf8_lossy(path).into_owned();
        }
        String::new()
    }
}

/// Go's `bytes.TrimSpace`: without the leading and trailing white space (Unicode's, as
/// `unicode.IsSpace` has it); bytes that are not UTF-8 are not space.
fn trim_space(mut b: &[u8]) -> &[u8] {
    let is_space =
        |s: &[u8]| std::str::from_utf8(s).is_ok_and(|s| s.chars().all(char::is_whitespace));
    while let Some(n) = (1..=b.len().min(4)).find(|&n| std::str::from_utf8(&b[..n]).is_ok()) {
        if !is_space(&b[..n]) {
            break;
        }
        b = &b[n..];
    }
    while let Some(n) =
        (1..=b.len().min(4)).find(|&n| std::str::from_utf8(&b[b.len() - n..]).is_ok())
    {
        if !is_space(&b[b.len() - n..]) {
            break;
        }
        b = &b[..b.len() - n];
    }
    b
}

/// Go's `strconv.Unquote` of a string in double quotes or back quotes.
fn go_unquote(s: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(s).ok()?;
    match s.strip_prefix('`').and_then(|s| s.strip_suffix('`')) {
        // A raw string: anything but a back quote, carriage returns dropped.
        Some(raw) => (!raw.contains('`')).then(|| raw.replace('\r', "")),
        None => unquote(s),
    }
}

/// x/mod `modfile.AutoQuote`: `s`, quoted as Go's `strconv.Quote` does if it could not be read
/// back from a go.mod as one token otherwise (x/mod `MustQuote`).
///
/// ```
/// assert_eq!(gomod::auto_quote("example.com/hello"), "example.com/hello");
/// assert_eq!(gomod::auto_quote("example.com/a b"), r#""example.com/a b""#);
/// assert_eq!(gomod::auto_quote(""), r#""""#);
/// ```
pub fn auto_quote(s: &str) -> String {
    if must_quote(s) {
        quote(s)
    } else {
        s.to_owned()
    }
}

/// x/mod `modfile.MustQuote`: a space or a quote, punctuation unless alone, a character that is
/// not printable, a comment, or nothing.
fn must_quote(s: &str) -> bool {
    let needs = |c: char| match c {
        ' ' | '"' | '\'' | '`' => true,
        '(' | ')' | '[' | ']' | '{' | '}' | ',' => s.len() > 1,
        c => needs_escape(c),
    };
    s.chars().any(needs) || s.is_empty() || s.contains("//") || s.contains("/*")
}

/// The go.mod the go command gives a module version that has none (`modfetch.LegacyGoMod`):
/// just its `module` line.
///
/// ```
/// assert_eq!(gomod::legacy_go_mod("example.com/old"), b"module example.com/old\n");
/// ```
pub fn legacy_go_mod(module_path: &str) -> Vec<u8> {
    format!("module {}\n", auto_quote(module_path)).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// x/mod `read_test.go` `modulePathTests`, then ours.
    const MODULE_PATH_CASES: &[(&str, &str)] = &[
        (
            "module \"github.com/rsc/vgotest\"",
            "github.com/rsc/vgotest",
        ),
        ("module github.com/rsc/vgotest", "github.com/rsc/vgotest"),
        (
            "module  \"github.com/rsc/vgotest\"",
            "github.com/rsc/vgotest",
        ),
        ("module  github.com/rsc/vgotest", "github.com/rsc/vgotest"),
        ("module `github.com/rsc/vgotest`", "github.com/rsc/vgotest"),
        (
            "module \"github.com/rsc/vgotest/v2\"",
            "github.com/rsc/vgotest/v2",
        ),
        (
            "module github.com/rsc/vgotest/v2",
            "github.com/rsc/vgotest/v2",
        ),
        ("module \"gopkg.in/yaml.v2\"", "gopkg.in/yaml.v2"),
        ("module gopkg.in/yaml.v2", "gopkg.in/yaml.v2"),
        ("module \"gopkg.in/check.v1\"\n", "gopkg.in/check.v1"),
        ("module \"gopkg.in/check.v1\n\"", ""),
        ("module gopkg.in/check.v1\n", "gopkg.in/check.v1"),
        ("module \"gopkg.in/check.v1\"\r\n", "gopkg.in/check.v1"),
        ("module gopkg.in/check.v1\r\n", "gopkg.in/check.v1"),
        ("module \"gopkg.in/check.v1\"\n\n", "gopkg.in/check.v1"),
        ("module gopkg.in/check.v1\n\n", "gopkg.in/check.v1"),
        ("module \n\"gopkg.in/check.v1\"\n\n", ""),
        ("module \ngopkg.in/check.v1\n\n", ""),
        ("module \"gopkg.in/check.v1\"asd", ""),
        ("module  \nmodule a/b/c ", "a/b/c"),
        ("module \"   \"", "   "),
        ("module   ", ""),
        ("module \"  a/b/c  \"", "  a/b/c  "),
        (
            "module \"github.com/rsc/vgotest1\" // with a comment",
            "github.com/rsc/vgotest1",
        ),
        // Ours.
        (
            "// c\n  module   x.example/m // c\ngo 1.19\n",
            "x.example/m",
        ),
        ("modulex x.example/m\n", ""),
        ("module\n", ""),
        ("go 1.19\n", ""),
        ("module \"bad\n", ""),
        ("module `a\rb`\n", "ab"),
        ("module `a`b`\n", ""),
        ("module \"a\\u00e9\"\n", "aé"),
        ("\u{a0}module\u{2003}x.example/m\u{85}\n", "x.example/m"),
        ("module\u{a0}x.example/m\n", "x.example/m"),
    ];

    #[test]
    fn module_path_like_x_mod() {
        for &(go_mod, want) in MODULE_PATH_CASES {
            assert_eq!(ModFile::module_path(go_mod.as_bytes()), want, "{go_mod:?}");
        }
        // Bytes that are not UTF-8 are kept, as Go keeps them, but shown as U+FFFD.
        assert_eq!(ModFile::module_path(b"module a\xffb\n"), "a\u{fffd}b");
    }

    /// (string, `AutoQuote`): ours, as x/mod 0.7.0 answers.
    const AUTO_QUOTE_CASES: &[(&str, &str)] = &[
        ("example.com/m", "example.com/m"),
        ("", r#""""#),
        ("a b", r#""a b""#),
        ("a\"b", r#""a\"b""#),
        ("a'b", r#""a'b""#),
        ("a`b", r#""a`b""#),
        ("(", "("),
        ("a(", r#""a(""#),
        (",", ","),
        ("a,b", r#""a,b""#),
        ("a//b", r#""a//b""#),
        ("a/*b", r#""a/*b""#),
        ("a/b", "a/b"),
        ("a\tb", r#""a\tb""#),
        ("a\u{1}b", r#""a\x01b""#),
        ("é", "é"),
        ("a\u{a0}b", r#""a\u00a0b""#),
    ];

    #[test]
    fn auto_quote_like_x_mod() {
        for &(s, want) in AUTO_QUOTE_CASES {
            assert_eq!(auto_quote(s), want, "auto_quote({s:?})");
        }
        assert_eq!(legacy_go_mod("a b"), b"module \"a b\"\n");
    }
}
