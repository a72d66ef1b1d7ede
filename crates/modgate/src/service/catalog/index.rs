//! The index of the modules the store holds, kept in memory for the web UI's list and search:
//! 10,000 modules are filtered by the caller's rights and a query, and paged, in well under a
//! millisecond. Rebuilt from a listing of the store when this process has written since (at
//! once), or when older than [`memory::CATALOG_INDEX_FOR`] (in the background, the old one
//! served meanwhile), so a replica's writes show within seconds.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Instant;

use gomod::ModulePath;

use crate::memory;
use crate::storage::{StorageError, Store, is_reserved, modules_of};

/// One module the store holds, with the route that covers it.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    pub path: ModulePath,
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
    /// Route prefixes, longest first, as the service's routes are ordered.
    prefixes: Vec<String>,
    current: RwLock<Option<Arc<Index>>>,
    /// One listing at a time; others wait for it and take its result.
    building: tokio::sync::Mutex<()>,
}

impl ModuleIndex {
    pub fn new(store: Store, prefixes: Vec<String>) -> ModuleIndex {
        ModuleIndex {
            store,
            prefixes,
            current: RwLock::new(None),
            building: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> Option<Arc<Index>> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The index, as of `generation` (the store's write counter) at least: rebuilt first when
    /// this process wrote since it was built, and in the background when it is only old.
    pub async fn get(self: &Arc<Self>, generation: u64) -> Result<Arc<Index>, StorageError> {
        if let Some(index) = self.current()
            && index.generation >= generation
        {
            if index.built.elapsed() > memory::CATALOG_INDEX_FOR {
                let this = self.clone();
                tokio::spawn(async move {
                    if let Err(e) = this.rebuild(generation, true).await {
                        tracing::warn!(cause = %e, "listing the store for the module index failed");
                    }
                });
            }
            return Ok(index);
        }
        self.rebuild(generation, false).await
    }

    /// Lists the store unless someone else did meanwhile (or, `only_if_old`, the index is
    /// fresh again).
    async fn rebuild(
        &self,
        generation: u64,
        only_if_old: bool,
    ) -> Result<Arc<Index>, StorageError> {
        let _building = self.building.lock().await;
        if let Some(index) = self.current() {
            let fresh = index.built.elapsed() <= memory::CATALOG_INDEX_FOR;
            if index.generation >= generation && (fresh || !only_if_old) {
                return Ok(index);
            }
        }
        // The counter is read before listing: a write during the listing makes the next reader
        // list again.
        let generation = generation.max(self.store.writes());
        let keys = self.store.keys(None).await?;
        let keys: Vec<_> = keys.into_iter().filter(|k| !is_reserved(k)).collect();
        let modules = modules_of(&keys)
            .into_iter()
            .filter_map(|path| {
                let route = self
                    .prefixes
                    .iter()
                    .position(|p| super::super::routes::covers(p, path.as_str()))?;
                Some(Indexed { path, route })
            })
            .collect();
        let index = Arc::new(Index {
            modules,
            built: Instant::now(),
            generation,
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(index.clone());
        Ok(index)
    }
}

/// The modules `readable` allows (by route) that `query` matches: those whose path starts with
/// it first, then those that contain it elsewhere, each in path order. An empty query matches
/// all.
pub(crate) fn search<'a>(index: &'a Index, readable: &[bool], query: &str) -> Vec<&'a ModulePath> {
    let allowed = index
        .modules
        .iter()
        .filter(|m| readable.get(m.route).copied().unwrap_or(false));
    if query.is_empty() {
        return allowed.map(|m| &m.path).collect();
    }
    let (mut first, mut then) = (Vec::new(), Vec::new());
    for module in allowed {
        let path = module.path.as_str();
        if path.starts_with(query) {
            first.push(&module.path);
        } else if path.contains(query) {
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
                "z.example/lib"
            ]
        );
        assert_eq!(
            found(&[true, false], "lib"),
            ["lib.example/x", "a.example/lib", "z.example/lib"]
        );
        assert_eq!(found(&[false, true], ""), ["b.example/lib"]);
        assert!(found(&[], "").is_empty());
    }
}
