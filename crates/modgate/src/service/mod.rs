//! The service: every question a client can put to modgate, answered in one place. The HTTP
//! layer and the `prefetch` command parse their input into the types of [`request`], call one
//! method here, and shape what comes back; they decide nothing.
//!
//! The path of a GOPROXY request through [`Service::get`]:
//!
//! 1. **route**: the longest route prefix that covers the module (`routes`);
//! 2. **access**: the caller may read that route (address allow-lists, users, groups, tokens),
//!    checked before anything else, so a stranger learns nothing, not even whether a path is
//!    well-formed;
//! 3. **filters**: a denied module or version is refused before anything is fetched for it;
//! 4. **source**: the route's source answers (the store, or the store filled from upstream);
//! 5. **not found**: the route's policy (`absent`) decides between a 404 and a refusal that
//!    keeps a private name from reaching a public proxy.
//!
//! Failures are reported (logged, and counted when they are security events) once, as they
//! leave the service ([`Refusal::reported`]).

mod absent;
mod audit;
mod catalog;
mod hooks;
mod identity;
mod latest;
mod publish;
mod refusal;
mod request;
mod retention;
mod routes;
mod session;
mod sumlog;
mod tamper;
mod tokens;
mod tombstones;

use std::net::IpAddr;
use std::sync::Arc;

use gomod::ModulePath;

use crate::auth::{Action, Auth, Denied, Identified, Principal};
use crate::filter::Filters;
pub(crate) use crate::retention::UseMark;
use crate::retention::{LastUse, RetentionSettings};
use crate::source::{Lookup, SourceError};
use crate::storage::Store;
pub(crate) use crate::sumdb::SumdbAnswer;
use crate::sumdb::{ChecksumDb, SumdbError};
use crate::sumlog::Sumlog;
pub(crate) use crate::writer::Published;
use crate::writer::VersionWriter;
use absent::HeldModules;
pub(crate) use audit::{AuditEvent, AuditLog, AuditSettings};
use catalog::Catalog;
pub(crate) use catalog::{ClientSettings, ModulePage, ModuleView};
pub(crate) use hooks::{GitHook, PushEvent};
pub(crate) use publish::Upload;
pub(crate) use refusal::{Failure, FailureKind, Refusal};
pub(crate) use request::{
    Answer, Caller, Malformed, MalformedPart, ObjectBody, Request, Revision, Zip,
};
pub(crate) use routes::{IfAbsent, Privacy, Route, RouteSettings, Routes, SourceKind};
pub(crate) use session::{CsrfBinding, SESSION_LIFETIME};
use tamper::TamperWatch;
use tokens::PersonalTokens;
pub(crate) use tokens::{NewToken, TokenRecord};

/// What a service is made of; `app` builds it from the settings.
pub(crate) struct Parts {
    pub routes: Routes,
    pub auth: Auth,
    pub filters: Filters,
    pub writer: Arc<VersionWriter>,
    /// The checksum database proxy; `None` when `[sumdb] proxy = false`.
    pub sumdb: Option<Arc<ChecksumDb>>,
    pub store: Store,
    /// The git routes that take push webhooks.
    pub git_hooks: Vec<GitHook>,
    /// The private checksum database, if there is one.
    pub sumlog: Option<Arc<Sumlog>>,
    /// Where events go.
    pub audit: AuditLog,
    /// `[retention]`: what gc may evict.
    pub retention: RetentionSettings,
}

pub(crate) struct Service {
    routes: Routes,
    auth: Auth,
    filters: Filters,
    held: HeldModules,
    writer: Arc<VersionWriter>,
    sumdb: Option<Arc<ChecksumDb>>,
    store: Store,
    git_hooks: Vec<GitHook>,
    sumlog: Option<Arc<Sumlog>>,
    /// Checks served zips against the private checksum database.
    tamper: Option<Arc<TamperWatch>>,
    /// What the web UI lists and shows.
    catalog: Catalog,
    /// Signs the web UI's sessions and forms; read from the store when first needed.
    session_key: session::SessionKey,
    /// Personal tokens, in the store.
    tokens: PersonalTokens,
    /// Who did what lately.
    audit: AuditLog,
    /// Deleted versions.
    tombstones: tombstones::Tombstones,
    /// When upstream-cached versions were last used.
    last_use: LastUse,
    retention: RetentionSettings,
}

