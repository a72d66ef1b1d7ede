//! The check of proof files before they are stored (a bundle's import), pure: no network, no
//! store. Each problem is one line naming the file, `sumdb/<name>/<file>`.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::sync::Mutex;

use bytes::Bytes;
use gomod::ModuleVersion;
use gomod::note::Verifier;
use gomod::tlog::{
    self, HASH_SIZE, HashReader, TILE_HEIGHT, Tile, TileHashReader, TileReader, Tree,
};

use super::{lock, parse_lookup};

/// The file of `version`'s lookup, relative to `sumdb/<name>/`.
pub(crate) fn lookup_file(version: &ModuleVersion) -> String {
    format!(
        "lookup/{}@{}",
        version.path().escaped(),
        version.version().escaped()
    )
}

/// The import's check, pure (no network): `latest` verifies with `key`; every lookup carries
/// that tree and its record is proven in it by the tiles; every tile is one of that tree,
/// proven in it; each expected (module@version, zip `h1:`, go.mod `h1:`) has its lookup and
/// the record's lines equal them. Every problem is one line naming its file.
pub(crate) fn check_proof_files(
    key: &str,
    files: &BTreeMap<String, Bytes>,
    expected: &[(ModuleVersion, Option<String>, String)],
) -> Result<Tree, Vec<String>> {
    let verifier = Verifier::new(key)
        .map_err(|e| vec![format!("{key}: not a checksum database verifier key: {e}")])?;
    let name = verifier.name().to_owned();
    let at = |file: &str| format!("sumdb/{name}/{file}");
    let tree = files
        .get("latest")
        .ok_or_else(|| vec![format!("{}: missing", at("latest"))])
        .and_then(|note| {
            open_tree(&verifier, note).map_err(|e| vec![format!("{}: {e}", at("latest"))])
        })?;
    let tiles = MapTiles::of(files);
    let mut problems = Vec::new();
    let mut records = HashMap::new();
    for (file, body) in files {
        let checked = match file.as_str() {
            "latest" => Ok(()),
            "supported" if body.is_empty() => Ok(()),
            "supported" => Err("not empty".to_owned()),
            f if f.starts_with("lookup/") => {
                check_lookup(&verifier, tree, &tiles, f, body).map(|(v, lines)| {
                    records.insert(v, lines);
                })
            }
            f if f.starts_with("tile/") => check_tile(tree, &tiles, f, body),
            _ => Err("not a file of a checksum database's proofs".to_owned()),
        };
        if let Err(problem) = checked {
            problems.push(format!("{}: {problem}", at(file)));
        }
    }
    for (version, zip_h1, go_mod_h1) in expected {
        let file = lookup_file(version);
        let Some(lines) = records.get(version) else {
            if !files.contains_key(&file) {
                problems.push(format!("{}: missing: no proof for {version}", at(&file)));
            }
            continue;
        };
        let hashes = [("/go.mod", Some(go_mod_h1)), ("", zip_h1.as_ref())];
        for (suffix, want) in hashes {
            let Some(want) = want else { continue };
            let line = format!("{} {}{suffix} {want}", version.path(), version.version());
            if !lines.contains(&line) {
                problems.push(format!(
                    "{}: the checksum database's record does not say {line:?}",
                    at(&file)
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(tree)
    } else {
        Err(problems)
    }
}

/// The tree of a signed note verified by `verifier`.
fn open_tree(verifier: &Verifier, note: &[u8]) -> Result<Tree, String> {
    let note = gomod::note::open(note, std::slice::from_ref(verifier))
        .map_err(|e| format!("not a tree head signed by {}: {e}", verifier.name()))?;
    tlog::parse_tree(note.text.as_bytes()).map_err(|e| e.to_string())
}

/// A lookup: its record, signed by `tree`, proven in it by the tiles; returns its go.sum lines.
fn check_lookup(
    verifier: &Verifier,
    tree: Tree,
    tiles: &MapTiles,
    file: &str,
    body: &[u8],
) -> Result<(ModuleVersion, Vec<String>), String> {
    let version = parse_lookup(&file["lookup/".len()..]).map_err(|e| e.to_string())?;
    let (id, text, signed) = tlog::parse_record(body).map_err(|e| e.to_string())?;
    let signed_tree = open_tree(verifier, signed)?;
    if signed_tree != tree {
        return Err(format!(
            "signed by tree {}, not by the proofs' latest tree {}",
            signed_tree.n, tree.n
        ));
    }
    if id >= tree.n {
        return Err(format!("record {id} is beyond tree {}", tree.n));
    }
    let lines: Vec<String> = String::from_utf8_lossy(text)
        .lines()
        .map(str::to_owned)
        .collect();
    let own = format!("{} {}", version.path(), version.version());
    if let Some(other) = lines
        .iter()
        .find(|l| !(l.starts_with(&format!("{own} ")) || l.starts_with(&format!("{own}/go.mod "))))
    {
        return Err(format!("the record is not {own}'s: {other:?}"));
    }
    let index = tlog::stored_hash_index(0, id);
    let proven = tiles.prove(tree, |r| Ok(r.read_hashes(&[index])?));
    match proven {
        Ok(hashes) if hashes.first() == Some(&tlog::record_hash(text)) => Ok((version, lines)),
        Ok(_) => Err(format!("record {id} is not the one in tree {}", tree.n)),
        Err(e) => Err(format!("record {id} is not proven in tree {}: {e}", tree.n)),
    }
}

/// A hash tile of `tree` (the width the tree gives it), proven in it.
fn check_tile(tree: Tree, tiles: &MapTiles, file: &str, body: &[u8]) -> Result<(), String> {
    let tile = tlog::parse_tile_path(file).map_err(|e| e.to_string())?;
    if tile.h != TILE_HEIGHT || tile.l < 0 {
        return Err("not a hash tile of height 8".to_owned());
    }
    if body.len() != tile.w as usize * HASH_SIZE {
        return Err(format!(
            "{} bytes, want {}",
            body.len(),
            tile.w as usize * HASH_SIZE
        ));
    }
    // The hashes at this tile's level that tree holds, and so the tile's width in it.
    let level_size = tree.n >> (tile.l as u32 * TILE_HEIGHT);
    let start = tile.n << TILE_HEIGHT;
    let width = level_size.saturating_sub(start).min(1 << TILE_HEIGHT);
    if width != u64::from(tile.w) {
        return Err(format!(
            "not a tile of tree {}: it has width {width} there",
            tree.n
        ));
    }
    // Reading its last hash makes the reader authenticate the whole tile against the tree.
    let last = tlog::stored_hash_index(tile.l as u32 * TILE_HEIGHT, start + width - 1);
    tiles
        .prove(tree, |r| Ok(r.read_hashes(&[last])?))
        .map(|_| ())
        .map_err(|e| format!("not proven in tree {}: {e}", tree.n))
}

/// The hash tiles among some proof files, read by gomod's `TileHashReader`; remembers what it
/// lacked.
pub(super) struct MapTiles {
    pub tiles: HashMap<Tile, Vec<u8>>,
    pub missing: Mutex<Vec<Tile>>,
}

impl MapTiles {
    pub fn of(files: &BTreeMap<String, Bytes>) -> MapTiles {
        let tiles = files
            .iter()
            .filter_map(|(file, data)| {
                let tile = tlog::parse_tile_path(file).ok()?;
                (tile.l >= 0).then(|| (tile, data.to_vec()))
            })
            .collect();
        MapTiles {
            tiles,
            missing: Mutex::default(),
        }
    }

    /// Runs `proof` over `tree`'s tiles; a lacking tile is named in the error.
    pub fn prove<T>(
        &self,
        tree: Tree,
        proof: impl Fn(&TileHashReader<&MapTiles>) -> Result<T, tlog::TlogError>,
    ) -> Result<T, String> {
        lock(&self.missing).clear();
        proof(&TileHashReader::new(tree, self)).map_err(|e| {
            let missing = lock(&self.missing);
            match missing.first() {
                Some(tile) => format!("tile {} is not among them", tile.path()),
                None => e.to_string(),
            }
        })
    }
}

impl TileReader for MapTiles {
    fn height(&self) -> u32 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> io::Result<Vec<Vec<u8>>> {
        let data: Option<Vec<Vec<u8>>> = tiles.iter().map(|t| self.tiles.get(t).cloned()).collect();
        data.ok_or_else(|| {
            *lock(&self.missing) = tiles
                .iter()
                .filter(|t| !self.tiles.contains_key(t))
                .copied()
                .collect();
            io::Error::other("tiles missing")
        })
    }

    fn save_tiles(&self, _tiles: &[Tile], _data: &[Vec<u8>]) {}
}
