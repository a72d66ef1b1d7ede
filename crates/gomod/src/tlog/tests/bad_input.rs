//! What the log functions refuse, and how: empty and invalid inputs, short or failing
//! readers, malformed tiles.

use super::*;

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
