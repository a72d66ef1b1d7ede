//! x/mod `sumdb/tlog/tlog_test.go` and `note_test.go`, test for test under the same names;
//! known answers computed with Go 1.19 and Debian's x/mod 0.7.0 (the cross-check of spec 5.10);
//! the vectors of spec 5.6; and a log of 1000 records read the way the go command reads it.
//!
//! x/mod's `ct_test.go` needs the network (a live Certificate Transparency log) and is not
//! ported.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::*;
use crate::note::{self, Signer, Verifier};

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

#[test]
fn tree() {
    let mut trees: Vec<Hash> = Vec::new();
    let mut leafhashes: Vec<Hash> = Vec::new();
    let mut storage = TestHashStorage(Vec::new());
    let mut tiles: HashMap<Tile, Vec<u8>> = HashMap::new();
    const TEST_H: u32 = 2;
    for i in 0..100u64 {
        let data = format!("leaf {i}");
        let hashes = stored_hashes(i, data.as_bytes(), &storage).unwrap();
        leafhashes.push(record_hash(data.as_bytes()));
        let old_storage = storage.0.len();
        storage.0.extend(hashes);
        assert_eq!(
            stored_hash_count(i + 1),
            storage.0.len() as u64,
            "stored_hash_count({})",
            i + 1
        );
        let th = tree_hash(i + 1, &storage).unwrap();

        for tile in new_tiles(TEST_H, i, i + 1) {
            let data = read_tile_data(tile, &storage).unwrap();
            let old = Tile {
                w: tile.w - 1,
                ..tile
            };
            let old_data = tiles.get(&old).cloned().unwrap_or_default();
            assert!(
                old_data.len() == data.len() - HASH_SIZE && data.starts_with(&old_data),
                "tile {} not extending earlier tile {}",
                tile.path(),
                old.path()
            );
            tiles.insert(tile, data);
        }
        for tile in new_tiles(TEST_H, 0, i + 1)
            .into_iter()
            .chain(new_tiles(TEST_H, i / 2, i + 1))
        {
            let data = read_tile_data(tile, &storage).unwrap();
            assert_eq!(tiles.get(&tile), Some(&data), "mismatch at {tile:?}");
        }

        // Check that all the new hashes are readable from their tiles.
        for j in old_storage..storage.0.len() {
            let tile = tile_for_index(TEST_H, j as u64);
            let Some(data) = tiles.get(&tile) else {
                panic!(
                    "tile_for_index({TEST_H}, {j}) = {}, not yet stored (i={i}, stored {})",
                    tile.path(),
                    storage.0.len()
                );
            };
            let h = hash_from_tile(tile, data, j as u64).unwrap();
            assert_eq!(h, storage.0[j], "hash_from_tile({}, {j})", tile.path());
        }

        trees.push(th);

        // Check that leaf proofs work, for all trees and leaves so far.
        for j in 0..=i {
            let mut p = prove_record(i + 1, j, &storage).unwrap();
            check_record(&p, i + 1, th, j, leafhashes[j as usize])
                .unwrap_or_else(|e| panic!("check_record({}, {j}): {e}", i + 1));
            for k in 0..p.len() {
                flip(&mut p[k]);
                assert!(
                    check_record(&p, i + 1, th, j, leafhashes[j as usize]).is_err(),
                    "check_record({}, {j}) succeeded with corrupt proof hash #{k}!",
                    i + 1
                );
                flip(&mut p[k]);
            }
        }

        // Check that leaf proofs work using TileReader. To prove a leaf that way, all you have
        // to do is read and verify its hash.
        let tile_storage = TestTilesStorage {
            unsaved: Cell::new(0),
            m: &tiles,
        };
        let thr = TileHashReader::new(Tree { n: i + 1, hash: th }, &tile_storage);
        for j in 0..=i {
            let h = thr
                .read_hashes(&[stored_hash_index(0, j)])
                .unwrap_or_else(|e| panic!("TileHashReader({}).read_hashes({j}): {e}", i + 1));
            assert_eq!(h, [leafhashes[j as usize]], "TileHashReader({}) {j}", i + 1);

            // Even though reading the hash suffices, check we can generate the proof too.
            let p = prove_record(i + 1, j, &thr).unwrap();
            check_record(&p, i + 1, th, j, leafhashes[j as usize]).unwrap();
        }
        assert_eq!(
            tile_storage.unsaved.get(),
            0,
            "TileHashReader did not save tiles"
        );

        // Check that read_hashes will give an error if the index is not in the tree.
        assert!(
            thr.read_hashes(&[(i + 1) * 2]).is_err(),
            "TileHashReader({}).read_hashes({}) for index not in tree",
            i + 1,
            (i + 1) * 2
        );
        assert_eq!(tile_storage.unsaved.get(), 0);

        // Check that tree proofs work, for all trees so far, using TileReader. To prove a tree
        // that way, all you have to do is compute and verify its hash.
        for j in 0..=i {
            let h = tree_hash(j + 1, &thr).unwrap();
            assert_eq!(
                h,
                trees[j as usize],
                "tree_hash({}, TileHashReader({}))",
                j + 1,
                i + 1
            );

            // Even though computing the subtree hash suffices, check that we can generate the
            // proof too.
            let mut p = prove_tree(i + 1, j + 1, &thr).unwrap();
            check_tree(&p, i + 1, th, j + 1, trees[j as usize])
                .unwrap_or_else(|e| panic!("check_tree({}, {}): {e} [{p:?}]", i + 1, j + 1));
            for k in 0..p.len() {
                flip(&mut p[k]);
                assert!(
                    check_tree(&p, i + 1, th, j + 1, trees[j as usize]).is_err(),
                    "check_tree({}, {}) succeeded with corrupt proof hash #{k}!",
                    i + 1,
                    j + 1
                );
                flip(&mut p[k]);
            }
        }
        assert_eq!(tile_storage.unsaved.get(), 0);
    }
}

#[test]
fn split_stored_hash_index() {
    for l in 0..10 {
        for n in 0..100 {
            let x = stored_hash_index(l, n);
            assert_eq!(
                super::split_stored_hash_index(x),
                (l, n),
                "stored_hash_index({l}, {n}) = {x}"
            );
        }
    }
    // And the other way round, over every index.
    for x in 0..10_000 {
        let (l, n) = super::split_stored_hash_index(x);
        assert_eq!(stored_hash_index(l, n), x);
    }
}

