// Ported from golang.org/x/mod (sumdb/tlog/tile.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod `sumdb/tlog/tile.go`: tiles, their paths, and reading hashes through them.
//!
//! See <https://research.swtch.com/tlog#tiling_a_log> and the Go checksum database design
//! (golang.org/design/25530-sumdb).

use std::collections::HashMap;
use std::io;

use super::merkle::{
    HashReader, node_hash, split_stored_hash_index, stored_hash_index, subtree_index,
};
use super::{HASH_SIZE, Hash, TlogError, Tree, shr};

/// Tile numbers are written three decimal digits per path element, so that no directory of a
/// static tile tree holds more than 3000 entries (`xNNN`, `NNN` and `NNN.p`, each up to 1000).
const PATH_BASE: u64 = 1000;

/// The largest tile height there is: [`parse_tile_path`] and [`hash_from_tile`] refuse others,
/// and it keeps `2^h` and a tile's byte length well inside every integer type used here.
const MAX_HEIGHT: u32 = 30;

/// A tile of a transparency log (x/mod `Tile`): `w` consecutive hashes at tree level `h·l`,
/// starting at `n·2^h`.
///
/// A full tile has `w = 2^h` hashes; a partial one fewer. A tile stands for the whole subtree of
/// height `h` above its hashes, whose upper levels are computed by hashing them. Level `l = −1`
/// is a data tile, holding records rather than hashes; its path says `data`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Height, 1–30.
    pub h: u32,
    /// Level in the tiling, 0–63, or −1 for a data tile.
    pub l: i32,
    /// Number within the level.
    pub n: u64,
    /// Width, 1–2^h; 2^h is a full tile.
    pub w: u32,
}

impl Tile {
    /// x/mod `Tile.Path`: `tile/<h>/<l>/<n>[.p/<w>]`. `n` is written in groups of three digits,
    /// all but the last prefixed with `x` (N=1234067 is `x001/x234/067`); `.p/<w>` appears only
    /// for partial tiles; a data tile's level is `data`.
    pub fn path(&self) -> String {
        let mut n = self.n;
        let mut n_str = format!("{:03}", n % PATH_BASE);
        while n >= PATH_BASE {
            n /= PATH_BASE;
            n_str = format!("x{:03}/{n_str}", n % PATH_BASE);
        }
        let p_str = if u64::from(self.w) == full_width(self.h) {
            String::new()
        } else {
            format!(".p/{}", self.w)
        };
        let l = if self.l == -1 {
            "data".to_owned()
        } else {
            self.l.to_string()
        };
        format!("tile/{}/{l}/{n_str}{p_str}", self.h)
    }

    /// `2^h`, the width of a full tile; 0 for heights beyond 63, as Go's shift gives.
    fn full(&self) -> u64 {
        full_width(self.h)
    }
}

fn full_width(h: u32) -> u64 {
    1u64.checked_shl(h).unwrap_or(0)
}

/// x/mod `ParseTilePath`: the tile a path names. Only canonical paths are accepted, the ones
/// [`Tile::path`] prints: `tile/3/5/123/456/078` (no `x`) and `tile/8/0/001.p/256` (a full
/// tile's width) are refused.
pub fn parse_tile_path(path: &str) -> Result<Tile, TlogError> {
    let bad = || TlogError::MalformedTilePath {
        path: path.to_owned(),
    };
    let mut f: Vec<&str> = path.split('/').collect();
    if f.len() < 4 || f[0] != "tile" {
        return Err(bad());
    }
    // Go's Atoi; anything it lets through that is not canonical (a sign, leading zeros) fails
    // the round trip at the end.
    let is_data = f[2] == "data";
    let h = f[1].parse::<i64>().ok();
    let l = if is_data {
        Some(0)
    } else {
        f[2].parse::<i64>().ok()
    };
    let (Some(h), Some(l)) = (h, l) else {
        return Err(bad());
    };
    let (Ok(h @ 1..=MAX_HEIGHT), Ok(l @ 0..)) = (u32::try_from(h), i32::try_from(l)) else {
        return Err(bad());
    };
    let mut w = 1u32 << h;
    let last = f.len() - 1;
    if let Some(n_last) = f[last - 1].strip_suffix(".p") {
        match f[last].parse::<i64>() {
            Ok(ww) if ww > 0 && ww < i64::from(w) => w = ww as u32,
            _ => return Err(bad()),
        }
        f[last - 1] = n_last;
        f.truncate(last);
    }
    let mut n: u64 = 0;
    for s in &f[3..] {
        let digits = s.strip_prefix('x').unwrap_or(s);
        let nn = match digits.parse::<i64>() {
            Ok(nn @ 0..1000) => nn as u64,
            _ => return Err(bad()),
        };
        // Go's int64 would wrap here, and the round trip would then fail: so the numbers
        // are int64's, not all of u64's.
        n = n
            .checked_mul(PATH_BASE)
            .and_then(|n| n.checked_add(nn))
            .filter(|&n| i64::try_from(n).is_ok())
            .ok_or_else(bad)?;
    }
    let t = Tile {
        h,
        l: if is_data { -1 } else { l },
        n,
        w,
    };
    if t.path() != path {
        return Err(bad());
    }
    Ok(t)
}

