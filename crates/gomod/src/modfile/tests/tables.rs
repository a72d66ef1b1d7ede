// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Tables for `ModFile::parse_lax`. Every expected answer is what x/mod 0.7.0's `ParseLax`
//! (with Go 1.19, no version fixer, as the go command calls it) gives for the same input; only
//! the error positions are spelled `line L[, column C]` where x/mod writes `go.mod:L[:C]`, and
//! several errors are joined with `; ` where x/mod uses newlines.

use super::super::*;

/// A retraction as (low, high, rationale).
type Retract = (&'static str, &'static str, &'static str);

/// (go.mod, Ok((module, go, retractions)) or Err(message)).
type Case = (
    &'static str,
    Result<
        (
            Option<&'static str>,
            Option<&'static str>,
            &'static [Retract],
        ),
        &'static str,
    >,
);

/// `retract` forms and how leniently they are read.
const RETRACT_CASES: &[Case] = &[
    (
        "module m\nretract v1.0.0\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "")])),
    ),
    (
        "module m\nretract [v1.0.0, v1.9.9]\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.9.9", "")])),
    ),
    (
        "module m\nretract (\n\tv1.0.0\n\t[v1.1.0, v1.2.0]\n)\n",
        Ok((
            Some("m"),
            None,
            &[("v1.0.0", "v1.0.0", ""), ("v1.1.0", "v1.2.0", "")],
        )),
    ),
    (
        "module abc\n\nretract \"v1.2.3\"\n\nretract [ \"v1.2.3\" , \"v1.2.4\" ]\n\nretract (\n\t\"v1.2.3\"\n\n\t[ \"v1.2.3\" , \"v1.2.4\" ]\n)\n",
        Ok((
            Some("abc"),
            None,
            &[
                ("v1.2.3", "v1.2.3", ""),
                ("v1.2.3", "v1.2.4", ""),
                ("v1.2.3", "v1.2.3", ""),
                ("v1.2.3", "v1.2.4", ""),
            ],
        )),
    ),
    // Lax: tokens after the version are for a future Go.
    (
        "module m\nretract v1.0.0 extra tokens\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "")])),
    ),
    // An interval that does not parse is skipped, not an error.
    (
        "module m\nretract (v1.2.3, v1.2.4]\n",
        Ok((Some("m"), None, &[])),
    ),
    (
        "module m\nretract [v1.0.0 v1.1.0]\n",
        Ok((Some("m"), None, &[])),
    ),
    ("module m\nretract [v1.0.0,\n", Ok((Some("m"), None, &[]))),
    ("module m\nretract\n", Ok((Some("m"), None, &[]))),
    // Single quotes are reserved: the directive is skipped.
    ("module m\nretract 'v1.0.0'\n", Ok((Some("m"), None, &[]))),
    // Bounds are kept as written, neither canonicalized nor checked.
    (
        "module m\nretract v1.0\n",
        Ok((Some("m"), None, &[("v1.0", "v1.0", "")])),
    ),
    (
        "module m\nretract junk\n",
        Ok((Some("m"), None, &[("junk", "junk", "")])),
    ),
    // Without a module directive, as the go command reads it (no version fixer).
    (
        "retract v1.0.0\n",
        Ok((None, None, &[("v1.0.0", "v1.0.0", "")])),
    ),
    // A block with more than the verb is some future syntax: skipped.
    (
        "module m\nretract v1.2.3 (\n\tkey1 value1\n)\n",
        Ok((Some("m"), None, &[])),
    ),
];

/// Rationales: x/mod's `retractRationaleTests` first, then comment placement.
const RATIONALE_CASES: &[Case] = &[
    (
        "module m\n//   prefix\nretract v1.0.0 \n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "prefix")])),
    ),
    (
        "module m\n//  one\n//\n//     two\n//\n// three  \nretract v1.0.0",
        Ok((
            Some("m"),
            None,
            &[("v1.0.0", "v1.0.0", "one\n\ntwo\n\nthree")],
        )),
    ),
    (
        "module m\nretract v1.0.0 // suffix\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "suffix")])),
    ),
    (
        "module m\n// prefix\nretract v1.0.0 // suffix\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "prefix\nsuffix")])),
    ),
    (
        "// block\nretract (\n\tv1.0.0\n)\n",
        Ok((None, None, &[("v1.0.0", "v1.0.0", "block")])),
    ),
    (
        "// block\nretract (\n\t// line\n\tv1.0.0\n)\n",
        Ok((None, None, &[("v1.0.0", "v1.0.0", "line")])),
    ),
    // A blank line detaches the comment.
    (
        "module m\n// not mine\n\nretract v1.0.0\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "")])),
    ),
    // In a block, comments above a line are its own, blank lines and all.
    (
        "module m\nretract (\n\t// a\n\n\t// b\n\tv1.0.0 // c\n\tv1.1.0\n)\n",
        Ok((
            Some("m"),
            None,
            &[("v1.0.0", "v1.0.0", "a\nb\nc"), ("v1.1.0", "v1.1.0", "")],
        )),
    ),
    // Comments after `(` and `)` belong to the parentheses.
    (
        "module m\nretract ( // lparen\n\tv1.0.0\n) // rparen\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "")])),
    ),
    // A line with comments of its own does not get the block's.
    (
        "module m\n// block\nretract (\n\tv1.0.0 // own\n\tv1.1.0\n)\n",
        Ok((
            Some("m"),
            None,
            &[("v1.0.0", "v1.0.0", "own"), ("v1.1.0", "v1.1.0", "block")],
        )),
    ),
    // A suffix comment belongs to its line; the next line starts afresh.
    (
        "module m\nretract v1.0.0 // one\n// two\nretract v1.1.0\n",
        Ok((
            Some("m"),
            None,
            &[("v1.0.0", "v1.0.0", "one"), ("v1.1.0", "v1.1.0", "two")],
        )),
    ),
    (
        "module m\nretract v1.0.0 //no space\r\n",
        Ok((Some("m"), None, &[("v1.0.0", "v1.0.0", "no space")])),
    ),
];

