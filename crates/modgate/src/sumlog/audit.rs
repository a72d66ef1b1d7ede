//! Auditing the log itself: every record read and hashed again, the tree rebuilt from them,
//! and every stored tile, index entry and signed head compared with what the rebuild gives.
//! Whether the records agree with the stored modules is the caller's to check: the log
//! knows nothing of module files.

use std::collections::HashMap;

use gomod::ModuleVersion;
use gomod::tlog::{self, Tree};

use super::edge::Edge;
use super::layout::Layout;
use super::{Entry, LogError, Sumlog};

/// What an audit found.
#[derive(Debug, Default)]
pub(crate) struct LogAudit {
    /// The size of the newest signed tree.
    pub size: u64,
    /// The records under the newest head, in order.
    pub entries: Vec<Entry>,
    /// Every disagreement within the log, one line each.
    pub problems: Vec<String>,
    /// Records written beyond the newest head: the next append signs them.
    pub unsigned: u64,
}

impl Sumlog {
    /// Audits the whole log. An error is a failure to read it, not a disagreement.
    pub async fn audit(&self) -> Result<LogAudit, LogError> {
        let mut audit = LogAudit::default();
        let heads = self.signed_heads(&mut audit.problems).await?;
        let size = heads.keys().max().copied().unwrap_or(0);
        audit.size = size;
        let mut edge = Edge::default();
        let mut seen: HashMap<ModuleVersion, u64> = HashMap::new();
        if let Some(tree) = heads.get(&0) {
            self.compare_head(&edge, tree, &mut audit.problems);
        }
        for id in 0..size {
            let Some(text) = self.store.read(&self.layout.record(id)).await? else {
                audit.problems.push(format!("record {id}: missing"));
                return Ok(audit);
            };
            for (tile, data) in edge.push(tlog::record_hash(&text)) {
                self.compare_tile(tile, &data, &mut audit.problems).await?;
            }
            if let Some(tree) = heads.get(&(id + 1)) {
                self.compare_head(&edge, tree, &mut audit.problems);
            }
            let Some(entry) = Entry::parse(&text) else {
                audit
                    .problems
                    .push(format!("record {id}: not a module version's record"));
                continue;
            };
            if let Some(first) = seen.insert(entry.version.clone(), id) {
                audit.problems.push(format!(
                    "record {id}: {} is record {first} already",
                    entry.version
                ));
            }
            self.compare_index(id, &entry.version, &mut audit.problems)
                .await?;
            audit.entries.push(entry);
        }
        for (tile, data) in edge.partial_tiles() {
            self.compare_tile(tile, &data, &mut audit.problems).await?;
        }
        while self
            .store
            .read(&self.layout.record(size + audit.unsigned))
            .await?
            .is_some()
        {
            audit.unsigned += 1;
        }
        Ok(audit)
    }

    /// Every stored head whose signature checks out, by size; the others are problems.
    async fn signed_heads(
        &self,
        problems: &mut Vec<String>,
    ) -> Result<HashMap<u64, Tree>, LogError> {
        let mut heads = HashMap::new();
        for key in self.store.keys(Some(&self.layout.heads())).await? {
            let Some(size) = Layout::head_size(&key) else {
                problems.push(format!("{key}: not a head"));
                continue;
            };
            match self.read_head(&key, size).await {
                Ok(head) => {
                    heads.insert(size, head.tree);
                }
                Err(LogError::Corrupt(problem)) => problems.push(problem),
                Err(e) => return Err(e),
            }
        }
        Ok(heads)
    }

    fn compare_head(&self, edge: &Edge, tree: &Tree, problems: &mut Vec<String>) {
        if edge.tree_hash() != tree.hash {
            problems.push(format!(
                "head {}: signs a tree hash the records do not give",
                tree.n
            ));
        }
    }

    async fn compare_tile(
        &self,
        tile: tlog::Tile,
        data: &[u8],
        problems: &mut Vec<String>,
    ) -> Result<(), LogError> {
        match self.store.read(&self.layout.tile(tile)).await? {
            Some(stored) if stored == data => {}
            Some(_) => problems.push(format!("{}: hashes differ from the records'", tile.path())),
            None => problems.push(format!("{}: missing", tile.path())),
        }
        Ok(())
    }

    async fn compare_index(
        &self,
        id: u64,
        version: &ModuleVersion,
        problems: &mut Vec<String>,
    ) -> Result<(), LogError> {
        let indexed = self.store.read(&self.layout.index(version)).await?;
        let indexed = indexed
            .as_deref()
            .map(|n| String::from_utf8_lossy(n).trim().to_owned());
        if indexed.as_deref() != Some(id.to_string().as_str()) {
            problems.push(format!(
                "index of {version}: {} rather than record {id}",
                indexed.unwrap_or_else(|| "missing".to_owned())
            ));
        }
        Ok(())
    }
}
