//! Upstream answers that change over time (`list`, `@latest`, version queries) and upstream
//! "not found"s, remembered for a while so that every `go` run does not become an upstream
//! round trip.

use std::time::{Duration, Instant};

use bytes::Bytes;
use quick_cache::sync::Cache;

/// How many answers are remembered; each is a few hundred bytes.
const CAPACITY: usize = 50_000;

/// What is known about a key.
pub(crate) enum Recall {
    /// Asked less than the TTL ago.
    Fresh(Option<Bytes>),
    /// An answer older than the TTL: usable while a fresh one is fetched, or when upstream fails.
    Stale(Bytes),
    /// Never asked, or a "not found" too old to trust.
    Unknown,
}

#[derive(Clone)]
struct Entry {
    at: Instant,
    answer: Option<Bytes>,
}

pub(crate) struct Remembered {
    entries: Cache<String, Entry>,
    ttl: Duration,
    not_found_ttl: Duration,
}

impl Remembered {
    pub fn new(ttl: Duration, not_found_ttl: Duration) -> Remembered {
        Remembered {
            entries: Cache::new(CAPACITY),
            ttl,
            not_found_ttl,
        }
    }

    pub fn recall(&self, key: &str) -> Recall {
        let Some(entry) = self.entries.get(key) else {
            return Recall::Unknown;
        };
        let age = entry.at.elapsed();
        match entry.answer {
            Some(answer) if age >= self.ttl => Recall::Stale(answer),
            None if age >= self.not_found_ttl => Recall::Unknown,
            answer => Recall::Fresh(answer),
        }
    }

    /// Remembers an answer, or with `None` that upstream does not have it.
    pub fn remember(&self, key: &str, answer: Option<Bytes>) {
        self.entries.insert(
            key.to_owned(),
            Entry {
                at: Instant::now(),
                answer,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_go_stale_and_not_found_is_forgotten() {
        // Wide enough that a busy test machine does not see the answers expire early.
        let remembered = Remembered::new(Duration::from_millis(500), Duration::from_millis(500));
        assert!(matches!(remembered.recall("a"), Recall::Unknown));
        remembered.remember("a", Some(Bytes::from_static(b"v1.0.0\n")));
        remembered.remember("b", None);
        assert!(matches!(remembered.recall("a"), Recall::Fresh(Some(_))));
        assert!(matches!(remembered.recall("b"), Recall::Fresh(None)));
        std::thread::sleep(Duration::from_millis(600));
        assert!(matches!(remembered.recall("a"), Recall::Stale(_)));
        assert!(matches!(remembered.recall("b"), Recall::Unknown));
    }
}