impl Service {
    pub fn new(parts: Parts) -> Service {
        let tamper = parts.sumlog.as_ref().map(|log| {
            let watch = TamperWatch::new(log.clone(), parts.writer.clone(), parts.store.clone());
            Arc::new(watch)
        });
        Service {
            catalog: Catalog::new(
                parts.store.clone(),
                parts.writer.clone(),
                parts.routes.prefixes(),
            ),
            session_key: session::SessionKey::new(),
            held: HeldModules::new(parts.routes.len()),
            routes: parts.routes,
            auth: parts.auth,
            filters: parts.filters,
            writer: parts.writer,
            sumdb: parts.sumdb,
            sumlog: parts.sumlog,
            tamper,
            tokens: PersonalTokens::new(parts.store.clone()),
            audit: parts.audit,
            tombstones: tombstones::Tombstones::default(),
            last_use: LastUse::new(parts.store.clone()),
            retention: parts.retention,
            store: parts.store,
            git_hooks: parts.git_hooks,
        }
    }

    /// Who is asking: the client's address (the peer, or the `X-Forwarded-For` entry a trusted
    /// proxy vouches for) on the server's allow-list, and its credentials, if it sent any.
    /// Wrong credentials are refused even where none are needed, so that a typo in `.netrc`
    /// shows at once rather than as a missing module.
    pub async fn caller(
        &self,
        peer: IpAddr,
        forwarded_for: Option<&str>,
        authorization: Option<&[u8]>,
    ) -> Result<Caller, Refusal> {
        let address = self.auth.client_address(peer, forwarded_for);
        self.auth.check_address(address).map_err(refused)?;
        let principal = match self.auth.authenticate(authorization).await {
            Ok(Identified::Principal(principal)) => principal,
            Ok(Identified::Bearer(token)) => match self.tokens.verify(&token).await {
                // A token's user removed from htpasswd by hand takes the token along.
                Ok(Some(record)) if self.auth.users().is_none_or(|u| u.contains(&record.user)) => {
                    Principal::User(record.user)
                }
                Ok(_) => {
                    self.audit_failed_credentials(address.0, "token", "unknown or revoked token");
                    return Err(refused(Denied::Unauthenticated(
                        "unknown or revoked token".to_owned(),
                    )));
                }
                Err(e) => {
                    return Err(Refusal::Failed(Failure::new(
                        FailureKind::Storage,
                        "personal tokens",
                        e,
                    ))
                    .reported());
                }
            },
            Err(denied) => {
                let user = authorization.and_then(crate::auth::claimed_user);
                let target = user.as_deref().unwrap_or("-");
                self.audit_failed_credentials(address.0, target, "wrong credentials");
                return Err(refused(denied));
            }
        };
        Ok(Caller { address, principal })
    }

    /// The answer to a GOPROXY request, or why there is none.
    /// What could not be parsed is passed in too: it is routed by what it names, and a
    /// private route asks for credentials before it explains what is wrong.
    pub async fn get(
        &self,
        caller: &Caller,
        request: Result<&Request, &Malformed>,
    ) -> Result<Answer, Refusal> {
        let route_key = match request {
            Ok(request) => Some(request.module().as_str()),
            Err(malformed) => malformed.route_hint.as_deref(),
        };
        let Some(route) = route_key.and_then(|key| self.routes.find(key)) else {
            return Err(match request {
                Err(malformed) => Refusal::Malformed(malformed.reason.clone()),
                Ok(request) => {
                    Refusal::NotFound(format!("{}: not served by this proxy", request.module()))
                }
            });
        };
        self.authorize(caller, route, Action::Read)?;
        let request = request.map_err(|m| Refusal::Malformed(m.reason.clone()))?;
        self.answer(route, request).await.map_err(Refusal::reported)
    }

    /// Whether `caller` may read `module`: for answers kept from an earlier request, which
    /// skip the rest of [`Service::get`] but never the access check.
    pub fn may_read(&self, caller: &Caller, module: &ModulePath) -> Result<(), Refusal> {
        match self.routes.find(module.as_str()) {
            Some(route) => self.authorize(caller, route, Action::Read),
            None => Err(Refusal::NotFound(format!(
                "{module}: not served by this proxy"
            ))),
        }
    }