/// x/mod `tilePaths`: (path, tile), `None` for paths that must be refused; then ours, each
/// checked against Go 1.19's x/mod 0.7.0 `ParseTilePath`.
const TILE_PATHS: &[(&str, Option<Tile>)] = &[
    ("tile/4/0/001", Some(tile(4, 0, 1, 16))),
    ("tile/4/0/001.p/5", Some(tile(4, 0, 1, 5))),
    ("tile/3/5/x123/x456/078", Some(tile(3, 5, 123456078, 8))),
    ("tile/3/5/x123/x456/078.p/2", Some(tile(3, 5, 123456078, 2))),
    ("tile/1/0/x003/x057/500", Some(tile(1, 0, 3057500, 2))),
    ("tile/3/5/123/456/078", None),
    ("tile/3/-1/123/456/078", None),
    ("tile/1/data/x003/x057/500", Some(tile(1, -1, 3057500, 2))),
    // Ours: the spec's examples (5.5), and paths that print back differently.
    ("tile/8/0/000.p/2", Some(tile(8, 0, 0, 2))),
    ("tile/8/0/x001/001.p/45", Some(tile(8, 0, 1001, 45))),
    ("tile/8/1/003.p/233", Some(tile(8, 1, 3, 233))),
    ("tile/8/2/000.p/3", Some(tile(8, 2, 0, 3))),
    ("tile/8/0/005", Some(tile(8, 0, 5, 256))),
    ("tile/8/data/000.p/1", Some(tile(8, -1, 0, 1))),
    ("tile/30/0/000", Some(tile(30, 0, 0, 1 << 30))),
    ("tile/8/0/001.p/256", None),
    ("tile/8/0/001.p/0", None),
    ("tile/8/0/001.p/-1", None),
    ("tile/8/0/001.p/+5", None),
    ("tile/8/0/001.p/05", None),
    ("tile/8/0/1", None),
    ("tile/8/0/0001", None),
    ("tile/8/0/x000/001", None),
    ("tile/8/0/x1000/001", None),
    ("tile/8/0/001/x002", None),
    ("tile/08/0/001", None),
    ("tile/+8/0/001", None),
    ("tile/8/+0/001", None),
    ("tile/0/0/001", None),
    ("tile/31/0/001", None),
    ("tile/8/0", None),
    ("tile/8/0/", None),
    ("tile/8/0/001/", None),
    ("tile/8/0.p/5", None),
    ("tile/8/data.p/5", None),
    ("tiles/8/0/001", None),
    ("/tile/8/0/001", None),
    ("tile/8/0/001.p", None),
    // Go accepts any int level here; ours are i32 (tiles above level 63 hold nothing).
    ("tile/8/2147483648/001", None),
    // 20 thousand-groups overflow 64 bits.
    (
        "tile/8/0/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/999",
        None,
    ),
    // Go's int64 is the limit: the largest number it holds, then u64's.
    (
        "tile/8/0/x009/x223/x372/x036/x854/x775/807",
        Some(tile(8, 0, i64::MAX as u64, 256)),
    ),
    ("tile/8/0/x009/x223/x372/x036/x854/x775/808", None),
    ("tile/8/0/x018/x446/x744/x073/x709/x551/615", None),
];

const fn tile(h: u32, l: i32, n: u64, w: u32) -> Tile {
    Tile { h, l, n, w }
}

#[test]
fn tile_path() {
    for &(path, want) in TILE_PATHS {
        if let Some(t) = want {
            assert_eq!(t.path(), path, "{t:?}.path()");
        }
        match (parse_tile_path(path), want) {
            (Ok(got), Some(want)) => assert_eq!(got, want, "parse_tile_path({path:?})"),
            (Ok(got), None) => panic!("parse_tile_path({path:?}) = {got:?}, want error"),
            (Err(err), Some(_)) => panic!("parse_tile_path({path:?}): {err}"),
            (Err(err), None) => {
                assert_eq!(err.to_string(), format!("malformed tile path {path:?}"));
            }
        }
    }
}

#[test]
fn format_tree() {
    let n = 123456789012;
    let h = record_hash(b"hello world");
    let golden =
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    assert_eq!(super::format_tree(Tree { n, hash: h }), golden);
}

#[test]
fn parse_tree() {
    let input =
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    let gold = Tree {
        n: 123456789012,
        hash: record_hash(b"hello world"),
    };
    assert_eq!(super::parse_tree(input.as_bytes()).unwrap(), gold);

    // Check invalid trees.
    let bad_trees = [
        format!("not-{input}"),
        "go.sum database tree\n0xabcdef\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n".into(),
        "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n"
            .into(),
        // Ours: the size must print back the same, and fit Go's int64.
        "go.sum database tree\n+123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n".into(),
        "go.sum database tree\n0123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n".into(),
        "go.sum database tree\n-1\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n".into(),
        "go.sum database tree\n9223372036854775808\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
            .into(),
        "go.sum database tree\n\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n".into(),
        // Three lines, each ending in a newline.
        "go.sum database tree\n123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=".into(),
        // A hash that is not 32 bytes.
        "go.sum database tree\n123\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0AAAA\n".into(),
        format!("{input}{}", "x".repeat(1_000_000)),
    ];
    for bad in &bad_trees {
        let err = super::parse_tree(bad.as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "malformed tree note", "{bad:.80?}");
    }

    // Check junk on end is ignored.
    let good_trees = [
        format!("{input}JOE"),
        format!("{input}JOE\n"),
        format!("{input}{}", "JOE\n".repeat(1000)),
        // Ours: any bytes, and the largest size Go can read.
        format!("{input}\u{1}\u{ff}"),
    ];
    for good in &good_trees {
        assert_eq!(
            super::parse_tree(good.as_bytes()).unwrap(),
            gold,
            "{:.80?}",
            &good[input.len()..]
        );
    }
    let max =
        "go.sum database tree\n9223372036854775807\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
    assert_eq!(
        super::parse_tree(max.as_bytes()).unwrap().n,
        i64::MAX as u64
    );
}

#[test]
fn format_record() {
    let id = 123456789012;
    let text = "hello, world\n";
    let golden = "123456789012\nhello, world\n\n";
    let msg = super::format_record(id, text.as_bytes()).unwrap();
    assert_eq!(msg, golden.as_bytes());

    let bad_texts: &[&[u8]] = &[
        b"",
        b"hello\nworld",
        b"hello\n\nworld\n",
        b"hello\x01world\n",
        // Ours.
        b"hello\xffworld\n",
        b"hello\r\n",
        b"\n\n",
    ];
    for &bad in bad_texts {
        let err = super::format_record(id, bad).unwrap_err();
        assert_eq!(err.to_string(), "malformed record data", "{bad:?}");
    }
    // A newline at the very start passes, as in x/mod.
    assert!(super::format_record(id, b"\nhello\n").is_ok());
}

