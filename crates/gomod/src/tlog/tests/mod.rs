// Ported from golang.org/x/mod (sumdb/tlog/tlog_test.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! The tests of the transparency log, by where their answers come from:
//!
//! - `x_mod`: x/mod's `sumdb/tlog/tlog_test.go` and `note_test.go`, test for test under the
//!   same names;
//! - `known_answers`: answers computed with Go 1.19 and Debian's x/mod 0.7.0 (the cross-check
//!   of spec 5.10);
//! - `bad_input`: what the functions refuse, and how;
//! - `log_reading`: a log of 1000 records read the way the go command reads it, forged tiles,
//!   and the lookup vectors of spec 5.6.
//!
//! x/mod's `ct_test.go` needs the network (a live Certificate Transparency log) and is not
//! ported.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::*;
use crate::note::{self, Signer, Verifier};

mod bad_input;
mod known_answers;
mod log_reading;
mod x_mod;

/// x/mod `testHashStorage`: every stored hash, in index order.
struct TestHashStorage(Vec<Hash>);

impl HashReader for TestHashStorage {
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>> {
        // HashReader does not require increasing indexes, but check that the functions under
        // test only ever ask for them in that order.
        assert!(
            indexes.windows(2).all(|w| w[0] < w[1]),
            "indexes out of order: {indexes:?}"
        );
        Ok(indexes.iter().map(|&x| self.0[x as usize]).collect())
    }
}

/// x/mod `testTilesStorage`: tiles by coordinates, counting reads not yet saved.
struct TestTilesStorage<'a> {
    unsaved: Cell<i64>,
    m: &'a HashMap<Tile, Vec<u8>>,
}

impl TileReader for TestTilesStorage<'_> {
    fn height(&self) -> u32 {
        2
    }

    fn save_tiles(&self, tiles: &[Tile], _data: &[Vec<u8>]) {
        self.unsaved.set(self.unsaved.get() - tiles.len() as i64);
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        self.unsaved.set(self.unsaved.get() + tiles.len() as i64);
        Ok(tiles
            .iter()
            .map(|t| self.m.get(t).cloned().unwrap_or_default())
            .collect())
    }
}

fn flip(h: &mut Hash) {
    h.0[0] ^= 1;
}

const fn tile(h: u32, l: i32, n: u64, w: u32) -> Tile {
    Tile { h, l, n, w }
}

/// Stored hashes of the log whose record `i` is `record <i>\n`, the log of spec 5.10.
fn record_log(n: u64) -> Vec<Hash> {
    let mut hashes = Vec::new();
    for i in 0..n {
        let new = stored_hashes(i, format!("record {i}\n").as_bytes(), &hashes).unwrap();
        hashes.extend(new);
    }
    hashes
}
