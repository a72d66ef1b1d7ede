//! The tiles of the upstream log, shared by the proxy and the verifier.
//!
//! - A full hash tile never changes. Once it is proven against a signed tree it is kept in the
//!   store for good, at `sumdb/<name>/tile/…`: where the go command keeps it in its module cache
//!   (`cache/download/sumdb/<name>/tile/…`), so the store stays a valid `file://` proxy tree.
//!   Stored tiles are served even when the upstream database is down.
//! - Partial tiles grow with the log, and data tiles are never read by the go command and
//!   cannot be checked cheaply: both are kept in memory for `memory::RECENT_TILE_FOR`, never
//!   stored. So is
//!   a full tile that could not be proven yet.
//! - The first `w` hashes of a tile never change either, so a partial tile is cut from its
//!   stored full tile when there is one, and, like the go command's client, from the upstream's
//!   full tile when the upstream no longer serves the partial one.
//! - Partial tiles stored with proof files (`offline.rs`) answer only when the upstream cannot
//!   be asked: offline, or down.

use bytes::Bytes;
use gomod::tlog::{HASH_SIZE, TILE_HEIGHT, Tile};
use object_store::path::Path;

use super::SumdbError;
use super::remote::Remote;
use crate::memory::{self, Dated};
use crate::storage::{Store, sumdb_file};

/// Where a tile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The store: proven when it was kept.
    Stored,
    /// The upstream, now or a few seconds ago: not proven.
    Fetched,
}

pub(super) struct TileCache {
    store: Store,
    /// The database's name: its files are under `sumdb/<name>/`.
    name: String,
    remote: std::sync::Arc<Remote>,
    recent: Dated<Tile, Bytes>,
}

impl TileCache {
    pub fn new(store: Store, name: &str, remote: std::sync::Arc<Remote>) -> TileCache {
        TileCache {
            store,
            name: name.to_owned(),
            remote,
            recent: Dated::new(memory::RECENT_TILES),
        }
    }

    /// A tile's data, from the store, memory or the upstream, in that order.
    pub async fn read(&self, tile: Tile) -> Result<(Bytes, Origin), SumdbError> {
        if is_storable(tile)
            && let Some(data) = self.stored(tile).await
        {
            return Ok((data, Origin::Stored));
        }
        if let Some(data) = self.recent.fresh(&tile, memory::RECENT_TILE_FOR) {
            return Ok((data, Origin::Fetched));
        }
        let full = Tile {
            w: 1 << tile.h,
            ..tile
        };
        let partial_hashes = tile.l >= 0 && full != tile;
        if partial_hashes && let Some(data) = self.stored(full).await {
            return Ok((prefix(&data, tile), Origin::Stored));
        }
        let fetched = match self.fetch(tile).await {
            Err(SumdbError::NotFound(_)) if partial_hashes => {
                self.fetch(full).await.map(|data| prefix(&data, tile))
            }
            other => other,
        };
        match fetched {
            Ok(data) => {
                self.recent.remember(tile, data.clone());
                Ok((data, Origin::Fetched))
            }
            // Offline, or the database is down: a partial tile stored with proof files (they
            // were checked before they were stored) answers for it.
            Err(e @ (SumdbError::Unreachable(_) | SumdbError::Timeout(_))) if partial_hashes => {
                self.stored(tile)
                    .await
                    .map(|d| (d, Origin::Stored))
                    .ok_or(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Keeps a tile that has been proven: full hash tiles go to the store, create-only.
    pub async fn keep(&self, tile: Tile, data: Bytes) {
        if !is_storable(tile) {
            return;
        }
        let key = self.key(tile);
        if let Err(e) = self.store.put_new(&key, data).await {
            // The tile is still served; the next proof will try to keep it again.
            tracing::warn!(tile = %tile.path(), cause = %e, "keeping a checksum database tile failed");
        }
    }

    async fn stored(&self, tile: Tile) -> Option<Bytes> {
        let key = self.key(tile);
        match self.store.read(&key).await {
            Ok(data) => data.filter(|d| d.len() == tile.w as usize * HASH_SIZE),
            Err(e) => {
                // Asking the upstream instead is harmless: tiles are public and checked.
                tracing::warn!(tile = %tile.path(), cause = %e, "reading a stored checksum database tile failed");
                None
            }
        }
    }

    async fn fetch(&self, tile: Tile) -> Result<Bytes, SumdbError> {
        let path = tile.path();
        let data = self.remote.get(&path, &path).await?;
        if tile.l >= 0 && data.len() != tile.w as usize * HASH_SIZE {
            return Err(SumdbError::Invalid(format!(
                "{path}: checksum database sent {} bytes, want {}",
                data.len(),
                tile.w as usize * HASH_SIZE
            )));
        }
        Ok(data)
    }

    fn key(&self, tile: Tile) -> Path {
        sumdb_file(&self.name, &tile.path())
    }
}

/// Full hash tiles of the height the go command reads: the only ones worth keeping.
pub(super) fn is_storable(tile: Tile) -> bool {
    tile.h == TILE_HEIGHT && tile.l >= 0 && tile.w == 1 << tile.h
}

/// The first `tile.w` hashes of a wider tile's data.
fn prefix(data: &Bytes, tile: Tile) -> Bytes {
    data.slice(..(tile.w as usize * HASH_SIZE).min(data.len()))
}
