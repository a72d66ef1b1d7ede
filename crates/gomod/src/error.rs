// Ported from golang.org/x/mod (module/module.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Errors that carry their input, in the words the `go` command uses.
//!
//! x/mod has three error types (`ModuleError`, `InvalidVersionError`, `InvalidPathError`) and a rule
//! that a `ModuleError` may wrap an `InvalidVersionError` but never the reverse. Here the nesting is
//! flattened into one struct: `path` and `version` are the outer `ModuleError`'s fields and `kind`
//! is the inner error, so there is nothing to wrap twice.
//!
//! Every message is one line, whatever the input: the server sends them as plain-text bodies, and a
//! path or version taken from a URL may hold a newline.

use std::fmt::Write;

/// An invalid module path or version, with the input that was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ModuleError {
    /// The module path, when known.
    pub path: String,
    /// The version, when known.
    pub version: String,
    /// What is wrong.
    pub kind: ModuleErrorKind,
}

/// What is wrong with a path or version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModuleErrorKind {
    /// `malformed module path "x": reason`
    InvalidPath(String),
    /// `invalid version: reason`
    InvalidVersion(String),
    /// `malformed import path "x": reason`, from [`check_import_path`](crate::check_import_path).
    InvalidImportPath(String),
    /// `malformed file path "x": reason`, from [`check_file_path`](crate::check_file_path).
    InvalidFilePath(String),
}

impl ModuleError {
    pub(crate) fn new(path: &str, version: &str, kind: ModuleErrorKind) -> Self {
        Self {
            path: path.to_owned(),
            version: version.to_owned(),
            kind,
        }
    }

    /// An `InvalidPath` error for `path`.
    pub(crate) fn invalid_path(path: &str, reason: impl Into<String>) -> Self {
        Self::new(path, "", ModuleErrorKind::InvalidPath(reason.into()))
    }

    /// An `InvalidVersion` error; `path` is empty when the module is unknown.
    pub(crate) fn invalid_version(path: &str, version: &str, reason: impl Into<String>) -> Self {
        Self::new(
            path,
            version,
            ModuleErrorKind::InvalidVersion(reason.into()),
        )
    }

    fn describe(&self) -> String {
        match &self.kind {
            ModuleErrorKind::InvalidPath(reason) => {
                format!("malformed module path {}: {reason}", quote(&self.path))
            }
            ModuleErrorKind::InvalidImportPath(reason) => {
                format!("malformed import path {}: {reason}", quote(&self.path))
            }
            ModuleErrorKind::InvalidFilePath(reason) => {
                format!("malformed file path {}: {reason}", quote(&self.path))
            }
            ModuleErrorKind::InvalidVersion(reason) if self.path.is_empty() => {
                format!("{}: invalid version: {reason}", bare(&self.version))
            }
            ModuleErrorKind::InvalidVersion(reason) => format!(
                "{}@{}: invalid version: {reason}",
                bare(&self.path),
                bare(&self.version)
            ),
        }
    }
}

/// Go's `%q` of a string: ASCII is escaped exactly as `strconv.Quote` does; beyond ASCII, Rust's
/// idea of printable (from its own Unicode tables) stands in for `unicode.IsPrint`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        escape_into(&mut out, c, '"');
    }
    out.push('"');
    out
}

/// Go's `%q` of a rune: `'x'`.
pub(crate) fn quote_char(c: char) -> String {
    let mut out = String::from("'");
    escape_into(&mut out, c, '\'');
    out.push('\'');
    out
}

/// Go prints paths and versions with `%s` in `path@version: …`; we do the same unless that would
/// let a control character (a newline, say) break the one-line rule, and then quote instead.
pub(crate) fn bare(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(needs_escape) {
        quote(s).into()
    } else {
        s.into()
    }
}

pub(crate) fn needs_escape(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    // str::escape_debug escapes what is not printable, as Go's IsPrint does (controls, format
    // characters, spaces other than U+0020, unassigned), but also a combining mark at the start
    // of the string, which Go prints; the leading 'x' keeps `c` off the start.
    format!("x{c}").escape_debug().nth(1) == Some('\\')
}

fn escape_into(out: &mut String, c: char, delim: char) {
    if c == delim || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if !needs_escape(c) {
        out.push(c);
        return;
    }
    // Writing to a String cannot fail.
    let _ = match c {
        '\x07' => out.write_str("\\a"),
        '\x08' => out.write_str("\\b"),
        '\x0c' => out.write_str("\\f"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        '\t' => out.write_str("\\t"),
        '\x0b' => out.write_str("\\v"),
        c if c < ' ' || c == '\x7f' => write!(out, "\\x{:02x}", u32::from(c)),
        c if u32::from(c) < 0x10000 => write!(out, "\\u{:04x}", u32::from(c)),
        c => write!(out, "\\U{:08x}", u32::from(c)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISPLAY_CASES: &[(&str, &str, &str)] = &[
        // (path, version, expected), for InvalidVersion("not a semantic version").
        (
            "example.com/m",
            "1.0.0",
            "example.com/m@1.0.0: invalid version: not a semantic version",
        ),
        (
            "",
            "1.0.0",
            "1.0.0: invalid version: not a semantic version",
        ),
        // A newline from a URL must not split the message.
        (
            "example.com/m",
            "v1\n",
            "example.com/m@\"v1\\n\": invalid version: not a semantic version",
        ),
    ];

    #[test]
    fn display_version() {
        for &(path, version, want) in DISPLAY_CASES {
            let err = ModuleError::invalid_version(path, version, "not a semantic version");
            assert_eq!(err.to_string(), want, "path {path:?} version {version:?}");
        }
    }

    #[test]
    fn display_path() {
        let err = ModuleError::invalid_path("localhost/x", "missing dot in first path element");
        assert_eq!(
            err.to_string(),
            r#"malformed module path "localhost/x": missing dot in first path element"#
        );
        let err = ModuleError::new(
            "a\nb:c",
            "",
            ModuleErrorKind::InvalidFilePath("invalid char ':'".into()),
        );
        assert_eq!(
            err.to_string(),
            r#"malformed file path "a\nb:c": invalid char ':'"#
        );
    }

    const QUOTE_CASES: &[(&str, &str)] = &[
        ("abc", r#""abc""#),
        ("a\"b\\c'", r#""a\"b\\c'""#),
        ("\x07\x08\x0c\n\r\t\x0b", r#""\a\b\f\n\r\t\v""#),
        ("\x00\x1f\x7f", r#""\x00\x1f\x7f""#),
        ("испытание☺", "\"испытание☺\""),
        (
            "\u{a0}\u{200b}\u{feff}\u{378}",
            r#""\u00a0\u200b\ufeff\u0378""#,
        ),
        // Combining marks print, even first.
        ("\u{301}e\u{301}", "\"\u{301}e\u{301}\""),
        ("\u{e0001}", r#""\U000e0001""#),
    ];

    #[test]
    fn quote_like_go() {
        for &(s, want) in QUOTE_CASES {
            assert_eq!(quote(s), want, "quote({s:?})");
        }
        assert_eq!(quote_char('\''), r"'\''");
        assert_eq!(quote_char('"'), r#"'"'"#);
        assert_eq!(quote_char('\n'), r"'\n'");
    }
}
