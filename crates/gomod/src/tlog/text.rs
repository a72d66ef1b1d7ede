// Ported from golang.org/x/mod (sumdb/tlog/note.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod `sumdb/tlog/note.go`: the tree head and record texts a checksum database serves.

use super::{Hash, TlogError};
use crate::gobase64;

/// A tree head (x/mod `Tree`): the size and hash of a tree, which a server signs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tree {
    /// The number of records.
    pub n: u64,
    /// The tree hash.
    pub hash: Hash,
}

/// The first line of a tree head. A format that old clients could not read would change it
/// (`go.sum database tree v2`, say); one they can read would add lines after the third.
const TREE_PREFIX: &[u8] = b"go.sum database tree\n";

/// A tree head longer than this is malformed, so that reading one cannot be made to take long.
const MAX_TREE_TEXT: usize = 1_000_000;

/// x/mod `FormatTree`: the tree head text to sign, three lines each ending in a newline:
///
/// ```text
/// go.sum database tree
/// <n in decimal>
/// <hash in base64>
/// ```
pub fn format_tree(tree: Tree) -> String {
    format!("go.sum database tree\n{}\n{}\n", tree.n, tree.hash)
}

/// x/mod `ParseTree`: reads a tree head text (a signed note's text), ignoring any lines after
/// the third. The size must be written as [`format_tree`] writes it: no sign, no leading zeros.
pub fn parse_tree(text: &[u8]) -> Result<Tree, TlogError> {
    if !text.starts_with(TREE_PREFIX)
        || text.iter().filter(|&&b| b == b'\n').count() < 3
        || text.len() > MAX_TREE_TEXT
    {
        return Err(TlogError::MalformedTree);
    }
    let mut lines = text.splitn(4, |&b| b == b'\n').skip(1);
    let (Some(n_line), Some(hash_line)) = (lines.next(), lines.next()) else {
        return Err(TlogError::MalformedTree);
    };
    // Go's ParseInt takes a sign, which the round trip then refuses; the range is int64's.
    let n = std::str::from_utf8(n_line)
        .ok()
        .and_then(|s| Some((s, s.parse::<i64>().ok()?)))
        .filter(|&(s, n)| n.to_string() == s)
        .and_then(|(_, n)| u64::try_from(n).ok());
    let hash = gobase64::decode(hash_line).and_then(|h| Hash::from_slice(&h));
    let (Some(n), Some(hash)) = (n, hash) else {
        return Err(TlogError::MalformedTree);
    };
    Ok(Tree { n, hash })
}

/// x/mod `FormatRecord`: a record as a lookup response starts, `<id>\n<text>\n`.
///
/// The text must be valid UTF-8 without control characters other than newline, end in a
/// newline, and have no blank line: the blank line after it is what ends it.
///
/// x/mod 0.7.0's server also built data tiles from these; sum.golang.org and x/mod ≥ v0.22.0
/// leave out the id line there (see the [module](super) doc).
pub fn format_record(id: u64, text: &[u8]) -> Result<Vec<u8>, TlogError> {
    if !is_valid_record_text(text) {
        return Err(TlogError::MalformedRecord);
    }
    let mut msg = format!("{id}\n").into_bytes();
    msg.extend_from_slice(text);
    msg.push(b'\n');
    Ok(msg)
}

/// x/mod `ParseRecord`: reads the record at the start of `msg`, up to and including the blank
/// line that ends it, and returns its id, its text and the rest of `msg` (in a lookup response,
/// the signed tree head).
///
/// The id is read as Go's `ParseInt` reads it (`+5` is 5), except that a negative id, which x/mod
/// returns, is refused.
pub fn parse_record(msg: &[u8]) -> Result<(u64, &[u8], &[u8]), TlogError> {
    let Some(i) = msg.iter().position(|&b| b == b'\n') else {
        return Err(TlogError::MalformedRecord);
    };
    let id = std::str::from_utf8(&msg[..i])
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|id| u64::try_from(id).ok());
    let Some(id) = id else {
        return Err(TlogError::MalformedRecord);
    };
    let msg = &msg[i + 1..];

    let Some(i) = msg.windows(2).position(|w| w == b"\n\n") else {
        return Err(TlogError::MalformedRecord);
    };
    let (text, rest) = (&msg[..i + 1], &msg[i + 2..]);
    if !is_valid_record_text(text) {
        return Err(TlogError::MalformedRecord);
    }
    Ok((id, text, rest))
}

/// x/mod `isValidRecordText`: valid UTF-8, no control characters but newline, no two newlines
/// in a row, and a newline at the end. (A newline at the very start passes, as in x/mod.)
fn is_valid_record_text(text: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(text) else {
        return false;
    };
    !text.bytes().any(|b| b < 0x20 && b != b'\n') && !text.contains("\n\n") && text.ends_with('\n')
}
