// Ported from golang.org/x/mod (modfile/read_test.go, modfile/rule_test.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The syntax layer: where comments attach, and that no input panics the parser.

use super::super::ModFile;
use super::super::read::{Comments, Parser, Stmt};

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
