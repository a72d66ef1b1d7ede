// Ported from golang.org/x/mod (modfile/rule.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The little of go.mod a proxy needs (x/mod `modfile`, read as `ParseLax` reads it): the
//! `module` path, the `go` version, the `require` and the `retract` directives.
//!
//! The go command reads a dependency's go.mod leniently, on the theory that new directives
//! mostly concern the main module: unknown directives and blocks are skipped, and so is a
//! `retract` it cannot parse (the syntax may grow, say to open intervals). A proxy reads every
//! go.mod as a dependency's, so a go.mod written for a newer Go never breaks it. What still
//! fails: a syntax error (an unterminated string or block, a `/* */` comment, a stray control
//! character), and a malformed `module` or `go` line.
//!
//! The tokenizer, the block structure and the way comments attach to lines are ported from
//! `modfile/read.go`, so that retraction rationales come out as the go command shows them:
//!
//! ```
//! let go_mod = br#"module example.com/hello
//!
//! go 1.19
//!
//! // Published by mistake.
//! retract v1.0.0
//!
//! retract (
//!     [v1.1.0, v1.1.9] // Broke the build on Windows.
//!     v1.2.0
//! )
//! "#;
//! let go_mod = gomod::ModFile::parse_lax(go_mod)?;
//! assert_eq!(go_mod.module.as_deref(), Some("example.com/hello"));
//! assert_eq!(go_mod.go.as_deref(), Some("1.19"));
//! let retracted = go_mod.is_retracted("v1.1.3").expect("retracted");
//! assert_eq!(retracted.rationale, "Broke the build on Windows.");
//! assert!(go_mod.is_retracted("v1.2.0").is_some());
//! assert!(go_mod.is_retracted("v1.3.0").is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Like the go command (which calls `ParseLax` with no version fixer), retraction bounds are
//! kept as written, unquoted but not canonicalized or validated: `retract v1.0` retracts
//! `v1.0.0`, and a bound that is not a version never compares equal to one.

use std::cmp::Ordering;
use std::fmt;

use crate::version::{compare, is_valid};
use read::{Line, LineBlock, Parser, Position, Stmt};

mod module_line;
mod read;

pub use module_line::{auto_quote, legacy_go_mod};

/// What a proxy needs from a go.mod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModFile {
    /// The `module` path, unquoted; `None` when the file has no `module` line.
    pub module: Option<String>,
    /// The `go` version (`1.19`); a newer form such as `1.21.0` or `1.21rc1` is cut to `1.21`.
    pub go: Option<String>,
    /// The `require` directives as (module path, version), in file order; lines that do not
    /// name a path and a canonical version are skipped.
    pub require: Vec<(String, String)>,
    /// The `retract` directives, in file order.
    pub retract: Vec<Retraction>,
    /// The `// Deprecated:` message in the `module` directive's comments, as x/mod's
    /// `Module.Deprecated`; `None` when the module is not deprecated.
    pub deprecated: Option<String>,
}

/// One `retract` directive: the closed interval `[low, high]`, equal bounds for one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retraction {
    /// The lowest retracted version, as written.
    pub low: String,
    /// The highest retracted version, as written.
    pub high: String,
    /// The comments just above the directive (or, inside a `retract ( … )` block, above the
    /// block if the line has none) and at the end of its line, without `//`, one per line.
    pub rationale: String,
}

impl ModFile {
    /// Parses a go.mod as x/mod's `ParseLax` does, keeping only `module`, `go` and `retract`.
    pub fn parse_lax(data: &[u8]) -> Result<Self, ModFileErrors> {
        Self::parse(data).map(|(file, _)| file)
    }

