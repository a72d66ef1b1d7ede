// Ported from golang.org/x/mod (module/module.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Module, import and file paths (x/mod `module/module.go`).
//!
//! # Security-sensitive
//!
//! Any module path this file accepts becomes a storage key and part of a URL, and any file path it
//! accepts becomes a name inside a zip that clients extract. Loosening a rule here can let one
//! module overwrite another's files, escape its directory, or collide on a case-insensitive file
//! system. Any change to what these functions accept needs a second reviewer, and must keep
//! matching x/mod, whose own header asks for rsc's approval for the same reason.
//!
//! # The rules
//!
//! Every kind of path ([`check_path`], [`check_import_path`], [`check_file_path`]):
//!
//! - is valid UTF-8 (here, by the type of its argument) and not empty;
//! - has no `//` and no trailing `/`, and starts with `-` only if it is a file path;
//! - splits on `/` into elements that are not empty, not all dots, and do not end in `.`;
//! - has no element whose part before the first `.` is a reserved name on Windows
//!   (`CON PRN AUX NUL COM1`…`COM9 LPT1`…`LPT9`, in any case): see `BAD_WINDOWS_NAMES`.
//!
//! The characters allowed in an element depend on the kind:
//!
//! - module path: ASCII letters and digits, `-` `.` `_` `~`;
//! - import path: the same, and `+`;
//! - file path: Unicode letters (Go's `unicode.IsLetter`, in `path/letter.rs`), ASCII digits,
//!   space and ``!#$%&()+,-.=@[]^_{}~``.
//!
//! Module and import paths also reject an element whose part before the first `.` ends in `~`
//! and digits, because that is how Windows spells short names (`FOO~1`).
//!
//! A module path further:
//!
//! - has no element starting with `.`;
//! - has a first element (a domain name) of `a-z 0-9 - .` only, holding a dot, not starting
//!   with `-`, and so never upper case;
//! - ends in a major-version suffix [`split_path_version`] accepts: `/vN` with N ≥ 2 and no
//!   leading zero (`/v0`, `/v1`, `/v1.2`, `/v02` are invalid), or for `gopkg.in/…` a mandatory
//!   `.vN`, optionally followed by `-unstable`.
//!
//! # Escaping
//!
//! File systems and web servers may fold case, so `rsc.io/QUOTE` and `rsc.io/quote` must never
//! need two names. [`escape_path`] and [`escape_version`] write each upper-case ASCII letter as
//! `!` and its lower case (`github.com/Azure` → `github.com/!azure`); `!` cannot occur in a valid
//! path or version, so the escaped form is unambiguous. [`unescape_path`] and
//! [`unescape_version`] reverse it and refuse anything [`escape_path`] or [`escape_version`]
//! would not have produced: raw upper case, `!` not followed by `a`–`z`, a trailing `!` and
//! non-ASCII; then they check the result as a path or version again.

use crate::error::{quote, quote_char};
use crate::version::{build, canonical_version, is_valid, major};
use crate::{ModuleError, ModuleErrorKind};

mod letter;
#[cfg(test)]
mod tests;

/// The kind of path being checked: each allows a different set of characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Module,
    Import,
    File,
}

/// The reserved file names on Windows, which no element may use before its first dot.
/// See <https://docs.microsoft.com/en-us/windows/desktop/fileio/naming-a-file>.
const BAD_WINDOWS_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// `module.CheckPath`.
pub fn check_path(path: &str) -> Result<(), ModuleError> {
    check_module_path(path).map_err(|reason| ModuleError::invalid_path(path, reason))
}

fn check_module_path(path: &str) -> Result<(), String> {
    check_general_path(path, Kind::Module)?;
    let first = path.split('/').next().unwrap_or(path);
    if !first.contains('.') {
        return Err("missing dot in first path element".into());
    }
    if let Some(c) = first.chars().find(|&c| !first_path_ok(c)) {
        return Err(format!(
            "invalid char {} in first path element",
            quote_char(c)
        ));
    }
    if split_path_version(path).is_none() {
        return Err("invalid version".into());
    }
    Ok(())
}

