//! Appending to the log.
//!
//! Callers queue their entries; whoever gets the edge's lock next writes everything queued as
//! one batch (many publishes at once cost one tree head), then answers every caller.
//!
//! A batch: take in the records other writers added since this process last looked (another
//! replica on the bucket); claim the next record number for each new version by writing its
//! record create-only (a writer that finds the number taken takes in that record and tries the
//! next; if it is the same version, another writer logged it first); write the index of every
//! record the batch saw, then the tiles the batch completed and its partial tiles; sign and
//! write the new tree head. A crash anywhere leaves records the next batch takes in: nothing
//! is logged twice, and nothing half-written is served (only signed heads are).

use std::sync::PoisonError;

use bytes::Bytes;
use gomod::ModuleVersion;
use gomod::tlog::{self, Tile, Tree};
use tokio::sync::oneshot;

use super::edge::Edge;
use super::{Entry, LogError, Sumlog};
use crate::storage::Created;

/// Entries queued by one caller, and where its answer goes.
pub(super) struct Pending {
    entries: Vec<Entry>,
    done: oneshot::Sender<Result<(), LogError>>,
}

/// What a batch wrote, to write its tiles, head and index from.
#[derive(Default)]
struct Batch {
    /// Full tiles completed, with their data.
    tiles: Vec<(Tile, Vec<u8>)>,
    /// Every record the batch took in or wrote.
    indexed: Vec<(ModuleVersion, u64)>,
}