    /// [`parse_lax`](Self::parse_lax), and what else the parse saw.
    fn parse(data: &[u8]) -> Result<(Self, Seen), ModFileErrors> {
        // Go reads bad UTF-8 byte by byte as U+FFFD, which is an identifier character; so
        // does this, after the conversion.
        let text = String::from_utf8_lossy(data);
        let stmts = Parser::new(&text)
            .parse_file()
            .map_err(|e| ModFileErrors { errors: vec![e] })?;
        let mut file = Self::default();
        let mut errors = Vec::new();
        let mut seen = Seen::default();
        for stmt in &stmts {
            match stmt {
                Stmt::Comments => {}
                Stmt::Line(line) => {
                    let (verb, args) = line
                        .tokens
                        .split_first()
                        .map_or(("", &[][..]), |(v, a)| (v.as_str(), a));
                    file.add(None, line, verb, args, &mut seen, &mut errors);
                }
                Stmt::Block(block) => {
                    // `retract v1.0.0 ( … )` and friends may mean something to a newer Go.
                    let [verb] = block.tokens.as_slice() else {
                        continue;
                    };
                    if matches!(
                        verb.as_str(),
                        "module" | "require" | "exclude" | "replace" | "retract"
                    ) {
                        for line in &block.lines {
                            file.add(
                                Some(block),
                                line,
                                verb,
                                &line.tokens,
                                &mut seen,
                                &mut errors,
                            );
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok((file, seen))
        } else {
            Err(ModFileErrors { errors })
        }
    }

    /// The first retraction that covers `version`, as `low <= version <= high` in semver order;
    /// `None` for an invalid version. The go command shows the rationales of every matching
    /// retraction: see [`retract`](Self::retract) for those.
    pub fn is_retracted(&self, version: &str) -> Option<&Retraction> {
        if !is_valid(version) {
            return None;
        }
        self.retract.iter().find(|r| {
            compare(&r.low, version) != Ordering::Greater
                && compare(version, &r.high) != Ordering::Greater
        })
    }

    /// x/mod `(*File).add`, lax: `module`, `go`, `require` and `retract`. A `require` that
    /// does not parse is skipped, where x/mod would report it: a proxy never fails on one.
    fn add(
        &mut self,
        block: Option<&LineBlock>,
        line: &Line,
        verb: &str,
        args: &[String],
        seen: &mut Seen,
        errors: &mut Vec<ModFileError>,
    ) {
        let mut error = |message: String| errors.push(ModFileError::at(line.start, message));
        match verb {
            "go" => {
                if self.go.is_some() {
                    return error("repeated go statement".into());
                }
                let [version] = args else {
                    return error("go directive expects exactly one argument".into());
                };
                match go_version(version) {
                    Some(cut) => {
                        self.go = Some(cut.to_owned());
                        seen.go = Some(go_version_v0_22(version).to_owned());
                    }
                    None => error(format!(
                        "invalid go version '{version}': must match format 1.23"
                    )),
                }
            }
            "module" => {
                // x/mod records the directive before checking it, so a bad one still repeats.
                if std::mem::replace(&mut seen.module, true) {
                    return error("repeated module statement".into());
                }
                let [path] = args else {
                    return error("usage: module module/path".into());
                };
                match parse_string(path) {
                    Ok(path) => {
                        self.module = Some(path);
                        self.deprecated = deprecation(&directive_comment(block, line));
                    }
                    Err(e) => error(format!("invalid quoted string: {e}")),
                }
            }
            "require" => {
                if let [path, version] = args
                    && let (Ok(path), Ok(version)) = (parse_string(path), parse_string(version))
                {
                    if crate::canonical_version(&version).as_deref() == Some(version.as_str()) {
                        self.require.push((path.clone(), version.clone()));
                    }
                    seen.require_error |= !require_ok(&path, &version);
                } else {
                    seen.require_error = true;
                }
            }
            "retract" => {
                // Lax: an interval that does not parse is skipped, and so is anything after it.
                if let Some((low, high)) = parse_version_interval(args) {
                    self.retract.push(Retraction {
                        low,
                        high,
                        rationale: directive_comment(block, line),
                    });
                }
            }
            _ => {}
        }
    }
}

/// What [`ModFile::parse`] saw beyond the [`ModFile`].
#[derive(Debug, Default)]
struct Seen {
    /// Whether there was a `module` line, good or bad: a second one is an error.
    module: bool,
    /// The `go` version as x/mod v0.22.0 and later keep it (see [`go_version_v0_22`]).
    go: Option<String>,
    /// Whether a `require` line was skipped that x/mod reports as an error.
    require_error: bool,
}

/// x/mod `parseGoVers` (zip/zip.go, v0.22.0 and later), without the `go` prefix: the `go`
/// version of a go.mod, as x/mod's `ParseLax` of that version keeps it (`1.24.0`, `1.24rc1`),
/// or `None` when there is no `go` line or the go.mod does not parse.
///
/// Stricter than [`ModFile::parse_lax`] in one way: a `require` line it skips (not a path and
/// a version, a version with no canonical form, a major version the path does not allow) is
/// an error for x/mod, and so `None` here.
pub(crate) fn parse_go_version(data: &[u8]) -> Option<String> {
    match ModFile::parse(data) {
        Ok((_, seen)) if !seen.require_error => seen.go,
        _ => None,
    }
}

/// Whether x/mod's lax `require` accepts `path` and `version`, both unquoted: a version with a
/// canonical form, and a path whose major-version suffix allows it (x/mod `parseVersion` with
/// no fixer, `modulePathMajor`, `module.CheckPathMajor`).
fn require_ok(path: &str, version: &str) -> bool {
    let Some(version) = crate::canonical_version(version) else {
        return false;
    };
    crate::split_path_version(path)
        .is_some_and(|(_, major)| crate::check_path_major(&version, major).is_ok())
}

/// Every error in a go.mod: a syntax error (only the first is found), or each bad line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct ModFileErrors {
    /// The errors, in file order; never empty.
    pub errors: Vec<ModFileError>,
}

/// One error in a go.mod, with where it is: `line 3: repeated go statement`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}{}: {message}", column.map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct ModFileError {
    /// The line, from 1.
    pub line: usize,
    /// The column in characters, from 1; given, as in x/mod, only when it is not 1.
    pub column: Option<usize>,
    /// What is wrong, in x/mod's words.
    pub message: String,
}

impl ModFileError {
    fn at(pos: Position, message: String) -> Self {
        Self {
            line: pos.line,
            column: (pos.line_rune > 1).then_some(pos.line_rune),
            message,
        }
    }
}

/// x/mod `parseDirectiveComment`: a line's comments, or its block's when it has none.
fn directive_comment(block: Option<&LineBlock>, line: &Line) -> String {
    let mut comments = &line.comments;
    if let Some(block) = block
        && line.comments.before.is_empty()
        && line.comments.suffix.is_empty()
    {
        comments = &block.comments;
    }
    comments
        .before
        .iter()
        .chain(&comments.suffix)
        // Blank lines in a block are kept as empty comments.
        .filter_map(|c| c.token.strip_prefix("//"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
}

/// x/mod `parseDeprecation`: the text after `Deprecated:` in a paragraph that starts with it
/// (`(?s)(?:^|\n\n)Deprecated: *(.*?)(?:$|\n\n)`), up to the end of that paragraph.
fn deprecation(comment: &str) -> Option<String> {
    const MARK: &str = "Deprecated:";
    let start = if comment.starts_with(MARK) {
        0
    } else {
        comment.find("\n\nDeprecated:")? + 2
    };
    let rest = comment[start + MARK.len()..].trim_start_matches(' ');
    let end = rest.find("\n\n").unwrap_or(rest.len());
    Some(rest[..end].to_owned())
}

/// x/mod `parseVersionInterval` with the go command's do-nothing fixer: `v1.2.3` or
/// `[v1.2.3, v1.2.4]`, each version a bare word or a double-quoted string.
fn parse_version_interval(args: &[String]) -> Option<(String, String)> {
    match args {
        [open, low, comma, high, close, ..] if open == "[" && comma == "," && close == "]" => {
            Some((parse_string(low).ok()?, parse_string(high).ok()?))
        }
        [first, ..] if first != "[" && first != "(" => {
            let version = parse_string(first).ok()?;
            Some((version.clone(), version))
        }
        _ => None,
    }
}

/// x/mod `parseString`: a double-quoted string is unquoted; any other quote is an error.
fn parse_string(s: &str) -> Result<String, String> {
    if s.starts_with('"') {
        unquote(s).ok_or_else(|| "invalid syntax".to_owned())
    } else if s.contains(['"', '\'', '`']) {
        // Reserved, and a likely typo: 'x' must not silently mean x.
        Err("unquoted string cannot contain quote".to_owned())
    } else {
        Ok(s.to_owned())
    }
}

/// Go's `strconv.Unquote` for a double-quoted string. `None` for invalid syntax, and for a
/// `\x` or octal escape that leaves bad UTF-8, which a Go string could hold but a `String` can't.
fn unquote(s: &str) -> Option<String> {
    let body = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\n' => return None,
            '\\' => {}
            c => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
        }
        match chars.next()? {
            'a' => out.push(0x07),
            'b' => out.push(0x08),
            'f' => out.push(0x0c),
            'n' => out.push(b'\n'),
            'r' => out.push(b'\r'),
            't' => out.push(b'\t'),
            'v' => out.push(0x0b),
            '\\' => out.push(b'\\'),
            '"' => out.push(b'"'),
            'x' => out.push(u8::try_from(hex(&mut chars, 2)?).ok()?),
            'u' => out.extend_from_slice(
                char::from_u32(hex(&mut chars, 4)?)?
                    .encode_utf8(&mut [0; 4])
                    .as_bytes(),
            ),
            'U' => out.extend_from_slice(
                char::from_u32(hex(&mut chars, 8)?)?
                    .encode_utf8(&mut [0; 4])
                    .as_bytes(),
            ),
            first @ '0'..='7' => {
                let mut value = first.to_digit(8)?;
                for _ in 0..2 {
                    value = value * 8 + chars.next()?.to_digit(8)?;
                }
                out.push(u8::try_from(value).ok()?);
            }
            _ => return None,
        }
    }
    String::from_utf8(out).ok()
}

/// `n` hex digits of an escape, as a number.
fn hex(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    (0..n).try_fold(0u32, |value, _| {
        Some(value * 16 + chars.next()?.to_digit(16)?)
    })
}

/// The `go` version: `1.23` as x/mod's `GoVersionRE` wants it, or, leniently, the `1.23` at
/// the start of `v1.23`, `1.23.4` or `1.23rc1` (its `laxGoVersionRE`).
fn go_version(s: &str) -> Option<&str> {
    fn number(s: &str) -> (&str, &str) {
        s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()))
    }
    let strict = |s: &str| -> Option<usize> {
        let (major, rest) = number(s);
        let (minor, rest) = number(rest.strip_prefix('.')?);
        let ok = !major.is_empty()
            && !major.starts_with('0')
            && (minor == "0" || !minor.is_empty() && !minor.starts_with('0'));
        ok.then_some(s.len() - rest.len())
    };
    match strict(s) {
        Some(len) if len == s.len() => Some(s),
        _ => {
            let lax = s.strip_prefix('v').unwrap_or(s);
            // The digits before the rest are the longest run, so the rest starts with a
            // non-digit; it must not be empty.
            strict(lax)
                .filter(|&len| len < lax.len())
                .map(|len| &lax[..len])
        }
    }
}

