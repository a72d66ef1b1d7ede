//! How far a long transfer has come, so that those waiting on it can tell slow from stalled.
//!
//! A large zip from a slow upstream may take longer than any fixed limit, and must not be cut
//! off while bytes keep coming: the upstream fetch counts what it receives (`Progress`); a
//! request that waits on it names it (`watch`), and the request's time limit, instead of
//! ending at its deadline, waits another period while what it watches has moved
//! (`watched_total`). A stall still ends at the limit.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes received so far by one transfer; clones share the count.
#[derive(Clone, Default)]
pub(crate) struct Progress(Arc<AtomicU64>);

impl Progress {
    pub fn advance(&self, bytes: u64) {
        self.0.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

tokio::task_local! {
    /// The transfers the current request waits on.
    static WATCHED: RefCell<Vec<Progress>>;
}

/// Runs `work` as a request that may `watch` transfers; `watched_total` reads them inside it.
pub(crate) async fn watching<F: Future>(work: F) -> F::Output {
    WATCHED.scope(RefCell::new(Vec::new()), work).await
}

/// The current request waits on `progress`. Outside `watching`, nothing.
pub(crate) fn watch(progress: &Progress) {
    let _ = WATCHED.try_with(|watched| watched.borrow_mut().push(progress.clone()));
}

/// What the transfers the current request watches have received, together.
pub(crate) fn watched_total() -> u64 {
    WATCHED
        .try_with(|watched| watched.borrow().iter().map(Progress::get).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_sees_what_it_watches() {
        let progress = Progress::default();
        let other = Progress::default();
        let seen = watching(async {
            watch(&progress);
            progress.advance(10);
            other.advance(5);
            watched_total()
        })
        .await;
        assert_eq!(seen, 10);
        // Outside a request: nothing watched, no failure.
        watch(&progress);
        assert_eq!(watched_total(), 0);
    }
}
