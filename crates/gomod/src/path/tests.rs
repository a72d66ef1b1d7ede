// Ported from golang.org/x/mod (module/module_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Tables from x/mod `module/module_test.go`, under the same names, then our own.

use super::*;

/// x/mod `checkTests`: (path, version, ok) for `check`.
const CHECK_CASES: &[(&str, &str, bool)] = &[
    ("rsc.io/quote", "0.1.0", false),
    ("rsc io/quote", "v1.0.0", false),
    ("github.com/go-yaml/yaml", "v0.8.0", true),
    ("github.com/go-yaml/yaml", "v1.0.0", true),
    ("github.com/go-yaml/yaml", "v2.0.0", false),
    ("github.com/go-yaml/yaml", "v2.1.5", false),
    ("github.com/go-yaml/yaml", "v3.0.0", false),
    ("github.com/go-yaml/yaml/v2", "v1.0.0", false),
    ("github.com/go-yaml/yaml/v2", "v2.0.0", true),
    ("github.com/go-yaml/yaml/v2", "v2.1.5", true),
    ("github.com/go-yaml/yaml/v2", "v3.0.0", false),
    ("gopkg.in/yaml.v0", "v0.8.0", true),
    ("gopkg.in/yaml.v0", "v1.0.0", false),
    ("gopkg.in/yaml.v0", "v2.0.0", false),
    ("gopkg.in/yaml.v0", "v2.1.5", false),
    ("gopkg.in/yaml.v0", "v3.0.0", false),
    ("gopkg.in/yaml.v1", "v0.8.0", false),
    ("gopkg.in/yaml.v1", "v1.0.0", true),
    ("gopkg.in/yaml.v1", "v2.0.0", false),
    ("gopkg.in/yaml.v1", "v2.1.5", false),
    ("gopkg.in/yaml.v1", "v3.0.0", false),
    // For gopkg.in, .v1 means v1 only (not v0). But early versions of vgo still generated v0
    // pseudo-versions for it, and go.mod files still require them.
    ("gopkg.in/check.v1", "v0.0.0", false),
    (
        "gopkg.in/check.v1",
        "v0.0.0-20160102150405-abcdef123456",
        true,
    ),
    ("gopkg.in/yaml.v2", "v1.0.0", false),
    ("gopkg.in/yaml.v2", "v2.0.0", true),
    ("gopkg.in/yaml.v2", "v2.1.5", true),
    ("gopkg.in/yaml.v2", "v3.0.0", false),
    ("rsc.io/quote", "v17.0.0", false),
    ("rsc.io/quote", "v17.0.0+incompatible", true),
    // Ours: check also wants the version canonical, as x/mod's zip.Create and zip.Unzip do.
    ("rsc.io/quote", "v1.2", false),
    ("rsc.io/quote", "v1.2.3+meta", false),
    ("rsc.io/quote", "v1.2.3-pre", true),
    // x/mod accepts this pairing; the go command refuses it later, in modfetch.
    ("rsc.io/quote/v2", "v2.0.0+incompatible", true),
    ("gopkg.in/yaml.v1-unstable", "v1.0.0", true),
];

#[test]
fn check_cases() {
    for &(path, version, ok) in CHECK_CASES {
        let got = check(path, version);
        assert_eq!(got.is_ok(), ok, "check({path:?}, {version:?}) = {got:?}");
    }
}

