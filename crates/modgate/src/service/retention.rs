//! Retention through the service: uses of upstream-cached versions marked as they are
//! answered, and gc (the server's periodic run and `modgate gc`), each eviction recorded in the
//! audit ring.

use std::time::Duration;

use time::OffsetDateTime;

use super::{Failure, FailureKind, Request, Revision, Service};
use crate::retention::{self, Cached, GcPlan, UseMark};

impl Service {
    /// Marks a use of the version a GOPROXY request for `.info`, `.mod` or `.zip` answered, on
    /// an upstream route (only those cache versions gc may evict); the mark goes with the
    /// answer kept for it, so that a kept hit marks its use too ([`UseMark::used`]).
    pub fn record_use(&self, request: &Request) -> Option<UseMark> {
        let version = match request {
            Request::Info(_, Revision::Version { version, .. })
            | Request::Mod(version)
            | Request::Zip(version) => version,
            Request::Info(_, Revision::Query(_)) | Request::List(_) | Request::Latest(_) => {
                return None;
            }
        };
        let route = self.routes.find(version.path().as_str())?;
        route.upstream.then(|| self.last_use.used(version))
    }

    /// Writes the uses marked since the last flush; run in the background and at shutdown.
    pub async fn flush_last_use(&self) -> usize {
        self.last_use.flush().await
    }

    /// How often the server runs gc; `None` when `[retention]` sets no limit.
    pub fn gc_interval(&self) -> Option<Duration> {
        self.retention.interval
    }

    /// What gc would evict now, after this process's uses are written.
    pub async fn gc_plan(&self) -> Result<GcPlan, Failure> {
        self.last_use.flush().await;
        retention::plan(&self.store, &self.retention, OffsetDateTime::now_utc())
            .await
            .map_err(|e| Failure::new(FailureKind::Storage, "gc", e))
    }

    /// Evicts the planned versions, each recorded in the audit ring as done by `who`;
    /// `done` hears of each. Returns how many were evicted.
    pub async fn gc_evict(
        &self,
        plan: &GcPlan,
        who: &str,
        mut done: impl FnMut(&Cached, Result<(), &Failure>),
    ) -> usize {
        let mut evicted = 0;
        for cached in &plan.evict {
            let version = &cached.version;
            let outcome = retention::evict(&self.store, version)
                .await
                .map_err(|e| Failure::new(FailureKind::Storage, version.to_string(), e));
            // What this process keeps in memory of it would hide that it is gone.
            self.last_use.forget(version);
            if let Some(route) = self.routes.find(version.path().as_str()) {
                route.source.forget(version);
            }
            let target = version.to_string();
            match &outcome {
                Ok(()) => {
                    evicted += 1;
                    self.audit.record(who, None, "gc.evict", &target, "ok");
                }
                Err(e) => {
                    let why = format!("failed: {e}");
                    self.audit.record(who, None, "gc.evict", &target, &why);
                }
            }
            done(cached, outcome.as_ref().map(|_| ()));
        }
        for orphan in &plan.orphans {
            if let Err(e) = retention::drop_orphan(&self.store, orphan).await {
                tracing::warn!(version = %orphan, cause = %e, "removing a stale last use failed");
            }
        }
        evicted
    }

    /// The server's periodic run: plan, evict, log what happened.
    pub async fn gc_run(&self) {
        let plan = match self.gc_plan().await {
            Ok(plan) => plan,
            Err(e) => {
                tracing::warn!(cause = %e, "gc could not read the store");
                return;
            }
        };
        if plan.evict.is_empty() && plan.orphans.is_empty() {
            return;
        }
        let evicted = self.gc_evict(&plan, "(gc)", |_, _| {}).await;
        tracing::info!(
            evicted,
            bytes = plan.evicted_bytes(),
            cached_bytes = plan.cached_bytes,
            "gc evicted upstream-cached versions"
        );
    }
}
