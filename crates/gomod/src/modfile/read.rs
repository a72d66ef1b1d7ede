// Ported from golang.org/x/mod (modfile/read.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The go.mod tokenizer and parser (x/mod `modfile/read.go`): lines, `verb ( … )` blocks, and
//! the comments around them, attached where x/mod attaches them.

use super::ModFileError;
use crate::error::{needs_escape, quote_char};

/// A position in the go.mod text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) line: usize,
    /// The character in the line, from 1.
    pub(super) line_rune: usize,
    byte: usize,
}

impl Position {
    /// The position after a one-byte `)`.
    fn after_paren(self) -> Self {
        Self {
            byte: self.byte + 1,
            line_rune: self.line_rune + 1,
            ..self
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Comment {
    start: Position,
    /// The text, from `//` to the end of the line; empty for a blank line kept in a block.
    pub(super) token: String,
}

#[derive(Debug, Default)]
pub(super) struct Comments {
    /// Whole-line comments just above.
    pub(super) before: Vec<Comment>,
    /// End-of-line comments after.
    pub(super) suffix: Vec<Comment>,
}

#[derive(Debug, Default)]
pub(super) struct Line {
    pub(super) comments: Comments,
    pub(super) start: Position,
    pub(super) tokens: Vec<String>,
    end: Position,
}

#[derive(Debug, Default)]
pub(super) struct LineBlock {
    pub(super) comments: Comments,
    start: Position,
    pub(super) tokens: Vec<String>,
    lparen: Position,
    pub(super) lparen_comments: Comments,
    pub(super) lines: Vec<Line>,
    rparen: Position,
    pub(super) rparen_comments: Comments,
}

#[derive(Debug)]
pub(super) enum Stmt {
    /// Whole-line comments on their own; nothing needs them.
    Comments,
    Line(Line),
    Block(LineBlock),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Eof,
    /// A comment after something else on its line.
    EolComment,
    Ident,
    String,
    /// A comment alone on its line.
    Comment,
    /// A newline or one of `( ) [ ] { } ,`.
    Punct(char),
}

impl Kind {
    fn is_eol(self) -> bool {
        matches!(self, Kind::Eof | Kind::EolComment | Kind::Punct('\n'))
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    pos: Position,
    end: Position,
    text: String,
}

/// x/mod's `input`: the lexer, with one token of lookahead, and the parser.
pub(super) struct Parser<'a> {
    text: &'a str,
    /// Byte offset of the unread input.
    at: usize,
    pos: Position,
    token: Token,
    /// End-of-line comments, attached to the syntax once it is all parsed.
    suffix_comments: Vec<Comment>,
}

type ParseResult<T> = Result<T, ModFileError>;

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let start = Position {
            line: 1,
            line_rune: 1,
            byte: 0,
        };
        Self {
            text,
            at: 0,
            pos: start,
            token: Token {
                kind: Kind::Eof,
                pos: start,
                end: start,
                text: String::new(),
            },
            suffix_comments: Vec::new(),
        }
    }

    fn error<T>(&self, message: impl Into<String>) -> ParseResult<T> {
        Err(ModFileError::at(self.pos, message.into()))
    }

    fn remaining(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn peek_char(&self) -> Option<char> {
        self.remaining().chars().next()
    }

    fn read_char(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.at += c.len_utf8();
        self.pos.byte += c.len_utf8();
        if c == '\n' {
            self.pos.line += 1;
            self.pos.line_rune = 1;
        } else {
            self.pos.line_rune += 1;
        }
        Some(c)
    }

    fn peek(&self) -> Kind {
        self.token.kind
    }

    /// The current token; reads the next.
    fn lex(&mut self) -> ParseResult<Token> {
        let token = self.token.clone();
        self.read_token()?;
        Ok(token)
    }

    fn start_token(&mut self) -> (usize, Position) {
        (self.at, self.pos)
    }

    fn end_token(&mut self, (start, pos): (usize, Position), kind: Kind) {
        let mut text = &self.text[start..self.at];
        if matches!(kind, Kind::Comment | Kind::EolComment) {
            text = text
                .strip_suffix("\r\n")
                .or_else(|| text.strip_suffix('\n'))
                .unwrap_or(text);
        }
        self.token = Token {
            kind,
            pos,
            end: self.pos,
            text: text.to_owned(),
        };
    }

    /// x/mod `readToken`: skips blanks, then reads a comment, a newline or other punctuation, a
    /// string, or an identifier.
    fn read_token(&mut self) -> ParseResult<()> {
        if self.skip_blanks_to_comment()? {
            return Ok(());
        }
        let start = self.start_token();
        let Some(c) = self.peek_char() else {
            self.end_token(start, Kind::Eof);
            return Ok(());
        };
        match c {
            '\n' | '(' | ')' | '[' | ']' | '{' | '}' | ',' => {
                self.read_char();
                self.end_token(start, Kind::Punct(c));
                Ok(())
            }
            '"' | '`' => self.read_string(start, c),
            c if is_ident(c) => self.read_ident(start),
            c => self.error(format!("unexpected input character {}", quote_char(c))),
        }
    }

    /// Skips spaces, tabs and carriage returns; then, at a `//` comment, reads it as the token
    /// and says so with `true`.
    fn skip_blanks_to_comment(&mut self) -> ParseResult<bool> {
        while let Some(c) = self.peek_char() {
            if matches!(c, ' ' | '\t' | '\r') {
                self.read_char();
                continue;
            }
            if self.remaining().starts_with("//") {
                self.read_comment();
                return Ok(true);
            }
            if self.remaining().starts_with("/*") {
                return self.error("mod files must use // comments (not /* */ comments)");
            }
            break;
        }
        Ok(false)
    }

    /// A `//` comment, to the end of its line: a whole-line comment, or, with something before
    /// it on its line, a suffix comment, also kept aside for that line.
    fn read_comment(&mut self) {
        let start = self.start_token();
        // A comment with something before it on its line belongs to that line.
        let line_start = self.text[..self.at].rfind('\n').map_or(0, |i| i + 1);
        let suffix = !self.text[line_start..self.at].trim().is_empty();
        // The comment takes its newline with it.
        while let Some(c) = self.read_char() {
            if c == '\n' {
                break;
            }
        }
        if !suffix {
            self.end_token(start, Kind::Comment);
            return;
        }
        self.end_token(start, Kind::EolComment);
        self.suffix_comments.push(Comment {
            start: self.token.pos,
            token: self.token.text.clone(),
        });
    }

    /// A string quoted with `quote` (`"` or `` ` ``), which must end on its line; `\` escapes
    /// the next character in a `"` string.
    fn read_string(&mut self, start: (usize, Position), quote: char) -> ParseResult<()> {
        self.read_char();
        loop {
            let Some(next) = self.peek_char() else {
                self.pos = start.1;
                return self.error("unexpected EOF in string");
            };
            if next == '\n' {
                return self.error("unexpected newline in string");
            }
            self.read_char();
            if next == quote {
                break;
            }
            if next == '\\' && quote != '`' && self.read_char().is_none() {
                self.pos = start.1;
                return self.error("unexpected EOF in string");
            }
        }
        self.end_token(start, Kind::String);
        Ok(())
    }

    /// An identifier: a run of [`is_ident`] characters, which a comment ends.
    fn read_ident(&mut self, start: (usize, Position)) -> ParseResult<()> {
        while self.peek_char().is_some_and(is_ident) {
            if self.remaining().starts_with("//") {
                break;
            }
            if self.remaining().starts_with("/*") {
                return self.error("mod files must use // comments (not /* */ comments)");
            }
            self.read_char();
        }
        self.end_token(start, Kind::Ident);
        Ok(())
    }

    /// x/mod `parse` and `parseFile`: the statements, with their comments attached.
    pub(super) fn parse_file(mut self) -> ParseResult<Vec<Stmt>> {
        self.read_token()?;
        let mut stmts = Vec::new();
        // Whole-line comments since the last blank line: the next statement's.
        let mut pending: Option<Vec<Comment>> = None;
        loop {
            match self.peek() {
                Kind::Punct('\n') => {
                    self.lex()?;
                    if pending.take().is_some() {
                        stmts.push(Stmt::Comments);
                    }
                }
                Kind::Comment => {
                    let token = self.lex()?;
                    pending.get_or_insert_with(Vec::new).push(Comment {
                        start: token.pos,
                        token: token.text,
                    });
                }
                Kind::Eof => {
                    if pending.is_some() {
                        stmts.push(Stmt::Comments);
                    }
                    break;
                }
                _ => {
                    let mut stmt = self.parse_stmt()?;
                    if let Some(before) = pending.take() {
                        match &mut stmt {
                            Stmt::Line(line) => line.comments.before = before,
                            Stmt::Block(block) => block.comments.before = before,
                            Stmt::Comments => {}
                        }
                    }
                    stmts.push(stmt);
                }
            }
        }
        assign_suffix_comments(&mut stmts, self.suffix_comments);
        Ok(stmts)
    }

    /// x/mod `parseStmt`: a line, or a `verb (` block.
    fn parse_stmt(&mut self) -> ParseResult<Stmt> {
        let first = self.lex()?;
        let start = first.pos;
        let mut end = first.end;
        let mut tokens = vec![first.text];
        loop {
            let token = self.lex()?;
            if token.kind.is_eol() {
                return Ok(Stmt::Line(Line {
                    comments: Comments::default(),
                    start,
                    tokens,
                    end,
                }));
            }
            if token.kind == Kind::Punct('(') {
                let next = self.peek();
                if next.is_eol() {
                    return Ok(Stmt::Block(
                        self.parse_line_block(start, tokens, token.pos)?,
                    ));
                }
                if next == Kind::Punct(')') {
                    let rparen = self.lex()?;
                    if self.peek().is_eol() {
                        self.lex()?;
                        return Ok(Stmt::Block(LineBlock {
                            start,
                            tokens,
                            lparen: token.pos,
                            rparen: rparen.pos,
                            ..LineBlock::default()
                        }));
                    }
                    // `( )` inside a line is just two tokens.
                    tokens.push(token.text);
                    tokens.push(rparen.text);
                } else {
                    tokens.push(token.text);
                }
                // x/mod does not move the line's end over parentheses.
                continue;
            }
            tokens.push(token.text);
            end = token.end;
        }
    }

    /// x/mod `parseLineBlock`.
    fn parse_line_block(
        &mut self,
        start: Position,
        tokens: Vec<String>,
        lparen: Position,
    ) -> ParseResult<LineBlock> {
        let mut block = LineBlock {
            start,
            tokens,
            lparen,
            ..LineBlock::default()
        };
        let mut comments: Vec<Comment> = Vec::new();
        loop {
            match self.peek() {
                Kind::EolComment => {
                    self.lex()?;
                }
                Kind::Punct('\n') => {
                    self.lex()?;
                    // A blank line is kept as an empty comment, once, and not at the top.
                    let keep = match comments.last() {
                        None => !block.lines.is_empty(),
                        Some(last) => !last.token.is_empty(),
                    };
                    if keep {
                        comments.push(Comment {
                            start: Position::default(),
                            token: String::new(),
                        });
                    }
                }
                Kind::Comment => {
                    let token = self.lex()?;
                    comments.push(Comment {
                        start: token.pos,
                        token: token.text,
                    });
                }
                Kind::Eof => {
                    return self.error(format!(
                        "syntax error (unterminated block started at {}:{})",
                        block.start.line, block.start.line_rune
                    ));
                }
                Kind::Punct(')') => {
                    let rparen = self.lex()?;
                    block.rparen_comments.before = std::mem::take(&mut comments);
                    block.rparen = rparen.pos;
                    if !self.peek().is_eol() {
                        return self.error("syntax error (expected newline after closing paren)");
                    }
                    self.lex()?;
                    return Ok(block);
                }
                _ => {
                    let mut line = self.parse_line()?;
                    line.comments.before = std::mem::take(&mut comments);
                    block.lines.push(line);
                }
            }
        }
    }

    /// x/mod `parseLine`: one line inside a block.
    fn parse_line(&mut self) -> ParseResult<Line> {
        let first = self.lex()?;
        let start = first.pos;
        let mut end = first.end;
        let mut tokens = vec![first.text];
        loop {
            let token = self.lex()?;
            if token.kind.is_eol() {
                return Ok(Line {
                    comments: Comments::default(),
                    start,
                    tokens,
                    end,
                });
            }
            tokens.push(token.text);
            end = token.end;
        }
    }
}

/// x/mod `isIdent`: printable, not space, and not one of `( ) [ ] { } ,`.
fn is_ident(c: char) -> bool {
    !matches!(c, ' ' | '(' | ')' | '[' | ']' | '{' | '}' | ',')
        && !c.is_whitespace()
        && !needs_escape(c)
}

/// Where a suffix comment can go: a node of the syntax in x/mod's postorder.
#[derive(Clone, Copy)]
enum Node {
    Line(usize),
    Block(usize),
    LParen(usize),
    BlockLine(usize, usize),
    RParen(usize),
}

/// x/mod `assignComments`, for end-of-line comments (whole-line ones were attached while
/// parsing): each goes to the last node, in postorder, that ends on one line before it starts.
fn assign_suffix_comments(stmts: &mut [Stmt], mut suffix: Vec<Comment>) {
    let mut post = Vec::new();
    for (i, stmt) in stmts.iter().enumerate() {
        match stmt {
            Stmt::Comments => {}
            Stmt::Line(line) => post.push((Node::Line(i), line.start, line.end)),
            Stmt::Block(block) => {
                post.push((Node::LParen(i), block.lparen, block.lparen.after_paren()));
                for (j, line) in block.lines.iter().enumerate() {
                    post.push((Node::BlockLine(i, j), line.start, line.end));
                }
                post.push((Node::RParen(i), block.rparen, block.rparen.after_paren()));
                post.push((Node::Block(i), block.start, block.rparen.after_paren()));
            }
        }
    }
    // A bare comment block (Stmt::Comments) spans nothing and starts a line, so no suffix
    // comment can be its; leaving it out of `post` changes nothing.
    for &(node, start, end) in post.iter().rev() {
        if start.line != end.line {
            continue;
        }
        let comments = match node {
            Node::Line(i) => match &mut stmts[i] {
                Stmt::Line(line) => &mut line.comments,
                _ => continue,
            },
            Node::Block(i) | Node::LParen(i) | Node::RParen(i) | Node::BlockLine(i, _) => {
                let Stmt::Block(block) = &mut stmts[i] else {
                    continue;
                };
                match node {
                    Node::Block(_) => &mut block.comments,
                    Node::LParen(_) => &mut block.lparen_comments,
                    Node::RParen(_) => &mut block.rparen_comments,
                    Node::BlockLine(_, j) => &mut block.lines[j].comments,
                    Node::Line(_) => continue,
                }
            }
        };
        while let Some(last) = suffix.last()
            && end.byte <= last.start.byte
        {
            if let Some(comment) = suffix.pop() {
                // Taken last first; reversed below.
                comments.suffix.insert(0, comment);
            }
        }
    }
}