#[test]
fn parse_record() {
    let input: &[u8] = b"123456789012\nhello, world\n\njunk on end\x01\xff";
    let gold_id = 123456789012;
    let gold_text: &[u8] = b"hello, world\n";
    let gold_rest: &[u8] = b"junk on end\x01\xff";
    assert_eq!(
        super::parse_record(input).unwrap(),
        (gold_id, gold_text, gold_rest)
    );

    let input: &[u8] = b"123456789012\nhello, world\n\n";
    let (id, text, rest) = super::parse_record(input).unwrap();
    assert_eq!((id, text, rest), (gold_id, gold_text, &b""[..]));

    // Check invalid records.
    let bad_records: &[&[u8]] = &[
        b"not-123456789012\nhello, world\n\n",
        b"123\nhello\x01world\n\n",
        b"123\nhello\xffworld\n\n",
        b"123\nhello world\n",
        b"0x123\nhello world\n\n",
        // Ours: no id line; a negative id, which x/mod returns; beyond int64.
        b"123",
        b"-1\nhello world\n\n",
        b"9223372036854775808\nhello world\n\n",
    ];
    for &bad in bad_records {
        let err = super::parse_record(bad).unwrap_err();
        assert_eq!(err.to_string(), "malformed record data", "{bad:?}");
    }
    // ParseInt takes a plus sign.
    assert_eq!(super::parse_record(b"+5\nhi\n\n").unwrap().0, 5);
}