    /// Answers `GET /sumdb/<path>`: the private checksum database (`[private_sumdb]`), or the
    /// proxy of the public one. The proxy refuses lookups of modules under private routes:
    /// their names never reach the public database.
    pub async fn checksum_db(&self, caller: &Caller, path: &str) -> Result<SumdbAnswer, Refusal> {
        // A database name may have several elements (host/path): ours are matched whole,
        // anything else is named by its first element.
        let under = |name: &str| path.strip_prefix(name).and_then(|r| r.strip_prefix('/'));
        if let Some(log) = &self.sumlog
            && let Some(rest) = under(log.name())
        {
            return self
                .private_sumdb(log, caller, rest)
                .await
                .map_err(Refusal::reported);
        }
        let Some(db) = &self.sumdb else {
            // The go command then asks the checksum database itself.
            return Err(Refusal::NotFound(
                "this proxy does not serve that checksum database".to_owned(),
            ));
        };
        let (name, rest) = match under(db.name()) {
            Some(rest) => (db.name(), rest),
            None => path.split_once('/').unwrap_or((path, "")),
        };
        db.proxy(name, rest)
            .await
            .map_err(|e| sumdb_refusal(&format!("sumdb/{name}"), e).reported())
    }

    /// What clients put in `GOSUMDB` for the private checksum database, if there is one, and
    /// the number of records in its log (or why it cannot be read).
    pub async fn private_gosumdb(&self) -> Option<(String, Result<u64, crate::sumlog::LogError>)> {
        let log = self.sumlog.as_deref()?;
        Some((log.verifier_key(), log.size().await))
    }

    /// Whether the store can be reached, for `/readyz`.
    pub async fn ready(&self) -> Result<(), Failure> {
        self.store
            .check()
            .await
            .map_err(|e| Failure::new(FailureKind::Storage, self.store.description(), e))
    }

    /// Changes whenever this process writes to the store: an answer that something is not
    /// here, kept from before this changed, may be wrong now.
    pub fn generation(&self) -> u64 {
        self.store.writes()
    }

    pub fn store_description(&self) -> &str {
        self.store.description()
    }