/// x/mod `TileForIndex`: the narrowest tile of height `h` that holds the stored hash at `index`.
///
/// # Panics
///
/// If `h` is not in 1–30; x/mod panics for `h ≤ 0`. Heights are a caller's constant
/// ([`TILE_HEIGHT`](super::TILE_HEIGHT) for a checksum database).
pub fn tile_for_index(h: u32, index: u64) -> Tile {
    assert!(
        (1..=MAX_HEIGHT).contains(&h),
        "tile_for_index: invalid height {h}"
    );
    tile_for_index_range(h, index).0
}

/// x/mod `tileForIndex`: the narrowest tile of height `h` (1–30) that holds the hash at `index`,
/// and the byte range of its data whose [`tile_hash`] is that hash. A hash above level 0 of the
/// tile is the hash of the tile entries below it.
fn tile_for_index_range(h: u32, index: u64) -> (Tile, usize, usize) {
    let (level, n) = split_stored_hash_index(index);
    let l = level / h;
    let level = level - l * h; // now the level within the tile
    let tile_n = (n << level) >> h;
    let n = n.wrapping_sub((tile_n << h) >> level); // now n within the tile, at that level
    let t = Tile {
        h,
        l: l as i32,
        n: tile_n,
        w: ((n + 1) << level) as u32,
    };
    let start = (n << level) as usize * HASH_SIZE;
    let end = ((n + 1) << level) as usize * HASH_SIZE;
    (t, start, end)
}

/// x/mod `HashFromTile`: the hash at stored-hash `index`, from the data of tile `t`, which must
/// be [`tile_for_index`]`(t.h, index)` or a wider version of it.
pub fn hash_from_tile(t: Tile, data: &[u8], index: u64) -> Result<Hash, TlogError> {
    if !(1..=MAX_HEIGHT).contains(&t.h)
        || !(0..64).contains(&t.l)
        || t.w < 1
        || u64::from(t.w) > t.full()
    {
        return Err(TlogError::InvalidTile { path: t.path() });
    }
    if data.len() < t.w as usize * HASH_SIZE {
        return Err(TlogError::ShortTileData {
            len: data.len(),
            path: t.path(),
        });
    }
    let (t1, start, end) = tile_for_index_range(t.h, index);
    if t.l != t1.l || t.n != t1.n || t.w < t1.w {
        return Err(TlogError::WrongTile {
            index,
            want: t1.path(),
            path: t.path(),
        });
    }
    tile_hash(&data[start..end])
}

/// x/mod `tileHash`: the hash of the subtree whose leaves are the 2^k hashes in `data`.
fn tile_hash(data: &[u8]) -> Result<Hash, TlogError> {
    if data.len() == HASH_SIZE {
        return Hash::from_slice(data).ok_or_else(|| TlogError::BadMath("tile_hash".into()));
    }
    if data.len() < 2 * HASH_SIZE {
        return Err(TlogError::BadMath("tile_hash".into()));
    }
    let (left, right) = data.split_at(data.len() / 2);
    Ok(node_hash(tile_hash(left)?, tile_hash(right)?))
}

