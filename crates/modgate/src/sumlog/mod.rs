//! The private checksum database: a transparency log, in the format the go command verifies
//! (`GOSUMDB`), of every module version modgate serves, private ones and public ones alike.
//!
//! - `edge`: the right edge of the Merkle tree, in memory: all that appending needs.
//! - `layout`: the objects in the store: records, an index by version, tiles, signed heads.
//! - `append`: adding records, one batch at a time per process; across processes, record
//!   numbers are claimed create-only, so replicas on one bucket never fork the log.
//! - this file: opening the log, and what the go command reads (`latest`, `lookup`, tiles).
//!
//! It knows nothing of HTTP or of who may read what: the service decides that.

mod append;
mod audit;
mod edge;
mod layout;

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use gomod::ModuleVersion;
use gomod::note::{Signer, Verifier};
use gomod::tlog::{self, HASH_SIZE, TILE_HEIGHT, Tile, Tree};

use crate::memory::{self, Dated, Kept};
use crate::secret::Secret;
use crate::source::FailureKind;
use crate::storage::{StorageError, Store};
use edge::Edge;
use layout::Layout;

/// `[private_sumdb]`.
#[derive(Debug, Clone)]
pub(crate) struct SumlogSettings {
    /// The database's name, as in `GOSUMDB` and in `/sumdb/<name>/`.
    pub name: String,
    /// The signer key (`PRIVATE+KEY+<name>+…`), read from `key_file`.
    pub signer_key: Secret,
}

/// A version's hashes, as its record holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    pub version: ModuleVersion,
    /// The zip's `h1:`.
    pub h1: String,
    /// The go.mod's `h1:`.
    pub go_mod_h1: String,
}

impl Entry {
    /// The record text, as sum.golang.org writes it.
    fn text(&self) -> String {
        let (m, v) = (self.version.path(), self.version.version());
        format!("{m} {v} {}\n{m} {v}/go.mod {}\n", self.h1, self.go_mod_h1)
    }

    /// The entry a record's text holds, if it is exactly what `text` writes.
    pub fn parse(text: &[u8]) -> Option<Entry> {
        let text = std::str::from_utf8(text).ok()?;
        let (first, rest) = text.split_once('\n')?;
        let mut fields = first.split(' ');
        let (module, version, h1) = (fields.next()?, fields.next()?, fields.next()?);
        let go_mod_h1 = rest
            .strip_prefix(&format!("{module} {version}/go.mod "))?
            .strip_suffix('\n')?;
        let entry = Entry {
            version: ModuleVersion::parse(module, version).ok()?,
            h1: h1.to_owned(),
            go_mod_h1: go_mod_h1.to_owned(),
        };
        let one_field = |hash: &str| !hash.is_empty() && !hash.contains(char::is_whitespace);
        let whole = fields.next().is_none() && one_field(h1) && one_field(go_mod_h1);
        (whole && entry.text() == text).then_some(entry)
    }
}

/// Why the log could not be read or appended to. Cloned to every caller a failed batch
/// answers.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum LogError {
    #[error(transparent)]
    Storage(Arc<StorageError>),
    /// An object of the log holds what the log never writes: damaged, or written by hand.
    #[error("checksum log {0}")]
    Corrupt(String),
}

impl From<StorageError> for LogError {
    fn from(error: StorageError) -> LogError {
        LogError::Storage(Arc::new(error))
    }
}

impl LogError {
    /// What failed, for the client's status: the store, or the log's own objects.
    pub fn kind(&self) -> FailureKind {
        match self {
            LogError::Storage(_) => FailureKind::Storage,
            LogError::Corrupt(_) => FailureKind::Internal,
        }
    }
}

/// The newest signed tree head.
#[derive(Debug, Clone, Default)]
struct Head {
    tree: Tree,
    signed: Bytes,
}

pub(crate) struct Sumlog {
    name: String,
    signer: Signer,
    verifier: Verifier,
    store: Store,
    layout: Layout,
    /// Entries waiting for the next batch.
    queue: Mutex<Vec<append::Pending>>,
    /// Appending, one batch at a time in this process: the edge as of the last batch (`None`
    /// until the first, or after a failed one: restored from the store).
    edge: tokio::sync::Mutex<Option<Edge>>,
    head: Mutex<Arc<Head>>,
    /// When the store was last looked at for a newer head than `head`: another replica's
    /// appends show within `memory::NEWER_HEAD_AFTER`.
    looked: Mutex<Option<std::time::Instant>>,
    /// Records read, by version: they never change.
    records: Dated<ModuleVersion, (u64, Bytes)>,
    /// Stored hash tiles read: a stored tile never changes (a wider one is another object).
    tiles: Kept<StoredTile, Bytes>,
}