/// `module.CheckImportPath`.
pub fn check_import_path(path: &str) -> Result<(), ModuleError> {
    check_general_path(path, Kind::Import)
        .map_err(|reason| ModuleError::new(path, "", ModuleErrorKind::InvalidImportPath(reason)))
}

/// `module.CheckFilePath`.
pub fn check_file_path(path: &str) -> Result<(), ModuleError> {
    check_general_path(path, Kind::File)
        .map_err(|reason| ModuleError::new(path, "", ModuleErrorKind::InvalidFilePath(reason)))
}

/// `module.Check`: the path, the version (valid semver, canonical) and that they agree on the major.
///
/// x/mod's `Check` accepts a non-canonical version such as `v1.2`; its `zip.Create` and
/// `zip.Unzip` add the canonical check just before calling it. Here the two come together,
/// because every caller turns the version into a storage key, where `v1.2` and `v1.2.0` must not
/// both exist. Version errors read `path@version: invalid version: …`, as the `go` command's do.
pub fn check(path: &str, version: &str) -> Result<(), ModuleError> {
    check_path(path)?;
    if !is_valid(version) {
        return Err(ModuleError::invalid_version(
            path,
            version,
            "not a semantic version",
        ));
    }
    if let Some(canonical) = canonical_version(version).filter(|c| c != version) {
        return Err(ModuleError::invalid_version(
            path,
            version,
            format!("not canonical (should be {})", quote(&canonical)),
        ));
    }
    let path_major = split_path_version(path).map_or("", |(_, m)| m);
    check_path_major(version, path_major).map_err(|err| ModuleError {
        path: path.to_owned(),
        ..err
    })
}

/// Whether `c` may appear in the first element of a module path: a lower-case LDH domain name,
/// so that no two spellings of a host differ only in case.
fn first_path_ok(c: char) -> bool {
    matches!(c, '-' | '.' | '0'..='9' | 'a'..='z')
}

/// Whether `c` may appear in a module path element. `+` and `%` are out because they change
/// meaning in a URL, and non-ASCII because the escaping above only handles ASCII case.
fn mod_path_ok(c: char) -> bool {
    matches!(c, '-' | '.' | '_' | '~' | '0'..='9' | 'A'..='Z' | 'a'..='z')
}

/// Whether `c` may appear in an import path element: `+` is unambiguous on a command line and
/// historically names tools (`g++`).
fn import_path_ok(c: char) -> bool {
    mod_path_ok(c) || c == '+'
}

/// Whether `c` may appear in a file name. Shell specials `" ' * < > ? ` |`, the separators
/// `/ \ :` and the rest of Unicode but letters are out: anything wider would need case-folding
/// and normalization checks against collisions.
fn file_name_ok(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || "!#$%&()+,-.=@[]^_{}~ ".contains(c);
    }
    letter::is_letter(c)
}

/// x/mod `checkPath`: the rules shared by module, import and file paths.
fn check_general_path(path: &str, kind: Kind) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty string".into());
    }
    if path.starts_with('-') && kind != Kind::File {
        return Err("leading dash".into());
    }
    if path.contains("//") {
        return Err("double slash".into());
    }
    if path.ends_with('/') {
        return Err("trailing slash".into());
    }
    path.split('/').try_for_each(|elem| check_elem(elem, kind))
}

