// Ported from golang.org/x/mod (sumdb/tlog/tlog.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The transparency log of a checksum database (x/mod `sumdb/tlog`): a Merkle tree over the
//! records, its tiles, and the texts a server signs and serves.
//!
//! The design is Certificate Transparency's (RFC 6962), and the proofs are compatible with it.
//! Storage is the caller's: the functions read hashes through [`HashReader`] and tiles through
//! [`TileReader`], both synchronous, so the same code runs over a `Vec` in a test, a file, or
//! an object store behind a blocking task.
//!
//! # The tree
//!
//! - **Record hash** ([`record_hash`]): SHA-256 of `0x00` then the record text. The record text
//!   is the module version's go.sum lines (see [`format_record`]).
//! - **Interior node** ([`node_hash`]): SHA-256 of `0x01`, then the left and right hashes.
//! - **Tree hash** ([`tree_hash`]) of `n` records: split them into complete power-of-two
//!   subtrees, largest first, and combine those from the right. One record's tree hash is its
//!   record hash.
//! - **Stored hashes** ([`stored_hash_index`], [`stored_hashes`]): every complete subtree's hash
//!   is kept, in the order Crosby and Wallach's paper uses: record `n`'s hash, then the hashes
//!   of the subtrees it completes. Records 0, 1, 2, 3 put their hashes at 0, 1, 3, 4; hash
//!   (level 1, 0) is at 2, and (2, 0) at 6. The order is how storage finds a hash; it is never
//!   on the wire.
//! - **Proofs**: [`prove_record`] and [`check_record`] show that a tree contains a record (RFC
//!   6962's audit path); [`prove_tree`] and [`check_tree`] show that a tree extends an earlier
//!   one (RFC 6962's consistency proof).
//!
//! # Tiles
//!
//! A [`Tile`] of height `h` at level `l` and number `n` holds the hashes at tree level `h·l`,
//! from index `n·2^h`, `w` of them, as raw 32-byte values one after another. A full tile has
//! `w = 2^h`; a partial one, at the right edge of a growing tree, has fewer. Level 0 holds record
//! hashes; each entry of a level-`l` tile is the tree hash of a full level-`l−1` tile.
//!
//! - The go command reads tiles of height **8** ([`TILE_HEIGHT`]), and does not negotiate: a
//!   server must serve exactly those.
//! - [`Tile::path`] is `tile/<h>/<l>/<n>[.p/<w>]`, with `n` written in groups of three digits,
//!   all but the last prefixed with `x` (`x001/234`), and `.p/<w>` only for partial tiles.
//!   [`parse_tile_path`] accepts only paths that print back the same.
//! - A client that trusts a tree head ([`Tree`]) reads through a [`TileHashReader`]: it fetches
//!   the tiles that the tree hash decomposes into, with the width that tree gives them, checks
//!   that they hash to the tree hash, and checks every other tile against its parent. Any hash it
//!   returns is therefore proven to be in the tree.
//! - A server serves, for any width up to the current one, the first `w` hashes of a tile:
//!   hashes never change, so a tile of a given width never changes either.
//!
//! # Texts
//!
//! - **Tree head** ([`format_tree`], [`parse_tree`]): `go.sum database tree\n<n>\n<base64 of the
//!   hash>\n`, then signed as a [note](crate::note). Readers ignore lines after the third.
//! - **Record** ([`format_record`], [`parse_record`]): `<id>\n<text>\n`, where the text is valid
//!   UTF-8 without control characters but newline, ends in a newline, and has no blank line. A
//!   `/lookup` response is a formatted record followed by the signed tree head.
//! - **Data tiles** (`tile/8/data/<n>[.p/<w>]`) hold the records of leaves `n·256…`. x/mod 0.7.0
//!   has no function for them: its server concatenated [`format_record`]s, id line included.
//!   sum.golang.org, and x/mod's server since v0.22.0, leave the id line out: each record is its
//!   text then `\n`. Serve that second form. The go command never reads data tiles.
//!
//! # Which x/mod
//!
//! This is x/mod 0.7.0 (Debian's, and the code Go 1.19 vendors), case for case, with one fix.
//! Later x/mod changed three things, none of which the go command sees from a server that never
//! publishes an empty tree:
//!
//! - **The empty tree's hash.** Up to v0.18.0 (so Go 1.19), [`tree_hash`]`(0)` is 32 zero bytes,
//!   as here. From v0.19.0 it is SHA-256 of nothing, RFC 6962's value, and the go command of
//!   Go 1.27 (x/mod v0.36) starts a new client from a tree of size 0 with that hash. Old and new
//!   clients disagree about it, so **never sign a tree of size 0**: the first tree head must
//!   hold at least one record.
//! - **[`new_tiles`].** 0.7.0 lists, at each level, the newly completed full tiles and every
//!   partial width from the old tree's to the new tree's. From v0.17.0 it lists only the new
//!   right-edge width, and skips levels that did not change. Both sets are correct to publish
//!   (0.7.0's is larger); clients ask for the widths of trees they were given, so the last width
//!   of each level is what matters.
//! - **Data tiles** lost their id lines in v0.22.0 (above).
//!
//! The fix: 0.7.0's [`TileHashReader`] does not check, against its parent, a full tile that it
//! fetched for a requested index when the tree-hash tiles were fewer than the subtrees of the
//! tree (they share tiles). So a server could slip in a forged record hash, which went unnoticed
//! (the tests build one). Go 1.27's copy checks every such tile, and so does this one.
//!
//! # Differences from x/mod
//!
//! - Tree sizes, record ids, stored-hash indexes and tile numbers are `u64` where x/mod has
//!   `int64`. Negative values cannot be passed, so the checks for them are gone, and
//!   [`parse_record`] refuses a negative id (x/mod returns it). What is parsed from text stays
//!   within `int64`, as in x/mod; a tile level is an `i32`, so [`parse_tile_path`] refuses
//!   levels beyond 2^31 − 1, which x/mod accepts (no tile above level 63 holds anything).
//! - Where x/mod panics on input ("bad math", an empty tree in a [`TileHashReader`]), this
//!   returns an error. [`tile_for_index`] and [`new_tiles`] still panic on a bad height, a
//!   caller's constant: outside 1–30, where x/mod's panic only below 1.
//! - The readers return [`std::io::Result`]; [`TlogError::Io`] carries their errors through, and
//!   [`TileHashReader`] returns its own checks' failures as [`std::io::ErrorKind::InvalidData`]
//!   errors that wrap a [`TlogError`].
//!
//! # Example: a log, a signed tree head and a proof
//!
//! ```
//! use gomod::note::{self, Signer, Verifier};
//! use gomod::tlog::{self, Hash, Tree};
//!
//! // The server: store each record's hashes, then sign the tree head.
//! let mut hashes: Vec<Hash> = Vec::new();
//! let records = ["record 0\n", "record 1\n", "record 2\n"];
//! for (id, text) in records.iter().enumerate() {
//!     let new = tlog::stored_hashes(id as u64, text.as_bytes(), &hashes)?;
//!     hashes.extend(new);
//! }
//! let tree = Tree { n: 3, hash: tlog::tree_hash(3, &hashes)? };
//! let (skey, vkey) = note::generate_key("sumdb.example.test", &[7; 32])?;
//! let head = note::sign(&tlog::format_tree(tree), &[Signer::new(&skey)?])?;
//!
//! // A lookup response for record 1.
//! let mut body = tlog::format_record(1, records[1].as_bytes())?;
//! body.extend_from_slice(&head);
//!
//! // The client: split it, check the signature, and check that record 1 is in the tree.
//! let (id, text, rest) = tlog::parse_record(&body)?;
//! assert_eq!((id, text), (1, "record 1\n".as_bytes()));
//! let head = note::open(rest, &[Verifier::new(&vkey)?])?;
//! let tree = tlog::parse_tree(head.text.as_bytes())?;
//! assert_eq!(tree.n, 3);
//!
//! let proof = tlog::prove_record(tree.n, id, &hashes)?;
//! tlog::check_record(&proof, tree.n, tree.hash, id, tlog::record_hash(text))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::io;
use std::str::FromStr;