    /// Removes what a killed process left: staged uploads in the store, spooled files in the
    /// temp directory. Run once at start, in the background.
    pub async fn clean_leftovers(&self) {
        match self.writer.clean_staging().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed uploads abandoned by a crash"),
            Err(e) => tracing::warn!(cause = %e, "cleaning the staging area failed"),
        }
        match tokio::task::spawn_blocking(crate::spool::clean_abandoned).await {
            Ok(Ok(0)) => {}
            Ok(Ok(removed)) => tracing::info!(removed, "removed temp files abandoned by a crash"),
            Ok(Err(e)) => tracing::warn!(cause = %e, "cleaning the temp directory failed"),
            Err(e) => tracing::warn!(cause = %e, "cleaning the temp directory stopped"),
        }
    }

    fn authorize(&self, caller: &Caller, route: &Route, action: Action) -> Result<(), Refusal> {
        self.auth
            .authorize(&route.access, action, &caller.principal, caller.address)
            .map_err(refused)
    }

    async fn answer(&self, route: &Route, request: &Request) -> Result<Answer, Refusal> {
        let module = request.module();
        // Denied modules and versions are refused before anything is fetched for them.
        if let Some(reason) = self.filters.denies_module(module.as_str()) {
            return Err(Refusal::Denied(format!("{module}: denied: {reason}")));
        }
        let source = route.source.as_ref();
        let failed = failed(module);
        match request {
            Request::List(module) => match source.versions(module).await.map_err(&failed)? {
                Some(versions) => Ok(Answer::List(latest::list_body(
                    self.allowed(module, versions),
                ))),
                None => Err(self.held.refusal(route, module, None, false).await),
            },
            Request::Latest(module) => self.latest(route, module).await,
            Request::Info(module, revision) => self.info(route, module, revision).await,
            Request::Mod(version) => {
                self.check_present(version.path(), version.version().as_str())?;
                match source.go_mod(version).await.map_err(&failed)? {
                    Some(go_mod) => Ok(Answer::Mod(go_mod)),
                    None => Err(self
                        .missing_version(route, version.path(), version.version())
                        .await),
                }
            }
            Request::Zip(version) => {
                self.check_present(version.path(), version.version().as_str())?;
                match source.zip(version).await.map_err(&failed)? {
                    Some(zip) => {
                        if let Some(watch) = &self.tamper {
                            watch.served(version, zip.etag.as_deref());
                        }
                        Ok(Answer::Zip(zip))
                    }
                    None => Err(self
                        .missing_version(route, version.path(), version.version())
                        .await),
                }
            }
        }
    }

    /// `@latest`: the source's choice, unless a filter denies it; then the best allowed version.
    async fn latest(&self, route: &Route, module: &ModulePath) -> Result<Answer, Refusal> {
        let source = route.source.as_ref();
        let failed = failed(module);
        if let Some(info) = source
            .resolve(module, Lookup::Latest)
            .await
            .map_err(&failed)?
            && self
                .check_present(module, &latest::info_version(&info))
                .is_ok()
        {
            return Ok(Answer::Info(info));
        }
        let Some(versions) = source.versions(module).await.map_err(&failed)? else {
            return Err(self.held.refusal(route, module, None, false).await);
        };
        let versions = self.allowed(module, versions);
        match latest::latest(source, module, versions)
            .await
            .map_err(&failed)?
        {
            Some(info) => Ok(Answer::Info(info)),
            None => Err(self.held.refusal(route, module, Some("latest"), true).await),
        }
    }

    /// `.info` of a version, or of a query the source resolves (the go command asks `.info`
    /// for `master` or `v1.0.0+meta` and would stop at a refusal).
    async fn info(
        &self,
        route: &Route,
        module: &ModulePath,
        revision: &Revision,
    ) -> Result<Answer, Refusal> {
        let source = route.source.as_ref();
        let failed = failed(module);
        let (info, asked) = match revision {
            Revision::Version { version, .. } => {
                self.check_present(module, version.version().as_str())?;
                (
                    source.info(version).await.map_err(&failed)?,
                    version.version().as_str(),
                )
            }
            Revision::Query(query) => {
                self.check_allowed(module, query)?;
                let info = source
                    .resolve(module, Lookup::Revision(query))
                    .await
                    .map_err(&failed)?;
                if let Some(info) = &info {
                    self.check_present(module, &latest::info_version(info))?;
                }
                (info, query.as_str())
            }
        };
        match info {
            Some(info) => Ok(Answer::Info(info)),
            None => Err(self.missing_version(route, module, asked).await),
        }
    }

    /// The versions a filter leaves, less those deleted.
    fn allowed(&self, module: &ModulePath, versions: Vec<gomod::Version>) -> Vec<gomod::Version> {
        versions
            .into_iter()
            .filter(|v| self.filters.denies(module.as_str(), v.as_str()).is_none())
            .filter(|v| self.tombstones.get(module, v.as_str()).is_none())
            .collect()
    }

    /// A version not deleted (410 with the reason) that no filter denies.
    fn check_present(&self, module: &ModulePath, version: &str) -> Result<(), Refusal> {
        match self.deleted(module, version) {
            Some(gone) => Err(gone),
            None => self.check_allowed(module, version),
        }
    }

    fn check_allowed(&self, module: &ModulePath, version: &str) -> Result<(), Refusal> {
        match self.filters.denies(module.as_str(), version) {
            Some(reason) => Err(Refusal::Denied(format!(
                "{module}@{version}: denied: {reason}"
            ))),
            None => Ok(()),
        }
    }

    async fn missing_version(
        &self,
        route: &Route,
        module: &ModulePath,
        version: impl std::fmt::Display,
    ) -> Refusal {
        // Only a refusing route needs to know whether the module is held; a plain 404 route
        // must not pay a directory listing for every miss.
        let known = route.if_absent != IfAbsent::NotFound
            && matches!(route.source.versions(module).await, Ok(Some(_)));
        let version = version.to_string();
        self.held
            .refusal(route, module, Some(&version), known)
            .await
    }
}

/// What the auth layer's "no" means to the client; counted, since a burst of them is what an
/// operator looks for.
fn refused(denied: Denied) -> Refusal {
    let (kind, refusal) = match denied {
        Denied::Unauthenticated(reason) => ("unauthenticated", Refusal::Unauthenticated(reason)),
        Denied::Forbidden(reason) => ("forbidden", Refusal::Forbidden(reason)),
    };
    metrics::counter!("modgate_auth_failures_total", "kind" => kind).increment(1);
    refusal
}

/// What the checksum database's "no" means to the client: its 404 is a 404, a private name is
/// refused, anything else is the database's failure.
fn sumdb_refusal(context: &str, error: SumdbError) -> Refusal {
    let kind = match &error {
        SumdbError::NotFound(reason) => return Refusal::NotFound(reason.clone()),
        SumdbError::Refused(reason) => return Refusal::NotHere(reason.clone()),
        SumdbError::Mismatch(_) => FailureKind::Tampered,
        SumdbError::Timeout(_) => FailureKind::Timeout,
        SumdbError::Invalid(_) | SumdbError::Unreachable(_) => FailureKind::Upstream,
    };
    Refusal::Failed(Failure::new(kind, context, error))
}

/// A source's failure to answer for `module`.
fn failed(module: &ModulePath) -> impl Fn(SourceError) -> Refusal + '_ {
    move |e| Refusal::Failed(Failure::new(e.kind(), module.as_str(), e))
}
