//! What modgate remembers, and for how long: every in-memory cache of the server is one of
//! the two kinds here, and its bounds are named in this file.
//!
//! - [`Kept`]: what never changes once it exists (a version's `.info`, `.mod` and small zip, a
//!   rendered answer for them). Kept within a byte budget; the least used go first.
//! - [`Dated`]: what may change or be learnt again (an upstream list, a "not found", a signed
//!   tree head). Each entry remembers when it was learnt, and the reader says how old is too old.
//!
//! | memory | kind | holds | trusted for | bound | used by |
//! |---|---|---|---|---|---|
//! | responses | Kept | rendered `.info`/`.mod`/small `.zip` answers, by request path | ever | [`RESPONSES_BYTES`] | `http::kept` |
//! | absences | Dated | rendered "not here" answers (404, or a private route's 403), by request path: the only "not found" kept | [`ABSENT_FOR`], or until this process writes | [`ABSENT_ENTRIES`] | `http::kept` |
//! | version files | Kept | `.info` and `.mod` bytes | ever | [`VERSION_FILES_BYTES`] | `source::store` |
//! | module lists | Kept | a stored module's visible versions, sorted, with what they were listed at | a directory store: while the directory's mtime is unchanged; an object store: [`STORED_LIST_FOR`], then [`STORED_LIST_STALE_FOR`] more while listed again in the background; either: until this process writes | [`STORED_LISTS_BYTES`] | `source::listing` |
//! | held modules | Dated | the modules a route holds, to tell import probes from leaks | [`HELD_MODULES_FOR`] | one per route | `service::absent` |
//! | upstream answers | Dated | `list`, `@latest`, queries and upstream "not found"s | `[upstream] list_ttl_secs`, `not_found_ttl_secs` | [`UPSTREAM_ANSWERS`] | `source::upstream` |
//! | checksum records | Dated | proven lookups of the public checksum database | [`RECORD_PROXY_FOR`] to proxy clients; ever for checks | [`CHECKSUM_RECORDS`] | `sumdb` |
//! | recent tiles | Dated | tiles not stored (partial, data, unproven) | [`RECENT_TILE_FOR`] | [`RECENT_TILES`] | `sumdb::tiles` |
//! | tree head | Dated | the checksum database's `latest` note | [`TREE_HEAD_FOR`] | one | `sumdb` |
//! | git locations | Dated | the repository a module path lives in, by go-import discovery | `[route.git] refresh_secs` | [`GIT_LOCATIONS`] | `source::git` |
//! | git lists | Kept | a module's tagged versions, with the snapshot of its mirror's refs they came from | while the mirror is not fetched again | [`GIT_LISTS_BYTES`] | `source::git` |
//! | checksum log records | Dated | the private checksum database's records, by version | ever (records never change) | [`LOG_RECORDS`] | `sumlog` |
//! | checksum log tiles | Kept | the private checksum database's stored hash tiles | ever (a stored tile never changes) | [`LOG_TILES_BYTES`] | `sumlog` |
//! | checked zips | Dated | served zips checked against their log record, by version: the store's ETag and the verdict | ever for that ETag | [`CHECKED_ZIPS`] | `service::tamper` |
//! | checksum log head | (own) | the private checksum database's newest signed tree head | [`NEWER_HEAD_AFTER`] before looking for a newer one | one | `sumlog` |
//! | module index | (own) | every module path the store holds, with its route, for the web UI's list | [`CATALOG_INDEX_FOR`] before it is listed again in the background; what this process writes is merged in at once | one | `service::catalog` |
//! | module pages | Kept | a version's row (time, origin, `h1:`) and what its zip holds (README.md, packages) | ever (versions never change) | [`CATALOG_VERSIONS_BYTES`], [`CATALOG_ZIPS_BYTES`] | `service::catalog` |
//! | personal tokens | Dated | token records (or that there is none) by the token's digest | [`PERSONAL_TOKEN_FOR`]; [`UNKNOWN_TOKEN_FOR`] | [`PERSONAL_TOKENS`] | `service::tokens` |
//! | passwords | Dated | digests of verified credentials; recent wrong ones | `[auth] cache_secs`; [`FAILED_SIGN_IN_FOR`] | one per user; [`FAILED_SIGN_INS`] | `auth::htpasswd` |
//! | last uses | Kept | each upstream-cached version's use mark: the day its last use was queued to be written | ever (a day's first use queues one record) | [`LAST_USE_BYTES`] | `retention` |
//!
//! Everything is bounded, so memory stays flat under any load; everything is per process, so a
//! replica learns what another wrote within the "trusted for" time at most.