/// x/mod `checkPathTests`: (path, ok for `check_path`, for `check_import_path`, for
/// `check_file_path`); also the invalid inputs for escaping and unescaping.
const CHECK_PATH_CASES: &[(&str, bool, bool, bool)] = &[
    ("x.y/z", true, true, true),
    ("x.y", true, true, true),
    ("", false, false, false),
    // x/mod has "x.y/\xFFz" (invalid UTF-8), which &str cannot hold; U+FFFD is what a lossy
    // decoding would make of it, and is not a letter.
    ("x.y/\u{FFFD}z", false, false, false),
    ("/x.y/z", false, false, false),
    ("x./z", false, false, false),
    (".x/z", false, true, true),
    ("-x/z", false, false, true),
    ("x..y/z", true, true, true),
    ("x.y/z/../../w", false, false, false),
    ("x.y//z", false, false, false),
    ("x.y/z//w", false, false, false),
    ("x.y/z/", false, false, false),
    ("x.y/z/v0", false, true, true),
    ("x.y/z/v1", false, true, true),
    ("x.y/z/v2", true, true, true),
    ("x.y/z/v2.0", false, true, true),
    ("X.y/z", false, true, true),
    ("!x.y/z", false, false, true),
    ("_x.y/z", false, true, true),
    ("x.y!/z", false, false, true),
    ("x.y\"/z", false, false, false),
    ("x.y#/z", false, false, true),
    ("x.y$/z", false, false, true),
    ("x.y%/z", false, false, true),
    ("x.y&/z", false, false, true),
    ("x.y'/z", false, false, false),
    ("x.y(/z", false, false, true),
    ("x.y)/z", false, false, true),
    ("x.y*/z", false, false, false),
    ("x.y+/z", false, true, true),
    ("x.y,/z", false, false, true),
    ("x.y-/z", true, true, true),
    ("x.y./zt", false, false, false),
    ("x.y:/z", false, false, false),
    ("x.y;/z", false, false, false),
    ("x.y</z", false, false, false),
    ("x.y=/z", false, false, true),
    ("x.y>/z", false, false, false),
    ("x.y?/z", false, false, false),
    ("x.y@/z", false, false, true),
    ("x.y[/z", false, false, true),
    ("x.y\\/z", false, false, false),
    ("x.y]/z", false, false, true),
    ("x.y^/z", false, false, true),
    ("x.y_/z", false, true, true),
    ("x.y`/z", false, false, false),
    ("x.y{/z", false, false, true),
    ("x.y}/z", false, false, true),
    ("x.y~/z", false, true, true),
    ("x.y/z!", false, false, true),
    ("x.y/z\"", false, false, false),
    ("x.y/z#", false, false, true),
    ("x.y/z$", false, false, true),
    ("x.y/z%", false, false, true),
    ("x.y/z&", false, false, true),
    ("x.y/z'", false, false, false),
    ("x.y/z(", false, false, true),
    ("x.y/z)", false, false, true),
    ("x.y/z*", false, false, false),
    ("x.y/z++", false, true, true),
    ("x.y/z,", false, false, true),
    ("x.y/z-", true, true, true),
    ("x.y/z.t", true, true, true),
    ("x.y/z/t", true, true, true),
    ("x.y/z:", false, false, false),
    ("x.y/z;", false, false, false),
    ("x.y/z<", false, false, false),
    ("x.y/z=", false, false, true),
    ("x.y/z>", false, false, false),
    ("x.y/z?", false, false, false),
    ("x.y/z@", false, false, true),
    ("x.y/z[", false, false, true),
    ("x.y/z\\", false, false, false),
    ("x.y/z]", false, false, true),
    ("x.y/z^", false, false, true),
    ("x.y/z_", true, true, true),
    ("x.y/z`", false, false, false),
    ("x.y/z{", false, false, true),
    ("x.y/z}", false, false, true),
    ("x.y/z~", true, true, true),
    ("x.y/x.foo", true, true, true),
    ("x.y/aux.foo", false, false, false),
    ("x.y/prn", false, false, false),
    ("x.y/prn2", true, true, true),
    ("x.y/com", true, true, true),
    ("x.y/com1", false, false, false),
    ("x.y/com1.txt", false, false, false),
    ("x.y/calm1", true, true, true),
    ("x.y/z~", true, true, true),
    ("x.y/z~0", false, false, true),
    ("x.y/z~09", false, false, true),
    ("x.y/z09", true, true, true),
    ("x.y/z09~", true, true, true),
    ("x.y/z09~09z", true, true, true),
    ("x.y/z09~09z~09", false, false, true),
    ("github.com/!123/logrus", false, false, true),
    // x/mod: non-ASCII stays out of module and import paths until its implications (case
    // folding, normalization) are worked out.
    ("github.com/user/unicode/испытание", false, false, true),
    ("../x", false, false, false),
    ("./y", false, false, false),
    ("x:y", false, false, false),
    ("\\temp\\foo", false, false, false),
    (".gitignore", false, true, true),
    (".github/ISSUE_TEMPLATE", false, true, true),
    ("x☺y", false, false, false),
    // Ours: Unicode letters only; marks and letter-numbers stay out of file names.
    ("x.y/e\u{0301}", false, false, false),
    ("x.y/\u{2160}", false, false, false),
    ("x.y/\u{00A0}", false, false, false),
    ("x.y/Con.txt", false, false, false),
    ("x.y/cOnSole", true, true, true),
    ("x.y/LPT9", false, false, false),
    ("x.y/lpt0", true, true, true),
    ("x.y/z~1.go", false, false, true),
    ("x.y/z.go~1", true, true, true),
    ("x.y/a b", false, false, true),
    ("x.y/.", false, false, false),
    ("x.y/...", false, false, false),
    ("-", false, false, true),
    ("x.y/v2/v3", true, true, true),
    ("x.y/v2/v03", false, true, true),
    ("x.y/z/v", true, true, true),
    ("x-.y/z", true, true, true),
    ("x.y", true, true, true),
    ("x_y.com/z", false, true, true),
];

