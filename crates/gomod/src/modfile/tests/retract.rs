// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! `ModFile::is_retracted`: which retraction, if any, covers a version.

use super::super::*;

/// (retractions as go.mod lines, version, the rationale of the retraction that covers it).
const IS_RETRACTED_CASES: &[(&str, &str, Option<&str>)] = &[
    ("retract v1.0.0 // one", "v1.0.0", Some("one")),
    ("retract v1.0.0 // one", "v1.0.1", None),
    ("retract v1.0.0 // one", "v1.0.0+meta", Some("one")),
    ("retract [v1.0.0, v1.2.0] // range", "v0.9.9", None),
    ("retract [v1.0.0, v1.2.0] // range", "v1.0.0", Some("range")),
    (
        "retract [v1.0.0, v1.2.0] // range",
        "v1.1.5-pre",
        Some("range"),
    ),
    ("retract [v1.0.0, v1.2.0] // range", "v1.2.0", Some("range")),
    (
        "retract [v1.0.0, v1.2.0] // range",
        "v1.2.1-0.20200101000000-abcdefabcdef",
        None,
    ),
    (
        "retract [v1.0.0, v1.2.0] // range",
        "v1.2.0-rc.1",
        Some("range"),
    ),
    // Bounds as written: `v1.0` is `v1.0.0`.
    ("retract v1.0 // short", "v1.0.0", Some("short")),
    // The first match wins.
    (
        "retract v1.0.0 // first\nretract [v0.1.0, v2.0.0] // second",
        "v1.0.0",
        Some("first"),
    ),
    (
        "retract v1.0.0 // first\nretract [v0.1.0, v2.0.0] // second",
        "v1.5.0",
        Some("second"),
    ),
    // A bound that is not a version sorts below every version, so it matches as a low bound only.
    ("retract [junk, v1.0.0] // open", "v0.0.1", Some("open")),
    ("retract [v1.0.0, junk] // never", "v1.0.0", None),
    // An invalid version is never retracted.
    ("retract junk // junk", "junk", None),
    ("retract [junk, v1.0.0]", "1.0.0", None),
    // Go semver shorthands are versions: `v1` is `v1.0.0`.
    ("retract [junk, v1.0.0] // short", "v1", Some("short")),
];

#[test]
fn is_retracted() {
    for &(retract, version, want) in IS_RETRACTED_CASES {
        let file = ModFile::parse_lax(format!("module m\n{retract}\n").as_bytes()).unwrap();
        let got = file.is_retracted(version).map(|r| r.rationale.as_str());
        assert_eq!(got, want, "{retract:?} {version:?}");
    }
}
