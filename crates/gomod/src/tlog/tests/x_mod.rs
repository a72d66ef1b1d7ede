// Ported from golang.org/x/mod (sumdb/tlog/tlog_test.go, sumdb/tlog/note_test.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod `sumdb/tlog/tlog_test.go` and `note_test.go`, test for test under the same names.

use super::*;

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