/// x/mod `checkElem`: one `/`-separated element.
fn check_elem(elem: &str, kind: Kind) -> Result<(), String> {
    if elem.is_empty() {
        return Err("empty path element".into());
    }
    if elem.bytes().all(|b| b == b'.') {
        return Err(format!("invalid path element {}", quote(elem)));
    }
    if elem.starts_with('.') && kind == Kind::Module {
        return Err("leading dot in path element".into());
    }
    if elem.ends_with('.') {
        return Err("trailing dot in path element".into());
    }
    let ok = match kind {
        Kind::Module => mod_path_ok,
        Kind::Import => import_path_ok,
        Kind::File => file_name_ok,
    };
    if let Some(c) = elem.chars().find(|&c| !ok(c)) {
        return Err(format!("invalid char {}", quote_char(c)));
    }

    let short = elem.split('.').next().unwrap_or(elem);
    // Go compares with strings.EqualFold; no non-ASCII rune folds to a letter of these names, so
    // ASCII case-insensitivity gives the same answer.
    if BAD_WINDOWS_NAMES
        .iter()
        .any(|bad| bad.eq_ignore_ascii_case(short))
    {
        return Err(format!(
            "{} disallowed as path element component on Windows",
            quote(short)
        ));
    }

    // x/mod looks for Windows short names in module and import paths only, not file names.
    if kind == Kind::File {
        return Ok(());
    }
    if let Some(tilde) = short.rfind('~') {
        let suffix = &short[tilde + 1..];
        if !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()) {
            return Err("trailing tilde and digits in path element".into());
        }
    }
    Ok(())
}

/// `module.EscapePath`: `example.com/Foo` → `example.com/!foo`. Checks the path first.
pub fn escape_path(path: &str) -> Result<String, ModuleError> {
    check_path(path)?;
    // check_path admits neither '!' nor non-ASCII, so this cannot fail; x/mod checks anyway.
    escape_string(path).ok_or_else(|| {
        ModuleError::invalid_path(path, "internal error: inconsistency in EscapePath")
    })
}

/// `module.EscapeVersion`.
///
/// A version need not be semver here (branch names reach `.info` queries), only a valid file
/// name element without `!`.
pub fn escape_version(version: &str) -> Result<String, ModuleError> {
    let disallowed = || ModuleError::invalid_version("", version, "disallowed version string");
    if check_elem(version, Kind::File).is_err() || version.contains('!') {
        return Err(disallowed());
    }
    // File names admit non-ASCII letters, which the escaping cannot carry. x/mod reports this as
    // an internal error; it is the caller's input that is wrong, so it gets the usual message.
    escape_string(version).ok_or_else(disallowed)
}