/// `module` paths, quoted and not.
const MODULE_CASES: &[Case] = &[
    (
        "module \"github.com/rsc/vgotest\"\n",
        Ok((Some("github.com/rsc/vgotest"), None, &[])),
    ),
    (
        "module github.com/rsc/vgotest\n",
        Ok((Some("github.com/rsc/vgotest"), None, &[])),
    ),
    // Backquotes are not unquoted: only double quotes are.
    (
        "module `github.com/rsc/vgotest`\n",
        Err("line 1: invalid quoted string: unquoted string cannot contain quote"),
    ),
    // Go's escapes: \u, \x and octal.
    (
        "module \"a\\u00e9\\x41\\101\"\n",
        Ok((Some("aéAA"), None, &[])),
    ),
    (
        "module \"bad\\q\"\n",
        Err("line 1: invalid quoted string: invalid syntax"),
    ),
    ("module\n", Err("line 1: usage: module module/path")),
    ("module a b\n", Err("line 1: usage: module module/path")),
    // A bad module line still counts for `repeated`.
    (
        "module a\nmodule b\n",
        Err("line 2: repeated module statement"),
    ),
    // A module block is allowed, as in x/mod.
    (
        "module (\n\texample.com/m\n)\n",
        Ok((Some("example.com/m"), None, &[])),
    ),
    ("module \"a\" // comment\n", Ok((Some("a"), None, &[]))),
    // No module line: `module` is None, not an error.
    ("go 1.19\n", Ok((None, Some("1.19"), &[]))),
    (
        "module x'y\n",
        Err("line 1: invalid quoted string: unquoted string cannot contain quote"),
    ),
];

/// `go` versions: x/mod's `TestGoVersion`, read laxly, and more.
const GO_CASES: &[Case] = &[
    (
        "module m\ngo \n",
        Err("line 2: go directive expects exactly one argument"),
    ),
    (
        "module m\ngo 1\n",
        Err("line 2: invalid go version '1': must match format 1.23"),
    ),
    ("module m\ngo 1.22\n", Ok((Some("m"), Some("1.22"), &[]))),
    // The lax pattern keeps the language version of newer forms.
    ("module m\ngo 1.22.333", Ok((Some("m"), Some("1.22"), &[]))),
    // ...but wants something after `v1.2`, so a bare `v1.2` fails.
    (
        "module m\ngo v1.2\n",
        Err("line 2: invalid go version 'v1.2': must match format 1.23"),
    ),
    ("module m\ngo 1.2rc1\n", Ok((Some("m"), Some("1.2"), &[]))),
    (
        "module m\ngo 1.2 3.4\n",
        Err("line 2: go directive expects exactly one argument"),
    ),
    ("module m\ngo 1.2.3\n", Ok((Some("m"), Some("1.2"), &[]))),
    ("module m\ngo 1.2beta1\n", Ok((Some("m"), Some("1.2"), &[]))),
    (
        "module m\ngo 1.2.beta1\n",
        Ok((Some("m"), Some("1.2"), &[])),
    ),
    ("module m\ngo v1.2.3\n", Ok((Some("m"), Some("1.2"), &[]))),
    (
        "module m\ngo 1.05\n",
        Err("line 2: invalid go version '1.05': must match format 1.23"),
    ),
    (
        "module m\ngo 01.2\n",
        Err("line 2: invalid go version '01.2': must match format 1.23"),
    ),
    ("module m\ngo 1.0x\n", Ok((Some("m"), Some("1.0"), &[]))),
    (
        "module m\ngo 1.19\ngo 1.20\n",
        Err("line 3: repeated go statement"),
    ),
    // The go version is a raw token: quotes are not removed.
    (
        "module m\ngo \"1.19\"\n",
        Err("line 2: invalid go version '\"1.19\"': must match format 1.23"),
    ),
    // A go block is not a directive x/mod knows: skipped.
    ("module m\ngo (\n\t1.19\n)\n", Ok((Some("m"), None, &[]))),
];

