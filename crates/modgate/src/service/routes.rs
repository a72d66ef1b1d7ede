//! Routes: a module path prefix, where its versions come from, who may read and publish, and
//! what "not here" means on it. The longest prefix that covers a module decides.

use std::sync::Arc;

use gomod::ModulePath;
use ipnet::IpNet;

use crate::auth::{Access, RightsSettings};
use crate::source::Source;

/// What a route answers for a module or version it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IfAbsent {
    /// 404: the `go` command may ask the next proxy.
    NotFound,
    /// 403 with a reason, except for the path prefixes `go` probes while resolving imports.
    Refuse,
    /// As `Refuse`, for an upstream route while modgate is offline: only what is stored is served.
    RefuseOffline,
}

/// Where a route's versions come from.
#[derive(Debug, Clone)]
pub(crate) enum SourceKind {
    /// The store only.
    Store,
    /// The store, filled from the upstream proxies on a miss.
    Upstream,
    /// The store, filled from a git host on a miss.
    Git(crate::source::GitSettings),
}

/// `[[route]]` as configured.
#[derive(Debug, Clone)]
pub(crate) struct RouteSettings {
    /// A module path prefix, matched at path-element boundaries; empty matches every module.
    pub prefix: String,
    /// Private names never leave modgate (not upstream, not to the checksum database).
    pub private: bool,
    pub source: SourceKind,
    pub if_absent: IfAbsent,
    pub read: RightsSettings,
    pub write: RightsSettings,
    pub allow: Vec<IpNet>,
}

/// A route, ready to serve.
pub(crate) struct Route {
    pub prefix: String,
    /// Its modules come from an upstream proxy, so the public checksum database knows them;
    /// a store or git route's modules are the company's own.
    pub upstream: bool,
    pub if_absent: IfAbsent,
    pub access: Access,
    pub source: Arc<dyn Source>,
}

impl Route {
    /// Whether the route serves `module` (a module path, or for a malformed request the text
    /// it would be routed by).
    fn covers(&self, module: &str) -> bool {
        covers(&self.prefix, module)
    }
}

/// Every route, longest prefix first, so that the first route that covers a module wins.
pub(crate) struct Routes(Vec<Route>);

impl Routes {
    pub fn new(mut routes: Vec<Route>) -> Routes {
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Routes(routes)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The prefixes of the routes, in the order [`Routes::find`] tries them.
    pub fn prefixes(&self) -> Vec<String> {
        self.0.iter().map(|r| r.prefix.clone()).collect()
    }

    /// The route serving `module`, or `None` when no route covers it.
    pub fn find(&self, module: &str) -> Option<&Route> {
        self.0.iter().find(|r| r.covers(module))
    }
}

/// Which modules are private, from the routes' settings: for what must know before the routes
/// are built (the checksum database, which an upstream source needs).
pub(crate) struct Privacy(Vec<(String, bool)>);

impl Privacy {
    pub fn new(routes: &[RouteSettings]) -> Privacy {
        let mut prefixes: Vec<(String, bool)> = routes
            .iter()
            .map(|r| (r.prefix.clone(), r.private))
            .collect();
        // Longest first, as `Routes` decides.
        prefixes.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Privacy(prefixes)
    }

    pub fn is_private(&self, module: &ModulePath) -> bool {
        self.0
            .iter()
            .find(|(prefix, _)| covers(prefix, module.as_str()))
            .is_some_and(|(_, private)| *private)
    }
}

/// Whether `prefix` is `module` or a path-element prefix of it; `""` covers everything.
pub(super) fn covers(prefix: &str, module: &str) -> bool {
    prefix.is_empty()
        || module
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_stop_at_element_boundaries() {
        assert!(covers("", "anything"));
        assert!(covers("corp.example", "corp.example"));
        assert!(covers("corp.example", "corp.example/a"));
        assert!(!covers("corp.example", "corp.example.org/a"));
        assert!(!covers("corp.example/a", "corp.example"));
    }
}