/// The `go` version as x/mod v0.22.0 and later keep it, once [`go_version`] accepted it: as
/// written when it matches the newer `GoVersionRE` (`1.23`, `1.23.4`, `1.23rc1`), else cut as
/// by `laxGoVersionRE`. Both regular expressions accept what the older ones did, so only what
/// is kept differs.
fn go_version_v0_22(s: &str) -> &str {
    fn number(s: &str) -> Option<(&str, &str)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, rest) = s.split_at(end);
        (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some((n, rest))
    }
    // `^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$`
    let matches = || -> Option<()> {
        let (major, rest) = number(s)?;
        if major == "0" {
            return None;
        }
        let (_, mut rest) = number(rest.strip_prefix('.')?)?;
        if let Some(patch) = rest.strip_prefix('.') {
            rest = number(patch)?.1;
        }
        if !rest.is_empty() {
            let letters = rest
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(rest.len());
            let digits = &rest[letters..];
            if letters == 0 || digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
        }
        Some(())
    };
    match matches() {
        Some(()) => s,
        None => go_version(s).unwrap_or(s),
    }
}

impl fmt::Display for Retraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.low == self.high {
            write!(f, "{}", self.low)
        } else {
            write!(f, "[{}, {}]", self.low, self.high)
        }
    }
}

#[cfg(test)]
mod tests;