/// Unknown directives and blocks are skipped.
const UNKNOWN_CASES: &[Case] = &[
    // x/mod's TestParseLax: everything but module and retract is skipped.
    (
        "module m\n\t\tsurprise attack\n\t\tx y (\n\t\t\tz\n\t\t)\n\t\texclude v1.2.3\n\t\treplace <-!!!\n\t\tretract v1.2.3 v1.2.4\n\t\tretract (v1.2.3, v1.2.4]\n\t\tretract v1.2.3 (\n\t\t\tkey1 value1\n\t\t\tkey2 value2\n\t\t)\n\t\trequire good v1.0.0\n",
        Ok((Some("m"), None, &[("v1.2.3", "v1.2.3", "")])),
    ),
    // Directives from newer Gos.
    (
        "module m\ntoolchain go1.21.0\ngodebug (\n\tdefault=go1.21\n)\ntool example.com/tool\nignore ./x\n",
        Ok((Some("m"), None, &[])),
    ),
];

/// Syntax errors fail even a lax parse; errors name the line.
const SYNTAX_CASES: &[Case] = &[
    (
        "module m\n/* no */\n",
        Err("line 2: mod files must use // comments (not /* */ comments)"),
    ),
    (
        "module \"unterminated\n",
        Err("line 1, column 21: unexpected newline in string"),
    ),
    (
        "module \"eof",
        Err("line 1, column 8: unexpected EOF in string"),
    ),
    (
        "module m\nretract (\n\tv1.0.0\n",
        Err("line 4: syntax error (unterminated block started at 2:1)"),
    ),
    (
        "module m\nretract (\n) x\n",
        Err("line 3, column 4: syntax error (expected newline after closing paren)"),
    ),
    (
        "module m\u{1}\n",
        Err("line 1, column 9: unexpected input character '\\x01'"),
    ),
    // Go's IsPrint: control characters are not identifier characters.
    (
        "module m\ngo 1.19\n\u{7f}\n",
        Err("line 3: unexpected input character '\\x7f'"),
    ),
    ("", Ok((None, None, &[]))),
    // Empty.
    (
        "module m\r\ngo 1.19\r\n",
        Ok((Some("m"), Some("1.19"), &[])),
    ),
    (
        "module m\nmodule n\ngo 1\n",
        Err(
            "line 2: repeated module statement; line 3: invalid go version '1': must match format 1.23",
        ),
    ),
    // Every bad line is reported.
    (
        "module (\n\ta b\n)\n",
        Err("line 2, column 2: usage: module module/path"),
    ),
    // In a block the column is given, as x/mod does when it is not 1.
    (
        "\u{feff}module m\n",
        Err("line 1: unexpected input character '\\ufeff'"),
    ),
];
fn run(cases: &[Case]) {
    for &(input, ref want) in cases {
        let got = ModFile::parse_lax(input.as_bytes());
        match (got, want) {
            (Ok(file), Ok((module, go, retract))) => {
                assert_eq!(file.module.as_deref(), *module, "module of {input:?}");
                assert_eq!(file.go.as_deref(), *go, "go of {input:?}");
                let got: Vec<(&str, &str, &str)> = file
                    .retract
                    .iter()
                    .map(|r| (r.low.as_str(), r.high.as_str(), r.rationale.as_str()))
                    .collect();
                let want: Vec<(&str, &str, &str)> = retract.to_vec();
                assert_eq!(got, want, "retract of {input:?}");
            }
            (Err(e), Err(message)) => assert_eq!(e.to_string(), *message, "error for {input:?}"),
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn retract() {
    run(RETRACT_CASES);
}

#[test]
fn rationale() {
    run(RATIONALE_CASES);
}

#[test]
fn module() {
    run(MODULE_CASES);
}

#[test]
fn go() {
    run(GO_CASES);
}

#[test]
fn unknown_directives() {
    run(UNKNOWN_CASES);
}

#[test]
fn syntax() {
    run(SYNTAX_CASES);
}

#[test]
fn errors_carry_positions() {
    let err = ModFile::parse_lax(b"module m\nmodule n\ngo 1\n").unwrap_err();
    assert_eq!(
        err.errors,
        [
            ModFileError {
                line: 2,
                column: None,
                message: "repeated module statement".into()
            },
            ModFileError {
                line: 3,
                column: None,
                message: "invalid go version '1': must match format 1.23".into()
            },
        ]
    );
}
