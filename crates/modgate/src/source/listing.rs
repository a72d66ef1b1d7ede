//! A stored module's versions, listed once and reused while they cannot have changed.
//!
//! Listing a module directory of 2,000 versions (8,000 files) takes milliseconds, and the `go`
//! command asks `@v/list` and `@latest` on every resolution. So each listing is kept with
//! what tells whether it still holds:
//!
//! - every listing remembers [`Store::writes`] when it was made: a publish, delete or gc
//!   through this process makes every module list again at once;
//! - on a directory store, the directory's mtime, which changes whenever a file is created,
//!   removed or renamed in it (another process's publish or delete, a hand copy). A stat per
//!   request replaces the listing. The mtime has the kernel clock's granularity, so a listing
//!   of a directory changed within [`RACY_FOR`] is not trusted (a second change in the same
//!   tick would leave the mtime as it was);
//! - on an object store, whose prefixes have no date, [`memory::STORED_LIST_FOR`]: another
//!   replica's publish or delete shows within that time. Listing a large module on a bucket
//!   takes a page per thousand keys, one after the other (hundreds of milliseconds), so a
//!   listing past that time is still answered for up to [`memory::STORED_LIST_STALE_FOR`]
//!   more while one request lists again in the background; an older one makes the request wait.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use gomod::{ModulePath, Version};

use crate::memory::{self, Kept, Weighed};
use object_store::path::Path;

use crate::storage::{DirStamp, StorageError, Store, module_dir, visible_versions};

/// A directory changed this recently may change again without its mtime moving: generous
/// beside the kernel's few milliseconds, to allow for a network filesystem's clock.
const RACY_FOR: Duration = Duration::from_secs(2);

pub(super) struct Listings {
    store: Store,
    /// How long an object store's listing is trusted.
    trusted_for: Duration,
    /// How much longer it is answered while it is listed again in the background.
    stale_for: Duration,
    kept: Arc<Kept<String, Arc<Listing>>>,
}

struct Listing {
    /// Sorted; `None` when the module has no files at all.
    versions: Option<Arc<[Version]>>,
    /// [`Store::writes`] before it was listed.
    writes: u64,
    valid: Validity,
    /// Set by the request that starts listing again in the background, so only one does.
    refreshing: AtomicBool,
}

enum Validity {
    /// While the directory's mtime is this.
    Unchanged(SystemTime),
    /// An object store's listing, made then.
    Listed(Instant),
}

impl Weighed for Listing {
    fn weight(&self) -> u64 {
        // Each version: its two `Arc<str>` (text and escaped) and their headers.
        let versions = self.versions.as_deref().unwrap_or_default();
        versions
            .iter()
            .map(|v| (v.as_str().len() + v.escaped().len() + 48) as u64)
            .sum()
    }
}

impl Listings {
    pub fn new(store: Store, trusted_for: Duration, stale_for: Duration) -> Listings {
        Listings {
            store,
            trusted_for,
            stale_for,
            kept: Arc::new(Kept::new(memory::STORED_LISTS_BYTES)),
        }
    }

    /// The module's visible versions, sorted; `None` when it has no files in the store.
    pub async fn versions(
        &self,
        module: &ModulePath,
    ) -> Result<Option<Arc<[Version]>>, StorageError> {
        let dir = module_dir(module);
        let key = dir.as_ref();
        let writes = self.store.writes();
        let kept = self.kept.get(key).filter(|l| l.writes == writes);
        let stamp = match &kept {
            Some(listing) => match listing.valid {
                Validity::Listed(at) if at.elapsed() < self.trusted_for => {
                    return Ok(listing.versions.clone());
                }
                // Only versions are answered late: that a module is not here is trusted for
                // no longer than any other absence, so an outage never turns into a 404.
                Validity::Listed(at)
                    if listing.versions.is_some()
                        && at.elapsed() < self.trusted_for.saturating_add(self.stale_for) =>
                {
                    if !listing.refreshing.swap(true, Ordering::Relaxed) {
                        self.refresh_later(dir.clone(), writes);
                    }
                    return Ok(listing.versions.clone());
                }
                Validity::Listed(_) => DirStamp::None,
                Validity::Unchanged(modified) => {
                    let stamp = self.store.dir_stamp(&dir).await?;
                    if stamp == DirStamp::Modified(modified) {
                        return Ok(listing.versions.clone());
                    }
                    stamp
                }
            },
            None => self.store.dir_stamp(&dir).await?,
        };
        list_and_keep(&self.store, &self.kept, &dir, stamp, writes).await
    }

    /// Lists an object store's module again without a request waiting on it; a failure leaves
    /// the old listing, which requests stop using once it is too old.
    fn refresh_later(&self, dir: Path, writes: u64) {
        let (store, kept) = (self.store.clone(), Arc::clone(&self.kept));
        tokio::spawn(async move {
            if let Err(e) = list_and_keep(&store, &kept, &dir, DirStamp::None, writes).await {
                tracing::warn!(dir = %dir, error = %e, "listing a module again failed");
            }
        });
    }
}

/// Lists the module directory `dir` and keeps the listing, valid as `stamp` (taken before
/// listing) says; `writes` is [`Store::writes`] before either.
async fn list_and_keep(
    store: &Store,
    kept: &Kept<String, Arc<Listing>>,
    dir: &Path,
    stamp: DirStamp,
    writes: u64,
) -> Result<Option<Arc<[Version]>>, StorageError> {
    if stamp == DirStamp::Missing {
        return Ok(None);
    }
    // The stamp was taken before the listing: a change made while listing moves it, so the
    // next request lists again.
    let names = store.file_names(dir).await?;
    let versions: Option<Arc<[Version]>> = if names.is_empty() {
        None
    } else {
        let mut versions = visible_versions(&names);
        versions.sort();
        Some(versions.into())
    };
    let valid = match stamp {
        DirStamp::Modified(modified) => SystemTime::now()
            .duration_since(modified)
            .is_ok_and(|age| age >= RACY_FOR)
            .then_some(Validity::Unchanged(modified)),
        DirStamp::None => Some(Validity::Listed(Instant::now())),
        DirStamp::Missing => None,
    };
    if let Some(valid) = valid {
        let listing = Listing {
            versions: versions.clone(),
            writes,
            valid,
            refreshing: AtomicBool::new(false),
        };
        kept.keep(dir.as_ref().to_owned(), Arc::new(listing));
    }
    Ok(versions)
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
