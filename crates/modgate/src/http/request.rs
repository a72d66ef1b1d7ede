//! Parsing a GOPROXY request path into the service's `Request`: the edge where strings become
//! checked types, once.
//!
//! The path is percent-decoded once (the `go` command sends `!` as `%21`, sumdb clients send it
//! raw; `+` is never a space), split at `/@v/` or `/@latest`, and case-decoded by `gomod`.

use gomod::{ModulePath, ModuleVersion};
use percent_encoding::percent_decode_str;

use crate::service::{Malformed, MalformedPart, Request, Revision};

/// Longer request paths are refused before any parsing: real module paths are far shorter.
pub(crate) const MAX_PATH_BYTES: usize = 2048;

/// The request a path names, each part checked once: the module path, and the version where
/// the file is a version's (`.mod`, `.zip`) or may be (`.info`).
pub(crate) fn parse(raw_path: &str) -> Result<Request, Malformed> {
    let fail = |reason: String, route_hint: Option<&str>| Malformed {
        reason,
        route_hint: route_hint.map(str::to_owned),
        part: MalformedPart::Path,
    };
    if raw_path.len() > MAX_PATH_BYTES {
        return Err(fail(
            format!("request path longer than {MAX_PATH_BYTES} bytes"),
            None,
        ));
    }
    // An encoded slash would smuggle a separator past the split below.
    if raw_path.contains("%2f") || raw_path.contains("%2F") {
        return Err(fail("invalid path: encoded '/'".to_owned(), None));
    }
    let decoded = percent_decode_str(raw_path)
        .decode_utf8()
        .map_err(|_| fail("invalid path: not UTF-8".to_owned(), None))?;
    if let Some(c) = decoded.chars().find(|c| c.is_control()) {
        return Err(fail(format!("invalid path: control character {c:?}"), None));
    }
    let path = decoded.strip_prefix('/').unwrap_or(&decoded);

    let (escaped_module, file) = if let Some(module) = path.strip_suffix("/@latest") {
        (module, None)
    } else if let Some((module, file)) = path.split_once("/@v/") {
        (module, Some(file))
    } else {
        return Err(fail(
            "not a GOPROXY path: expected MODULE/@v/list, MODULE/@v/VERSION.{info,mod,zip} or MODULE/@latest".to_owned(),
            None,
        ));
    };
    let hint = Some(escaped_module);
    let module = ModulePath::from_escaped(escaped_module).map_err(|e| fail(e.to_string(), hint))?;
    let Some(file) = file else {
        return Ok(Request::Latest(module));
    };
    if file == "list" {
        return Ok(Request::List(module));
    }
    let unknown = || fail(format!("{module}: unknown GOPROXY file {file:?}"), hint);
    let (escaped_version, extension) = file.rsplit_once('.').ok_or_else(unknown)?;
    if escaped_version.contains('/') {
        return Err(unknown());
    }
    let bad_version = |reason: String| Malformed {
        part: MalformedPart::Version,
        ..fail(reason, hint)
    };
    match extension {
        "info" => {
            let text = gomod::unescape_version(escaped_version)
                .map_err(|e| bad_version(format!("{module}@{escaped_version}: {e}")))?;
            Ok(Request::Info(module.clone(), Revision::of(&module, text)))
        }
        "mod" | "zip" => {
            // `.mod` and `.zip` are only ever asked for canonical versions of the path.
            let version = gomod::unescape_version(escaped_version)
                .and_then(|text| ModuleVersion::of(module, &text))
                .map_err(|e| bad_version(e.to_string()))?;
            Ok(match extension {
                "mod" => Request::Mod(version),
                _ => Request::Zip(version),
            })
        }
        _ => Err(unknown()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The module and what is asked of it, as text.
    fn ok(path: &str) -> (String, String) {
        let request = parse(path).unwrap_or_else(|e| panic!("{path}: {}", e.reason));
        let module = request.module().to_string();
        let asked = match &request {
            Request::List(_) => "list".to_owned(),
            Request::Latest(_) => "latest".to_owned(),
            Request::Info(_, Revision::Version { version, .. }) => {
                format!("info {}", version.version())
            }
            Request::Info(_, Revision::Query(query)) => format!("info query {query}"),
            Request::Mod(version) => format!("mod {}", version.version()),
            Request::Zip(version) => format!("zip {}", version.version()),
        };
        (module, asked)
    }

    #[test]
    fn parses_every_endpoint() {
        let cases = [
            ("/example.com/hello/@v/list", "example.com/hello", "list"),
            ("/example.com/hello/@latest", "example.com/hello", "latest"),
            (
                "/example.com/hello/@v/v1.0.0.info",
                "example.com/hello",
                "info v1.0.0",
            ),
            (
                "/example.com/hello/v2/@v/v2.0.0.mod",
                "example.com/hello/v2",
                "mod v2.0.0",
            ),
            (
                "/example.com/%21upper/@v/v0.1.0-%21r%21c1.zip",
                "example.com/Upper",
                "zip v0.1.0-RC1",
            ),
            (
                "/example.com/!upper/@v/v0.1.0-!r!c1.info",
                "example.com/Upper",
                "info v0.1.0-RC1",
            ),
            (
                "/example.com/legacy/@v/v2.0.0+incompatible.info",
                "example.com/legacy",
                "info v2.0.0+incompatible",
            ),
            (
                "/example.com/hello/@v/main.info",
                "example.com/hello",
                "info query main",
            ),
        ];
        for (path, module, asked) in cases {
            assert_eq!(ok(path), (module.to_owned(), asked.to_owned()), "{path}");
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
            "/example.com/x/@v/v1.2.mod",
            "/example.com/x/@v/v2.0.0.zip",
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