use std::hash::Hash;
use std::time::{Duration, Instant};

use bytes::Bytes;
use quick_cache::sync::Cache;
use quick_cache::{Equivalent, Weighter};

/// Rendered answers: thousands of `.info` and `.mod` files and a few dozen small zips.
pub(crate) const RESPONSES_BYTES: u64 = 8 << 20;
/// Larger answers are not kept rather than crowd out the rest: most module zips are smaller,
/// and a large one streams from the store at the speed of the client anyway.
pub(crate) const MAX_KEPT_RESPONSE: u64 = 128 << 10;
/// `.info` and `.mod` files read from the store: they serve zips' visibility checks, `@latest`
/// and everything the kept responses do not.
pub(crate) const VERSION_FILES_BYTES: u64 = 4 << 20;
/// Larger version files are read from the store each time.
pub(crate) const MAX_KEPT_VERSION_FILE: usize = 64 << 10;
/// Stored modules' version lists: 2,000 versions are ~80 KiB, so those of a few dozen large
/// modules and thousands of small ones.
pub(crate) const STORED_LISTS_BYTES: u64 = 8 << 20;
/// How long a module's versions listed from an object store are reused: a write through this
/// process makes it list again at once; a version published or deleted through another replica
/// on the same bucket shows within this time, as an absence does ([`ABSENT_FOR`]).
pub(crate) const STORED_LIST_FOR: Duration = Duration::from_secs(1);
/// How much longer an object store's listing past [`STORED_LIST_FOR`] is still answered while
/// it is listed again in the background: a busy module never waits for its listing, and a
/// module asked for after a quiet spell waits for a fresh one.
pub(crate) const STORED_LIST_STALE_FOR: Duration = Duration::from_secs(10);
/// How long an answer that something is not here is reused. A write through this process
/// makes it look again at once; a version published through another replica on the same
/// bucket is seen within this time.
pub(crate) const ABSENT_FOR: Duration = Duration::from_secs(1);
/// Absences remembered at most: a flood of requests for what is not here (import probes,
/// scanners, a misconfigured CI) then costs what a kept answer does, not storage reads.
pub(crate) const ABSENT_ENTRIES: usize = 4096;
/// How long a route's list of modules is reused. It is read only to tell an import probe from
/// a leak, so a short reuse keeps a flood of probes off the store while hand-copied modules
/// still show up within seconds.
pub(crate) const HELD_MODULES_FOR: Duration = Duration::from_secs(5);
/// Upstream answers remembered at most; each is a few hundred bytes.
pub(crate) const UPSTREAM_ANSWERS: usize = 50_000;
/// Proven checksum database lookups kept: a few hundred bytes each.
pub(crate) const CHECKSUM_RECORDS: usize = 4096;
/// How long a proven lookup is forwarded to proxy clients before it is asked again: its record
/// never changes, but its signed tree head ages.
pub(crate) const RECORD_PROXY_FOR: Duration = Duration::from_secs(60);
/// How long a tile that is not stored is reused: long enough for one go command's burst of
/// requests, short enough that a growing tree's new hashes show up.
pub(crate) const RECENT_TILE_FOR: Duration = Duration::from_secs(10);
/// Tiles not stored, held at most: 8 KiB each at most, so a few MiB in all.
pub(crate) const RECENT_TILES: usize = 512;
/// How long the checksum database's `latest` is reused.
pub(crate) const TREE_HEAD_FOR: Duration = Duration::from_secs(5);
/// Module paths whose repository was discovered, remembered at most.
pub(crate) const GIT_LOCATIONS: usize = 10_000;
/// Modules' tagged versions worked out from their mirrors' refs: a list of 2,000 tags is about
/// 120 KiB, so those of dozens of large modules, and of thousands of small ones.
pub(crate) const GIT_LISTS_BYTES: u64 = 8 << 20;
/// How long the private checksum database's newest head is served before the store is looked
/// at for a newer one that another replica wrote.
pub(crate) const NEWER_HEAD_AFTER: Duration = Duration::from_secs(1);
/// Records of the private checksum database kept for lookups: a few hundred bytes each.
pub(crate) const LOG_RECORDS: usize = 20_000;
/// Hash tiles of the private checksum database kept: 512 full ones of 8 KiB, every tile of a
/// log of 130,000 records; in a larger log, those of the versions looked up most.
pub(crate) const LOG_TILES_BYTES: u64 = 4 << 20;
/// Served zips whose hash was checked against the private checksum database's record.
pub(crate) const CHECKED_ZIPS: usize = 20_000;
/// How long a wrong password is remembered, so that a client retrying it in a loop costs a
/// lookup rather than a bcrypt check each time.
pub(crate) const FAILED_SIGN_IN_FOR: Duration = Duration::from_secs(5);
/// Wrong passwords remembered at most.
pub(crate) const FAILED_SIGN_INS: usize = 1024;
/// How long a personal token's record is trusted: a revoke on another replica holds here
/// within this time (on this one, at once).
pub(crate) const PERSONAL_TOKEN_FOR: Duration = Duration::from_secs(5);
/// How long a token that is not in the store stays unknown without asking the store again:
/// a flood of wrong tokens costs lookups here, not storage reads.
pub(crate) const UNKNOWN_TOKEN_FOR: Duration = Duration::from_secs(1);
/// Personal tokens (and unknown ones) remembered at most; a few hundred bytes each.
pub(crate) const PERSONAL_TOKENS: usize = 4096;

