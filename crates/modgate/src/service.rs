//! Routes a module path to its source and answers GOPROXY queries, deciding what "not here"
//! means on each route: a plain 404 lets the `go` command ask the next proxy, a refusal keeps a
//! private module's name from ever reaching a public one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::auth::Access;
use crate::config::Missing;
use crate::filter::Filters;
use crate::proxy_files::Info;
use crate::source::{Source, SourceError};
use crate::storage::{StorageError, Store, StoredObject};

/// How long the list of modules a route holds is reused. It is read only on the not-found
/// path (to tell an import probe from a leak), so a short reuse keeps a flood of probes off the
/// store while hand-copied modules still show up within seconds.
const MODULE_INDEX_TTL: Duration = Duration::from_secs(5);

/// One GOPROXY query for one module; versions are unescaped but not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Query {
    List,
    Info(String),
    Mod(String),
    Zip(String),
    Latest,
}

impl Query {
    /// The endpoint name, for logs and metrics.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Query::List => "list",
            Query::Info(_) => "info",
            Query::Mod(_) => "mod",
            Query::Zip(_) => "zip",
            Query::Latest => "latest",
        }
    }
}

/// A successful answer.
pub(crate) enum Answer {
    /// The `@v/list` body.
    List(String),
    /// `.info` or `@latest` JSON, as stored.
    Info(Bytes),
    Mod(Bytes),
    Zip(StoredObject),
}

/// Why a query has no answer; each kind maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// Malformed path or version (404 with the reason: only non-`go` clients send these).
    #[error("{0}")]
    Malformed(String),
    /// Not here; the client may ask the next proxy.
    #[error("{0}")]
    NotFound(String),
    /// Not here, and the client must not ask elsewhere.
    #[error("{0}")]
    Refused(String),
    /// Held or fetchable, but a filter rule denies it.
    #[error("{0}")]
    Denied(String),
    /// The store or the upstream proxy failed: never "not found".
    #[error("{context}: {source}")]
    Unavailable {
        context: String,
        #[source]
        source: SourceError,
    },
}

/// A route: a module path prefix, who may read it, and where its modules come from.
pub(crate) struct Route {
    pub prefix: String,
    pub missing: Missing,
    pub access: Access,
    source: Arc<dyn Source>,
}

impl Route {
    pub fn new(prefix: String, missing: Missing, access: Access, source: Arc<dyn Source>) -> Route {
        Route {
            prefix,
            missing,
            access,
            source,
        }
    }

    fn covers(&self, module: &str) -> bool {
        covers(&self.prefix, module)
    }
}