#[test]
fn check_path_cases() {
    for &(path, ok, import_ok, file_ok) in CHECK_PATH_CASES {
        let got = check_path(path);
        assert_eq!(got.is_ok(), ok, "check_path({path:?}) = {got:?}");
        let got = check_import_path(path);
        assert_eq!(
            got.is_ok(),
            import_ok,
            "check_import_path({path:?}) = {got:?}"
        );
        let got = check_file_path(path);
        assert_eq!(got.is_ok(), file_ok, "check_file_path({path:?}) = {got:?}");
    }
}

/// x/mod `splitPathVersionTests`: (prefix, major suffix).
const SPLIT_PATH_VERSION_CASES: &[(&str, &str)] = &[
    ("x.y/z", ""),
    ("x.y/z", "/v2"),
    ("x.y/z", "/v3"),
    ("x.y/v", ""),
    ("gopkg.in/yaml", ".v0"),
    ("gopkg.in/yaml", ".v1"),
    ("gopkg.in/yaml", ".v2"),
    ("gopkg.in/yaml", ".v3"),
    // Ours.
    ("x.y/z", "/v10"),
    ("gopkg.in/yaml", ".v1-unstable"),
    ("gopkg.in/yaml", ".v10"),
    ("gopkg.in/fsnotify/fsnotify", ".v1"),
];

#[test]
fn split_path_version_cases() {
    for &(prefix, major) in SPLIT_PATH_VERSION_CASES {
        let path = format!("{prefix}{major}");
        assert_eq!(
            split_path_version(&path),
            Some((prefix, major)),
            "split_path_version({path:?})"
        );
    }
    for &(path, ..) in CHECK_PATH_CASES {
        if let Some((prefix, major)) = split_path_version(path) {
            assert_eq!(format!("{prefix}{major}"), path, "split of {path:?}");
        }
    }
}

/// Paths `split_path_version` refuses.
const SPLIT_PATH_VERSION_BAD: &[&str] = &[
    "x.y/z/v0",
    "x.y/z/v1",
    "x.y/z/v02",
    "x.y/z/v2.0",
    "x.y/z/v1.2",
    "gopkg.in/yaml",
    "gopkg.in/yaml.v",
    "gopkg.in/yaml.v00",
    "gopkg.in/yaml.v01",
    "gopkg.in/yaml/v2",
    "gopkg.in/yaml.v2.1",
];

#[test]
fn split_path_version_bad() {
    for &path in SPLIT_PATH_VERSION_BAD {
        assert_eq!(
            split_path_version(path),
            None,
            "split_path_version({path:?})"
        );
        assert!(check_path(path).is_err(), "check_path({path:?})");
    }
}

/// x/mod `escapeTests`: (path, escaped; empty when the same as the path).
const ESCAPE_CASES: &[(&str, &str)] = &[
    ("ascii.com/abcdefghijklmnopqrstuvwxyz.-/~_0123456789", ""),
    (
        "github.com/GoogleCloudPlatform/omega",
        "github.com/!google!cloud!platform/omega",
    ),
    // Ours: runs of capitals are not grouped.
    ("example.com/AABB/Test", "example.com/!a!a!b!b/!test"),
    (
        "github.com/Azure/azure-sdk-for-go",
        "github.com/!azure/azure-sdk-for-go",
    ),
];

#[test]
fn escape_path_cases() {
    for &(path, ok, ..) in CHECK_PATH_CASES {
        if !ok {
            assert!(escape_path(path).is_err(), "escape_path({path:?})");
        }
    }
    for &(path, esc) in ESCAPE_CASES {
        let want = if esc.is_empty() { path } else { esc };
        assert_eq!(
            escape_path(path).as_deref(),
            Ok(want),
            "escape_path({path:?})"
        );
    }
}

/// x/mod `badUnescape`, and more of ours.
const BAD_UNESCAPE: &[&str] = &[
    "github.com/GoogleCloudPlatform/omega",
    "github.com/!google!cloud!platform!/omega",
    "github.com/!0google!cloud!platform/omega",
    "github.com/!_google!cloud!platform/omega",
    "github.com/!!google!cloud!platform/omega",
    "",
    // Ours.
    "github.com/!google!",
    "github.com/!Google",
    "github.com/göögle",
    "github.com/!ü",
];

