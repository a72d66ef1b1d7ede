//! The right edge of the log's Merkle tree, in memory: everything a writer needs to add
//! records and to write the tiles they change, and nothing else. A log of any size needs one
//! hash per tree level (the last complete subtree at that level: the left sibling a new record
//! may complete) and, per tile level, the hashes of its partial tile (fewer than 256).

use gomod::tlog::{self, HASH_SIZE, Hash, HashReader, TILE_HEIGHT, Tile};

/// Hashes in a full tile.
const TILE_WIDTH: usize = 1 << TILE_HEIGHT;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Edge {
    size: u64,
    /// By tree level: the hash of the last complete subtree at that level.
    frontier: Vec<Hash>,
    /// By tile level `l`: the hashes at tree level `8·l` of the partial tile at the right edge.
    partial: Vec<Vec<Hash>>,
}

impl Edge {
    /// The number of records.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a record, by its hash (`tlog::record_hash`), as record `size`; returns the full
    /// tiles it completes, with their data.
    pub fn push(&mut self, record_hash: Hash) -> Vec<(Tile, Vec<u8>)> {
        let n = self.size;
        let frontier = &self.frontier;
        // The left siblings a record completes are the last complete subtrees below it.
        let siblings = |indexes: &[u64]| -> std::io::Result<Vec<Hash>> {
            Ok(indexes
                .iter()
                .map(|&index| frontier[tlog::split_stored_hash_index(index).0 as usize])
                .collect())
        };
        let hashes = match tlog::stored_hashes_for_record_hash(n, record_hash, &Siblings(siblings))
        {
            Ok(hashes) => hashes,
            // The closure reads only what the frontier holds: it cannot fail.
            Err(_) => vec![record_hash],
        };
        let mut full = Vec::new();
        for (level, hash) in hashes.into_iter().enumerate() {
            if level < self.frontier.len() {
                self.frontier[level] = hash;
            } else {
                self.frontier.push(hash);
            }
            if level % TILE_HEIGHT as usize != 0 {
                continue;
            }
            let tile_level = level / TILE_HEIGHT as usize;
            if tile_level == self.partial.len() {
                self.partial.push(Vec::new());
            }
            let entries = &mut self.partial[tile_level];
            entries.push(hash);
            if entries.len() == TILE_WIDTH {
                let tile = Tile {
                    h: TILE_HEIGHT,
                    l: tile_level as i32,
                    n: (n >> level) >> TILE_HEIGHT,
                    w: TILE_WIDTH as u32,
                };
                full.push((tile, concat(entries)));
                entries.clear();
            }
        }
        self.size += 1;
        full
    }

    /// The partial tiles at the right edge, one per tile level that has one, with their data.
    pub fn partial_tiles(&self) -> Vec<(Tile, Vec<u8>)> {
        self.partial
            .iter()
            .enumerate()
            .filter(|(_, entries)| !entries.is_empty())
            .map(|(l, entries)| {
                let level = l as u32 * TILE_HEIGHT;
                let tile = Tile {
                    h: TILE_HEIGHT,
                    l: l as i32,
                    n: (self.size >> level) >> TILE_HEIGHT,
                    w: entries.len() as u32,
                };
                (tile, concat(entries))
            })
            .collect()
    }

    /// The tree's hash (`tlog::tree_hash`): its complete subtrees, combined from the right.
    pub fn tree_hash(&self) -> Hash {
        let mut hash: Option<Hash> = None;
        for level in 0..64 {
            if self.size >> level & 1 == 1 {
                let subtree = self.frontier[level];
                hash = Some(match hash {
                    None => subtree,
                    Some(right) => tlog::node_hash(subtree, right),
                });
            }
        }
        hash.unwrap_or_default()
    }