use crate::error::quote;
use crate::gobase64;

mod merkle;
mod text;
mod tile;

pub use merkle::{
    HashReader, RecordProof, TreeProof, check_record, check_tree, node_hash, prove_record,
    prove_tree, record_hash, split_stored_hash_index, stored_hash_count, stored_hash_index,
    stored_hashes, stored_hashes_for_record_hash, tree_hash,
};
pub use text::{Tree, format_record, format_tree, parse_record, parse_tree};
pub use tile::{
    Tile, TileHashReader, TileReader, hash_from_tile, new_tiles, parse_tile_path, read_tile_data,
    tile_for_index,
};

/// The size of a [`Hash`](struct@Hash) in bytes.
pub const HASH_SIZE: usize = 32;

/// The tile height the go command uses (x/mod `sumdb/client.go`, `tileHeight = 8`). It is not
/// negotiated: a checksum database must serve tiles of this height.
pub const TILE_HEIGHT: u32 = 8;

/// A SHA-256 hash that names a record or a tree. It prints as standard, padded base64, as in
/// tree heads.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hash(pub [u8; HASH_SIZE]);

impl Hash {
    /// x/mod `ParseHash`: a hash from its base64 form.
    pub fn parse(s: &str) -> Result<Self, TlogError> {
        gobase64::decode(s.as_bytes())
            .and_then(|data| Self::from_slice(&data))
            .ok_or_else(|| TlogError::MalformedHash { hash: s.to_owned() })
    }