#[test]
fn hash_text() {
    let h = record_hash(b"hello world");
    assert_eq!(
        h.to_string(),
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
    );
    assert_eq!(
        format!("{h:?}"),
        "Hash(TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=)"
    );
    assert_eq!(Hash::parse(&h.to_string()).unwrap(), h);
    assert_eq!(
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0="
            .parse::<Hash>()
            .unwrap(),
        h
    );
    for bad in [
        "",
        "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0",
        "AAAA",
        "!",
    ] {
        let err = Hash::parse(bad).unwrap_err();
        assert_eq!(err.to_string(), "malformed hash");
        assert!(matches!(err, TlogError::MalformedHash { hash } if hash == bad));
    }
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

/// SHA-256 over each tile's path, a newline and its data, for the tiles in order.
fn tiles_digest(tiles: &[Tile], hashes: &[Hash]) -> String {
    let mut d = Sha256::new();
    for &t in tiles {
        d.update(t.path().as_bytes());
        d.update(b"\n");
        d.update(read_tile_data(t, hashes).unwrap());
    }
    crate::gobase64::encode(&d.finalize())
}

/// Go 1.19 with x/mod 0.7.0, over the log of `record <i>\n`: (size, tree hash, how many tiles
/// new_tiles(8, 0, size) lists and [`tiles_digest`] of them, the same for
/// new_tiles(8, size/2, size)).
const GO_LOGS: &[(u64, &str, usize, &str, usize, &str)] = &[
    (
        1,
        "hH2/O6WqM8SXbRrP04wkRcdxBnXjSED3frqPG1Slmqo=",
        1,
        "H//brD3FZUGkrjXuU9rl39hAVaBPCC1pVN6Fi7JTLZg=",
        1,
        "H//brD3FZUGkrjXuU9rl39hAVaBPCC1pVN6Fi7JTLZg=",
    ),
    (
        2,
        "iDYylbHW0Tfc8TPv9Zsm3tnGSeG45mXMQ+Eqym5W/aw=",
        2,
        "QO/xTa0EJLd2W8PjUoKfXfZgMqfPE1gWtZOjXfdwPh4=",
        2,
        "QO/xTa0EJLd2W8PjUoKfXfZgMqfPE1gWtZOjXfdwPh4=",
    ),
    (
        3,
        "NN1lugKBoC5d4485FURI7Stm1fqIQOgKwtCU4SF6ADo=",
        3,
        "f2ZIPe45EJIaNArJKI799mhMUAL8HRsfrJCxUKRTzDU=",
        3,
        "f2ZIPe45EJIaNArJKI799mhMUAL8HRsfrJCxUKRTzDU=",
    ),
    (
        5,
        "7HsFXTHsn4X8VsxLGtVIOyfxbusFX/Pwmtyit3cnk1U=",
        5,
        "pt22y+DHYegv+FpqAREcJTGWsyJp97Fr9aqVDFYOCNU=",
        4,
        "4Wr1VR06aG281OFb7Uwkfa0BKrAZxGegVSMtYiVPBIE=",
    ),
    (
        7,
        "VVOPta6muLtr4TjexJLyDN2n5k9t9+4IYo4R6tZk+rQ=",
        7,
        "m2da7lq73Aid7PMTi9dn1OEVmEElCbrbJp/4KNumRfY=",
        5,
        "oYEgW4Rn+s24YtN61k/1BOkOD44qL2yPusLP497+k5g=",
    ),
    (
        8,
        "yZbhzgLHnXgy43ZP1h/tEJQcmscUcaPAFpcuiQEfVJU=",
        8,
        "SNTFRlW5ueRDu/3Z1q5t+BLsgr/axVPytSjoLcSJ2HE=",
        5,
        "tHS673zwrgMpYaR6bXQqUY0pTS2jlS8TQrVawvJ6Hpo=",
    ),
    (
        255,
        "DYtrqFTOKivRQRFhRCS13foIOKxFJUEPmRcpB9pPDO0=",
        255,
        "2qlqoNGdIm67cooKqgwYs3l4hVaUQ+p2NQccWZzpeEM=",
        129,
        "CIReZYkHaSPckqK3CG4v7XXnoO0vuITBuiMeHoSgLoU=",
    ),
    (
        256,
        "YM4q9B2yxJjQzI3wjS28QSe5lhVenLORq/0HtRJm3q4=",
        2,
        "mgvvbioWUd4C5zQOIVAvpmlNuhsN6cJQr1a4i3EQ654=",
        2,
        "mgvvbioWUd4C5zQOIVAvpmlNuhsN6cJQr1a4i3EQ654=",
    ),
    (
        257,
        "QdJ5V+Qnf4iWgvEVR9xxpPDgVMkVzgEbYXI1DVJk2Kg=",
        3,
        "IGQIXxKSbtnVe4ChWZcNVl6ukUCXR2A546GkQM0wfno=",
        3,
        "IGQIXxKSbtnVe4ChWZcNVl6ukUCXR2A546GkQM0wfno=",
    ),
    (
        300,
        "Ey++6U8jR3/07muS3KCjyN5ywJOyyUIHrJWv/iryBOQ=",
        46,
        "tCFPtAMfAfYRUHojlbNzjHvD4cn/wgqIwq5db8+2nmE=",
        46,
        "tCFPtAMfAfYRUHojlbNzjHvD4cn/wgqIwq5db8+2nmE=",
    ),
    (
        1000,
        "/OM0wh4QVBZH2yGIJAxlVIH0IqehjKLfQ+JUXW3B0iM=",
        238,
        "HX8BVKdzZ0wp3VwuCcbO9JoxUcBtZXOLYL3GoxMpwgE=",
        237,
        "P05vss8kKgRRbEUE6RkbpsYX157W/1LzOT4KeOumZ6c=",
    ),
    (
        65536,
        "eMkFXxoibfmvi0Nh2EO1RJqouxwRzoM3nldKTpjMyaY=",
        258,
        "M5/0Zy1BlZoPeV2Qn+HK6A997ytkR/bMutjKWSfHf8E=",
        130,
        "PJiA1uhZWKcLgCn/osmbeJGQb3R2n0dM1Uh4nIR6FXQ=",
    ),
    (
        65537,
        "d9SozBjmEAtOFT7v6sp5LqKpM6o8r9CtU1iHCHMGoGI=",
        259,
        "5G0fq3XYxDPXyg4qDSYoDWUCkq9IC4MP0lYrbaC5fb4=",
        131,
        "dYapr5T1IpVUevq4mfzbYgIsNsquDlaKK3vKu2qDJHI=",
    ),
    (
        70000,
        "q9HMCgw+ixVNAypciVz8ZZDQuxUxwzBoB0Bi4V3wbdI=",
        404,
        "/aFpXohX9erS+bbT/W3/hgyfkFIUidPRWZ4Y3diXpUk=",
        268,
        "B8+eEmdXqFqLWrihpglk4GqWGZyA5i8HpDy/O8AHwN4=",
    ),
];

#[test]
fn go_logs() {
    let hashes = record_log(70000);
    for &(n, tree, count0, digest0, count1, digest1) in GO_LOGS {
        let prefix = &hashes[..stored_hash_count(n) as usize];
        assert_eq!(
            tree_hash(n, prefix).unwrap().to_string(),
            tree,
            "tree_hash({n})"
        );
        assert_eq!(
            tree_hash(n, &hashes).unwrap().to_string(),
            tree,
            "tree_hash({n})"
        );
        let tiles = new_tiles(TILE_HEIGHT, 0, n);
        assert_eq!(
            (tiles.len(), tiles_digest(&tiles, prefix).as_str()),
            (count0, digest0),
            "new_tiles(8, 0, {n})"
        );
        let tiles = new_tiles(TILE_HEIGHT, n / 2, n);
        assert_eq!(
            (tiles.len(), tiles_digest(&tiles, prefix).as_str()),
            (count1, digest1),
            "new_tiles(8, {}, {n})",
            n / 2
        );
    }
}

/// Go 1.19, x/mod 0.7.0: (tree size, record, proof length, SHA-256 of the proof's hashes).
const GO_RECORD_PROOFS: &[(u64, u64, usize, &str)] = &[
    (
        1000,
        517,
        10,
        "YIBlEmQqD8V7PflDeSSIa1hGKkX7MQRQF+G1/XVGX0k=",
    ),
    (1000, 999, 8, "w15bf+Dm7MBt1RVe5zdmguFOpABNaFyVSIXEr+1tGms="),
    (
        70000,
        12345,
        17,
        "r+Tu7v2Lf0yGazVauD5sEDhnpWcnwWq3fRW8phFpKrE=",
    ),
];

/// Go 1.19, x/mod 0.7.0: (tree size, old tree size, proof length, SHA-256 of the proof's hashes).
const GO_TREE_PROOFS: &[(u64, u64, usize, &str)] = &[
    (1000, 300, 9, "/Da29tEGB5vtbyivPH6IelYM0U6rOvve6xEKHL7FoMk="),
    (
        70000,
        65536,
        1,
        "tB5w5DVk5jbHoZCJvvEgCUfttGHQkhit12XS+9MyrmI=",
    ),
    (70000, 1, 17, "A4uWSlg1jd3ts9gjor0qVDTSNUyi+/A04w/4hs3HkdU="),
];

fn proof_digest(p: &[Hash]) -> String {
    let mut d = Sha256::new();
    for h in p {
        d.update(h.0);
    }
    crate::gobase64::encode(&d.finalize())
}

#[test]
fn go_proofs() {
    let hashes = record_log(70000);
    for &(t, n, len, digest) in GO_RECORD_PROOFS {
        let p = prove_record(t, n, &hashes).unwrap();
        assert_eq!(
            (p.len(), proof_digest(&p).as_str()),
            (len, digest),
            "prove_record({t}, {n})"
        );
        let th = tree_hash(t, &hashes).unwrap();
        check_record(
            &p,
            t,
            th,
            n,
            record_hash(format!("record {n}\n").as_bytes()),
        )
        .unwrap();
    }
    for &(t, n, len, digest) in GO_TREE_PROOFS {
        let p = prove_tree(t, n, &hashes).unwrap();
        assert_eq!(
            (p.len(), proof_digest(&p).as_str()),
            (len, digest),
            "prove_tree({t}, {n})"
        );
        let (th, h) = (
            tree_hash(t, &hashes).unwrap(),
            tree_hash(n, &hashes).unwrap(),
        );
        check_tree(&p, t, th, n, h).unwrap();
    }
}

/// Go 1.19, x/mod 0.7.0: (index, split_stored_hash_index, tile_for_index(8, index).path()).
const GO_INDEXES: &[(u64, u32, u64, &str)] = &[
    (0, 0, 0, "tile/8/0/000.p/1"),
    (1, 0, 1, "tile/8/0/000.p/2"),
    (2, 1, 0, "tile/8/0/000.p/2"),
    (3, 0, 2, "tile/8/0/000.p/3"),
    (4, 0, 3, "tile/8/0/000.p/4"),
    (5, 1, 1, "tile/8/0/000.p/4"),
    (6, 2, 0, "tile/8/0/000.p/4"),
    (7, 0, 4, "tile/8/0/000.p/5"),
    (1000, 2, 125, "tile/8/0/001.p/248"),
    (123456789, 0, 61728402, "tile/8/0/x241/126.p/147"),
];

/// Go 1.19, x/mod 0.7.0: (level, n, StoredHashIndex).
const GO_STORED_INDEXES: &[(u32, u64, u64)] = &[
    (0, 0, 0),
    (0, 1, 1),
    (1, 0, 2),
    (2, 0, 6),
    (0, 1000, 1994),
    (3, 7, 123),
    (8, 1, 1021),
    (16, 2, 393213),
];

/// Go 1.19, x/mod 0.7.0: (n, StoredHashCount).
const GO_STORED_COUNTS: &[(u64, u64)] = &[
    (0, 0),
    (1, 1),
    (2, 3),
    (3, 4),
    (4, 7),
    (5, 8),
    (7, 11),
    (8, 15),
    (1000, 1994),
];

/// Go 1.19, x/mod 0.7.0: (old, new, NewTiles(8, old, new) paths).
const GO_NEW_TILES: &[(u64, u64, &str)] = &[
    (0, 0, ""),
    (0, 2, "tile/8/0/000.p/1 tile/8/0/000.p/2"),
    (0, 1, "tile/8/0/000.p/1"),
    (2, 3, "tile/8/0/000.p/2 tile/8/0/000.p/3"),
    (1, 257, "tile/8/0/000 tile/8/0/001.p/1 tile/8/1/000.p/1"),
    (256, 257, "tile/8/0/001.p/1 tile/8/1/000.p/1"),
];

#[test]
fn go_indexes() {
    for &(index, level, n, path) in GO_INDEXES {
        assert_eq!(
            super::split_stored_hash_index(index),
            (level, n),
            "split({index})"
        );
        assert_eq!(
            tile_for_index(TILE_HEIGHT, index).path(),
            path,
            "tile_for_index(8, {index})"
        );
    }
    for &(level, n, index) in GO_STORED_INDEXES {
        assert_eq!(
            stored_hash_index(level, n),
            index,
            "stored_hash_index({level}, {n})"
        );
    }
    for &(n, count) in GO_STORED_COUNTS {
        assert_eq!(stored_hash_count(n), count, "stored_hash_count({n})");
    }
    for &(old, new, paths) in GO_NEW_TILES {
        let got: Vec<String> = new_tiles(TILE_HEIGHT, old, new)
            .iter()
            .map(Tile::path)
            .collect();
        assert_eq!(got.join(" "), paths, "new_tiles(8, {old}, {new})");
    }
    // new_tiles(8, 300, 70000) at levels 1 and 2, by Go: tile/8/1/000, then widths 1 to 17 of
    // tile/8/1/001, then tile/8/2/000.p/1.
    let upper: Vec<String> = new_tiles(TILE_HEIGHT, 300, 70000)
        .iter()
        .filter(|t| t.l > 0)
        .map(Tile::path)
        .collect();
    let mut want = vec!["tile/8/1/000".to_owned()];
    want.extend((1..=17).map(|w| format!("tile/8/1/001.p/{w}")));
    want.push("tile/8/2/000.p/1".to_owned());
    assert_eq!(upper, want);
}

#[test]
fn empty_tree() {
    // x/mod up to v0.18.0, and Go 1.19: all zeros. Never read from the store.
    let none = |_: &[u64]| -> io::Result<Vec<Hash>> { panic!("tree_hash(0) read hashes") };
    assert_eq!(tree_hash(0, &none).unwrap(), Hash([0; 32]));
    assert_eq!(new_tiles(TILE_HEIGHT, 0, 0), []);
}

#[test]
fn invalid_inputs() {
    let hashes = record_log(10);
    let th = tree_hash(10, &hashes).unwrap();
    let err = prove_record(10, 10, &hashes).unwrap_err();
    assert_eq!(
        err.to_string(),
        "tlog: invalid inputs in prove_record: tree size 10, 10"
    );
    assert!(matches!(
        check_record(&[], 10, th, 10, th),
        Err(TlogError::InvalidInputs { .. })
    ));
    for (t, n) in [(10, 0), (10, 11), (0, 0)] {
        assert!(matches!(
            prove_tree(t, n, &hashes),
            Err(TlogError::InvalidInputs { .. })
        ));
        assert!(matches!(
            check_tree(&[], t, th, n, th),
            Err(TlogError::InvalidInputs { .. })
        ));
    }
    // A proof of a one-record tree is empty; anything more fails.
    let leaf = record_hash(b"record 0\n");
    assert_eq!(prove_record(1, 0, &hashes).unwrap(), []);
    check_record(&[], 1, leaf, 0, leaf).unwrap();
    let err = check_record(&[leaf], 1, leaf, 0, leaf).unwrap_err();
    assert_eq!(err.to_string(), "invalid transparency proof");
    assert_eq!(prove_tree(10, 10, &hashes).unwrap(), []);
    check_tree(&[], 10, th, 10, th).unwrap();
    assert!(matches!(
        check_tree(&[th], 10, th, 10, th),
        Err(TlogError::ProofFailed)
    ));
    // A proof too short.
    let p = prove_record(10, 3, &hashes).unwrap();
    assert!(matches!(
        check_record(&p[1..], 10, th, 3, record_hash(b"record 3\n")),
        Err(TlogError::ProofFailed)
    ));
}

#[test]
fn reader_errors() {
    let short =
        |indexes: &[u64]| -> io::Result<Vec<Hash>> { Ok(vec![Hash::default(); indexes.len() - 1]) };
    let err = tree_hash(3, &short).unwrap_err();
    assert_eq!(err.to_string(), "tlog: ReadHashes(2 indexes) = 1 hashes");
    let err = stored_hashes(3, b"x", &short).unwrap_err();
    assert_eq!(err.to_string(), "tlog: ReadHashes(2 indexes) = 1 hashes");

    // A slice has only what it holds, and says so.
    let hashes = record_log(2);
    let err = tree_hash(3, &hashes).unwrap_err();
    assert!(
        matches!(&err, TlogError::Io(e) if e.kind() == io::ErrorKind::NotFound),
        "{err}"
    );

    let failing = |_: &[u64]| -> io::Result<Vec<Hash>> { Err(io::Error::other("disk on fire")) };
    let err = prove_record(5, 2, &failing).unwrap_err();
    assert_eq!(err.to_string(), "disk on fire");
    let err = read_tile_data(tile(8, 0, 0, 3), &failing).unwrap_err();
    assert_eq!(err.to_string(), "disk on fire");
}

#[test]
fn tile_errors() {
    let hashes = record_log(300);
    let data = read_tile_data(tile(8, 0, 0, 256), &hashes).unwrap();
    assert_eq!(data.len(), 256 * HASH_SIZE);
    // A width of 0 is a full tile.
    assert_eq!(read_tile_data(tile(8, 0, 0, 0), &hashes).unwrap(), data);
    for bad in [
        tile(8, -1, 0, 1),
        tile(0, 0, 0, 1),
        tile(31, 0, 0, 1),
        tile(8, 0, 0, 257),
    ] {
        let err = read_tile_data(bad, &hashes).unwrap_err();
        assert_eq!(err.to_string(), format!("invalid tile {}", bad.path()));
    }

    let index = stored_hash_index(0, 3);
    assert_eq!(
        hash_from_tile(tile(8, 0, 0, 256), &data, index).unwrap(),
        hashes[index as usize]
    );
    let err = hash_from_tile(tile(8, 0, 0, 256), &data[..100], index).unwrap_err();
    assert_eq!(
        err.to_string(),
        "data len 100 too short for tile tile/8/0/000"
    );
    let err = hash_from_tile(tile(8, 0, 0, 3), &data, index).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("index {index} is in tile/8/0/000.p/4 not tile/8/0/000.p/3")
    );
    let err = hash_from_tile(tile(8, 0, 1, 256), &data, index).unwrap_err();
    assert!(matches!(err, TlogError::WrongTile { .. }), "{err}");
    for bad in [
        tile(8, -1, 0, 4),
        tile(8, 64, 0, 4),
        tile(8, 0, 0, 0),
        tile(8, 0, 0, 257),
        tile(31, 0, 0, 4),
    ] {
        let err = hash_from_tile(bad, &data, index).unwrap_err();
        assert_eq!(err.to_string(), format!("invalid tile {}", bad.path()));
    }
    // A level-1 hash from a level-0 tile: the hash of the entries below it.
    let index = stored_hash_index(1, 1);
    assert_eq!(
        hash_from_tile(tile(8, 0, 0, 256), &data, index).unwrap(),
        hashes[index as usize]
    );
}