/// x/mod 0.7.0 `NewTiles`: the tiles of height `h` to publish when the tree grows from
/// `old_tree_size` to `new_tree_size` records.
///
/// At each level: the full tiles completed since the old tree, then the partial tile at the
/// right edge in every width from the old tree's (or 1) to the new tree's. x/mod ≥ v0.17.0 lists
/// only the last of those widths, and nothing for a level that did not change; see the
/// [module](super) doc. A tree of size 0 needs no tiles.
///
/// # Panics
///
/// If `h` is not in 1–30; x/mod panics for `h ≤ 0`.
pub fn new_tiles(h: u32, old_tree_size: u64, new_tree_size: u64) -> Vec<Tile> {
    assert!(
        (1..=MAX_HEIGHT).contains(&h),
        "new_tiles: invalid height {h}"
    );
    let mut tiles = Vec::new();
    let mut level: u32 = 0;
    while shr(new_tree_size, h * level) > 0 {
        let old_n = shr(old_tree_size, h * level);
        let new_n = shr(new_tree_size, h * level);
        for n in (old_n >> h)..(new_n >> h) {
            tiles.push(Tile {
                h,
                l: level as i32,
                n,
                w: 1 << h,
            });
        }
        let n = new_n >> h;
        let max_w = new_n - (n << h);
        let min_w = if old_n > n << h { old_n - (n << h) } else { 1 };
        for w in min_w..=max_w {
            tiles.push(Tile {
                h,
                l: level as i32,
                n,
                w: w as u32,
            });
        }
        level += 1;
    }
    tiles
}

