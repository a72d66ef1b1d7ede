// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The directives besides `module`, `go` and `retract`: `require`, the zip's go version, and
//! the `Deprecated:` comment.

use super::super::*;

#[test]
fn requires_are_kept_and_bad_ones_skipped() {
    let file = ModFile::parse_lax(
        b"module m\nrequire example.com/a v1.2.3\nrequire (\n\t\"example.com/b\" v0.1.0-rc.1 // indirect\n\texample.com/c v1.2\n\texample.com/d\n)\nrequire example.com/e v2.0.0+incompatible\n",
    )
    .unwrap();
    let want = [
        ("example.com/a", "v1.2.3"),
        ("example.com/b", "v0.1.0-rc.1"),
        ("example.com/e", "v2.0.0+incompatible"),
    ];
    let got: Vec<(&str, &str)> = file
        .require
        .iter()
        .map(|(p, v)| (p.as_str(), v.as_str()))
        .collect();
    assert_eq!(got, want);
}

/// x/mod's `TestComments`, on the comments each node gets, as (node, before, suffix).
/// (go.mod, what x/mod v0.22.0's zip `parseGoVers` finds, without `go`): the version as that
/// x/mod keeps it, where `parse_lax` cuts it as x/mod 0.7.0 does; `None` for a go.mod its
/// `ParseLax` refuses, a bad `require` included.
const ZIP_GO_VERSIONS: &[(&str, Option<&str>)] = &[
    ("go 1.24\n", Some("1.24")),
    ("go 1.24.0\n", Some("1.24.0")),
    ("go 1.24rc1\n", Some("1.24rc1")),
    ("go 1.24.1rc1\n", Some("1.24.1rc1")),
    ("go 1.24rc01\n", Some("1.24rc01")),
    // laxGoVersionRE: the major and minor of what GoVersionRE refuses.
    ("go 1.24.01\n", Some("1.24")),
    ("go 1.24-pre\n", Some("1.24")),
    ("go 1.24rc\n", Some("1.24")),
    ("module m\n", None),
    ("go v1.24\n", None),
    ("go 1.24\nrequire example.com/x v1.2\n", Some("1.24")),
    ("go 1.24\nrequire example.com/x v2.0.0\n", None),
    ("go 1.24\nrequire example.com/x latest\n", None),
    ("go 1.24\nrequire example.com/x\n", None),
    ("go 1.24\nretract [v1.0.0\n", Some("1.24")),
];

#[test]
fn zip_go_version_as_x_mod_keeps_it() {
    for &(go_mod, want) in ZIP_GO_VERSIONS {
        assert_eq!(
            parse_go_version(go_mod.as_bytes()).as_deref(),
            want,
            "{go_mod:?}"
        );
    }
    // parse_lax still cuts the version, and skips the bad require.
    let lax = ModFile::parse_lax(b"go 1.24.1rc1\nrequire example.com/x latest\n");
    assert_eq!(
        lax.map(|f| (f.go, f.require.len())),
        Ok((Some("1.24".into()), 0))
    );
}

#[test]
fn deprecated() {
    let deprecated = |text: &str| {
        ModFile::parse_lax(text.as_bytes())
            .expect("parses")
            .deprecated
    };
    assert_eq!(
        deprecated("// Deprecated: use example.com/new instead.\nmodule example.com/old\n"),
        Some("use example.com/new instead.".to_owned())
    );
    assert_eq!(
        deprecated("module example.com/old // Deprecated:   gone\n"),
        Some("gone".to_owned())
    );
    assert_eq!(
        deprecated("// A library.\n//\n// Deprecated: see v2.\n//\n// More.\nmodule m\n"),
        Some("see v2.".to_owned())
    );
    assert_eq!(deprecated("// Not Deprecated: really.\nmodule m\n"), None);
    assert_eq!(
        deprecated("// Deprecated: x\nmodule m\n// Deprecated: y\ngo 1.20\n"),
        Some("x".to_owned())
    );
    assert_eq!(deprecated("module m\n"), None);
}
