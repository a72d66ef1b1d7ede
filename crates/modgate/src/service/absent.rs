//! What a route answers when it does not hold what was asked: the not-found policy.
//!
//! A plain 404 lets the `go` command ask the next proxy in `GOPROXY`; on a private route that
//! would send a private module's name to a public proxy (and open the door to dependency
//! confusion), so a private route refuses instead. Refusing everything would break `go get`,
//! which probes every path prefix of an import path for the module that provides it: those
//! probes, for ancestors and descendants of a module the route holds, get a 404.

use std::sync::Arc;

use gomod::ModulePath;

use super::refusal::{Failure, Refusal};
use super::routes::{IfAbsent, Route};
use crate::memory::{self, Dated};
use crate::source::SourceError;

/// The modules each route holds, by route prefix, read only on the not-found path.
pub(super) struct HeldModules(Dated<String, Arc<Vec<ModulePath>>>);

impl HeldModules {
    pub fn new(routes: usize) -> HeldModules {
        HeldModules(Dated::new(routes.max(1)))
    }

    async fn of(&self, route: &Route) -> Result<Arc<Vec<ModulePath>>, SourceError> {
        if let Some(modules) = self
            .0
            .fresh(route.prefix.as_str(), memory::HELD_MODULES_FOR)
        {
            return Ok(modules);
        }
        let modules = Arc::new(route.source.modules(&route.prefix).await?);
        self.0.remember(route.prefix.clone(), modules.clone());
        Ok(modules)
    }

    /// The answer for a version (`Some(v)`, as asked) or a module's list or `@latest` that
    /// `route` does not hold. `known`: whether the route holds other versions of the module.
    pub async fn refusal(
        &self,
        route: &Route,
        module: &ModulePath,
        version: Option<&str>,
        known: bool,
    ) -> Refusal {
        let what = match version {
            Some(v) => format!("{module}@{v}"),
            None => module.to_string(),
        };
        let here = match route.if_absent {
            IfAbsent::NotFound => return Refusal::NotFound(format!("{what}: not found")),
            IfAbsent::RefuseOffline => "this proxy, which is offline,",
            IfAbsent::Refuse => "this private proxy",
        };
        if known {
            return Refusal::NotHere(format!(
                "{what}: no such version in {here}; not asking elsewhere"
            ));
        }
        // The go command probes every prefix of an import path (and the import path itself)
        // while looking for the module that provides it; those must be 404 or `go get` fails.
        let related = match self.is_near_held(route, module).await {
            Ok(related) => related,
            Err(e) => return Refusal::Failed(Failure::new(e.kind(), module.as_str(), e)),
        };
        if related {
            Refusal::NotFound(format!("{what}: not a module in {here}"))
        } else {
            Refusal::NotHere(format!(
                "{what}: not a module in {here}; not asking elsewhere"
            ))
        }
    }
}

impl HeldModules {
    /// Whether `module` is an ancestor or a descendant of a module the route holds, or lies
    /// in a repository of its source.
    async fn is_near_held(&self, route: &Route, module: &ModulePath) -> Result<bool, SourceError> {
        let held = self.of(route).await?;
        let path = module.as_str();
        let near =
            |m: &ModulePath| is_path_prefix(path, m.as_str()) || is_path_prefix(m.as_str(), path);
        if held.iter().any(near) {
            return Ok(true);
        }
        route.source.holds_near(module).await
    }
}

/// Whether `prefix` is a strict path-element prefix of `path`.
fn is_path_prefix(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes_stop_at_element_boundaries() {
        assert!(is_path_prefix("corp.example/a", "corp.example/a/b"));
        assert!(!is_path_prefix("corp.example/a", "corp.example/ab"));
        assert!(!is_path_prefix("corp.example/a", "corp.example/a"));
    }
}