/// x/mod `ReadTileData`: the data of hash tile `t` (its hashes, one after another), read from
/// the stored hashes. A width of 0 means a full tile. A data tile, or one wider than `2^h`, is
/// an [`InvalidTile`](TlogError::InvalidTile) error, where x/mod reads nonsense indexes.
pub fn read_tile_data<R: HashReader + ?Sized>(t: Tile, r: &R) -> Result<Vec<u8>, TlogError> {
    // A data tile holds records, which are not in the hash store; x/mod would compute
    // nonsense indexes for it.
    // A width beyond 2^h is no tile either, and would have us read more than a tile holds.
    let level = u32::try_from(t.l).ok().and_then(|l| l.checked_mul(t.h));
    let (Some(level), true, true) = (
        level,
        (1..=MAX_HEIGHT).contains(&t.h),
        u64::from(t.w) <= t.full(),
    ) else {
        return Err(TlogError::InvalidTile { path: t.path() });
    };
    let size = if t.w == 0 { t.full() } else { u64::from(t.w) };
    let start = t.n << t.h;
    let indexes: Vec<u64> = (0..size)
        .map(|i| stored_hash_index(level, start.wrapping_add(i)))
        .collect();
    let hashes = r.read_hashes(&indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TlogError::ShortRead {
            want: indexes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes.iter().flat_map(|h| h.0).collect())
}

/// Reads tiles of a checksum database's log (x/mod `TileReader`): from a local cache, from the
/// server, or from the server's own store.
pub trait TileReader {
    /// The height of the tiles, 1–30.
    fn height(&self) -> u32;

    /// The data of each tile: one entry for each, `tiles[i].w × 32` bytes long, or an error.
    ///
    /// Data from a server is suspect until [`TileHashReader`] has checked it against a trusted
    /// tree, and should not be kept (cached on disk, say) before [`save_tiles`] is called.
    ///
    /// [`save_tiles`]: TileReader::save_tiles
    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>>;

    /// Says that the data [`read_tiles`](TileReader::read_tiles) returned for `tiles` has been
    /// checked, so may be kept.
    fn save_tiles(&self, tiles: &[Tile], data: &[Vec<u8>]);
}

impl<T: TileReader + ?Sized> TileReader for &T {
    fn height(&self) -> u32 {
        (**self).height()
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        (**self).read_tiles(tiles)
    }

    fn save_tiles(&self, tiles: &[Tile], data: &[Vec<u8>]) {
        (**self).save_tiles(tiles, data)
    }
}

/// A [`HashReader`] that reads the hashes of a trusted tree from tiles, and checks them (x/mod
/// `TileHashReader`).
///
/// Each read fetches the tiles that the tree hash decomposes into, with the widths the tree gives
/// them, and checks that they hash to the tree hash; then it checks every other tile it fetched
/// against its parent. So every hash it returns is proven to be in the tree. A failed check is
/// an [`io::ErrorKind::InvalidData`] error wrapping [`TlogError::InconsistentTile`].
#[derive(Debug, Clone)]
pub struct TileHashReader<R> {
    tree: Tree,
    reader: R,
}

impl<R: TileReader> TileHashReader<R> {
    /// Reads the hashes of `tree` through `reader`. Pass `&reader` to keep it.
    pub fn new(tree: Tree, reader: R) -> Self {
        Self { tree, reader }
    }

    /// The tree whose hashes are read.
    pub fn tree(&self) -> Tree {
        self.tree
    }

    /// x/mod `tileHashReader.ReadHashes`, with the parent check fixed (see the
    /// [module](super) doc): plan the tiles, fetch them, authenticate them against the tree
    /// hash, then read the hashes out of them.
    fn read(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let h = self.reader.height();
        if !(1..=MAX_HEIGHT).contains(&h) {
            return Err(TlogError::InvalidHeight { height: h });
        }
        let tree_n = self.tree.n;
        let stored_n = stored_hash_index(0, tree_n);
        if let Some(&index) = indexes.iter().find(|&&x| x >= stored_n) {
            return Err(TlogError::IndexNotInTree {
                index,
                tree_size: tree_n,
            });
        }
        if tree_n == 0 {
            // Nothing asked for, and nothing to check it against. x/mod panics here.
            return Ok(Vec::new());
        }
        let bad_math = |what: &str| self.bad_math(indexes, what);

        let mut plan = Plan::tree_tiles(h, tree_n, &bad_math)?;
        // indexes[i] is in plan.tiles[index_tiles[i]]
        let index_tiles = indexes
            .iter()
            .map(|&x| plan.add_index(h, tree_n, x, &bad_math))
            .collect::<Result<Vec<_>, _>>()?;
        let data = self.fetch(&plan.tiles)?;
        plan.authenticate(&data, self.tree.hash, tree_n, &bad_math)?;

        // All the tiles are authenticated against the trusted tree hash.
        self.reader.save_tiles(&plan.tiles, &data);

        indexes
            .iter()
            .zip(index_tiles)
            .map(|(&x, j)| {
                hash_from_tile(plan.tiles[j], &data[j], x)
                    .map_err(|e| bad_math(&format!("lost hash {x}: {e}")))
            })
            .collect()
    }

    /// Fetches the data of `tiles`, and checks that each has the length its width says.
    fn fetch(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, TlogError> {
        let data = self.reader.read_tiles(tiles)?;
        if data.len() != tiles.len() {
            return Err(TlogError::BadTileCount {
                want: tiles.len(),
                got: data.len(),
            });
        }
        for (tile, d) in tiles.iter().zip(&data) {
            if d.len() != tile.w as usize * HASH_SIZE {
                return Err(TlogError::BadTileLength {
                    path: tile.path(),
                    got: d.len(),
                    want: tile.w as usize * HASH_SIZE,
                });
            }
        }
        Ok(data)
    }

    fn bad_math(&self, indexes: &[u64], what: &str) -> TlogError {
        TlogError::BadMath(format!(
            "TileHashReader {} {indexes:?}: {what}",
            self.tree.n
        ))
    }
}

impl<R: TileReader> HashReader for TileHashReader<R> {
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>> {
        self.read(indexes).map_err(TlogError::into_io)
    }
}

/// The tiles one [`TileHashReader`] read fetches, in the order they can be authenticated: first
/// those the tree hash decomposes into, then the tiles that hold the hashes asked for, each
/// after the parent that authenticates it.
struct Plan {
    tiles: Vec<Tile>,
    /// `order[tiles[i]] == i`.
    order: HashMap<Tile, usize>,
    /// The stored hash indexes of the subtrees whose hashes make up the tree hash.
    stx: Vec<u64>,
    /// `stx[i]` is in `tiles[stx_tiles[i]]`.
    stx_tiles: Vec<usize>,
    /// How many of `tiles` are authenticated by the tree hash; the tiles after these are checked
    /// against their parents. x/mod 0.7.0 starts at `stx.len()` instead, which skips a tile when
    /// the tree-hash tiles are fewer than the subtrees.
    num_stx_tiles: usize,
}

impl Plan {
    /// Plans to fetch the tiles needed to recompute the hash of a tree of `tree_n` records
    /// from tiles of height `h`. If it matches, those tiles are authenticated.
    fn tree_tiles(
        h: u32,
        tree_n: u64,
        bad_math: &dyn Fn(&str) -> TlogError,
    ) -> Result<Self, TlogError> {
        let mut stx = Vec::new();
        subtree_index(0, tree_n, &mut stx);
        let mut plan = Plan {
            tiles: Vec::new(),
            order: HashMap::new(),
            stx_tiles: Vec::with_capacity(stx.len()),
            stx: Vec::new(),
            num_stx_tiles: 0,
        };
        for &x in &stx {
            let (tile, _, _) = tile_for_index_range(h, x);
            let tile = tile_parent(tile, 0, tree_n).ok_or_else(|| bad_math("tree tile"))?;
            let j = *plan.order.entry(tile).or_insert_with(|| {
                plan.tiles.push(tile);
                plan.tiles.len() - 1
            });
            plan.stx_tiles.push(j);
        }
        plan.stx = stx;
        plan.num_stx_tiles = plan.tiles.len();
        Ok(plan)
    }

    /// Plans to fetch the tile holding the stored hash `x`, and any parents needed to
    /// authenticate it (usually they are fetched anyway); returns the tile's place in `tiles`.
    fn add_index(
        &mut self,
        h: u32,
        tree_n: u64,
        x: u64,
        bad_math: &dyn Fn(&str) -> TlogError,
    ) -> Result<usize, TlogError> {
        let (tile, _, _) = tile_for_index_range(h, x);

        // Walk up the parents until one that is already planned: it will be authenticated.
        // The tree tiles are at the top, so one is found within 64 levels.
        let found = (0..=u64::BITS).find_map(|k| {
            let p = tile_parent(tile, k, tree_n)?;
            self.order.get(&p).map(|&j| (k, j))
        });
        let Some((k, mut j)) = found else {
            return Err(bad_math("lost tile"));
        };

        // Walk back down, planning each child after its parent; this ends with the tile for
        // this index, unless that was planned already (k == 0).
        for k in (0..k).rev() {
            let p = tile_parent(tile, k, tree_n).ok_or_else(|| bad_math("lost child"))?;
            // Only full tiles have parents, and this one has one.
            if u64::from(p.w) != p.full() {
                return Err(bad_math(&format!("{x} {}", p.path())));
            }
            j = self.tiles.len();
            self.order.insert(p, j);
            self.tiles.push(p);
        }
        Ok(j)
    }

    /// Authenticates the tree tiles against `tree_hash`, then every other tile, all full,
    /// against its parent; the parents come first, so each is authenticated before its
    /// children.
    fn authenticate(
        &self,
        data: &[Vec<u8>],
        tree_hash: Hash,
        tree_n: u64,
        bad_math: &dyn Fn(&str) -> TlogError,
    ) -> Result<(), TlogError> {
        let mut th: Option<Hash> = None;
        for (&x, &j) in self.stx.iter().zip(&self.stx_tiles).rev() {
            let h = hash_from_tile(self.tiles[j], &data[j], x)?;
            th = Some(th.map_or(h, |th| node_hash(h, th)));
        }
        if th != Some(tree_hash) {
            // At least one tile is wrong, and which one cannot be told.
            return Err(TlogError::InconsistentTile);
        }

        for (i, &tile) in self.tiles.iter().enumerate().skip(self.num_stx_tiles) {
            let parent =
                tile_parent(tile, 1, tree_n).and_then(|p| self.order.get(&p).map(|&j| (p, j)));
            let Some((p, j)) = parent else {
                return Err(bad_math(&format!("lost parent of {}", tile.path())));
            };
            let level = p.l as u32 * p.h;
            let h = hash_from_tile(p, &data[j], stored_hash_index(level, tile.n))
                .map_err(|e| bad_math(&format!("lost hash of {}: {e}", tile.path())))?;
            if h != tile_hash(&data[i])? {
                return Err(TlogError::InconsistentTile);
            }
        }
        Ok(())
    }
}

/// x/mod `tileParent`: tile `t`'s `k`th parent among the tiles of a tree of `n` records, with
/// the width that tree gives it; `None` if the tree has no such tile.
fn tile_parent(t: Tile, k: u32, n: u64) -> Option<Tile> {
    let l = t.l + k as i32;
    let tile_n = shr(t.n, k * t.h);
    let full = t.full();
    // The number of hashes the tree has at the parent's level.
    let max = shr(n, l as u32 * t.h);
    let first = tile_n << t.h;
    let mut w = full;
    if first + full >= max {
        if first >= max {
            return None;
        }
        w = max - first;
    }
    Some(Tile {
        h: t.h,
        l,
        n: tile_n,
        w: w as u32,
    })
}