/// Whether `module` is under a route `prefix`, at an element boundary ("" covers everything).
pub(crate) fn covers(prefix: &str, module: &str) -> bool {
    prefix.is_empty()
        || module
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// When a route's module list was read, and the list.
type HeldModules = (Instant, Arc<Vec<String>>);

pub(crate) struct Service {
    /// Longest prefix first, so the first route that covers a module is the one that wins.
    routes: Vec<Route>,
    store: Store,
    /// Per route prefix: when the module list was read, and the list.
    module_index: Mutex<HashMap<String, HeldModules>>,
    filters: Filters,
}

impl Service {
    pub fn new(mut routes: Vec<Route>, store: Store, filters: Filters) -> Service {
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        Service {
            routes,
            store,
            module_index: Mutex::new(HashMap::new()),
            filters,
        }
    }

    /// The route serving `module` (a module path, or for malformed requests the raw path),
    /// or `None` when no route covers it.
    pub fn route(&self, module: &str) -> Option<&Route> {
        self.routes.iter().find(|r| r.covers(module))
    }

    /// Whether the store can be reached.
    pub async fn ready(&self) -> Result<(), StorageError> {
        self.store.check().await
    }

    pub fn store_description(&self) -> &str {
        self.store.description()
    }

    /// Changes whenever this process writes to the store: what was not found may be now.
    pub fn store_writes(&self) -> u64 {
        self.store.writes()
    }

    pub async fn answer(
        &self,
        route: &Route,
        module: &str,
        query: &Query,
    ) -> Result<Answer, Error> {
        // Denied modules and versions are refused before anything is fetched for them.
        if let Some(reason) = self.filters.denies_module(module) {
            return Err(Error::Denied(format!("{module}: denied: {reason}")));
        }
        if let Query::Info(version) | Query::Mod(version) | Query::Zip(version) = query {
            self.check_allowed(module, version)?;
        }
        let source = route.source.as_ref();
        let unavailable = |source: SourceError| Error::Unavailable {
            context: module.to_owned(),
            source,
        };
        let allowed = |versions: Vec<String>| -> Vec<String> {
            versions
                .into_iter()
                .filter(|v| self.filters.denies(module, v).is_none())
                .collect()
        };
        match query {
            Query::List => match source.versions(module).await.map_err(unavailable)? {
                Some(versions) => Ok(Answer::List(list_body(allowed(versions)))),
                None => Err(self.missing(route, module, None, false).await),
            },
            Query::Latest => {
                // Upstream's choice, unless a filter denies it: then the best allowed version.
                if let Some(info) = source.query(module, "latest").await.map_err(unavailable)?
                    && self.check_allowed(module, &info_version(&info)).is_ok()
                {
                    return Ok(Answer::Info(info));
                }
                let Some(versions) = source.versions(module).await.map_err(unavailable)? else {
                    return Err(self.missing(route, module, None, false).await);
                };
                let versions = allowed(versions);
                match self
                    .latest(source, module, versions)
                    .await
                    .map_err(unavailable)?
                {
                    Some(info) => Ok(Answer::Info(info)),
                    None => Err(self.missing(route, module, Some("latest"), true).await),
                }
            }
            Query::Info(query) => {
                // The go command asks `.info` for a non-canonical version such as
                // `v1.0.0+meta` before the canonical one, and would stop at a refusal:
                // resolve it here like a resolving proxy.
                let version = match gomod::canonical_version(query) {
                    Some(canonical) if gomod::check(module, &canonical).is_ok() => canonical,
                    _ => {
                        return match source.query(module, query).await.map_err(unavailable)? {
                            Some(info) => {
                                self.check_allowed(module, &info_version(&info))?;
                                Ok(Answer::Info(info))
                            }
                            None => Err(self.missing_version(route, module, query).await),
                        };
                    }
                };
                match source.info(module, &version).await.map_err(unavailable)? {
                    Some(info) => Ok(Answer::Info(info)),
                    None => Err(self.missing_version(route, module, query).await),
                }
            }
            Query::Mod(version) => {
                check_canonical(module, version)?;
                match source.go_mod(module, version).await.map_err(unavailable)? {
                    Some(go_mod) => Ok(Answer::Mod(go_mod)),
                    None => Err(self.missing_version(route, module, version).await),
                }
            }
            Query::Zip(version) => {
                check_canonical(module, version)?;
                match source.zip(module, version).await.map_err(unavailable)? {
                    Some(zip) => Ok(Answer::Zip(zip)),
                    None => Err(self.missing_version(route, module, version).await),
                }
            }
        }
    }

    /// `@latest`: the highest release, else the highest pre-release, else the newest
    /// pseudo-version by `.info` Time. `+incompatible` releases count only when no other exists,
    /// and versions retracted by the go.mod of the highest version are passed over unless
    /// every version is retracted, as the `go` command chooses.
    async fn latest(
        &self,
        source: &dyn Source,
        module: &str,
        versions: Vec<String>,
    ) -> Result<Option<Bytes>, SourceError> {
        let (pseudo, tagged): (Vec<String>, Vec<String>) = versions
            .into_iter()
            .filter(|v| gomod::canonical_version(v).as_deref() == Some(v.as_str()))
            .partition(|v| gomod::is_pseudo_version(v));
        let ranked = rank_for_latest(tagged);
        if let Some(highest) = ranked.first() {
            let retractions = match source.go_mod(module, highest).await? {
                Some(go_mod) => gomod::ModFile::parse_lax(&go_mod).unwrap_or_default(),
                None => gomod::ModFile::default(),
            };
            let chosen = ranked
                .iter()
                .find(|v| retractions.is_retracted(v).is_none())
                .unwrap_or(highest);
            return source.info(module, chosen).await;
        }
        let mut newest: Option<(String, Bytes)> = None;
        for version in pseudo {
            let Some(info) = source.info(module, &version).await? else {
                continue;
            };
            let time = info_time(&info, &version);
            if newest.as_ref().is_none_or(|(t, _)| time > *t) {
                newest = Some((time, info));
            }
        }
        Ok(newest.map(|(_, info)| info))
    }

    fn check_allowed(&self, module: &str, version: &str) -> Result<(), Error> {
        match self.filters.denies(module, version) {
            Some(reason) => Err(Error::Denied(format!(
                "{module}@{version}: denied: {reason}"
            ))),
            None => Ok(()),
        }
    }

    async fn missing_version(&self, route: &Route, module: &str, version: &str) -> Error {
        // Only a refusing route needs to know whether the module is held; a plain 404 route
        // must not pay a directory listing for every miss.
        let known = route.missing != Missing::NotFound
            && matches!(route.source.versions(module).await, Ok(Some(_)));
        self.missing(route, module, Some(version), known).await
    }

    /// The answer for something this route does not hold.
    async fn missing(
        &self,
        route: &Route,
        module: &str,
        version: Option<&str>,
        known: bool,
    ) -> Error {
        let what = match version {
            Some(v) => format!("{module}@{v}"),
            None => module.to_owned(),
        };
        if route.missing == Missing::NotFound {
            return Error::NotFound(format!("{what}: not found"));
        }
        let here = match route.missing {
            Missing::Offline => "this proxy, which is offline,",
            _ => "this private proxy",
        };
        if known {
            return Error::Refused(format!(
                "{what}: no such version in {here}; not asking elsewhere"
            ));
        }
        let held = match self.held_modules(route).await {
            Ok(held) => held,
            Err(source) => {
                return Error::Unavailable {
                    context: module.to_owned(),
                    source,
                };
            }
        };
        // The go command probes every prefix of an import path (and the import path itself)
        // while looking for the module that provides it; those must be 404 or `go get` fails.
        let related = held
            .iter()
            .any(|m| is_path_prefix(module, m) || is_path_prefix(m, module));
        if related {
            Error::NotFound(format!("{what}: not a module in {here}"))
        } else {
            Error::Refused(format!(
                "{what}: not a module in {here}; not asking elsewhere"
            ))
        }
    }

    async fn held_modules(&self, route: &Route) -> Result<Arc<Vec<String>>, SourceError> {
        if let Some((read_at, modules)) = self.module_index_entry(&route.prefix)
            && read_at.elapsed() < MODULE_INDEX_TTL
        {
            return Ok(modules);
        }
        let modules = Arc::new(route.source.modules(&route.prefix).await?);
        if let Ok(mut index) = self.module_index.lock() {
            index.insert(route.prefix.clone(), (Instant::now(), modules.clone()));
        }
        Ok(modules)
    }

    fn module_index_entry(&self, prefix: &str) -> Option<HeldModules> {
        self.module_index.lock().ok()?.get(prefix).cloned()
    }
}

/// `.mod` and `.zip` are only ever asked for canonical versions that agree with the path.
fn check_canonical(module: &str, version: &str) -> Result<(), Error> {
    gomod::check(module, version).map_err(|e| Error::Malformed(e.to_string()))?;
    if gomod::canonical_version(version).as_deref() != Some(version) {
        return Err(Error::Malformed(format!(
            "{module}@{version}: invalid version: not a canonical version"
        )));
    }
    Ok(())
}

/// Tagged versions best first: compatible releases, then `+incompatible` releases, then
/// pre-releases, each from the highest down.
fn rank_for_latest(mut tagged: Vec<String>) -> Vec<String> {
    let tier = |v: &String| match (
        gomod::prerelease(v).is_empty(),
        v.ends_with("+incompatible"),
    ) {
        (true, false) => 0,
        (true, true) => 1,
        (false, _) => 2,
    };
    tagged.sort_by(|a, b| tier(a).cmp(&tier(b)).then_with(|| gomod::compare(b, a)));
    tagged
}

/// Whether `prefix` is a strict path-element prefix of `path`.
fn is_path_prefix(prefix: &str, path: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.starts_with('/'))
}

