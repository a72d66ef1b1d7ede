//! Minimal version selection (`cmd/go/internal/mvs`) over a module graph that the caller fills
//! one go.mod at a time: pure, so the caller decides how go.mod files are fetched (a proxy, a
//! store, a test table) and this module only decides which it needs and what is selected.
//!
//! The graph is the unpruned one (every go.mod reachable from the roots is read), as the go
//! command builds it for modules before `go 1.17`; for a tidy `go 1.17`+ main module, whose
//! go.mod lists every module its build needs, that is a superset of what the pruned graph reads.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use crate::version::compare;

/// A module graph being discovered from the main module's requirements.
#[derive(Debug, Default)]
pub struct Graph {
    /// module@version → its requirements, for every version whose go.mod was added.
    requirements: BTreeMap<(String, String), Vec<(String, String)>>,
    /// Reached versions whose go.mod is not known yet.
    pending: BTreeSet<(String, String)>,
    roots: Vec<(String, String)>,
}

impl Graph {
    /// A graph whose roots are the main module's `require` lines (module, version).
    pub fn new(roots: &[(String, String)]) -> Graph {
        let mut graph = Graph {
            roots: roots.to_vec(),
            ..Graph::default()
        };
        for root in roots {
            graph.reach(root);
        }
        graph
    }

    /// The versions whose go.mod the graph needs next (empty once the graph is whole).
    pub fn needed(&self) -> Vec<(String, String)> {
        self.pending.iter().cloned().collect()
    }

    /// Records the requirements (`require` lines) of `module@version`'s go.mod.
    pub fn add(&mut self, module: &str, version: &str, requires: &[(String, String)]) {
        let key = (module.to_owned(), version.to_owned());
        self.pending.remove(&key);
        self.requirements.insert(key, requires.to_vec());
        for required in requires {
            self.reach(required);
        }
    }

    fn reach(&mut self, version: &(String, String)) {
        if !self.requirements.contains_key(version) {
            self.pending.insert(version.clone());
        }
    }

    /// Every version in the graph whose go.mod was read: what a go.sum's `/go.mod` lines name.
    pub fn versions(&self) -> Vec<(String, String)> {
        self.requirements.keys().cloned().collect()
    }

    /// The build list: for each module reachable from the roots through selected versions
    /// only, its highest required version, sorted by module path. Versions whose go.mod was
    /// never added count as having no requirements.
    pub fn build_list(&self) -> Vec<(String, String)> {
        let mut selected: BTreeMap<String, String> = BTreeMap::new();
        // Raise versions until nothing changes: what a lower version required does not count
        // once a higher one is selected, so walk from the roots through selected versions.
        loop {
            let mut next: BTreeMap<String, String> = BTreeMap::new();
            let mut stack: Vec<(String, String)> = self.roots.clone();
            let mut seen = BTreeSet::new();
            while let Some((module, version)) = stack.pop() {
                let chosen = higher(&version, selected.get(&module).map(String::as_str));
                let highest = higher(&chosen, next.get(&module).map(String::as_str));
                next.insert(module.clone(), highest);
                if !seen.insert((module.clone(), chosen.clone())) {
                    continue;
                }
                if let Some(requires) = self.requirements.get(&(module, chosen)) {
                    stack.extend(requires.iter().cloned());
                }
            }
            if next == selected {
                return selected.into_iter().collect();
            }
            selected = next;
        }
    }
}

/// The higher of `version` and `other`.
fn higher(version: &str, other: Option<&str>) -> String {
    match other {
        Some(other) if compare(other, version) == Ordering::Greater => other.to_owned(),
        _ => version.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// module, version, and what its go.mod requires.
    type GoMod<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn reqs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(m, v)| ((*m).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The shape of cmd/go's mvs tests: c raises d past what b asks for, and b v1.1.0 (asked
    /// for by c, below the selected b) brings in f, which the build list must leave out.
    #[test]
    fn the_highest_required_version_of_each_module_reached_is_selected() {
        let mut graph = Graph::new(&reqs(&[("b", "v1.2.0"), ("c", "v1.2.0")]));
        let table: &[GoMod] = &[
            ("b", "v1.2.0", &[("d", "v1.3.0")]),
            ("c", "v1.2.0", &[("d", "v1.4.0"), ("b", "v1.1.0")]),
            ("d", "v1.3.0", &[("e", "v1.2.0")]),
            ("d", "v1.4.0", &[("e", "v1.2.0")]),
            ("b", "v1.1.0", &[("f", "v1.0.0")]),
            ("e", "v1.2.0", &[]),
            ("f", "v1.0.0", &[]),
        ];
        let mut rounds = 0;
        while !graph.needed().is_empty() {
            rounds += 1;
            for (module, version) in graph.needed() {
                let (_, _, requires) = table
                    .iter()
                    .find(|(m, v, _)| *m == module && *v == version)
                    .expect("in the table");
                graph.add(&module, &version, &reqs(requires));
            }
        }
        assert!(rounds >= 2, "discovered level by level");
        assert_eq!(
            graph.build_list(),
            reqs(&[
                ("b", "v1.2.0"),
                ("c", "v1.2.0"),
                ("d", "v1.4.0"),
                ("e", "v1.2.0")
            ]),
            "f is required only by b v1.1.0, which is not selected"
        );
        assert_eq!(
            graph.versions().len(),
            7,
            "every go.mod read is in the graph"
        );
    }

    #[test]
    fn a_deep_requirement_raises_a_root() {
        let mut graph = Graph::new(&reqs(&[("a", "v1.0.0"), ("b", "v1.0.0")]));
        graph.add("a", "v1.0.0", &reqs(&[("b", "v1.1.0")]));
        graph.add("b", "v1.0.0", &[]);
        assert_eq!(graph.needed(), reqs(&[("b", "v1.1.0")]));
        graph.add("b", "v1.1.0", &reqs(&[("c", "v0.1.0")]));
        graph.add("c", "v0.1.0", &[]);
        assert!(graph.needed().is_empty());
        assert_eq!(
            graph.build_list(),
            reqs(&[("a", "v1.0.0"), ("b", "v1.1.0"), ("c", "v0.1.0")])
        );
    }
}