/// A stored hash tile as a key of [`Sumlog::tiles`].
#[derive(Clone, PartialEq, Eq, Hash)]
struct StoredTile(Tile);

impl memory::Weighed for StoredTile {
    fn weight(&self) -> u64 {
        std::mem::size_of::<Tile>() as u64
    }
}

impl Sumlog {
    pub fn new(settings: &SumlogSettings, store: Store) -> Result<Sumlog, gomod::note::KeyError> {
        let signer = Signer::new(settings.signer_key.expose())?;
        Ok(Sumlog {
            name: settings.name.clone(),
            verifier: Verifier::new(&signer.verifier_key())?,
            signer,
            store,
            layout: Layout::new(&settings.name),
            queue: Mutex::default(),
            edge: tokio::sync::Mutex::new(None),
            head: Mutex::default(),
            looked: Mutex::new(None),
            records: Dated::new(memory::LOG_RECORDS),
            tiles: Kept::new(memory::LOG_TILES_BYTES),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What clients put in `GOSUMDB` to check this database.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    /// The number of records in the newest signed tree.
    pub async fn size(&self) -> Result<u64, LogError> {
        Ok(self.newest_head().await?.tree.n)
    }

    /// The newest signed tree head: of the empty tree before anything is appended.
    pub async fn latest(&self) -> Result<Bytes, LogError> {
        Ok(self.newest_head().await?.signed.clone())
    }

    /// The lookup answer for `version` (its record, then the newest tree head); `None` when
    /// it is not in the log.
    pub async fn lookup(&self, version: &ModuleVersion) -> Result<Option<Bytes>, LogError> {
        let Some((id, text)) = self.record_of(version).await? else {
            return Ok(None);
        };
        let mut head = self.newest_head().await?;
        if id >= head.tree.n {
            // Indexed by a batch that has not signed its head yet (another replica's, or one
            // that died): a batch of our own takes the record in and signs it.
            self.append(Vec::new())
                .await
                .map_err(|e| LogError::Corrupt(e.to_string()))?;
            head = self.newest_head().await?;
            if id >= head.tree.n {
                return Err(LogError::Corrupt(format!(
                    "record {id} of {version}: beyond every head"
                )));
            }
        }
        let record = tlog::format_record(id, &text)
            .map_err(|e| LogError::Corrupt(format!("record {id}: {e}")))?;
        Ok(Some(Bytes::from([&record[..], &head.signed[..]].concat())))
    }

    /// The version's record number and text, if it is in the log.
    pub async fn record_of(
        &self,
        version: &ModuleVersion,
    ) -> Result<Option<(u64, Bytes)>, LogError> {
        if let Some((record, _)) = self.records.get(version) {
            return Ok(Some(record));
        }
        let Some(id) = self.store.read(&self.layout.index(version)).await? else {
            return Ok(None);
        };
        let id: u64 = std::str::from_utf8(&id)
            .ok()
            .and_then(|id| id.trim().parse().ok())
            .ok_or_else(|| LogError::Corrupt(format!("index of {version}: not a number")))?;
        let text = self
            .store
            .read(&self.layout.record(id))
            .await?
            .ok_or_else(|| LogError::Corrupt(format!("record {id} of {version}: missing")))?;
        self.records.remember(version.clone(), (id, text.clone()));
        Ok(Some((id, text)))
    }

    /// The data of a hash tile or a data tile, as the go command reads them; `None` beyond
    /// the newest tree.
    pub async fn tile(&self, tile: Tile) -> Result<Option<Bytes>, LogError> {
        let size = self.newest_head().await?.tree.n;
        if tile.h != TILE_HEIGHT {
            return Ok(None);
        }
        if tile.l < 0 {
            return self.data_tile(tile, size).await;
        }
        let level = tile.l as u32 * TILE_HEIGHT;
        let entries = size >> level;
        let complete = entries >> TILE_HEIGHT;
        let stored = match tile.n {
            n if n < complete => Tile {
                w: 1 << TILE_HEIGHT,
                ..tile
            },
            n if n == complete && u64::from(tile.w) <= entries & 0xff => Tile {
                w: (entries & 0xff) as u32,
                ..tile
            },
            _ => return Ok(None),
        };
        let data = self.stored_tile(stored).await?;
        // `.p/<w>` is the first `w` hashes of any wider tile.
        Ok(Some(data.slice(..tile.w as usize * HASH_SIZE)))
    }

    /// A hash tile as stored, from memory when it was read before.
    async fn stored_tile(&self, stored: Tile) -> Result<Bytes, LogError> {
        let key = StoredTile(stored);
        if let Some(data) = self.tiles.get(&key) {
            return Ok(data);
        }
        let Some(data) = self.store.read(&self.layout.tile(stored)).await? else {
            return Err(LogError::Corrupt(format!("{}: missing", stored.path())));
        };
        self.tiles.keep(key, data.clone());
        Ok(data)
    }

    /// Records `n·256…` (`w` of them), each its text and a newline, as sum.golang.org serves
    /// them.
    async fn data_tile(&self, tile: Tile, size: u64) -> Result<Option<Bytes>, LogError> {
        let start = tile.n << TILE_HEIGHT;
        if start + u64::from(tile.w) > size {
            return Ok(None);
        }
        let mut data = Vec::new();
        for id in start..start + u64::from(tile.w) {
            let text = self
                .store
                .read(&self.layout.record(id))
                .await?
                .ok_or_else(|| LogError::Corrupt(format!("record {id}: missing")))?;
            data.extend_from_slice(&text);
            data.push(b'\n');
        }
        Ok(Some(Bytes::from(data)))
    }

    /// The newest head: this process's, or a newer one another wrote.
    async fn newest_head(&self) -> Result<Arc<Head>, LogError> {
        let known = self
            .head
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let recently = {
            let mut looked = self.looked.lock().unwrap_or_else(PoisonError::into_inner);
            let recently = looked.is_some_and(|at| at.elapsed() < memory::NEWER_HEAD_AFTER);
            if !recently {
                *looked = Some(std::time::Instant::now());
            }
            recently
        };
        if recently && !known.signed.is_empty() {
            return Ok(known);
        }
        let newer = self.newer_head_than(known.tree.n).await?;
        let head = match newer {
            Some(head) => self.keep_head(head),
            None if known.signed.is_empty() => self.keep_head(self.sign(Tree::default())),
            None => known,
        };
        Ok(head)
    }

    /// Keeps `head` as the newest, unless a newer one is known already; returns the newest.
    fn keep_head(&self, head: Head) -> Arc<Head> {
        let mut known = self.head.lock().unwrap_or_else(PoisonError::into_inner);
        if head.tree.n > known.tree.n || known.signed.is_empty() {
            metrics::gauge!("modgate_sumlog_records").set(head.tree.n as f64);
            *known = Arc::new(head);
        }
        known.clone()
    }

    /// The newest stored head after size `n`, if any.
    async fn newer_head_than(&self, n: u64) -> Result<Option<Head>, LogError> {
        // Records are written before the heads that sign them: without record `n` there is
        // no newer head, and one read of a missing key is cheaper than listing every head.
        if self.store.read(&self.layout.record(n)).await?.is_none() {
            return Ok(None);
        }
        let Some(key) = self
            .store
            .last_key_after(&self.layout.heads(), &self.layout.head(n))
            .await?
        else {
            return Ok(None);
        };
        let Some(size) = Layout::head_size(&key) else {
            return Err(LogError::Corrupt(format!("{key}: not a head")));
        };
        self.read_head(&key, size).await.map(Some)
    }

    /// The head at `key`, which should sign a tree of `size` records, its signature checked.
    async fn read_head(&self, key: &object_store::path::Path, size: u64) -> Result<Head, LogError> {
        let signed = self
            .store
            .read(key)
            .await?
            .ok_or_else(|| LogError::Corrupt(format!("{key}: gone")))?;
        let note = gomod::note::open(&signed, std::slice::from_ref(&self.verifier))
            .map_err(|e| LogError::Corrupt(format!("{key}: {e}")))?;
        let tree = tlog::parse_tree(note.text.as_bytes())
            .map_err(|e| LogError::Corrupt(format!("{key}: {e}")))?;
        if tree.n != size {
            return Err(LogError::Corrupt(format!("{key}: signs size {}", tree.n)));
        }
        Ok(Head { tree, signed })
    }

    /// The signed head of `tree`.
    fn sign(&self, tree: Tree) -> Head {
        let text = tlog::format_tree(tree);
        // The text ends in a newline and the signer is ours: signing cannot fail.
        let signed =
            gomod::note::sign(&text, std::slice::from_ref(&self.signer)).unwrap_or_default();
        Head {
            tree,
            signed: Bytes::from(signed),
        }
    }
}

#[cfg(test)]
mod tests;
