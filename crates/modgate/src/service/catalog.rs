//! The web UI's questions about what the store holds, answered with the protocol's rights: the
//! modules a caller may read (an index kept in memory, `index`), and one module's page: its
//! versions with their times, origins and `h1:`, retractions and deprecation from its go.mod,
//! and what the shown version's zip holds (`zipped`). A module the caller may not read is
//! never listed, and asking for it is answered as for one that does not exist.

mod index;
mod zipped;

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use gomod::{ModFile, ModulePath, ModuleVersion, Version};

use super::{Caller, Failure, FailureKind, Refusal, Service};
use crate::auth::{Action, Denied, Principal};
use crate::memory::{self, Kept, Weighed};
use crate::proxy_files::Info;
use crate::singleflight::Singleflight;
use crate::storage::{
    StorageError, Store, VersionFile, module_dir, origin_file, version_file, visible_versions,
};
use crate::writer::{OriginRecord, VersionWriter};
use index::ModuleIndex;
pub(crate) use zipped::ZipSummary;

/// How many versions' files are read at once for a module page.
const READS_AT_ONCE: usize = 16;

/// How long a page waits for a zip to be read for its README and packages (a 500 MiB zip
/// from a bucket); the reading goes on for the next page.
const ZIP_READ_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) struct Catalog {
    store: Store,
    index: Arc<ModuleIndex>,
    /// Rows of versions whose zip is stored (an upstream version's zip may come later).
    rows: Kept<String, Arc<VersionRow>>,
    zips: Kept<String, Arc<ZipSummary>>,
    /// Zips being read for their summary.
    reading: Singleflight<Result<Option<Arc<ZipSummary>>, String>>,
}

impl Catalog {
    pub fn new(store: Store, writer: Arc<VersionWriter>, route_prefixes: Vec<String>) -> Catalog {
        Catalog {
            index: Arc::new(ModuleIndex::new(store.clone(), writer, route_prefixes)),
            store,
            rows: Kept::new(memory::CATALOG_VERSIONS_BYTES),
            zips: Kept::new(memory::CATALOG_ZIPS_BYTES),
            reading: Singleflight::new(),
        }
    }
}

/// One page of the modules list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ModulePage {
    /// How many modules match, on every page.
    pub total: usize,
    /// This page's modules.
    pub modules: Vec<String>,
    /// 1-based; past the last page, the last.
    pub page: usize,
    pub pages: usize,
}

/// One version on a module page.
#[derive(Debug, Clone)]
pub(crate) struct VersionRow {
    pub version: Version,
    /// The `.info` Time, as stored.
    pub time: Option<String>,
    /// `published`, `git`, `upstream`, or `stored` when modgate did not write it.
    pub source: String,
    /// Who published it ("" when not published, or not known).
    pub by: String,
    /// When modgate wrote it.
    pub written: Option<String>,
    /// The zip's `h1:`, once the zip is stored.
    pub h1: Option<String>,
}

impl Weighed for VersionRow {
    fn weight(&self) -> u64 {
        let texts = [&self.time, &self.written, &self.h1]
            .iter()
            .map(|t| t.as_ref().map_or(0, String::len))
            .sum::<usize>();
        (self.version.as_str().len() * 2 + self.source.len() + self.by.len() + texts) as u64
    }
}

/// A version as a module page lists it.
#[derive(Debug, Clone)]
pub(crate) struct VersionLine {
    pub row: Arc<VersionRow>,
    /// The rationale of the retraction that covers it, if one does.
    pub retracted: Option<String>,
    /// Why a filter denies it, if one does: the go command cannot have it from here.
    pub denied: Option<String>,
}

/// A module page.
#[derive(Debug, Clone)]
pub(crate) struct ModuleView {
    pub path: String,
    /// Newest first.
    pub versions: Vec<VersionLine>,
    /// The version shown: the one asked for, else the latest as `@latest` chooses.
    pub shown: Version,
    /// The version whose go.mod says whether the module is deprecated (the latest).
    pub latest: Version,
    pub deprecated: Option<String>,
    pub go_mod: String,
    /// What the shown version's zip holds; `None` when its zip is not stored.
    pub zip: Option<Arc<ZipSummary>>,
}

impl Service {
    /// Lists the store for the web UI's index of modules, so the first page need not wait:
    /// run once at start, in the background.
    pub async fn warm_catalog(&self) {
        if let Err(e) = self.catalog.index.get(self.generation()).await {
            tracing::warn!(cause = %e, "listing the store for the module index failed");
        }
    }