#[test]
#[should_panic(expected = "new_tiles: invalid height 0")]
fn new_tiles_height_zero() {
    new_tiles(0, 0, 1);
}

#[test]
#[should_panic(expected = "tile_for_index: invalid height 31")]
fn tile_for_index_height_31() {
    tile_for_index(31, 0);
}

/// Serves the tiles a server published, from a map; counts what it was asked for.
#[derive(Default)]
struct Published {
    tiles: HashMap<Tile, Vec<u8>>,
    reads: Cell<usize>,
    unsaved: Cell<i64>,
    saved: RefCell<Vec<Tile>>,
}

impl Published {
    fn publish(&mut self, old: u64, new: u64, hashes: &[Hash]) {
        for t in new_tiles(TILE_HEIGHT, old, new) {
            self.tiles.insert(t, read_tile_data(t, hashes).unwrap());
        }
    }
}

impl TileReader for Published {
    fn height(&self) -> u32 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        self.reads.set(self.reads.get() + 1);
        self.unsaved.set(self.unsaved.get() + tiles.len() as i64);
        tiles
            .iter()
            .map(|t| {
                self.tiles.get(t).cloned().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("{}: 404 Not Found", t.path()),
                    )
                })
            })
            .collect()
    }

    fn save_tiles(&self, tiles: &[Tile], _data: &[Vec<u8>]) {
        self.unsaved.set(self.unsaved.get() - tiles.len() as i64);
        self.saved.borrow_mut().extend_from_slice(tiles);
    }
}

