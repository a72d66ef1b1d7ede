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
use crate::service::{self, IfAbsent, Privacy, Route, Routes, Service, SourceKind};
use crate::source::{Source, StoreSource, UpstreamSource};
use crate::storage::Store;
use crate::sumdb::ChecksumDb;
use crate::writer::VersionWriter;

/// A checksum database that does not accept a connection by then is down: fail fast, and let
/// the stored tiles serve.
const SUMDB_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Builds everything the config describes, failing on the first thing that cannot be used.
/// `answer_within`: how long a client waits for an answer (the request timeout), if one does.
pub(crate) fn service(config: &Config, answer_within: Option<Duration>) -> anyhow::Result<Service> {
    let store = Store::from_settings(&config.storage)?;
    let auth = Auth::new(
        &config.auth,
        config.allow.clone(),
        config.trusted_proxies.clone(),
    )?;
    let writer = Arc::new(VersionWriter::new(store.clone()));
    let sumdb = Arc::new(checksum_db(config, store.clone())?);
    let stored: Arc<dyn Source> = Arc::new(StoreSource::new(store.clone()));
    let uses_upstream = config
        .routes
        .iter()
        .any(|r| r.source == SourceKind::Upstream);
    let upstream: Option<Arc<dyn Source>> = match uses_upstream && !config.upstream.offline {
        true => Some(Arc::new(
            UpstreamSource::new(
                &config.upstream,
                answer_within,
                stored.clone(),
                writer.clone(),
                sumdb.clone(),
            )
            .context("setting up the upstream client")?,
        )),
        false => None,
    };
    let routes = config
        .routes
        .iter()
        .map(|r| {
            let access = Access::new(&r.read, &r.write, r.allow.clone(), auth.has_identities());
            let (source, if_absent) = match (r.source, &upstream) {
                (SourceKind::Upstream, Some(upstream)) => (upstream.clone(), r.if_absent),
                (SourceKind::Upstream, None) => (stored.clone(), IfAbsent::RefuseOffline),
                (SourceKind::Store, _) => (stored.clone(), r.if_absent),
            };
            Route {
                prefix: r.prefix.clone(),
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
    }))
}

/// The checksum database, told which modules are private: those a private route serves.
fn checksum_db(config: &Config, store: Store) -> anyhow::Result<ChecksumDb> {
    let client = reqwest::Client::builder()
        .connect_timeout(SUMDB_CONNECT_TIMEOUT)
        .user_agent(concat!("modgate/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the checksum database's HTTP client")?;
    let privacy = Privacy::new(&config.routes);
    let is_private = move |module: &ModulePath| privacy.is_private(module);
    Ok(ChecksumDb::new(&config.sumdb, store, client)
        .context("[sumdb] key")?
        .with_private(Arc::new(is_private)))
}
