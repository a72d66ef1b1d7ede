// Ported from Go's cmd/go/internal/vcs/discovery.go and vcs.go. Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! go-import discovery: which repository holds an import path, from the
//! `<meta name="go-import" content="root vcs url [subdir]">` tags of its `?go-get=1` page.
//!
//! [`parse_go_import`] is the go command's `parseMetaGoImports` + `matchGoImport`, as a pure
//! function; [`discover`] fetches the page (and, like the go command, the root's page, to
//! check that the root claims the same repository).

use crate::error::{Error, ErrorKind, Result};
use crate::remote::{Credentials, Network, redact_url};

/// One go-import tag: `content="<prefix> <vcs> <repo_url> [<subdir>]"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoImport {
    /// The import-path prefix the repository serves: the repository root's import path.
    pub prefix: String,
    /// The version control system: `git` (`mod` for a module proxy, others for other VCSs).
    pub vcs: String,
    /// The repository URL.
    pub repo_url: String,
    /// The directory in the repository the prefix names (Go 1.25+), "" for the root.
    pub subdir: String,
}

/// The go-import tag of `html` that serves `import_path`, as the go command picks it in
/// module mode (`mod` tags first): `None` when none matches or more than one does.
///
/// Parsing stops at `<body>` or `</head>`, as the go command's does.
///
/// ```
/// let html = r#"<html><head>
///   <meta name="go-import" content="git.corp.example/team/sub/repo git https://git.corp.example/team/sub/repo.git">
///   <meta name="go-import" content="git.corp.example/mono git https://git.corp.example/mono.git go/lib">
/// </head></html>"#;
/// let found = codehost::parse_go_import(html, "git.corp.example/team/sub/repo/pkg/v2").unwrap();
/// assert_eq!(found.prefix, "git.corp.example/team/sub/repo");
/// assert_eq!(found.repo_url, "https://git.corp.example/team/sub/repo.git");
/// let mono = codehost::parse_go_import(html, "git.corp.example/mono").unwrap();
/// assert_eq!(mono.subdir, "go/lib");
/// assert_eq!(codehost::parse_go_import(html, "git.corp.example/other"), None);
/// ```
pub fn parse_go_import(html: &str, import_path: &str) -> Option<GoImport> {
    let imports = parse_meta_go_imports(html);
    let mut matched: Option<&GoImport> = None;
    for im in &imports {
        if !has_path_prefix(import_path, &im.prefix) {
            continue;
        }
        if let Some(m) = matched {
            if m.vcs == "mod" && im.vcs != "mod" {
                break;
            }
            return None; // multiple meta tags match
        }
        matched = Some(im);
    }
    matched.cloned()
}

fn has_path_prefix(s: &str, prefix: &str) -> bool {
    s == prefix
        || (s.len() > prefix.len()
            && s.starts_with(prefix)
            && (prefix.ends_with('/') || s.as_bytes()[prefix.len()] == b'/'))
}

/// `parseMetaGoImports` in `PreferMod` mode: `mod` entries first, then the others not
/// superseded by a `mod` entry for the same prefix.
fn parse_meta_go_imports(html: &str) -> Vec<GoImport> {
    let mut imports = Vec::new();
    for attrs in meta_tags(html) {
        let attr = |name: &str| {
            attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        if attr("name") != "go-import" {
            continue;
        }
        let f: Vec<&str> = attr("content").split_whitespace().collect();
        if f.len() == 3 || f.len() == 4 {
            imports.push(GoImport {
                prefix: f[0].to_owned(),
                vcs: f[1].to_owned(),
                repo_url: f[2].to_owned(),
                subdir: f.get(3).copied().unwrap_or("").to_owned(),
            });
        }
    }
    let mods: Vec<&str> = imports
        .iter()
        .filter(|m| m.vcs == "mod")
        .map(|m| m.prefix.as_str())
        .collect();
    let mut list: Vec<GoImport> = imports.iter().filter(|m| m.vcs == "mod").cloned().collect();
    list.extend(
        imports
            .iter()
            .filter(|m| m.vcs != "mod" && !mods.contains(&m.prefix.as_str()))
            .cloned(),
    );
    list
}

/// The attributes of each `<meta>` tag before `<body>` or `</head>`, entity-decoded.
fn meta_tags(html: &str) -> Vec<Vec<(String, String)>> {
    let mut tags = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let end_tag = rest.starts_with('/');
        let name_start = usize::from(end_tag);
        let name_len = rest[name_start..]
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len() - name_start);
        let name = &rest[name_start..name_start + name_len];
        if end_tag {
            if name.eq_ignore_ascii_case("head") {
                break;
            }
            continue;
        }
        if name.eq_ignore_ascii_case("body") {
            break;
        }
        let (attrs, after) = parse_attrs(&rest[name_start + name_len..]);
        if name.eq_ignore_ascii_case("meta") {
            tags.push(attrs);
        }
        rest = after;
    }
    tags
}