/// Serves tiles the way a server that computes them does: the first `w` hashes of the tile, from
/// the stored hashes of the current tree, for any width the tree has.
struct OnDemand<'a> {
    hashes: &'a [Hash],
    n: u64,
}

impl TileReader for OnDemand<'_> {
    fn height(&self) -> u32 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|&t| {
                let have = shr(self.n, TILE_HEIGHT * t.l as u32);
                if (t.n << TILE_HEIGHT) + u64::from(t.w) > have {
                    return Err(io::Error::new(io::ErrorKind::NotFound, t.path()));
                }
                read_tile_data(t, self.hashes).map_err(TlogError::into_io)
            })
            .collect()
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

/// The text of record `i`: the two go.sum lines of a module version.
fn go_sum_record(i: u64) -> String {
    let zip = crate::gobase64::encode(&Sha256::digest(format!("zip {i}")));
    let go_mod = crate::gobase64::encode(&Sha256::digest(format!("go.mod {i}")));
    format!("example.com/m{i} v1.0.{i} h1:{zip}\nexample.com/m{i} v1.0.{i}/go.mod h1:{go_mod}\n")
}

/// A log of 1000 records that grows in uneven batches and signs a tree head after each, read
/// and checked the way the go command does (spec 5.7): open the signed head, authenticate tiles
/// against it, find each record's hash, check a tree against a later one; and the proofs a
/// server could serve, checked through the same readers.
#[test]
fn log_of_1000() {
    const BATCHES: &[u64] = &[1, 1, 3, 7, 50, 194, 1, 255, 256, 232];
    let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
    let (skey, vkey) = note::generate_key("sumdb.test.example", &seed).unwrap();
    let signer = Signer::new(&skey).unwrap();
    let verifiers = [Verifier::new(&vkey).unwrap()];

    let mut texts: Vec<String> = Vec::new();
    let mut hashes: Vec<Hash> = Vec::new();
    let mut published = Published::default();
    // Each tree head, and each record's lookup response as of its insertion.
    let mut heads: Vec<(Tree, Vec<u8>)> = Vec::new();
    let mut lookups: Vec<Vec<u8>> = Vec::new();
    for &batch in BATCHES {
        let old = texts.len() as u64;
        for id in old..old + batch {
            let text = go_sum_record(id);
            let new = stored_hashes(id, text.as_bytes(), &hashes).unwrap();
            assert_eq!(hashes.len() as u64, stored_hash_index(0, id));
            hashes.extend(new);
            texts.push(text);
        }
        let n = texts.len() as u64;
        let tree = Tree {
            n,
            hash: tree_hash(n, &hashes).unwrap(),
        };
        published.publish(old, n, &hashes);
        let head = note::sign(&super::format_tree(tree), std::slice::from_ref(&signer)).unwrap();
        // Re-signing gives the same bytes (spec 5.8, item 6).
        assert_eq!(
            note::sign(&super::format_tree(tree), std::slice::from_ref(&signer)).unwrap(),
            head
        );
        for id in old..n {
            let mut body = super::format_record(id, texts[id as usize].as_bytes()).unwrap();
            body.extend_from_slice(&head);
            lookups.push(body);
        }
        heads.push((tree, head));
    }
    assert_eq!(texts.len(), 1000);
    assert_eq!(hashes.len() as u64, stored_hash_count(1000));

    // The client: every head opens with the key, and says what was signed.
    let mut trees = Vec::new();
    for (tree, head) in &heads {
        let opened = note::open(head, &verifiers).unwrap();
        assert_eq!(super::parse_tree(opened.text.as_bytes()).unwrap(), *tree);
        trees.push(*tree);
    }
    let latest = *trees.last().unwrap();

    // Every record, through tiles of the latest tree: its hash is in the tree, and the proof a
    // server would give checks against the signed hash. Both tile servers agree.
    let on_demand = OnDemand {
        hashes: &hashes,
        n: latest.n,
    };
    let thr = TileHashReader::new(latest, &published);
    let thr_on_demand = TileHashReader::new(latest, &on_demand);
    assert_eq!(thr.tree(), latest);
    for (id, text) in texts.iter().enumerate() {
        let id = id as u64;
        let leaf = record_hash(text.as_bytes());
        let got = thr.read_hashes(&[stored_hash_index(0, id)]).unwrap();
        assert_eq!(got, [leaf], "record {id}");
        let p = prove_record(latest.n, id, &thr).unwrap();
        assert_eq!(p, prove_record(latest.n, id, &hashes).unwrap());
        assert_eq!(p, prove_record(latest.n, id, &thr_on_demand).unwrap());
        check_record(&p, latest.n, latest.hash, id, leaf).unwrap();
        // The proof does not fit another record.
        let other = record_hash(texts[((id + 1) % 1000) as usize].as_bytes());
        assert!(matches!(
            check_record(&p, latest.n, latest.hash, id, other),
            Err(TlogError::ProofFailed)
        ));
    }
    assert_eq!(published.unsaved.get(), 0, "tiles read but not saved");

    // Every lookup response, as the go command handles it: split off the record, open the
    // tree head it came with (older than the latest), check that tree against the latest
    // (checkTrees), and find the record in it (checkRecord).
    for (id, body) in lookups.iter().enumerate() {
        let (got_id, text, rest) = super::parse_record(body).unwrap();
        assert_eq!(got_id, id as u64);
        let tree =
            super::parse_tree(note::open(rest, &verifiers).unwrap().text.as_bytes()).unwrap();
        assert!(got_id < tree.n);
        assert_eq!(tree_hash(tree.n, &thr).unwrap(), tree.hash);
        let thr_then = TileHashReader::new(tree, &published);
        let got = thr_then
            .read_hashes(&[stored_hash_index(0, got_id)])
            .unwrap();
        assert_eq!(got, [record_hash(text)]);
    }

    // Tree to tree: each head against each later one, through the later one's tiles.
    for (j, &new) in trees.iter().enumerate() {
        let thr = TileHashReader::new(new, &published);
        for &old in &trees[..=j] {
            assert_eq!(
                tree_hash(old.n, &thr).unwrap(),
                old.hash,
                "{} in {}",
                old.n,
                new.n
            );
            let p = prove_tree(new.n, old.n, &thr).unwrap();
            assert_eq!(p, prove_tree(new.n, old.n, &hashes).unwrap());
            check_tree(&p, new.n, new.hash, old.n, old.hash).unwrap();
            // The proof does not join the old size to another hash.
            let forged = record_hash(b"forged");
            assert!(check_tree(&p, new.n, new.hash, old.n, forged).is_err());
            assert!(check_tree(&p, new.n, forged, old.n, old.hash).is_err());
        }
    }
    assert_eq!(published.unsaved.get(), 0);

    // Go 1.19's x/mod signs the same tree head, byte for byte (its log of `record <i>\n`).
    let go_log = record_log(1000);
    let go_tree = Tree {
        n: 1000,
        hash: tree_hash(1000, &go_log).unwrap(),
    };
    let go_head = note::sign(&super::format_tree(go_tree), std::slice::from_ref(&signer)).unwrap();
    assert_eq!(
        String::from_utf8(go_head).unwrap(),
        "go.sum database tree\n1000\n/OM0wh4QVBZH2yGIJAxlVIH0IqehjKLfQ+JUXW3B0iM=\n\n\
         — sumdb.test.example lVEVO0Blz5CcyrQ8nyetpF0BbvhFR6mQIzLcnwX+ms2kpFxUa/BXJAZbozZNhoSBVt+cjYSKCKmacvqM83+v1IbfKQ4=\n"
    );
}