/// `!` plus lower case for each ASCII capital; `None` for `!` or non-ASCII, which the scheme
/// cannot represent.
fn escape_string(s: &str) -> Option<String> {
    if s.chars().any(|c| c == '!' || !c.is_ascii()) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + s.len() / 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// `module.UnescapePath`: reverses `escape_path`, rejecting raw upper case, bad `!` and invalid paths.
pub fn unescape_path(escaped: &str) -> Result<String, ModuleError> {
    let path =
        unescape_string(escaped).map_err(|reason| ModuleError::invalid_path(escaped, reason))?;
    check_path(&path)?;
    Ok(path)
}

/// `module.UnescapeVersion`.
pub fn unescape_version(escaped: &str) -> Result<String, ModuleError> {
    let version = unescape_string(escaped)
        .map_err(|reason| ModuleError::invalid_version("", escaped, reason))?;
    check_elem(&version, Kind::File)
        .map_err(|reason| ModuleError::invalid_version("", &version, reason))?;
    Ok(version)
}

/// The inverse of `escape_string`, accepting only what it produces, so that each path has one
/// escaped form and two URLs never name the same module.
fn unescape_string(escaped: &str) -> Result<String, String> {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '!' => match chars.next() {
                Some(l @ 'a'..='z') => out.push(l.to_ascii_uppercase()),
                _ => return Err("invalid escaping: '!' not followed by a lower-case letter".into()),
            },
            'A'..='Z' => {
                return Err(format!(
                    "invalid escaping: upper-case {} (escaped as {})",
                    quote_char(c),
                    quote(&format!("!{}", c.to_ascii_lowercase()))
                ));
            }
            c if !c.is_ascii() => {
                return Err(format!("invalid escaping: non-ASCII {}", quote_char(c)));
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// `module.SplitPathVersion`: `("example.com/m", "/v2")`, `("gopkg.in/yaml", ".v2")`, `("example.com/m", "")`.
pub fn split_path_version(path: &str) -> Option<(&str, &str)> {
    if path.starts_with("gopkg.in/") {
        return split_gopkg_in(path);
    }
    let b = path.as_bytes();
    let mut i = b.len();
    let mut dot = false;
    while i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.') {
        dot |= b[i - 1] == b'.';
        i -= 1;
    }
    if i <= 1 || i == b.len() || b[i - 1] != b'v' || b[i - 2] != b'/' {
        return Some((path, ""));
    }
    let (prefix, path_major) = path.split_at(i - 2);
    if dot || path_major.len() <= 2 || path_major.as_bytes()[2] == b'0' || path_major == "/v1" {
        return None;
    }
    Some((prefix, path_major))
}

/// `splitGopkgIn`: gopkg.in paths must end in `.vN` (N ≥ 0), optionally then `-unstable`.
fn split_gopkg_in(path: &str) -> Option<(&str, &str)> {
    let b = path.as_bytes();
    let mut i = b.len();
    if path.ends_with("-unstable") {
        i -= "-unstable".len();
    }
    while i > 0 && b[i - 1].is_ascii_digit() {
        i -= 1;
    }
    if i <= 1 || b[i - 1] != b'v' || b[i - 2] != b'.' {
        return None;
    }
    let (prefix, path_major) = path.split_at(i - 2);
    if path_major.len() <= 2 || (path_major.as_bytes()[2] == b'0' && path_major != ".v0") {
        return None;
    }
    Some((prefix, path_major))
}

/// `module.CheckPathMajor`.
///
/// With no suffix, v0, v1 and any `+incompatible` version are allowed; with `/vN` or `.vN`, only
/// vN. A gopkg.in `.v1` also accepts `v0.0.0-…` pseudo-versions, which early vgo generated for
/// it and which go.mod files in the wild still require (gopkg.in/yaml.v2@v2.2.1 needs
/// gopkg.in/check.v1 v0.0.0-20161208181325-20d25e280405).
pub fn check_path_major(version: &str, path_major: &str) -> Result<(), ModuleError> {
    let mut path_major = path_major;
    if path_major.starts_with(".v") {
        path_major = path_major.strip_suffix("-unstable").unwrap_or(path_major);
    }
    if version.starts_with("v0.0.0-") && path_major == ".v1" {
        return Ok(());
    }
    let m = major(version).unwrap_or("");
    let want = if path_major.is_empty() {
        if m == "v0" || m == "v1" || build(version) == "+incompatible" {
            return Ok(());
        }
        "v0 or v1"
    } else if let Some(want) = path_major
        .strip_prefix('/')
        .or_else(|| path_major.strip_prefix('.'))
    {
        if m == want {
            return Ok(());
        }
        want
    } else {
        path_major
    };
    Err(ModuleError::invalid_version(
        "",
        version,
        format!("should be {want}, not {m}"),
    ))
}

/// `module.MatchPathMajor`: whether [`check_path_major`] accepts `version` for `path_major`.
pub fn match_path_major(version: &str, path_major: &str) -> bool {
    check_path_major(version, path_major).is_ok()
}

/// `module.PathMajorPrefix`: the major version a path's suffix implies, which the versions it
/// allows begin with: `/v2` → `v2`, `.v1-unstable` → `v1`, and "" → "", which allows v0 and v1.
///
/// `None` for a suffix that [`split_path_version`] never gives (no `/` or `.` first, or no
/// major version after it), where x/mod panics.
pub fn path_major_prefix(path_major: &str) -> Option<&str> {
    if path_major.is_empty() {
        return Some("");
    }
    let mut m = path_major;
    if m.starts_with(".v") {
        m = m.strip_suffix("-unstable").unwrap_or(m);
    }
    let m = m.strip_prefix(['/', '.'])?;
    (major(m) == Some(m)).then_some(m)
}