/// Attributes up to the tag's `>`; returns them and the text after it.
fn parse_attrs(mut s: &str) -> (Vec<(String, String)>, &str) {
    let mut attrs = Vec::new();
    loop {
        s = s.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if s.is_empty() {
            return (attrs, s);
        }
        if let Some(after) = s.strip_prefix('>') {
            return (attrs, after);
        }
        let key_len = s
            .find(|c: char| c.is_whitespace() || c == '=' || c == '>' || c == '/')
            .unwrap_or(s.len());
        let key = s[..key_len].to_owned();
        s = s[key_len..].trim_start();
        let mut value = String::new();
        if let Some(after_eq) = s.strip_prefix('=') {
            let after_eq = after_eq.trim_start();
            let quote = after_eq.chars().next().filter(|c| *c == '"' || *c == '\'');
            match quote {
                Some(q) => {
                    let body = &after_eq[1..];
                    let end = body.find(q).unwrap_or(body.len());
                    value = unescape(&body[..end]);
                    s = body.get(end + 1..).unwrap_or("");
                }
                None => {
                    let end = after_eq
                        .find(|c: char| c.is_whitespace() || c == '>')
                        .unwrap_or(after_eq.len());
                    value = unescape(&after_eq[..end]);
                    s = &after_eq[end..];
                }
            }
        } else if key.is_empty() {
            // Not an attribute: skip a character to make progress.
            s = s.get(1..).unwrap_or("");
            continue;
        }
        attrs.push((key, value));
    }
}

/// XML character and entity references, as Go's non-strict decoder reads them.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Finds the repository of `import_path` by fetching `template` with `{path}` replaced
/// (e.g. `https://{path}?go-get=1`), with `credentials` as basic auth if given. When the
/// matching tag's prefix is shorter than the path, the prefix's page is fetched too and must
/// name the same repository, as the go command checks.
pub fn discover(
    network: &Network,
    credentials: Option<&Credentials>,
    template: &str,
    import_path: &str,
) -> Result<GoImport> {
    let client = network.client()?;
    let found = fetch_and_match(&client, credentials, template, import_path, import_path)?;
    if found.prefix != import_path {
        let again = fetch_and_match(&client, credentials, template, &found.prefix, import_path)?;
        if again != found {
            return Err(Error::new(
                ErrorKind::RepoNotFound,
                import_path,
                format!(
                    "go-import metadata for {} does not match the one found for {import_path}",
                    found.prefix
                ),
            ));
        }
    }
    Ok(found)
}

fn fetch_and_match(
    client: &reqwest::blocking::Client,
    credentials: Option<&Credentials>,
    template: &str,
    path: &str,
    import_path: &str,
) -> Result<GoImport> {
    let url = template.replace("{path}", path);
    let subject = redact_url(&url);
    let mut request = client.get(&url);
    if let Some(c) = credentials {
        request = request.basic_auth(&c.username, Some(&c.password));
    }
    let response = request.send().map_err(|e| {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Unreachable
        };
        Error::new(kind, &subject, "go-import discovery failed").with_source(e)
    })?;
    let status = response.status();
    let body = response.text().map_err(|e| {
        Error::new(
            ErrorKind::Unreachable,
            &subject,
            "reading the go-import page",
        )
        .with_source(e)
    })?;
    if let Some(found) = parse_go_import(&body, path) {
        return Ok(found);
    }
    let kind = match status.as_u16() {
        401 | 403 => ErrorKind::AuthFailed,
        500..=599 => ErrorKind::Unreachable,
        _ => ErrorKind::RepoNotFound,
    };
    Err(Error::new(
        kind,
        import_path,
        format!(
            "no go-import meta tag for {path} at {subject} (HTTP {})",
            status.as_u16()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_import_tags() {
        // (html, import path, want prefix or None)
        const CASES: &[(&str, &str, Option<&str>)] = &[
            (
                r#"<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">"#,
                "foo/bar/baz",
                Some("foo/bar"),
            ),
            // Case-insensitive tag and attribute names, single quotes, self-closing.
            (
                r#"<HEAD><META Name='go-import' CONTENT='a.example/x git https://a.example/x.git'/></HEAD>"#,
                "a.example/x",
                Some("a.example/x"),
            ),
            // After </head> or in <body>: ignored.
            (
                r#"<head></head><meta name="go-import" content="a.example/x git https://a.example/x">"#,
                "a.example/x",
                None,
            ),
            (
                r#"<body><meta name="go-import" content="a.example/x git https://a.example/x">"#,
                "a.example/x",
                None,
            ),
            // Not a path prefix.
            (
                r#"<meta name="go-import" content="a.example/x git https://a.example/x">"#,
                "a.example/xy",
                None,
            ),
            // Two matches: ambiguous.
            (
                r#"<meta name="go-import" content="a.example/x git https://a.example/x">
                   <meta name="go-import" content="a.example/x/y git https://a.example/y">"#,
                "a.example/x/y",
                None,
            ),
            // A mod entry wins over a git entry for the same prefix.
            (
                r#"<meta name="go-import" content="a.example/x git https://a.example/x">
                   <meta name="go-import" content="a.example/x mod https://proxy.example">"#,
                "a.example/x",
                Some("a.example/x"),
            ),
            // Five fields: not a go-import tag.
            (
                r#"<meta name="go-import" content="a.example/x git https://a.example/x d e">"#,
                "a.example/x",
                None,
            ),
            // A comment is skipped, entities decoded.
            (
                r#"<!-- <body> --><meta name="go-import" content="a.example/x git https://a.example/x?a=1&amp;b=2">"#,
                "a.example/x",
                Some("a.example/x"),
            ),
        ];
        for (html, path, want) in CASES {
            let got = parse_go_import(html, path);
            assert_eq!(got.as_ref().map(|g| g.prefix.as_str()), *want, "{html}");
        }
        let m = parse_go_import(CASES[6].0, "a.example/x").unwrap();
        assert_eq!(m.vcs, "mod");
        let amp = parse_go_import(CASES[8].0, "a.example/x").unwrap();
        assert_eq!(amp.repo_url, "https://a.example/x?a=1&b=2");
    }
}
