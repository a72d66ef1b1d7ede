//! Known answers computed with Go 1.19 and Debian's x/mod 0.7.0: logs, proofs and indexes
//! (the cross-check of spec 5.10).

use super::*;

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