/// How long the web UI's index of modules is used before the store is listed again (in the
/// background, the old one served meanwhile); a write through this process shows at once.
/// Listing reads every key of the store (a bucket of 100,000 versions is hundreds of LIST
/// requests), so another replica's writes show within half a minute, not seconds.
pub(crate) const CATALOG_INDEX_FOR: Duration = Duration::from_secs(30);
/// Versions' rows on the web UI's module pages: ~200 bytes each, so ~40,000 versions.
pub(crate) const CATALOG_VERSIONS_BYTES: u64 = 8 << 20;
/// What versions' zips hold (README.md, package list) for the module pages.
pub(crate) const CATALOG_ZIPS_BYTES: u64 = 16 << 20;
/// A README.md larger than this is cut (a module page shows the start of it).
pub(crate) const MAX_README_BYTES: u64 = 256 << 10;

/// Use marks of upstream-cached versions: ~150 bytes each, so tens of thousands of versions.
/// A mark forgotten is made again at the next use; its record is still written once a day.
pub(crate) const LAST_USE_BYTES: u64 = 8 << 20;

/// How many bytes an entry holds, roughly, for the byte budget of a [`Kept`].
pub(crate) trait Weighed {
    fn weight(&self) -> u64;
}

impl Weighed for String {
    fn weight(&self) -> u64 {
        self.len() as u64
    }
}

impl Weighed for gomod::ModuleVersion {
    fn weight(&self) -> u64 {
        (self.path().as_str().len() + self.version().as_str().len()) as u64
    }
}

impl Weighed for Bytes {
    fn weight(&self) -> u64 {
        self.len() as u64
    }
}

impl<T: Weighed> Weighed for std::sync::Arc<T> {
    fn weight(&self) -> u64 {
        (**self).weight()
    }
}

#[derive(Clone)]
struct ByWeight;

impl<K: Weighed, V: Weighed> Weighter<K, V> for ByWeight {
    fn weight(&self, key: &K, value: &V) -> u64 {
        // Bookkeeping per entry, roughly: an empty value still costs memory.
        const ENTRY_OVERHEAD: u64 = 64;
        key.weight() + value.weight() + ENTRY_OVERHEAD
    }
}