    /// The hash held in `data`, if it is exactly [`HASH_SIZE`] bytes long.
    pub fn from_slice(data: &[u8]) -> Option<Self> {
        data.try_into().ok().map(Self)
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&gobase64::encode(&self.0))
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({self})")
    }
}

impl FromStr for Hash {
    type Err = TlogError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<[u8; HASH_SIZE]> for Hash {
    fn from(hash: [u8; HASH_SIZE]) -> Self {
        Self(hash)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// What went wrong in the log: bad input, a proof that fails, or data from a reader that does not
/// add up. The messages are x/mod's, with the numbers added where x/mod gave none.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    /// Text that is not a base64 hash.
    #[error("malformed hash")]
    MalformedHash {
        /// The text.
        hash: String,
    },
    /// A path that is not a canonical tile path.
    #[error("malformed tile path {}", quote(.path))]
    MalformedTilePath {
        /// The path.
        path: String,
    },
    /// A tree head whose text breaks the format. The text (up to a megabyte) is the caller's.
    #[error("malformed tree note")]
    MalformedTree,
    /// A record, or the start of a lookup response, that breaks the format.
    #[error("malformed record data")]
    MalformedRecord,
    /// A record or tree size that the function cannot take, such as a record beyond the tree.
    #[error("tlog: invalid inputs in {func}: tree size {t}, {n}")]
    InvalidInputs {
        /// The function that was called.
        func: &'static str,
        /// The (newer) tree's size.
        t: u64,
        /// The record index, or the older tree's size.
        n: u64,
    },
    /// A proof that does not prove what it should: the tree, the record or the proof is not the
    /// one it claims to be.
    #[error("invalid transparency proof")]
    ProofFailed,
    /// A [`HashReader`] returned the wrong number of hashes.
    #[error("tlog: ReadHashes({want} indexes) = {got} hashes")]
    ShortRead {
        /// How many were asked for.
        want: usize,
        /// How many came back.
        got: usize,
    },
    /// A [`TileHashReader`] was asked for a hash that its tree does not hold.
    #[error("indexes not in tree: index {index}, tree size {tree_size}")]
    IndexNotInTree {
        /// The stored-hash index asked for.
        index: u64,
        /// The size of the reader's tree.
        tree_size: u64,
    },
    /// Tiles that do not hash to the trusted tree hash, or to their parent's entry: some tile
    /// is wrong, and which one cannot be known.
    #[error("downloaded inconsistent tile")]
    InconsistentTile,
    /// A [`TileReader`] returned the wrong number of tiles.
    #[error("TileReader returned bad result slice (len={got}, want {want})")]
    BadTileCount {
        /// How many were asked for.
        want: usize,
        /// How many came back.
        got: usize,
    },
    /// A [`TileReader`] returned a tile of the wrong length.
    #[error("TileReader returned bad result slice ({path} len={got}, want {want})")]
    BadTileLength {
        /// The tile's path.
        path: String,
        /// The length that came back.
        got: usize,
        /// `w × 32`.
        want: usize,
    },
    /// A tile whose coordinates cannot hold hashes: a height outside 1–30, a width outside
    /// 1–2^height, a level outside 0–63 (data tiles, level −1, hold records).
    #[error("invalid tile {path}")]
    InvalidTile {
        /// The tile's path.
        path: String,
    },
    /// A [`TileReader`] whose height is outside 1–30.
    #[error("invalid tile height {height}")]
    InvalidHeight {
        /// The height it reported.
        height: u32,
    },
    /// Tile data shorter than the tile's width says.
    #[error("data len {len} too short for tile {path}")]
    ShortTileData {
        /// The data's length.
        len: usize,
        /// The tile's path.
        path: String,
    },
    /// A hash looked for in a tile that does not hold it.
    #[error("index {index} is in {want} not {path}")]
    WrongTile {
        /// The stored-hash index.
        index: u64,
        /// The path of the narrowest tile that holds it.
        want: String,
        /// The path of the tile given.
        path: String,
    },
    /// An internal inconsistency, where x/mod panics with "bad math". Never seen in practice;
    /// reported rather than panicking a server.
    #[error("tlog: bad math in {0}")]
    BadMath(String),
    /// A reader failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl TlogError {
    /// As an [`io::Error`], for the return of a [`HashReader`]: a reader's own error as it was,
    /// anything else as `InvalidData`.
    fn into_io(self) -> io::Error {
        match self {
            Self::Io(err) => err,
            err => io::Error::new(io::ErrorKind::InvalidData, err),
        }
    }
}

/// `x >> s`, as Go computes it: 0 once `s` reaches the width, where Rust's `>>` would panic.
fn shr(x: u64, s: u32) -> u64 {
    x.checked_shr(s).unwrap_or(0)
}

#[cfg(test)]
mod tests;