    /// Which routes `caller` may read, by position.
    fn readable_routes(&self, caller: &Caller) -> Vec<bool> {
        self.routes
            .iter()
            .map(|route| self.may(caller, route).is_ok())
            .collect()
    }

    /// The read right, asked without counting a "no" as an authentication failure: pages ask
    /// it of every route.
    fn may(&self, caller: &Caller, route: &super::Route) -> Result<(), Denied> {
        self.auth.authorize(
            &route.access,
            Action::Read,
            &caller.principal,
            caller.address,
        )
    }

    /// Whether `caller` may read some route: an anonymous caller who may read nothing is sent
    /// to sign in.
    pub fn may_read_some(&self, caller: &Caller) -> bool {
        self.readable_routes(caller).contains(&true)
    }

    /// Whether nobody is signed in.
    pub fn is_anonymous(&self, caller: &Caller) -> bool {
        caller.principal == Principal::Anonymous
    }

    /// The modules `caller` may read that `query` matches (path prefix first, then substring),
    /// `per_page` to a page, `page` 1-based.
    pub async fn modules(
        &self,
        caller: &Caller,
        query: &str,
        page: usize,
        per_page: usize,
    ) -> Result<ModulePage, Refusal> {
        let index = self
            .catalog
            .index
            .get(self.generation())
            .await
            .map_err(|e| storage_refusal("the module index", e))?;
        let found = index::search(&index, &self.readable_routes(caller), query.trim());
        let pages = found.len().div_ceil(per_page.max(1)).max(1);
        let page = page.clamp(1, pages);
        let modules = found
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .map(|m| m.as_str().to_owned())
            .collect();
        Ok(ModulePage {
            total: found.len(),
            modules,
            page,
            pages,
        })
    }

    /// A module's page, showing `asked` (a version) or the latest. Not readable: refused as
    /// anonymous (`Unauthenticated`, to sign in) or as absent (`NotFound`), never `Forbidden`.
    pub async fn module(
        &self,
        caller: &Caller,
        module: &ModulePath,
        asked: Option<&str>,
    ) -> Result<ModuleView, Refusal> {
        let absent = || Refusal::NotFound(format!("{module}: no such module"));
        let route = self.routes.find(module.as_str()).ok_or_else(absent)?;
        match self.may(caller, route) {
            Ok(()) => {}
            Err(Denied::Unauthenticated(reason)) => return Err(Refusal::Unauthenticated(reason)),
            Err(Denied::Forbidden(_)) => return Err(absent()),
        }
        let catalog = &self.catalog;
        let names = catalog
            .store
            .file_names(&module_dir(module))
            .await
            .map_err(|e| storage_refusal(module.as_str(), e))?;
        let mut versions = visible_versions(&names);
        if versions.is_empty() {
            return Err(absent());
        }
        gomod::sort(&mut versions);
        versions.reverse();
        let rows: Vec<Arc<VersionRow>> = futures::stream::iter(versions.iter().cloned())
            .map(|v| catalog.row(module, v))
            .buffered(READS_AT_ONCE)
            .try_collect()
            .await
            .map_err(|e| storage_refusal(module.as_str(), e))?;
        let retractions = catalog.retractions(module, &versions).await?;
        let latest = latest_version(&rows, &retractions).ok_or_else(absent)?;
        let shown = match asked {
            None => latest.clone(),
            Some(asked) => versions
                .iter()
                .find(|v| v.as_str() == asked)
                .cloned()
                .ok_or_else(|| Refusal::NotFound(format!("{module}@{asked}: no such version")))?,
        };
        let deprecated = ModFile::parse_lax(catalog.go_mod(module, &latest).await?.as_bytes())
            .ok()
            .and_then(|f| f.deprecated);
        let zip = catalog.zip(module, &shown).await?;
        let versions = rows
            .into_iter()
            .map(|row| VersionLine {
                retracted: retractions
                    .is_retracted(row.version.as_str())
                    .map(|r| r.rationale.clone()),
                denied: self
                    .filters
                    .denies(module.as_str(), row.version.as_str())
                    .map(str::to_owned),
                row,
            })
            .collect();
        Ok(ModuleView {
            path: module.to_string(),
            versions,
            go_mod: catalog.go_mod(module, &shown).await?,
            shown,
            latest,
            deprecated,
            zip,
        })
    }
}

