//! A log of 1000 records read the way the go command reads it (spec 5.7), forged tiles and
//! trees refused, and the lookup vectors of spec 5.6.

use super::*;

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
