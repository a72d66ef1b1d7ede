//! The index of the modules the store holds, kept in memory for the web UI's list and search:
//! 10,000 modules are filtered by the caller's rights and a query, and paged, in well under a
//! millisecond. Made from a listing of the store (the first page waits for it; `serve` starts
//! it at once); listed again in the background once older than [`memory::CATALOG_INDEX_FOR`],
//! the old one served meanwhile, so a replica's writes show within half a minute. What this process
//! writes shows at once: the modules the version writer wrote are merged in whenever the
//! store's write counter moves, in memory (listing a bucket of 10,000 modules takes seconds).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use gomod::ModulePath;

use crate::memory;
use crate::storage::{StorageError, Store};
use crate::writer::VersionWriter;

/// One module the store holds, with the route that covers it.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub path: ModulePath,
    /// The path in lower case, for searching regardless of case.
    pub lower: String,
    /// The position of the route covering it in the service's routes, longest prefix first.
    pub route: usize,
}

/// The modules, sorted by path, and when they were listed.
pub(crate) struct Index {
    pub modules: Vec<Indexed>,
    built: Instant,
    generation: u64,
}

pub(crate) struct ModuleIndex {
    store: Store,
    writer: Arc<VersionWriter>,
    /// Route prefixes, longest first, as the service's routes are ordered.
    prefixes: Vec<String>,
    current: RwLock<Option<Arc<Index>>>,
    /// One listing at a time; others wait for it and take its result.
    listing: tokio::sync::Mutex<()>,
    /// A listing in the background is under way.
    relisting: AtomicBool,
}

impl ModuleIndex {
    pub fn new(store: Store, writer: Arc<VersionWriter>, prefixes: Vec<String>) -> ModuleIndex {
        ModuleIndex {
            store,
            writer,
            prefixes,
            current: RwLock::new(None),
            listing: tokio::sync::Mutex::new(()),
            relisting: AtomicBool::new(false),
        }
    }

    fn current(&self) -> Option<Arc<Index>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The index, with what this process wrote up to `generation` (the store's write counter)
    /// merged in; listed anew in the background when old.
    pub async fn get(self: &Arc<Self>, generation: u64) -> Result<Arc<Index>, StorageError> {
        let Some(index) = self.current() else {
            return self.list().await;
        };
        if index.built.elapsed() > memory::CATALOG_INDEX_FOR
            && !self.relisting.swap(true, Ordering::AcqRel)
        {
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.list().await {
                    tracing::warn!(cause = %e, "listing the store for the module index failed");
                }
                this.relisting.store(false, Ordering::Release);
            });
        }
        if index.generation >= generation {
            return Ok(index);
        }
        Ok(self.merge_written(&index, generation))
    }

    /// `index` with the modules the writer wrote added, as of `generation`.
    fn merge_written(&self, index: &Index, generation: u64) -> Arc<Index> {
        let written = self.indexed(self.writer.modules_written());
        let mut modules = index.modules.clone();
        modules.extend(written);
        modules.sort_by(|a, b| a.path.cmp(&b.path));
        modules.dedup_by(|a, b| a.path == b.path);
        let merged = Arc::new(Index {
            modules,
            built: index.built,
            generation,
        });
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if current.as_ref().is_none_or(|c| c.generation < generation) {
            *current = Some(merged.clone());
        }
        merged
    }

    /// Lists the store, one listing at a time: who waited for another's takes it.
    async fn list(&self) -> Result<Arc<Index>, StorageError> {
        let asked = Instant::now();
        let _listing = self.listing.lock().await;
        if let Some(index) = self.current()
            && index.built >= asked
        {
            return Ok(index);
        }
        // Read before listing: what is written meanwhile is merged in by the next reader.
        let generation = self.store.writes();
        let mut modules = self.store.modules(None).await?;
        modules.extend(self.writer.modules_written());
        let mut modules = self.indexed(modules);
        modules.sort_by(|a, b| a.path.cmp(&b.path));
        modules.dedup_by(|a, b| a.path == b.path);
        let index = Arc::new(Index {
            modules,
            built: Instant::now(),
            generation,
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(index.clone());
        Ok(index)
    }

    /// The modules some route covers, with their route.
    fn indexed(&self, modules: Vec<ModulePath>) -> Vec<Indexed> {
        modules
            .into_iter()
            .filter_map(|path| {
                let route = self
                    .prefixes
                    .iter()
                    .position(|p| super::super::routes::covers(p, path.as_str()))?;
                Some(Indexed {
                    lower: path.as_str().to_lowercase(),
                    path,
                    route,
                })
            })
            .collect()
    }
}

/// The modules `readable` allows (by route) that `query` matches, in any case: those whose path
/// starts with it first, then those that contain it elsewhere, each in path order. An empty
/// query matches all.
pub(crate) fn search<'a>(index: &'a Index, readable: &[bool], query: &str) -> Vec<&'a ModulePath> {
    let allowed = index
        .modules
        .iter()
        .filter(|m| readable.get(m.route).copied().unwrap_or(false));
    if query.is_empty() {
        return allowed.map(|m| &m.path).collect();
    }
    let query = query.to_lowercase();
    let (mut first, mut then) = (Vec::new(), Vec::new());
    for module in allowed {
        let path = module.lower.as_str();
        if path.starts_with(&query) {
            first.push(&module.path);
        } else if path.contains(&query) {
            then.push(&module.path);
        }
    }
    first.append(&mut then);
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(paths: &[(&str, usize)]) -> Index {
        Index {
            modules: paths
                .iter()
                .map(|(p, route)| Indexed {
                    path: ModulePath::new(p).expect("valid"),
                    lower: p.to_lowercase(),
                    route: *route,
                })
                .collect(),
            built: Instant::now(),
            generation: 0,
        }
    }

    #[test]
    fn prefix_matches_come_first_and_rights_filter() {
        let index = index(&[
            ("a.example/lib", 0),
            ("b.example/lib", 1),
            ("c.example/Lib", 0),
            ("lib.example/x", 0),
            ("z.example/lib", 0),
        ]);
        let found = |readable: &[bool], q: &str| -> Vec<String> {
            search(&index, readable, q)
                .iter()
                .map(|m| m.to_string())
                .collect()
        };
        assert_eq!(
            found(&[true, true], "lib"),
            [
                "lib.example/x",
                "a.example/lib",
                "b.example/lib",
                "c.example/Lib",
                "z.example/lib"
            ]
        );
        assert_eq!(
            found(&[true, false], "LIB"),
            [
                "lib.example/x",
                "a.example/lib",
                "c.example/Lib",
                "z.example/lib"
            ]
        );
        assert_eq!(found(&[false, true], ""), ["b.example/lib"]);
        assert!(found(&[], "").is_empty());
    }
}