impl Catalog {
    /// The module's retractions: from the go.mod of the version `@latest` would rank first, as
    /// the go command reads them (a release before a higher pre-release).
    async fn retractions(
        &self,
        module: &ModulePath,
        versions: &[Version],
    ) -> Result<ModFile, Refusal> {
        let tagged = versions
            .iter()
            .filter(|v| !v.is_pseudo())
            .cloned()
            .collect();
        match super::latest::rank(tagged).into_iter().next() {
            Some(v) => Ok(
                ModFile::parse_lax(self.go_mod(module, &v).await?.as_bytes()).unwrap_or_default(),
            ),
            None => Ok(ModFile::default()),
        }
    }

    /// A version's row, from memory once its zip is stored.
    async fn row(
        &self,
        module: &ModulePath,
        version: Version,
    ) -> Result<Arc<VersionRow>, StorageError> {
        let Ok(of) = ModuleVersion::new(module.clone(), version.clone()) else {
            return Ok(Arc::new(stored_row(version)));
        };
        let key = format!("{module}@{version}");
        if let Some(row) = self.rows.get(key.as_str()) {
            return Ok(row);
        }
        let keys = [
            version_file(&of, VersionFile::Info),
            version_file(&of, VersionFile::ZipHash),
            origin_file(&of),
        ];
        let (info, h1, origin) = futures::try_join!(
            self.store.read(&keys[0]),
            self.store.read(&keys[1]),
            self.store.read(&keys[2]),
        )?;
        let origin = origin.as_deref().and_then(OriginRecord::parse);
        let row = Arc::new(VersionRow {
            time: info.and_then(|i| Info::parse(&i).ok()).and_then(|i| i.time),
            h1: h1.map(|h| String::from_utf8_lossy(&h).trim().to_owned()),
            source: origin
                .as_ref()
                .map_or_else(|| "stored".to_owned(), |o| o.source.clone()),
            by: origin
                .as_ref()
                .and_then(|o| o.by.clone())
                .unwrap_or_default(),
            written: origin.and_then(|o| o.at),
            version,
        });
        if row.h1.is_some() {
            self.rows.keep(key, row.clone());
        }
        Ok(row)
    }

