//! Retention of versions cached from upstream proxies: when each was last answered
//! ([`LastUse`], in memory, written to the store in the background at most once a day per
//! version), and which to evict ([`gc`]): those unused for `unused_days`, then the least recently
//! used until the cached zips fit `max_bytes`.
//!
//! Only versions whose origin record says `upstream` are ever evicted: upstream still has them,
//! and a later request fetches them again. Published, git-built, imported and copied versions
//! (no origin record) are the only copy there is; a version with a tombstone is left to the
//! tombstone's owner.

mod gc;
mod last_use;

use std::time::Duration;

pub(crate) use gc::{Cached, GcPlan, drop_orphan, evict, plan};
pub(crate) use last_use::{LastUse, UseMark};

/// How often the server runs gc when `[retention]` sets a limit and no `interval_secs`.
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

/// `[retention]`: the limits on upstream-cached versions. No limit, no eviction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RetentionSettings {
    /// The most bytes the zips of upstream-cached versions may take together.
    pub max_bytes: Option<u64>,
    /// Versions not used for this many days are evicted.
    pub unused_days: Option<u32>,
    /// How often the server runs gc; `None` when no limit is set, or offline.
    pub interval: Option<Duration>,
    /// `[upstream] offline`: an evicted version could not be fetched again, so nothing is.
    pub offline: bool,
}