#[test]
fn unescape_path_cases() {
    for &bad in BAD_UNESCAPE {
        assert!(unescape_path(bad).is_err(), "unescape_path({bad:?})");
    }
    for &(path, ok, ..) in CHECK_PATH_CASES {
        if !ok {
            assert!(unescape_path(path).is_err(), "unescape_path({path:?})");
        }
    }
    for &(path, esc) in ESCAPE_CASES {
        let esc = if esc.is_empty() { path } else { esc };
        assert_eq!(
            unescape_path(esc).as_deref(),
            Ok(path),
            "unescape_path({esc:?})"
        );
    }
}

/// x/mod `TestMatchPathMajor`: (version, path major, ok) for `check_path_major` and
/// `match_path_major`.
const CHECK_PATH_MAJOR_CASES: &[(&str, &str, bool)] = &[
    ("v0.0.0", "", true),
    ("v0.0.0", "/v2", false),
    ("v0.0.0", ".v0", true),
    ("v0.0.0-20190510104115-cbcb75029529", ".v1", true),
    ("v1.0.0", "/v2", false),
    ("v1.0.0", ".v1", true),
    ("v1.0.0", ".v1-unstable", true),
    ("v2.0.0+incompatible", "", true),
    ("v2.0.0", "", false),
    ("v2.0.0", "/v2", true),
    ("v2.0.0", ".v2", true),
    // Ours.
    ("v0.0.0-20190510104115-cbcb75029529", ".v1-unstable", true),
    ("v0.0.0-20190510104115-cbcb75029529", "/v2", false),
    ("v2.0.0+incompatible", "/v2", true),
    ("v3.0.0+incompatible", "/v2", false),
    ("v1.0.0", "/v1-unstable", false),
    ("bad", "", false),
];

#[test]
fn check_path_major_cases() {
    for &(version, path_major, ok) in CHECK_PATH_MAJOR_CASES {
        let got = check_path_major(version, path_major);
        assert_eq!(
            got.is_ok(),
            ok,
            "check_path_major({version:?}, {path_major:?}) = {got:?}"
        );
        assert_eq!(match_path_major(version, path_major), ok);
    }
}

/// (path major, `path_major_prefix`): ours, `None` where x/mod panics.
const PATH_MAJOR_PREFIX_CASES: &[(&str, Option<&str>)] = &[
    ("", Some("")),
    ("/v2", Some("v2")),
    ("/v10", Some("v10")),
    (".v0", Some("v0")),
    (".v1", Some("v1")),
    (".v1-unstable", Some("v1")),
    ("/v2-unstable", None),
    ("v2", None),
    ("/x", None),
    ("/v2.1", None),
    ("/", None),
];

#[test]
fn path_major_prefix_cases() {
    for &(path_major, want) in PATH_MAJOR_PREFIX_CASES {
        assert_eq!(path_major_prefix(path_major), want, "{path_major:?}");
    }
}

/// (version, escaped, or "" when `escape_version` refuses it).
const ESCAPE_VERSION_CASES: &[(&str, &str)] = &[
    ("v1.0.0", "v1.0.0"),
    ("v1.0.0-RC1", "v1.0.0-!r!c1"),
    ("v2.0.0+incompatible", "v2.0.0+incompatible"),
    ("master", "master"),
    ("Feature-X", "!feature-!x"),
    ("v1.0.0!", ""),
    ("", ""),
    ("v1/v2", ""),
    ("v1.0.0.", ""),
    ("..", ""),
    ("con", ""),
    ("v1 2", "v1 2"),
    // A letter to CheckFilePath, but beyond the escaping; x/mod fails with an internal error.
    ("v1.0.0-é", ""),
    ("v1:2", ""),
];

#[test]
fn escape_version_cases() {
    for &(version, esc) in ESCAPE_VERSION_CASES {
        let got = escape_version(version);
        if esc.is_empty() {
            assert!(got.is_err(), "escape_version({version:?}) = {got:?}");
            continue;
        }
        assert_eq!(got.as_deref(), Ok(esc), "escape_version({version:?})");
        assert_eq!(
            unescape_version(esc).as_deref(),
            Ok(version),
            "unescape_version({esc:?})"
        );
    }
}