    async fn go_mod(&self, module: &ModulePath, version: &Version) -> Result<String, Refusal> {
        let Ok(of) = ModuleVersion::new(module.clone(), version.clone()) else {
            return Ok(String::new());
        };
        let bytes = self
            .store
            .read(&version_file(&of, VersionFile::Mod))
            .await
            .map_err(|e| storage_refusal(module.as_str(), e))?;
        Ok(bytes.map_or_else(String::new, |b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// What the version's zip holds, read once (one reader at a time per version, however
    /// many pages ask); `None` when the zip is not stored.
    async fn zip(
        &self,
        module: &ModulePath,
        version: &Version,
    ) -> Result<Option<Arc<ZipSummary>>, Refusal> {
        let Ok(of) = ModuleVersion::new(module.clone(), version.clone()) else {
            return Ok(None);
        };
        let key = of.to_string();
        if let Some(summary) = self.zips.get(key.as_str()) {
            return Ok(Some(summary));
        }
        let store = self.store.clone();
        let read = self
            .reading
            .run(&key, ZIP_READ_LIMIT, || summarize(store, of))
            .await
            .unwrap_or_else(|interrupted| Err(format!("reading the zip: {interrupted:?}")));
        let summary = read.map_err(|cause| {
            Refusal::Failed(Failure::new(FailureKind::Internal, &key, cause)).reported()
        })?;
        if let Some(summary) = &summary {
            self.zips.keep(key, summary.clone());
        }
        Ok(summary)
    }
}

/// Reads a stored zip into a temp file and summarizes it; `None` when it is not stored.
async fn summarize(
    store: Store,
    version: ModuleVersion,
) -> Result<Option<Arc<ZipSummary>>, String> {
    let zip_key = version_file(&version, VersionFile::Zip);
    let Some(object) = store.open(&zip_key).await.map_err(|e| e.to_string())? else {
        return Ok(None);
    };
    let temp = crate::spool::new_file().map_err(|e| format!("a temp file: {e}"))?;
    crate::storage::copy_to_file(object, temp.path())
        .await
        .map_err(|e| format!("reading {zip_key}: {e}"))?;
    let summary = tokio::task::spawn_blocking(move || zipped::summarize(&version, temp.path()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("reading {zip_key}: {e}"))?;
    Ok(Some(Arc::new(summary)))
}

/// The row of a version modgate knows nothing more of.
fn stored_row(version: Version) -> VersionRow {
    VersionRow {
        version,
        time: None,
        source: "stored".to_owned(),
        by: String::new(),
        written: None,
        h1: None,
    }
}

/// The version `@latest` would choose among `rows`: the best tagged version not retracted (or
/// the best if all are), else the newest pseudo-version by time.
fn latest_version(rows: &[Arc<VersionRow>], retractions: &ModFile) -> Option<Version> {
    let (pseudo, tagged): (Vec<&Arc<VersionRow>>, Vec<&Arc<VersionRow>>) =
        rows.iter().partition(|r| r.version.is_pseudo());
    let ranked = super::latest::rank(tagged.iter().map(|r| r.version.clone()).collect());
    if let Some(best) = ranked
        .iter()
        .find(|v| retractions.is_retracted(v.as_str()).is_none())
        .or(ranked.first())
    {
        return Some(best.clone());
    }
    pseudo
        .iter()
        .max_by(|a, b| a.time.cmp(&b.time).then_with(|| a.version.cmp(&b.version)))
        .map(|r| r.version.clone())
}

fn storage_refusal(context: &str, error: StorageError) -> Refusal {
    Refusal::Failed(Failure::new(FailureKind::Storage, context, error)).reported()
}

/// What the connect page tells a caller to set.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientSettings {
    /// `GOSUMDB`: the private checksum database's verifier key, when there is one.
    pub gosumdb: Option<String>,
    /// `GONOSUMDB` without one: the prefixes of the routes the caller may read whose modules
    /// the public checksum database does not know (store and git routes); `*` for all.
    pub nosumdb: Vec<String>,
}

impl Service {
    /// The `go` settings for `caller`: never a route it may not read.
    pub fn client_settings(&self, caller: &Caller) -> ClientSettings {
        if let Some(log) = &self.sumlog {
            return ClientSettings {
                gosumdb: Some(log.verifier_key()),
                nosumdb: Vec::new(),
            };
        }
        let mut nosumdb: Vec<String> = self
            .routes
            .iter()
            .filter(|route| !route.upstream && self.may(caller, route).is_ok())
            .map(|route| match route.prefix.as_str() {
                "" => "*".to_owned(),
                prefix => prefix.to_owned(),
            })
            .collect();
        nosumdb.sort();
        nosumdb.dedup();
        ClientSettings {
            gosumdb: None,
            nosumdb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(versions: &[(&str, &str)]) -> Vec<Arc<VersionRow>> {
        versions
            .iter()
            .map(|(v, time)| {
                Arc::new(VersionRow {
                    time: Some((*time).to_owned()),
                    ..stored_row(Version::new(v).expect("valid"))
                })
            })
            .collect()
    }

    #[test]
    fn the_latest_is_chosen_as_the_go_command_would() {
        let go_mod = "module m\nretract v1.1.0\n";
        let retractions = ModFile::parse_lax(go_mod.as_bytes()).expect("parses");
        let tagged = rows(&[
            ("v2.0.0-rc.1", "2024-03-01T00:00:00Z"),
            ("v1.1.0", "2024-02-01T00:00:00Z"),
            ("v1.0.0", "2024-01-01T00:00:00Z"),
        ]);
        let latest = latest_version(&tagged, &retractions).expect("a latest");
        assert_eq!(
            latest.as_str(),
            "v1.0.0",
            "not the pre-release, not the retracted"
        );
        let none = ModFile::default();
        assert_eq!(
            latest_version(&tagged, &none).expect("a latest").as_str(),
            "v1.1.0"
        );
        let pseudo = rows(&[
            ("v0.0.0-20240101000000-aaaaaaaaaaaa", "2024-01-01T00:00:00Z"),
            ("v0.0.0-20230101000000-bbbbbbbbbbbb", "2024-05-01T00:00:00Z"),
        ]);
        let newest = latest_version(&pseudo, &none).expect("a latest");
        assert_eq!(
            newest.as_str(),
            "v0.0.0-20230101000000-bbbbbbbbbbbb",
            "by .info time"
        );
        assert!(latest_version(&[], &none).is_none());
    }
}
