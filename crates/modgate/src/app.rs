//! Building the service from the configuration: the store, the sources of each route, the
//! version writer, the checksum database, users and filters. `serve` and `prefetch` both start
//! here, so a prefetched version goes the same way as a request for it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use gomod::ModulePath;

use crate::auth::{Access, Auth};
use crate::config::Config;
use crate::filter::Filters;
use crate::service::{self, GitHook, IfAbsent, Privacy, Route, Routes, Service, SourceKind};
use crate::source::{GitSource, Source, StoreSource, UpstreamSource};
use crate::storage::Store;
use crate::sumdb::ChecksumDb;
use crate::sumlog::Sumlog;
use crate::writer::VersionWriter;

/// A checksum database that does not accept a connection by then is down: fail fast, and let
/// the stored tiles serve.
const SUMDB_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A git host that does not accept a connection by then is down.
const GIT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// What every route's source is built from.
struct Shared<'a> {
    config: &'a Config,
    answer_within: Option<Duration>,
    stored: Arc<dyn Source>,
    writer: Arc<VersionWriter>,
    /// The one upstream source every upstream route shares; `None` while offline.
    upstream: Option<Arc<dyn Source>>,
}

/// Builds everything the config describes, failing on the first thing that cannot be used.
/// `answer_within`: how long a client waits for an answer (the request timeout), if one does.
pub(crate) fn service(config: &Config, answer_within: Option<Duration>) -> anyhow::Result<Service> {
    let store = Store::from_settings(&config.storage)?;
    let auth = Auth::new(
        &config.auth,
        config.allow.clone(),
        config.trusted_proxies.clone(),
    )?;
    let sumlog = sumlog(config, &store)?;
    let writer = Arc::new(VersionWriter::new(store.clone(), sumlog.clone()));
    let sumdb = Arc::new(checksum_db(config, store.clone())?);
    let stored: Arc<dyn Source> = Arc::new(StoreSource::new(store.clone()));
    let upstream = upstream(config, answer_within, &stored, &writer, &sumdb)?;
    let shared = Shared {
        config,
        answer_within,
        stored,
        writer: writer.clone(),
        upstream,
    };
    let mut git_hooks = Vec::new();
    let routes = config
        .routes
        .iter()
        .map(|r| {
            let access = Access::new(&r.read, &r.write, r.allow.clone(), auth.has_identities());
            let (source, if_absent) = route_source(&shared, r, &mut git_hooks);
            Route {
                prefix: r.prefix.clone(),
                upstream: matches!(r.source, SourceKind::Upstream),
                if_absent,
                access,
                source,
            }
        })
        .collect();
    Ok(Service::new(service::Parts {
        routes: Routes::new(routes),
        auth,
        filters: Filters::new(config.filters.clone()),
        writer,
        sumdb: config.sumdb.proxy.then_some(sumdb),
        store,
        git_hooks,
        sumlog,
        audit: service::AuditLog::new(&config.audit).context("[audit] file")?,
        retention: config.retention.clone(),
    }))
}

/// The upstream source, if a route uses one and modgate is not offline.
fn upstream(
    config: &Config,
    answer_within: Option<Duration>,
    stored: &Arc<dyn Source>,
    writer: &Arc<VersionWriter>,
    sumdb: &Arc<ChecksumDb>,
) -> anyhow::Result<Option<Arc<dyn Source>>> {
    let used = config
        .routes
        .iter()
        .any(|r| matches!(r.source, SourceKind::Upstream));
    if !used || config.upstream.offline {
        return Ok(None);
    }
    let source = UpstreamSource::new(
        &config.upstream,
        config.outbound.client()?,
        answer_within,
        stored.clone(),
        writer.clone(),
        sumdb.clone(),
    )
    .context("setting up the upstream client")?;
    Ok(Some(Arc::new(source)))
}

/// A route's source, and what it answers for what it does not hold; a git route's webhook
/// secret goes to `git_hooks`.
fn route_source(
    shared: &Shared<'_>,
    route: &service::RouteSettings,
    git_hooks: &mut Vec<GitHook>,
) -> (Arc<dyn Source>, IfAbsent) {
    match (&route.source, &shared.upstream) {
        (SourceKind::Upstream, Some(upstream)) => (upstream.clone(), route.if_absent),
        (SourceKind::Upstream, None) => (shared.stored.clone(), IfAbsent::RefuseOffline),
        (SourceKind::Store, _) => (shared.stored.clone(), route.if_absent),
        (SourceKind::Git(settings), _) => {
            let source = Arc::new(GitSource::new(
                settings,
                shared.config.outbound.git(GIT_CONNECT_TIMEOUT),
                shared.config.git_cache_dir.clone(),
                shared.stored.clone(),
                shared.writer.clone(),
                shared.answer_within,
            ));
            if let Some(secret) = &settings.webhook_secret {
                git_hooks.push(GitHook {
                    secret: secret.clone(),
                    source: source.clone(),
                });
            }
            (source, route.if_absent)
        }
    }
}

/// The checksum database, told which modules are private: those a private route serves.
pub(crate) fn checksum_db(config: &Config, store: Store) -> anyhow::Result<ChecksumDb> {
    let client = config
        .outbound
        .client()?
        .connect_timeout(SUMDB_CONNECT_TIMEOUT)
        .build()
        .context("building the checksum database's HTTP client")?;
    let privacy = Privacy::new(&config.routes);
    let is_private = move |module: &ModulePath| privacy.is_private(module);
    Ok(ChecksumDb::new(&config.sumdb, store, client)
        .context("[sumdb] key")?
        .with_private(Arc::new(is_private)))
}

/// The private checksum database, if `[private_sumdb]` configures one.
pub(crate) fn sumlog(config: &Config, store: &Store) -> anyhow::Result<Option<Arc<Sumlog>>> {
    let Some(settings) = &config.private_sumdb else {
        return Ok(None);
    };
    let log = Sumlog::new(settings, store.clone()).context("[private_sumdb] key_file")?;
    Ok(Some(Arc::new(log)))
}