/// Canonical tagged versions, sorted, one per line; pseudo-versions are left out as the
/// protocol asks (the client would drop them anyway).
fn list_body(versions: Vec<String>) -> String {
    let mut tagged: Vec<String> = versions
        .into_iter()
        .filter(|v| gomod::canonical_version(v).as_deref() == Some(v.as_str()))
        .filter(|v| !gomod::is_pseudo_version(v))
        .collect();
    gomod::sort(&mut tagged);
    tagged.iter().map(|v| format!("{v}\n")).collect()
}

/// The `Version` an `.info` names ("" when it names none).
fn info_version(info: &[u8]) -> String {
    Info::parse(info).map(|i| i.version).unwrap_or_default()
}

/// A sortable UTC timestamp for a pseudo-version: the `.info` Time, else the one inside the
/// version. Both become `yyyymmddhhmmss[.frac]` so they compare as strings.
fn info_time(info: &[u8], version: &str) -> String {
    match Info::parse(info).ok().and_then(|i| i.parsed_time()) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}.{:09}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond()
            )
        }
        None => gomod::pseudo_version_time(version)
            .map(|t| format!("{t}.000000000"))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_has_canonical_tagged_versions_in_order() {
        let versions = [
            "v1.10.0",
            "v1.2.0",
            "v1.2.0-rc.1",
            "v0.0.0-20230601120000-abcdef123456",
            "v2.0.0+incompatible",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            list_body(versions),
            "v1.2.0-rc.1\nv1.2.0\nv1.10.0\nv2.0.0+incompatible\n"
        );
        assert_eq!(list_body(Vec::new()), "");
    }

    #[test]
    fn info_time_prefers_the_info_and_falls_back_to_the_version() {
        let v = "v0.0.0-20230601120000-abcdef123456";
        assert_eq!(
            info_time(br#"{"Version":"x","Time":"2024-01-02T03:04:05Z"}"#, v),
            "20240102030405.000000000"
        );
        assert_eq!(
            info_time(br#"{"Version":"x","Time":"2024-01-02T04:04:05+01:00"}"#, v),
            "20240102030405.000000000"
        );
        assert_eq!(info_time(b"{}", v), "20230601120000.000000000");
    }

    #[test]
    fn latest_prefers_releases_then_incompatible_then_prereleases() {
        let ranked = rank_for_latest(
            [
                "v1.2.0-rc.1",
                "v2.0.0+incompatible",
                "v1.1.0",
                "v1.10.0",
                "v3.0.0-beta",
            ]
            .map(String::from)
            .to_vec(),
        );
        assert_eq!(
            ranked,
            [
                "v1.10.0",
                "v1.1.0",
                "v2.0.0+incompatible",
                "v3.0.0-beta",
                "v1.2.0-rc.1"
            ]
        );
    }

    #[test]
    fn path_prefixes_stop_at_element_boundaries() {
        assert!(is_path_prefix("corp.example/a", "corp.example/a/b"));
        assert!(!is_path_prefix("corp.example/a", "corp.example/ab"));
        assert!(!is_path_prefix("corp.example/a", "corp.example/a"));
    }
}