/// Values that never change, within a byte budget.
pub(crate) struct Kept<K, V> {
    entries: Cache<K, V, ByWeight>,
}

impl<K, V> Kept<K, V>
where
    K: Eq + Hash + Weighed + Clone,
    V: Weighed + Clone,
{
    pub fn new(budget_bytes: u64) -> Kept<K, V> {
        // The entry estimate sizes the tables, not the memory bound: ~1 KiB an entry.
        let estimated_entries = usize::try_from(budget_bytes >> 10).unwrap_or(1024);
        Kept {
            entries: Cache::with_weighter(estimated_entries, budget_bytes, ByWeight),
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        self.entries.get(key)
    }

    pub fn keep(&self, key: K, value: V) {
        self.entries.insert(key, value);
    }

    /// Drops `key`'s value: for what was removed from the store (gc).
    pub fn forget<Q>(&self, key: &Q)
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        self.entries.remove(key);
    }
}

/// What is known of a [`Dated`] entry.
pub(crate) enum Recall<V> {
    /// Learnt within the time the reader trusts.
    Fresh(V),
    /// Learnt longer ago: usable while a fresh answer is fetched, or when none can be had.
    Stale(V),
    /// Never learnt, or forgotten.
    Unknown,
}

/// Values that age, each with the time it was learnt.
pub(crate) struct Dated<K, V> {
    entries: Cache<K, (Instant, V)>,
}

impl<K, V> Dated<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone,
{
    pub fn new(capacity: usize) -> Dated<K, V> {
        Dated {
            entries: Cache::new(capacity),
        }
    }

    pub fn remember(&self, key: K, value: V) {
        self.entries.insert(key, (Instant::now(), value));
    }

    /// The value and how long ago it was learnt.
    pub fn get<Q>(&self, key: &Q) -> Option<(V, Duration)>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        self.entries
            .get(key)
            .map(|(learnt, value)| (value, learnt.elapsed()))
    }

    /// The value if it was learnt less than `trusted_for` ago.
    pub fn fresh<Q>(&self, key: &Q, trusted_for: Duration) -> Option<V>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        self.get(key)
            .filter(|(_, age)| *age < trusted_for)
            .map(|(value, _)| value)
    }

    /// Fresh or stale by `trusted_for`, which may depend on the value (a "not found" is
    /// trusted for less time than an answer).
    pub fn recall<Q>(&self, key: &Q, trusted_for: impl Fn(&V) -> Duration) -> Recall<V>
    where
        Q: Hash + Equivalent<K> + ?Sized,
    {
        match self.get(key) {
            None => Recall::Unknown,
            Some((value, age)) if age < trusted_for(&value) => Recall::Fresh(value),
            Some((value, _)) => Recall::Stale(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_entries_age_by_the_readers_measure() {
        let dated: Dated<String, Option<u32>> = Dated::new(16);
        assert!(matches!(
            dated.recall("a", |_| Duration::MAX),
            Recall::Unknown
        ));
        dated.remember("a".to_owned(), Some(1));
        dated.remember("b".to_owned(), None);
        let trust = |v: &Option<u32>| match v {
            Some(_) => Duration::MAX,
            None => Duration::ZERO,
        };
        assert!(matches!(dated.recall("a", trust), Recall::Fresh(Some(1))));
        assert!(matches!(dated.recall("b", trust), Recall::Stale(None)));
        assert_eq!(dated.fresh("a", Duration::MAX), Some(Some(1)));
        assert_eq!(dated.fresh("a", Duration::ZERO), None);
    }

    #[test]
    fn kept_values_stay_within_their_budget() {
        let kept: Kept<String, Bytes> = Kept::new(64 << 10);
        for i in 0..1000 {
            kept.keep(format!("k{i}"), Bytes::from(vec![0u8; 1024]));
        }
        let held = (0..1000)
            .filter(|i| kept.get(format!("k{i}").as_str()).is_some())
            .count();
        assert!(held > 0 && held <= 64, "{held} entries of 1 KiB in 64 KiB");
    }
}
