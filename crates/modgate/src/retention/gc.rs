//! Which upstream-cached versions to evict, and evicting one.
//!
//! The plan reads the store as it is: every origin record saying `upstream`, less the versions
//! with a tombstone; each one's zip size and last use (its last-use record, else when it was
//! cached). Eviction removes `.info` first, so the version is invisible at once and a crash
//! midway leaves only files no reader serves, which the next gc removes.

use std::collections::HashSet;

use futures::{StreamExt, TryStreamExt};
use gomod::ModuleVersion;
use time::{Duration, OffsetDateTime};

use super::RetentionSettings;
use super::last_use::parse_record;
use crate::storage::{
    StorageError, Store, VersionFile, last_use_dir, last_use_file, last_use_version, origin_dir,
    origin_file, origin_version, tombstone_file, tombstones_dir, version_file,
};
use crate::writer::{OriginRecord, remove_version};

/// Records read at once while planning.
const CONCURRENT_READS: usize = 16;

/// An upstream-cached version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cached {
    pub version: ModuleVersion,
    /// The zip's size; 0 when only its `.info` and `.mod` were fetched.
    pub size: u64,
    pub last_use: OffsetDateTime,
}

/// What gc would evict, least recently used first, and what the cache holds.
#[derive(Debug, Default)]
pub(crate) struct GcPlan {
    pub evict: Vec<Cached>,
    /// Upstream-cached versions, and their zips' bytes, before eviction.
    pub cached_versions: usize,
    pub cached_bytes: u64,
    /// Last-use records of versions no longer cached (evicted by another process while this
    /// one still answered them from memory): removed with the evictions.
    pub orphans: Vec<ModuleVersion>,
}

impl GcPlan {
    pub fn evicted_bytes(&self) -> u64 {
        self.evict.iter().map(|c| c.size).sum()
    }
}

/// What gc would evict from `store` at `now` under `settings`.
pub(crate) async fn plan(
    store: &Store,
    settings: &RetentionSettings,
    now: OffsetDateTime,
) -> Result<GcPlan, StorageError> {
    let (cached, orphans) = upstream_cached(store, now).await?;
    let limits = match settings.offline {
        true => &RetentionSettings::default(),
        false => settings,
    };
    Ok(GcPlan {
        orphans,
        ..choose(cached, limits, now)
    })
}

/// Those unused for `unused_days`, then the least recently used until the rest fit
/// `max_bytes`. Ties go by module@version, so a plan is the same run after run.
fn choose(mut cached: Vec<Cached>, settings: &RetentionSettings, now: OffsetDateTime) -> GcPlan {
    cached.sort_by(|a, b| (a.last_use, &a.version).cmp(&(b.last_use, &b.version)));
    let cached_bytes: u64 = cached.iter().map(|c| c.size).sum();
    let cached_versions = cached.len();
    let unused_since = settings
        .unused_days
        .map(|days| now - Duration::days(i64::from(days)));
    let mut left = cached_bytes;
    let mut evict = Vec::new();
    for version in cached {
        let unused = unused_since.is_some_and(|since| version.last_use <= since);
        let over = settings.max_bytes.is_some_and(|max| left > max);
        if !(unused || over) {
            // Sorted by last use: everything after is newer and fits.
            break;
        }
        left -= version.size;
        evict.push(version);
    }
    GcPlan {
        evict,
        cached_versions,
        cached_bytes,
        orphans: Vec::new(),
    }
}

