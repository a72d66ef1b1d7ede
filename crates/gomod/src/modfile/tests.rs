// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Tables for `ModFile::parse_lax`. Every expected answer is what x/mod 0.7.0's `ParseLax`
//! (with Go 1.19, no version fixer, as the go command calls it) gives for the same input; only
//! the error positions are spelled `line L[, column C]` where x/mod writes `go.mod:L[:C]`, and
//! several errors are joined with `; ` where x/mod uses newlines.

use super::read::{Comments, Parser, Stmt};
use super::*;

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
#[test]
fn comments_attach_like_x_mod() {
    let input = "
// a

// b
block ( // c
\t// d

\t// e
\tx // f
\t// g

\t// h
) // i
// j

// k
";
    let stmts = Parser::new(input).parse_file().unwrap();
    let tokens = |c: &Comments| {
        (
            c.before.iter().map(|c| c.token.clone()).collect::<Vec<_>>(),
            c.suffix.iter().map(|c| c.token.clone()).collect::<Vec<_>>(),
        )
    };
    let Some(Stmt::Block(block)) = stmts.iter().find(|s| matches!(s, Stmt::Block(_))) else {
        panic!("no block in {stmts:?}");
    };
    assert_eq!(tokens(&block.comments), (vec!["// b".to_owned()], vec![]));
    assert_eq!(
        tokens(&block.lparen_comments),
        (vec![], vec!["// c".to_owned()])
    );
    assert_eq!(
        tokens(&block.lines[0].comments),
        (
            vec!["// d".to_owned(), String::new(), "// e".to_owned()],
            vec!["// f".to_owned()]
        )
    );
    assert_eq!(
        tokens(&block.rparen_comments),
        (
            vec!["// g".to_owned(), String::new(), "// h".to_owned()],
            vec!["// i".to_owned()]
        )
    );
    // cr_removed: only the final CR LF goes.
    let stmts = Parser::new("// a\r\r\nmodule m\n").parse_file().unwrap();
    let Some(Stmt::Line(line)) = stmts.first() else {
        panic!("{stmts:?}");
    };
    assert_eq!(line.comments.before[0].token, "// a\r");
}

/// Random bytes never panic the parser.
#[test]
fn fuzz_does_not_panic() {
    let alphabet: &[&str] = &[
        "module", "go", "retract", "require", " ", "\t", "\n", "\r\n", "(", ")", "[", "]", ",",
        "\"", "`", "\\", "//", "/*", "v1.0.0", "1.19", "x", "é", "\u{1}", "\u{feff}", "'",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        let mut input = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        for _ in 0..(state % 24) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            input.push_str(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let _ = ModFile::parse_lax(input.as_bytes());
    }
}

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