/// Tiles of the 15-record log of `record <i>\n` with height 2, as x/mod's comment on
/// `tileHashReader.ReadHashes` draws it: the tree hash needs 1/000.p/3 and 0/003.p/3, two tiles
/// for four subtrees, and record 1's hash is in 0/000, which is checked against 1/000.p/3.
fn fifteen() -> (Tree, HashMap<Tile, Vec<u8>>) {
    let hashes = record_log(15);
    let tree = Tree {
        n: 15,
        hash: tree_hash(15, &hashes).unwrap(),
    };
    let tiles = new_tiles(2, 0, 15)
        .into_iter()
        .map(|t| (t, read_tile_data(t, &hashes).unwrap()))
        .collect();
    (tree, tiles)
}

/// The hole in x/mod 0.7.0's TileHashReader: it checks the tiles after the first `len(stx)`
/// against their parents, but here the tree-hash tiles are 2 and the subtrees 4, so 0/000 (the
/// third tile) went unchecked and a forged record hash came back as proven. Go 1.19 with Debian's
/// x/mod 0.7.0 returns this forged hash without error; Go 1.27's copy, and ours, refuse it.
#[test]
fn forged_tile_is_refused() {
    let (tree, mut tiles) = fifteen();
    let storage = TestTilesStorage {
        unsaved: Cell::new(0),
        m: &tiles,
    };
    let thr = TileHashReader::new(tree, &storage);
    let index = stored_hash_index(0, 1);
    assert_eq!(
        thr.read_hashes(&[index]).unwrap(),
        [record_hash(b"record 1\n")]
    );

    tiles.get_mut(&tile(2, 0, 0, 4)).unwrap()[32] ^= 1;
    let storage = TestTilesStorage {
        unsaved: Cell::new(0),
        m: &tiles,
    };
    let thr = TileHashReader::new(tree, &storage);
    let err = thr.read_hashes(&[index]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), "downloaded inconsistent tile");
    assert!(matches!(
        err.get_ref().and_then(|e| e.downcast_ref::<TlogError>()),
        Some(TlogError::InconsistentTile)
    ));
    // Nothing was saved.
    assert_eq!(storage.unsaved.get(), 3);
    // Through the tlog functions, the same error.
    let err = prove_record(15, 1, &thr).unwrap_err();
    assert_eq!(err.to_string(), "downloaded inconsistent tile");
}