    /// The edge of a tree of `size` records whose stored hashes `reader` gives (the tiles of
    /// a log written before).
    pub fn restore<R: HashReader + ?Sized>(size: u64, reader: &R) -> std::io::Result<Edge> {
        let levels = 64 - size.leading_zeros() as usize;
        let indexes: Vec<u64> = (0..levels)
            .map(|level| tlog::stored_hash_index(level as u32, (size >> level) - 1))
            .collect();
        let frontier = reader.read_hashes(&indexes)?;
        let mut partial = Vec::new();
        for l in 0.. {
            let level = l * TILE_HEIGHT;
            if level as usize >= levels.max(1) || size >> level == 0 {
                break;
            }
            let start = ((size >> level) >> TILE_HEIGHT) << TILE_HEIGHT;
            let indexes: Vec<u64> = (start..size >> level)
                .map(|k| tlog::stored_hash_index(level, k))
                .collect();
            partial.push(reader.read_hashes(&indexes)?);
        }
        Ok(Edge {
            size,
            frontier,
            partial,
        })
    }

    /// The stored hash indexes `restore` reads for a tree of `size` records, so that a reader
    /// can fetch them first.
    pub fn restore_indexes(size: u64) -> Vec<u64> {
        let wanted = std::cell::RefCell::new(Vec::new());
        let recorder = Siblings(|indexes: &[u64]| {
            wanted.borrow_mut().extend_from_slice(indexes);
            Ok(vec![Hash::default(); indexes.len()])
        });
        if size > 0 {
            let _ = Edge::restore(size, &recorder);
        }
        wanted.into_inner()
    }
}

/// A `HashReader` from a function.
struct Siblings<F>(F);

impl<F: Fn(&[u64]) -> std::io::Result<Vec<Hash>>> HashReader for Siblings<F> {
    fn read_hashes(&self, indexes: &[u64]) -> std::io::Result<Vec<Hash>> {
        (self.0)(indexes)
    }
}

fn concat(hashes: &[Hash]) -> Vec<u8> {
    let mut data = Vec::with_capacity(hashes.len() * HASH_SIZE);
    for hash in hashes {
        data.extend_from_slice(&hash.0);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stored hash of a tree of `n` records, as x/mod computes them.
    fn stored(n: u64) -> Vec<Hash> {
        let mut all: Vec<Hash> = Vec::new();
        for i in 0..n {
            let hashes = tlog::stored_hashes(i, format!("record {i}\n").as_bytes(), &all[..])
                .expect("stored hashes");
            all.extend(hashes);
        }
        all
    }

    #[test]
    fn the_edge_agrees_with_the_whole_tree() {
        let n = 70_000;
        let all = stored(n);
        let mut edge = Edge::default();
        let mut full_tiles = Vec::new();
        for i in 0..n {
            full_tiles.extend(edge.push(tlog::record_hash(format!("record {i}\n").as_bytes())));
            let size = i + 1;
            if [1, 2, 3, 255, 256, 257, 65_535, 65_536, 65_537, n].contains(&size) {
                let want = tlog::tree_hash(size, &all[..]).expect("tree hash");
                assert_eq!(edge.tree_hash(), want, "tree hash of {size}");
                for (tile, data) in edge.partial_tiles() {
                    assert_eq!(
                        data,
                        tlog::read_tile_data(tile, &all[..]).expect("tile"),
                        "{}",
                        tile.path()
                    );
                }
                assert_eq!(
                    Edge::restore(size, &all[..]).expect("restored"),
                    edge,
                    "{size}"
                );
            }
        }
        // Every full tile, at both levels.
        assert_eq!(full_tiles.len(), (70_000 / 256) + 1);
        for (tile, data) in full_tiles {
            assert_eq!(
                data,
                tlog::read_tile_data(tile, &all[..]).expect("tile"),
                "{}",
                tile.path()
            );
        }
    }

    #[test]
    fn restoring_reads_what_it_says_it_reads() {
        let all = stored(1000);
        let indexes = Edge::restore_indexes(1000);
        let reader = |wanted: &[u64]| -> std::io::Result<Vec<Hash>> {
            assert!(wanted.iter().all(|i| indexes.contains(i)), "{wanted:?}");
            Ok(wanted.iter().map(|&i| all[i as usize]).collect())
        };
        Edge::restore(1000, &Siblings(reader)).expect("restored");
        assert!(Edge::restore_indexes(0).is_empty());
    }
}