const BAD_UNESCAPE_VERSION: &[&str] = &[
    "v1.0.0-RC1",
    "v1.0.0-!",
    "v1.0.0-!!r",
    "v1.0.0-!1",
    "v1.0.0-é",
    "",
    "v1/v2",
    "..",
    "aux",
];

#[test]
fn unescape_version_bad() {
    for &bad in BAD_UNESCAPE_VERSION {
        let got = unescape_version(bad);
        assert!(got.is_err(), "unescape_version({bad:?}) = {got:?}");
    }
}

/// (call, expected message): what a user sees, in the go command's words.
#[test]
fn error_messages() {
    let cases: &[(Result<(), ModuleError>, &str)] = &[
        (
            check_path("localhost/x"),
            r#"malformed module path "localhost/x": missing dot in first path element"#,
        ),
        (
            check_path("Example.com/x"),
            r#"malformed module path "Example.com/x": invalid char 'E' in first path element"#,
        ),
        (
            check_path("example.com/x/v1"),
            r#"malformed module path "example.com/x/v1": invalid version"#,
        ),
        (
            check_path("example.com/x//y"),
            r#"malformed module path "example.com/x//y": double slash"#,
        ),
        (
            check_path("example.com/x/.."),
            r#"malformed module path "example.com/x/..": invalid path element "..""#,
        ),
        (
            check_path("example.com/x\n"),
            r#"malformed module path "example.com/x\n": invalid char '\n'"#,
        ),
        (
            check_path("example.com/nul.txt"),
            r#"malformed module path "example.com/nul.txt": "nul" disallowed as path element component on Windows"#,
        ),
        (
            check_path("example.com/x~1"),
            r#"malformed module path "example.com/x~1": trailing tilde and digits in path element"#,
        ),
        (
            check_import_path("x.y/z!"),
            r#"malformed import path "x.y/z!": invalid char '!'"#,
        ),
        (
            check_file_path("x.y/z:"),
            r#"malformed file path "x.y/z:": invalid char ':'"#,
        ),
        (
            check("example.com/m", "1.0.0"),
            "example.com/m@1.0.0: invalid version: not a semantic version",
        ),
        (
            check("example.com/m", "v2.0.0"),
            "example.com/m@v2.0.0: invalid version: should be v0 or v1, not v2",
        ),
        (
            check("example.com/m/v3", "v2.0.0"),
            "example.com/m/v3@v2.0.0: invalid version: should be v3, not v2",
        ),
        (
            check("gopkg.in/yaml.v2", "v1.0.0"),
            "gopkg.in/yaml.v2@v1.0.0: invalid version: should be v2, not v1",
        ),
        (
            check("example.com/m", "v1.2"),
            r#"example.com/m@v1.2: invalid version: not canonical (should be "v1.2.0")"#,
        ),
        (
            check_path_major("bad", "/v2"),
            "bad: invalid version: should be v2, not ",
        ),
        (
            escape_version("v1!").map(drop),
            "v1!: invalid version: disallowed version string",
        ),
        (
            unescape_path("github.com/!!x").map(drop),
            r#"malformed module path "github.com/!!x": invalid escaping: '!' not followed by a lower-case letter"#,
        ),
        (
            unescape_path("github.com/Azure").map(drop),
            r#"malformed module path "github.com/Azure": invalid escaping: upper-case 'A' (escaped as "!a")"#,
        ),
        (
            unescape_path("github.com/!x/v1").map(drop),
            r#"malformed module path "github.com/X/v1": invalid version"#,
        ),
        (
            unescape_version("v1.0.0-ü").map(drop),
            "v1.0.0-ü: invalid version: invalid escaping: non-ASCII 'ü'",
        ),
        (
            unescape_version("!con").map(drop),
            r#"Con: invalid version: "Con" disallowed as path element component on Windows"#,
        ),
    ];
    for (got, want) in cases {
        let err = got.as_ref().expect_err(want);
        assert_eq!(&err.to_string(), want);
    }
}

#[test]
fn error_fields() {
    let err = check("example.com/m", "v2.0.0").unwrap_err();
    assert_eq!(err.path, "example.com/m");
    assert_eq!(err.version, "v2.0.0");
    assert_eq!(
        err.kind,
        ModuleErrorKind::InvalidVersion("should be v0 or v1, not v2".into())
    );
    let err = check_file_path("a/b*").unwrap_err();
    assert_eq!(
        err.kind,
        ModuleErrorKind::InvalidFilePath("invalid char '*'".into())
    );
    assert_eq!(err.path, "a/b*");
}
