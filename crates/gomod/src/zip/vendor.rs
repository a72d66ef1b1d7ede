// Ported from golang.org/x/mod (zip/zip.go, zip/vendor_test.go) and Go's go/version (internal/gover/gover.go). Copyright 2019, 2020, 2023 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Which files are in vendored packages, and so left out of a module zip (x/mod
//! `isVendoredPackage`), by the rule the root go.mod's `go` line selects.

use std::cmp::Ordering;
use std::io::Read;

use super::{MAX_GO_MOD, ModuleFile};

/// Which `isVendoredPackage` applies to a module, by the go version its go.mod declares: x/mod
/// v0.22.0 fixed two of its bugs for modules that say `go 1.24` or later, and kept them for the
/// rest, whose checksums must not change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VendorRule {
    /// No go.mod, no `go` line, a go.mod that does not parse, or a version before 1.24.
    Go123,
    /// `go 1.24` or later.
    Go124,
}

impl VendorRule {
    /// The rule for a module whose root go.mod holds `go_mod` (x/mod `parseGoVers`, then
    /// `version.Compare(version.Lang(vers), "go1.24") >= 0`).
    pub(super) fn of_go_mod(go_mod: &[u8]) -> Self {
        match crate::modfile::parse_go_version(go_mod) {
            Some(version) if go_1_24_or_later(&version) => Self::Go124,
            _ => Self::Go123,
        }
    }
}

/// The rule of the module whose root go.mod is `f`, read as x/mod reads it (to the end, an
/// error meaning no answer), but no further than [`MAX_GO_MOD`]: a longer one makes the module
/// invalid anyway.
pub(super) fn read_vendor_rule<F: ModuleFile>(f: &F) -> Option<VendorRule> {
    let mut go_mod = Vec::new();
    f.open()
        .and_then(|r| r.take(MAX_GO_MOD + 1).read_to_end(&mut go_mod))
        .ok()?;
    (go_mod.len() as u64 <= MAX_GO_MOD).then(|| VendorRule::of_go_mod(&go_mod))
}

/// Whether `go{version}` is a valid Go version (Go's `go/version.IsValid`) of language version
/// 1.24 or later: `1.24`, `1.24.0`, `1.24rc1`, `1.25`, `2.0`, but not `1.24.1rc1` or `1.24rc01`,
/// which go/version refuses.
fn go_1_24_or_later(version: &str) -> bool {
    /// go/version `cutInt`: a decimal number without a needless leading zero.
    fn cut_int(s: &str) -> Option<(&str, &str)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (n, rest) = s.split_at(end);
        (!n.is_empty() && (n == "0" || !n.starts_with('0'))).then_some((n, rest))
    }
    /// go/version `Parse`: the major and minor of a valid version.
    fn parse(s: &str) -> Option<(&str, &str)> {
        let (major, rest) = cut_int(s)?;
        if rest.is_empty() {
            return Some((major, "0"));
        }
        let (minor, rest) = cut_int(rest.strip_prefix('.')?)?;
        if let Some(patch) = rest.strip_prefix('.') {
            // No prerelease of a patch release.
            return cut_int(patch)
                .filter(|(_, rest)| rest.is_empty())
                .map(|_| (major, minor));
        }
        if !rest.is_empty() {
            let kind = rest
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(rest.len());
            let pre = &rest[kind..];
            if kind == 0 || !pre.is_empty() && cut_int(pre).is_none_or(|(_, r)| !r.is_empty()) {
                return None;
            }
        }
        Some((major, minor))
    }
    /// go/version `CmpInt`, for numbers without leading zeros.
    fn cmp_int(x: &str, y: &str) -> Ordering {
        x.len().cmp(&y.len()).then_with(|| x.cmp(y))
    }
    parse(version).is_some_and(|(major, minor)| {
        cmp_int(major, "1").then_with(|| cmp_int(minor, "24")) != Ordering::Less
    })
}

