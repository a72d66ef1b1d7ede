//! When each upstream-cached version was last answered. A use is marked in memory: on a repeat
//! the same day it is one atomic load (no allocation, no lock), so kept answers carry their
//! version's [`UseMark`] and pay nothing more. The first use of a day queues the version, and
//! [`LastUse::flush`], run in the background, writes the queued records to the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gomod::ModuleVersion;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::memory::{self, Kept, Weighed};
use crate::storage::{Store, last_use_file};

const SECONDS_A_DAY: i64 = 86_400;

/// Uses waiting to be written: (version, when, in seconds since the epoch).
type Queue = Mutex<Vec<(ModuleVersion, i64)>>;

/// One version's mark: the day of its last use this process queued.
pub(crate) struct Mark {
    version: ModuleVersion,
    day: AtomicI64,
    queue: Arc<Queue>,
}

/// A version's use mark, shared by the answers kept for it.
#[derive(Clone)]
pub(crate) struct UseMark(Arc<Mark>);

/// The day of a mark whose version gc evicted: the answers kept with it are stale.
const EVICTED: i64 = i64::MAX;

impl UseMark {
    /// Marks a use now; queues the version's record on its first use of the day.
    pub fn used(&self) {
        let now = now_secs();
        let day = now.div_euclid(SECONDS_A_DAY);
        let mark = &self.0;
        let before = mark.day.load(Ordering::Relaxed);
        // Another use queued it today, or gc evicted it, meanwhile: nothing to queue.
        if before == day
            || before == EVICTED
            || mark
                .day
                .compare_exchange(before, day, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let mut queue = mark.queue.lock().unwrap_or_else(PoisonError::into_inner);
        queue.push((mark.version.clone(), now));
    }

    /// Whether gc evicted the version since: an answer kept with this mark must not be served.
    pub fn is_evicted(&self) -> bool {
        self.0.day.load(Ordering::Relaxed) == EVICTED
    }
}

impl Weighed for UseMark {
    fn weight(&self) -> u64 {
        (self.0.version.path().as_str().len() + self.0.version.version().as_str().len() + 64) as u64
    }
}

/// The versions' marks and the records waiting to be written.
pub(crate) struct LastUse {
    store: Store,
    marks: Kept<ModuleVersion, UseMark>,
    queue: Arc<Queue>,
    /// The day of each record written today: a mark forgotten by `marks` (its budget) and made
    /// again still writes its record once a day.
    written: Mutex<HashMap<ModuleVersion, i64>>,
}

impl LastUse {
    pub fn new(store: Store) -> LastUse {
        LastUse {
            store,
            marks: Kept::new(memory::LAST_USE_BYTES),
            queue: Arc::default(),
            written: Mutex::default(),
        }
    }

    /// Marks a use of `version` now, and returns its mark for the answers kept for it.
    pub fn used(&self, version: &ModuleVersion) -> UseMark {
        let mark = self.marks.get(version).unwrap_or_else(|| {
            let mark = UseMark(Arc::new(Mark {
                version: version.clone(),
                day: AtomicI64::new(i64::MIN),
                queue: self.queue.clone(),
            }));
            self.marks.keep(version.clone(), mark.clone());
            mark
        });
        mark.used();
        mark
    }

    /// Forgets `version`, which gc evicted: the answers kept with its mark are stale from now
    /// on, and its next use makes a new mark.
    pub fn forget(&self, version: &ModuleVersion) {
        if let Some(mark) = self.marks.get(version) {
            mark.0.day.store(EVICTED, Ordering::Relaxed);
            self.marks.forget(version);
        }
    }

    /// Writes the queued records, each version's once a day; returns how many were written.
    /// A record that cannot be written is logged and dropped: gc then goes by an older one.
    pub async fn flush(&self) -> usize {
        let queued =
            std::mem::take(&mut *self.queue.lock().unwrap_or_else(PoisonError::into_inner));
        let today = now_secs().div_euclid(SECONDS_A_DAY);
        let fresh: Vec<(ModuleVersion, i64)> = {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            written.retain(|_, day| *day == today);
            queued
                .into_iter()
                .filter(|(version, at)| {
                    let day = at.div_euclid(SECONDS_A_DAY);
                    written.insert(version.clone(), day) != Some(day)
                })
                .collect()
        };
        let mut count = 0;
        for (version, at) in fresh {
            match self.store.put(&last_use_file(&version), record(at)).await {
                Ok(()) => count += 1,
                Err(e) => tracing::warn!(%version, cause = %e, "writing a last use failed"),
            }
        }
        count
    }
}

/// A stored last-use record.
#[derive(Debug, Serialize, Deserialize)]
struct LastUseRecord {
    /// RFC 3339.
    at: String,
}

fn record(at: i64) -> Bytes {
    let at = OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let record = LastUseRecord {
        at: at.format(&Rfc3339).unwrap_or_default(),
    };
    // A struct of one string always serializes.
    Bytes::from(serde_json::to_vec(&record).unwrap_or_default())
}

/// The time a stored record holds, `None` for bytes that are not one.
pub(super) fn parse_record(bytes: &[u8]) -> Option<OffsetDateTime> {
    let record: LastUseRecord = serde_json::from_slice(bytes).ok()?;
    OffsetDateTime::parse(&record.at, &Rfc3339).ok()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_version_is_written_once_a_day_however_often_it_is_used() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::directory(dir.path()).expect("store");
        let uses = LastUse::new(store.clone());
        let a = ModuleVersion::parse("example.com/a", "v1.0.0").expect("valid");
        let b = ModuleVersion::parse("example.com/b", "v1.0.0").expect("valid");
        let mark = uses.used(&a);
        for _ in 0..100 {
            mark.used();
            uses.used(&a);
        }
        uses.used(&b);
        assert_eq!(uses.flush().await, 2);
        mark.used();
        uses.used(&b);
        assert_eq!(uses.flush().await, 0, "used again the same day");
        // A mark made anew (its memory forgotten) is still written once a day.
        uses.queue
            .lock()
            .expect("queue")
            .push((a.clone(), now_secs()));
        assert_eq!(uses.flush().await, 0);
        // Evicted: the old mark says so and queues nothing; the next use makes a new one.
        let old_b = uses.used(&b);
        uses.forget(&b);
        assert!(old_b.is_evicted() && !mark.is_evicted());
        old_b.used();
        assert!(uses.queue.lock().expect("queue").is_empty());
        assert!(!uses.used(&b).is_evicted());
        let stored = store.read(&last_use_file(&a)).await.expect("read");
        let at = parse_record(&stored.expect("a record")).expect("parses");
        assert!((OffsetDateTime::now_utc() - at).whole_seconds().abs() < SECONDS_A_DAY);
    }
}
