//! Parsing a GOPROXY request path into a module path and a `Query`.
//!
//! The path is percent-decoded once (the `go` command sends `!` as `%21`, sumdb clients send it
//! raw; `+` is never a space), split at `/@v/` or `/@latest`, and case-decoded by `gomod`.

use percent_encoding::percent_decode_str;

use crate::service::Query;

/// Longer request paths are refused before any parsing: real module paths are far shorter.
pub(crate) const MAX_PATH_BYTES: usize = 2048;

/// A request path that names a module and a query.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ProxyRequest {
    pub module: String,
    pub query: Query,
}

/// A path that is not a valid GOPROXY request, with what to route it by (the decoded text
/// before `/@v/`) so that a private route still asks for credentials before explaining.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub reason: String,
    pub route_hint: Option<String>,
}

pub(crate) fn parse(raw_path: &str) -> Result<ProxyRequest, Malformed> {
    let fail = |reason: String, route_hint: Option<&str>| Malformed {
        reason,
        route_hint: route_hint.map(str::to_owned),
    };
    if raw_path.len() > MAX_PATH_BYTES {
        return Err(fail(
            format!("request path longer than {MAX_PATH_BYTES} bytes"),
            None,
        ));
    }
    // An encoded slash would smuggle a separator past the split below.
    if raw_path.to_ascii_lowercase().contains("%2f") {
        return Err(fail("invalid path: encoded '/'".to_owned(), None));
    }
    let decoded = percent_decode_str(raw_path)
        .decode_utf8()
        .map_err(|_| fail("invalid path: not UTF-8".to_owned(), None))?;
    if let Some(c) = decoded.chars().find(|c| c.is_control()) {
        return Err(fail(format!("invalid path: control character {c:?}"), None));
    }
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);

    let (escaped_module, query) = if let Some(module) = path.strip_suffix("/@latest") {
        (module, None)
    } else if let Some((module, file)) = path.split_once("/@v/") {
        (module, Some(file))
    } else {
        return Err(fail(
            "not a GOPROXY path: expected MODULE/@v/list, MODULE/@v/VERSION.{info,mod,zip} or MODULE/@latest".to_owned(),
            None,
        ));
    };
    let module = gomod::unescape_path(escaped_module)
        .map_err(|e| fail(e.to_string(), Some(escaped_module)))?;
    let query = match query {
        None => Query::Latest,
        Some("list") => Query::List,
        Some(file) => {
            let (escaped_version, extension) = file.rsplit_once('.').ok_or_else(|| {
                fail(
                    format!("{module}: unknown GOPROXY file {file:?}"),
                    Some(escaped_module),
                )
            })?;
            if escaped_version.contains('/') {
                return Err(fail(
                    format!("{module}: unknown GOPROXY file {file:?}"),
                    Some(escaped_module),
                ));
            }
            let version = gomod::unescape_version(escaped_version).map_err(|e| {
                fail(
                    format!("{module}@{escaped_version}: {e}"),
                    Some(escaped_module),
                )
            })?;
            match extension {
                "info" => Query::Info(version),
                "mod" => Query::Mod(version),
                "zip" => Query::Zip(version),
                _ => {
                    return Err(fail(
                        format!("{module}: unknown GOPROXY file {file:?}"),
                        Some(escaped_module),
                    ));
                }
            }
        }
    };
    Ok(ProxyRequest { module, query })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(path: &str) -> (String, Query) {
        let request = parse(path).unwrap_or_else(|e| panic!("{path}: {}", e.reason));
        (request.module, request.query)
    }

    #[test]
    fn parses_every_endpoint() {
        let cases = [
            (
                "/example.com/hello/@v/list",
                "example.com/hello",
                Query::List,
            ),
            (
                "/example.com/hello/@latest",
                "example.com/hello",
                Query::Latest,
            ),
            (
                "/example.com/hello/@v/v1.0.0.info",
                "example.com/hello",
                Query::Info("v1.0.0".into()),
            ),
            (
                "/example.com/hello/v2/@v/v2.0.0.mod",
                "example.com/hello/v2",
                Query::Mod("v2.0.0".into()),
            ),
            (
                "/example.com/%21upper/@v/v0.1.0-%21r%21c1.zip",
                "example.com/Upper",
                Query::Zip("v0.1.0-RC1".into()),
            ),
            (
                "/example.com/!upper/@v/v0.1.0-!r!c1.info",
                "example.com/Upper",
                Query::Info("v0.1.0-RC1".into()),
            ),
            (
                "/example.com/legacy/@v/v2.0.0+incompatible.info",
                "example.com/legacy",
                Query::Info("v2.0.0+incompatible".into()),
            ),
            (
                "/example.com/hello/@v/main.info",
                "example.com/hello",
                Query::Info("main".into()),
            ),
        ];
        for (path, module, query) in cases {
            assert_eq!(ok(path), (module.to_owned(), query), "{path}");
        }
    }

    #[test]
    fn rejects_malformed_paths_with_a_one_line_reason() {
        let long = format!("/example.com/{}/@v/list", "a".repeat(MAX_PATH_BYTES));
        let cases = [
            "/example.com/../x/@v/list",
            "/example.com/./x/@v/list",
            "/example.com%2Fx/@v/list",
            "/example.com/x%00/@v/list",
            "/example.com/Upper/@v/list",
            "/example.com/!!x/@v/list",
            "/example.com/x!/@v/list",
            "/example.com/x/@v/v1.0.0.txt",
            "/example.com/x/@v/v1.0.0",
            "/example.com/x/@v/V1.0.0.info",
            "/example.com/x/@v/a/b.info",
            "/example.com/x/@v/%ff.info",
            "/example.com/x",
            "/",
            &long,
        ];
        for path in cases {
            let err = parse(path).expect_err(path);
            assert!(
                !err.reason.is_empty() && !err.reason.contains('\n'),
                "{path}: {}",
                err.reason
            );
        }
    }
}