impl Sumlog {
    /// Logs the entries whose versions are not in the log yet; returns once they are, in a
    /// signed tree head.
    pub async fn append(&self, entries: Vec<Entry>) -> Result<(), LogError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Pending { entries, done });
        let mut edge = self.edge.lock().await;
        let queued =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        if !queued.is_empty() {
            let entries: Vec<Entry> = queued.iter().flat_map(|p| p.entries.clone()).collect();
            let outcome = self.write_batch(&mut edge, &entries).await;
            for pending in queued {
                let _ = pending.done.send(outcome.clone());
            }
        }
        drop(edge);
        // Another caller's batch may have written ours.
        answer
            .await
            .unwrap_or_else(|_| Err(LogError::Corrupt("append abandoned".to_owned())))
    }

    /// One batch; on failure the edge is dropped, to be restored from the store next time.
    async fn write_batch(
        &self,
        slot: &mut Option<Edge>,
        entries: &[Entry],
    ) -> Result<(), LogError> {
        let mut edge = match slot.take() {
            Some(edge) => edge,
            None => self.restore().await?,
        };
        let start = edge.size();
        let mut batch = Batch::default();
        self.take_in_others(&mut edge, &mut batch).await?;
        for entry in entries {
            if !self.is_logged(&entry.version, &batch).await? {
                self.claim(&mut edge, &mut batch, entry).await?;
            }
        }
        if edge.size() > start {
            self.finish(&edge, batch).await?;
        }
        *slot = Some(edge);
        Ok(())
    }

    /// Takes in the records other writers added beyond `edge`.
    async fn take_in_others(&self, edge: &mut Edge, batch: &mut Batch) -> Result<(), LogError> {
        while let Some(text) = self.store.read(&self.layout.record(edge.size())).await? {
            self.take_in(edge, batch, &text)?;
        }
        Ok(())
    }

    /// Adds record `text` to the edge as the next record.
    fn take_in(
        &self,
        edge: &mut Edge,
        batch: &mut Batch,
        text: &[u8],
    ) -> Result<ModuleVersion, LogError> {
        let n = edge.size();
        let version = version_of(text).ok_or_else(|| {
            LogError::Corrupt(format!("record {n}: not a module version's record"))
        })?;
        batch.tiles.extend(edge.push(tlog::record_hash(text)));
        batch.indexed.push((version.clone(), n));
        Ok(version)
    }

    async fn is_logged(&self, version: &ModuleVersion, batch: &Batch) -> Result<bool, LogError> {
        Ok(batch.indexed.iter().any(|(v, _)| v == version)
            || self
                .store
                .read(&self.layout.index(version))
                .await?
                .is_some())
    }

    /// Writes the entry's record at the next free number.
    async fn claim(
        &self,
        edge: &mut Edge,
        batch: &mut Batch,
        entry: &Entry,
    ) -> Result<(), LogError> {
        let text = Bytes::from(entry.text());
        loop {
            let key = self.layout.record(edge.size());
            if self.store.put_new(&key, text.clone()).await? == Created::New {
                metrics::counter!("modgate_sumlog_appends_total").increment(1);
                self.take_in(edge, batch, &text)?;
                return Ok(());
            }
            let theirs = self
                .store
                .read(&key)
                .await?
                .ok_or_else(|| LogError::Corrupt(format!("{key}: taken, then gone")))?;
            if self.take_in(edge, batch, &theirs)? == entry.version {
                return Ok(());
            }
        }
    }

    /// Writes the index, the batch's tiles, and the signed head of the new tree. The index
    /// comes first: a lookup that finds a record beyond the newest head runs a batch, which
    /// takes the record in; a head never signs a record the index cannot find.
    async fn finish(&self, edge: &Edge, batch: Batch) -> Result<(), LogError> {
        for (version, n) in batch.indexed {
            self.store
                .put_new(&self.layout.index(&version), Bytes::from(format!("{n}\n")))
                .await?;
        }
        // Every tile is a function of the records: a writer that finds one written finds it
        // with the same bytes.
        for (tile, data) in batch.tiles.into_iter().chain(edge.partial_tiles()) {
            self.store
                .put_new(&self.layout.tile(tile), Bytes::from(data))
                .await?;
        }
        let head = self.sign(Tree {
            n: edge.size(),
            hash: edge.tree_hash(),
        });
        self.store
            .put_new(&self.layout.head(edge.size()), head.signed.clone())
            .await?;
        self.keep_head(head);
        Ok(())
    }

    /// The edge of the newest stored tree, from its tiles, checked against its signed hash.
    async fn restore(&self) -> Result<Edge, LogError> {
        let head = self.newest_head().await?;
        let size = head.tree.n;
        let indexes = Edge::restore_indexes(size);
        let mut tiles: std::collections::HashMap<Tile, Bytes> = std::collections::HashMap::new();
        for &index in &indexes {
            let tile = self.stored_tile_for(index, size);
            if let std::collections::hash_map::Entry::Vacant(slot) = tiles.entry(tile) {
                let data = self
                    .store
                    .read(&self.layout.tile(tile))
                    .await?
                    .ok_or_else(|| LogError::Corrupt(format!("{}: missing", tile.path())))?;
                slot.insert(data);
            }
        }
        let reader = FromTiles {
            tiles: &tiles,
            sumlog: self,
            size,
        };
        let edge = Edge::restore(size, &reader)
            .map_err(|e| LogError::Corrupt(format!("restoring the tree of {size}: {e}")))?;
        if edge.tree_hash() != head.tree.hash {
            return Err(LogError::Corrupt(format!(
                "the tiles of the tree of {size} do not give its signed hash"
            )));
        }
        Ok(edge)
    }

    /// The stored tile holding the hash at `index` in a tree of `size` records: the full
    /// tile, or the partial one written with that tree's head.
    fn stored_tile_for(&self, index: u64, size: u64) -> Tile {
        let tile = tlog::tile_for_index(super::TILE_HEIGHT, index);
        let entries = size >> (tile.l as u32 * super::TILE_HEIGHT);
        if tile.n < entries >> super::TILE_HEIGHT {
            Tile {
                w: 1 << super::TILE_HEIGHT,
                ..tile
            }
        } else {
            Tile {
                w: (entries & 0xff) as u32,
                ..tile
            }
        }
    }
}

/// Stored hashes from the tiles read for a restore.
struct FromTiles<'a> {
    tiles: &'a std::collections::HashMap<Tile, Bytes>,
    sumlog: &'a Sumlog,
    size: u64,
}

impl tlog::HashReader for FromTiles<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::io::Result<Vec<tlog::Hash>> {
        indexes
            .iter()
            .map(|&index| {
                let tile = self.sumlog.stored_tile_for(index, self.size);
                let data = self
                    .tiles
                    .get(&tile)
                    .ok_or_else(|| std::io::Error::other(format!("{} not read", tile.path())))?;
                tlog::hash_from_tile(tile, data, index).map_err(std::io::Error::other)
            })
            .collect()
    }
}

/// The module version a record is of.
fn version_of(text: &[u8]) -> Option<ModuleVersion> {
    Entry::parse(text).map(|entry| entry.version)
}