/// Every upstream-cached version without a tombstone; and the last-use records of versions
/// with no origin record. Origins are listed first: a record is written only after a use,
/// which comes after the version's origin.
async fn upstream_cached(
    store: &Store,
    now: OffsetDateTime,
) -> Result<(Vec<Cached>, Vec<ModuleVersion>), StorageError> {
    let tombstones: HashSet<String> = store
        .keys(Some(&tombstones_dir()))
        .await?
        .into_iter()
        .map(|key| key.to_string())
        .collect();
    let with_origin: HashSet<ModuleVersion> = store
        .keys(Some(&origin_dir()))
        .await?
        .iter()
        .filter_map(origin_version)
        .collect();
    let orphans = store
        .keys(Some(&last_use_dir()))
        .await?
        .iter()
        .filter_map(last_use_version)
        .filter(|v| !with_origin.contains(v))
        .collect();
    let versions: Vec<ModuleVersion> = with_origin
        .into_iter()
        .filter(|v| !tombstones.contains(tombstone_file(v).as_ref()))
        .collect();
    let found: Vec<Option<Cached>> = futures::stream::iter(versions)
        .map(|version| cached(store, version, now))
        .buffer_unordered(CONCURRENT_READS)
        .try_collect()
        .await?;
    Ok((found.into_iter().flatten().collect(), orphans))
}

/// `version` if its origin is `upstream`, with its zip's size and last use.
async fn cached(
    store: &Store,
    version: ModuleVersion,
    now: OffsetDateTime,
) -> Result<Option<Cached>, StorageError> {
    let Some(origin) = store.read(&origin_file(&version)).await? else {
        return Ok(None);
    };
    let Some(origin) = OriginRecord::parse(&origin).filter(|o| o.source == "upstream") else {
        return Ok(None);
    };
    let cached_at = origin.at.and_then(|at| {
        OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339).ok()
    });
    let recorded = store
        .read(&last_use_file(&version))
        .await?
        .and_then(|bytes| parse_record(&bytes));
    let size = store
        .size(&version_file(&version, VersionFile::Zip))
        .await?
        .unwrap_or(0);
    Ok(Some(Cached {
        version,
        size,
        // Neither known: it counts as used now, and goes last.
        last_use: recorded.or(cached_at).unwrap_or(now),
    }))
}

/// Removes an upstream-cached version as a delete does (`writer::remove_version`), then its
/// last use; a crash between leaves a last use with no version, which `drop_orphan` removes.
pub(crate) async fn evict(store: &Store, version: &ModuleVersion) -> Result<(), StorageError> {
    remove_version(store, version).await?;
    store.delete(&last_use_file(version)).await
}

/// Removes the last-use record of a version that is no longer cached.
pub(crate) async fn drop_orphan(
    store: &Store,
    version: &ModuleVersion,
) -> Result<(), StorageError> {
    store.delete(&last_use_file(version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(name: &str, size: u64, days_ago: i64, now: OffsetDateTime) -> Cached {
        Cached {
            version: ModuleVersion::parse(&format!("example.com/{name}"), "v1.0.0").expect("valid"),
            size,
            last_use: now - Duration::days(days_ago),
        }
    }

    fn names(plan: &GcPlan) -> Vec<&str> {
        plan.evict
            .iter()
            .map(|c| c.version.path().as_str().trim_start_matches("example.com/"))
            .collect()
    }

    #[test]
    fn evicts_the_unused_then_the_least_recently_used_until_it_fits() {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let all = vec![
            cached("new", 100, 0, now),
            cached("old", 100, 30, now),
            cached("older", 100, 40, now),
            cached("mid", 100, 5, now),
            cached("recent", 100, 1, now),
        ];
        let by_age = RetentionSettings {
            unused_days: Some(10),
            ..RetentionSettings::default()
        };
        let plan = choose(all.clone(), &by_age, now);
        assert_eq!(names(&plan), ["older", "old"]);
        assert_eq!((plan.cached_versions, plan.cached_bytes), (5, 500));
        assert_eq!(plan.evicted_bytes(), 200);
        let by_size = RetentionSettings {
            max_bytes: Some(250),
            ..RetentionSettings::default()
        };
        assert_eq!(
            names(&choose(all.clone(), &by_size, now)),
            ["older", "old", "mid"]
        );
        let both = RetentionSettings {
            max_bytes: Some(450),
            unused_days: Some(35),
            ..RetentionSettings::default()
        };
        assert_eq!(names(&choose(all.clone(), &both, now)), ["older"]);
        assert!(
            choose(all, &RetentionSettings::default(), now)
                .evict
                .is_empty()
        );
    }
}