/// x/mod `isVendoredPackage` (v0.22.0 and later): whether the file is in a vendored package.
///
/// For paths under `vendor/`, true below `vendor/<dir>/`; with [`VendorRule::Go124`], also
/// for `vendor/modules.txt` (golang.org/issue/63395). For `…/vendor/` deeper in the tree,
/// x/mod before v0.22.0 counted its offset from the start of the path instead of from the
/// match, and since the match starts at 1 or later the rest always holds a `/`: every file
/// below a nested `vendor` directory is dropped, `pkg/vendor/vendor.go` included. Fixing that
/// changes checksums (golang.org/issue/31562, golang.org/issue/37397), so only
/// [`VendorRule::Go124`] counts from the match.
pub(super) fn is_vendored_package(name: &str, rule: VendorRule) -> bool {
    if rule == VendorRule::Go124 && name == "vendor/modules.txt" {
        return true;
    }
    let offset = if name.starts_with("vendor/") {
        "vendor/".len()
    } else if let Some(j) = name.find("/vendor/") {
        match rule {
            VendorRule::Go123 => "/vendor/".len(),
            VendorRule::Go124 => j + "/vendor/".len(),
        }
    } else {
        return false;
    };
    // Bytes, as in Go: the buggy offset need not fall on a character boundary.
    name.as_bytes()[offset..].contains(&b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, vendored by the Go 1.23 rule, by the Go 1.24 rule): x/mod's `TestIsVendoredPackage`
    /// (vendor_test.go, v0.22.0) first, then ours, all checked against x/mod.
    const VENDOR_CASES: &[(&str, bool, bool)] = &[
        ("vendor/foo/foo.go", true, true),
        ("pkg/vendor/foo/foo.go", true, true),
        ("longpackagename/vendor/foo/foo.go", true, true),
        ("vendor/vendor.go", false, false),
        ("vendor/foo/modules.txt", true, true),
        ("modules.txt", false, false),
        ("vendor/amodules.txt", false, false),
        // golang.org/issue/63395
        ("vendor/modules.txt", false, true),
        // golang.org/issue/37397: the bug kept for older modules.
        ("pkg/vendor/vendor.go", true, false),
        ("longpackagename/vendor/vendor.go", true, false),
        // Ours.
        ("vendor/x.go", false, false),
        ("vendor/a/b.go", true, true),
        ("vendor/example.com/x/x.go", true, true),
        ("vendored/a/b.go", false, false),
        ("a/vendor", false, false),
        ("sub/vendor/sub.txt", true, false),
        ("inner/vendor/deep/y.go", true, true),
        ("a/vendor/b/vendor/c.go", true, true),
        ("é/vendor/x.go", true, false),
        ("a/vendor/modules.txt", true, false),
        ("a.go", false, false),
    ];

    #[test]
    fn vendored_like_x_mod() {
        for &(name, go123, go124) in VENDOR_CASES {
            assert_eq!(
                is_vendored_package(name, VendorRule::Go123),
                go123,
                "{name}"
            );
            assert_eq!(
                is_vendored_package(name, VendorRule::Go124),
                go124,
                "{name}"
            );
        }
    }

    /// (go.mod, the vendor rule x/mod v0.22.0's `CheckFiles` applies to its module), as
    /// x/mod v0.22.0 built with Go 1.27.3 answers: whether it keeps `pkg/vendor/vendor.go`.
    const GO_MOD_RULES: &[(&str, VendorRule)] = &[
        ("module m\n\ngo 1.24\n", VendorRule::Go124),
        ("go 1.23\n", VendorRule::Go123),
        ("", VendorRule::Go123),
        ("module m\n", VendorRule::Go123),
        ("go 1.24.0\n", VendorRule::Go124),
        ("go 1.24rc1\n", VendorRule::Go124),
        ("go 1.24beta2\n", VendorRule::Go124),
        ("go 1.24.1rc1\n", VendorRule::Go123),
        ("go 1.24rc01\n", VendorRule::Go123),
        ("go 1.24rc0\n", VendorRule::Go124),
        ("go v1.24\n", VendorRule::Go123),
        ("go 1.24-pre\n", VendorRule::Go124),
        ("go 1.24rc\n", VendorRule::Go124),
        ("go 1.024\n", VendorRule::Go123),
        ("go 01.24\n", VendorRule::Go123),
        ("go 1.24.01\n", VendorRule::Go124),
        ("go 1.23.9\n", VendorRule::Go123),
        ("go 1.25\n", VendorRule::Go124),
        ("go 1.240\n", VendorRule::Go124),
        ("go 2.0\n", VendorRule::Go124),
        ("go 1.24 // comment\n", VendorRule::Go124),
        ("go \"1.24\"\n", VendorRule::Go123),
        ("go 1.24\ngo 1.25\n", VendorRule::Go123),
        ("go 1.24\nrequire example.com/x v1.2\n", VendorRule::Go124),
        ("go 1.24\nrequire example.com/x v2.0.0\n", VendorRule::Go123),
        (
            "go 1.24\nrequire example.com/x/v2 v2.0.0\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire example.com/x v2.0.0+incompatible\n",
            VendorRule::Go124,
        ),
        ("go 1.24\nrequire example.com/x\n", VendorRule::Go123),
        ("go 1.24\nrequire example.com/x latest\n", VendorRule::Go123),
        (
            "go 1.24\nrequire \"example.com/x\" \"v1.0.0\"\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire 'example.com/x' v1.0.0\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire (\n\texample.com/x v1.0.0\n\texample.com/y bad\n)\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire gopkg.in/yaml.v2 v2.4.0\n",
            VendorRule::Go124,
        ),
        (
            "go 1.24\nrequire gopkg.in/yaml.v2 v3.0.0\n",
            VendorRule::Go123,
        ),
        (
            "go 1.24\nrequire example.com/x/v2 v0.0.0-20200101000000-abcdefabcdef\n",
            VendorRule::Go123,
        ),
        ("go 1.24\nretract [v1.0.0\n", VendorRule::Go124),
        ("go 1.24\nretract v1.0.0 extra\n", VendorRule::Go124),
        (
            "go 1.24\ntoolchain go1.24.0\ngodebug x=1\n",
            VendorRule::Go124,
        ),
        ("go 1.24\ntoolchain bad\n", VendorRule::Go124),
        (
            "go 1.24\nreplace example.com/x => bad bad\n",
            VendorRule::Go124,
        ),
        ("go 1.24\nexclude example.com/x bad\n", VendorRule::Go124),
        ("go 1.24\nmodule a\nmodule b\n", VendorRule::Go123),
        ("go 1.24\nmodule a b\n", VendorRule::Go123),
        ("go 1.24\n/* comment */\n", VendorRule::Go123),
        ("go 1.24\nunknown directive here\n", VendorRule::Go124),
        ("go 1.24\nfoo (\n bar\n)\n", VendorRule::Go124),
        ("go 1.24\ntool example.com/x\n", VendorRule::Go124),
        ("go 1.24 1.25\n", VendorRule::Go123),
        ("go\n", VendorRule::Go123),
        ("go 1.24\0\n", VendorRule::Go123),
    ];

    #[test]
    fn vendor_rule_by_go_mod_like_x_mod() {
        for &(go_mod, want) in GO_MOD_RULES {
            assert_eq!(VendorRule::of_go_mod(go_mod.as_bytes()), want, "{go_mod:?}");
        }
    }

    /// (version, whether go/version puts it at language version 1.24 or later).
    const GO_VERSIONS: &[(&str, bool)] = &[
        ("1.24", true),
        ("1.24.0", true),
        ("1.24.9", true),
        ("1.24rc1", true),
        ("1.24rc0", true),
        ("1.24rc", true),
        ("1.24beta2", true),
        ("1.25", true),
        ("1.99.0", true),
        ("1.240", true),
        ("2", true),
        ("2.0", true),
        ("10.0", true),
        ("1.23", false),
        ("1.23.9", false),
        ("1.23rc1", false),
        ("1.2", false),
        ("1", false),
        ("1.0", false),
        // Invalid for go/version, so before every valid version.
        ("", false),
        ("1.24.1rc1", false),
        ("1.24rc01", false),
        ("1.24rc1x", false),
        ("1.24RC1", false),
        ("1.024", false),
        ("01.24", false),
        ("1.24.01", false),
        ("1.24.", false),
        ("1.", false),
        ("v1.24", false),
        ("1.24-pre", false),
    ];

    #[test]
    fn go_versions_like_go_version_package() {
        for &(version, want) in GO_VERSIONS {
            assert_eq!(go_1_24_or_later(version), want, "{version:?}");
        }
    }
}