#[test]
fn forged_tree_tile_is_refused() {
    let (tree, mut tiles) = fifteen();
    tiles.get_mut(&tile(2, 1, 0, 3)).unwrap()[0] ^= 1;
    let storage = TestTilesStorage {
        unsaved: Cell::new(0),
        m: &tiles,
    };
    let err = tree_hash(15, &TileHashReader::new(tree, &storage)).unwrap_err();
    assert_eq!(err.to_string(), "downloaded inconsistent tile");
    // Or a tree that was not signed.
    let (_, tiles) = fifteen();
    let storage = TestTilesStorage {
        unsaved: Cell::new(0),
        m: &tiles,
    };
    let lie = Tree {
        n: 15,
        hash: record_hash(b"lie"),
    };
    let err = tree_hash(3, &TileHashReader::new(lie, &storage)).unwrap_err();
    assert_eq!(err.to_string(), "downloaded inconsistent tile");
}

type ReadTiles = dyn Fn(&[Tile]) -> io::Result<Vec<Vec<u8>>>;

/// A TileReader that returns what it is told to.
struct Fixed {
    height: u32,
    data: Box<ReadTiles>,
}

impl TileReader for Fixed {
    fn height(&self) -> u32 {
        self.height
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        (self.data)(tiles)
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}

#[test]
fn tile_hash_reader_errors() {
    let (tree, tiles) = fifteen();
    let index = stored_hash_index(0, 1);
    let read = |reader: Fixed| {
        TileHashReader::new(tree, reader)
            .read_hashes(&[index])
            .unwrap_err()
            .to_string()
    };

    let err = read(Fixed {
        height: 2,
        data: Box::new(|_| Ok(Vec::new())),
    });
    assert_eq!(err, "TileReader returned bad result slice (len=0, want 3)");
    let err = read(Fixed {
        height: 2,
        data: Box::new(|tiles| Ok(vec![vec![0; 32]; tiles.len()])),
    });
    assert_eq!(
        err,
        "TileReader returned bad result slice (tile/2/1/000.p/3 len=32, want 96)"
    );
    // A reader's own error comes back as it was.
    let err = TileHashReader::new(
        tree,
        Fixed {
            height: 2,
            data: Box::new(|_| Err(io::Error::new(io::ErrorKind::TimedOut, "slow"))),
        },
    )
    .read_hashes(&[index])
    .unwrap_err();
    assert_eq!(
        (err.kind(), err.to_string().as_str()),
        (io::ErrorKind::TimedOut, "slow")
    );
    let storage = TestTilesStorage {
        unsaved: Cell::new(0),
        m: &tiles,
    };
    for height in [0, 31] {
        let err = read(Fixed {
            height,
            data: Box::new(|_| Ok(Vec::new())),
        });
        assert_eq!(err, format!("invalid tile height {height}"));
    }

    // Not in the tree: the first hash of record 15 and beyond.
    let thr = TileHashReader::new(tree, &storage);
    let err = thr
        .read_hashes(&[index, stored_hash_index(0, 15)])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "indexes not in tree: index 26, tree size 15"
    );
    thr.read_hashes(&[stored_hash_index(0, 14)]).unwrap();
    assert_eq!(storage.unsaved.get(), 0);

    // The empty tree holds nothing, and reading nothing from it needs no tiles (x/mod panics).
    let thr = TileHashReader::new(Tree::default(), &storage);
    assert_eq!(thr.read_hashes(&[]).unwrap(), []);
    assert!(thr.read_hashes(&[0]).is_err());
}

/// Spec 5.6: a lookup response from a private database, accepted by go 1.19.
#[test]
fn spec_lookup() {
    let body = "0\n\
        example.com/hello v1.0.0 h1:YdH98tGxleleSc0AoVVCSWC4I2WDc1g0KPMQj//W6lY=\n\
        example.com/hello v1.0.0/go.mod h1:RslnPMa/nR3RpskRbvoDBlr6/b2RhFS0EEnq72RQTo0=\n\
        \n\
        go.sum database tree\n\
        2\n\
        TH6+8E2sqp7IX15QqxorfH913PkbItg+uGGqWdO0BFE=\n\
        \n\
        — sumdb.example.test VMUszKSQeTDNj15dhzuOKCrMIAEt4p5SLshPEyg5S4qP4+r2M4OWXpGMzBXVUnhWbu5tPKQehwDM3SWpfRSdvrSNnw4=\n";
    let vkey = "sumdb.example.test+54c52ccc+AbYHNPVgmI3xDMx6IWV5Bpxfreo7umg1b6ictYLK83c0";
    let (id, text, rest) = super::parse_record(body.as_bytes()).unwrap();
    assert_eq!(id, 0);
    let leaf0 = record_hash(text);
    assert_eq!(
        leaf0.to_string(),
        "cGT9lgNFFPccttaNMr2r6/FzA/22xvLGCAh2dCpgpvM="
    );
    let head = note::open(rest, &[Verifier::new(vkey).unwrap()]).unwrap();
    let tree = super::parse_tree(head.text.as_bytes()).unwrap();
    assert_eq!(tree.n, 2);
    assert_eq!(
        tree.hash.to_string(),
        "TH6+8E2sqp7IX15QqxorfH913PkbItg+uGGqWdO0BFE="
    );
    // The body is FormatRecord(id, text) then the signed head.
    let mut again = super::format_record(id, text).unwrap();
    again.extend_from_slice(rest);
    assert_eq!(again, body.as_bytes());
    // tile/8/0/000.p/2 starts with leaf 0 (the spec gives only the ends of leaf 1's hash).
    let hex: String = leaf0.0.iter().map(|b| format!("{b:02x}")).collect();
    assert!(
        hex.starts_with("7064fd96") && hex.ends_with("a60a6f3"),
        "{hex}"
    );
}
