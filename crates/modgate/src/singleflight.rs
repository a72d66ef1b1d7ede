//! One piece of work per key at a time: callers that arrive while it runs wait for the same
//! outcome instead of starting their own.
//!
//! The work runs as its own task, so a caller that goes away (a client hanging up) neither
//! cancels it for the others nor leaves a half-done fetch behind.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use crate::progress::Progress;

/// Why a caller got no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupted {
    /// The work did not finish within the caller's deadline (it goes on for the others).
    Deadline,
    /// The work panicked.
    Panicked,
}

type Flight<T> = Shared<BoxFuture<'static, Option<T>>>;
/// Running work by key, and how far each has come (for work that counts its bytes).
type Flights<T> = HashMap<String, (Flight<T>, Progress)>;

pub(crate) struct Singleflight<T: Clone> {
    flights: Arc<Mutex<Flights<T>>>,
}

impl<T: Clone + Send + Sync + 'static> Singleflight<T> {
    pub fn new() -> Self {
        Singleflight {
            flights: Arc::default(),
        }
    }

    /// The outcome of the work for `key`: started now from `work()` unless it is already
    /// running, waited for at most `deadline`.
    pub async fn run<F>(
        &self,
        key: &str,
        deadline: Duration,
        work: impl FnOnce() -> F,
    ) -> Result<T, Interrupted>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let (flight, _) = self.join_or_start(key, |_| work());
        match tokio::time::timeout(deadline, flight).await {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => Err(Interrupted::Panicked),
            Err(_) => Err(Interrupted::Deadline),
        }
    }

    /// As `run`, for work that counts what it receives in the `Progress` it is given:
    /// `idle` limits each wait with no progress, not the whole (a large download from a slow
    /// but live upstream takes as long as it takes). The caller's request watches it too
    /// (`progress::watch`), so its own time limit is extended alike.
    pub async fn run_while_alive<F>(
        &self,
        key: &str,
        idle: Duration,
        work: impl FnOnce(Progress) -> F,
    ) -> Result<T, Interrupted>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let (mut flight, progress) = self.join_or_start(key, work);
        crate::progress::watch(&progress);
        let mut seen = progress.get();
        loop {
            match tokio::time::timeout(idle, &mut flight).await {
                Ok(Some(outcome)) => return Ok(outcome),
                Ok(None) => return Err(Interrupted::Panicked),
                Err(_) if progress.get() == seen => return Err(Interrupted::Deadline),
                Err(_) => seen = progress.get(),
            }
        }
    }

    /// Starts the work for `key` unless it is already running, and waits for none of it:
    /// callers of `run_while_alive` for the same key that come later join it.
    pub fn start_while_alive<F>(&self, key: &str, work: impl FnOnce(Progress) -> F)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let (flight, _) = self.join_or_start(key, work);
        // Someone must wait on the flight for its key to be removed when it is done.
        tokio::spawn(flight);
    }

    fn join_or_start<F>(&self, key: &str, work: impl FnOnce(Progress) -> F) -> (Flight<T>, Progress)
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((flight, progress)) = flights.get(key) {
            return (flight.clone(), progress.clone());
        }
        let progress = Progress::default();
        let task = tokio::spawn(work(progress.clone()));
        let registry = self.flights.clone();
        let owned_key = key.to_owned();
        let flight = async move {
            let outcome = task.await.ok();
            // Later callers start afresh: by then the outcome is in the store (or was a failure
            // worth retrying).
            registry
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&owned_key);
            outcome
        }
        .boxed()
        .shared();
        flights.insert(key.to_owned(), (flight.clone(), progress.clone()));
        (flight, progress)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn concurrent_callers_share_one_run() {
        let flights = Arc::new(Singleflight::<usize>::new());
        let runs = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..20)
            .map(|_| {
                let flights = flights.clone();
                let runs = runs.clone();
                tokio::spawn(async move {
                    flights
                        .run("k", Duration::from_secs(5), || async move {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            runs.fetch_add(1, Ordering::SeqCst) + 100
                        })
                        .await
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.expect("caller"), Ok(100));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // Finished work is forgotten: the next caller runs again.
        let again = flights
            .run("k", Duration::from_secs(5), || async { 7 })
            .await;
        assert_eq!(again, Ok(7));
    }

    #[tokio::test]
    async fn a_deadline_leaves_the_work_running() {
        let flights = Singleflight::<u8>::new();
        // Long enough to still be running when the second caller comes, however busy the machine.
        let slow = || async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            1
        };
        assert_eq!(
            flights.run("k", Duration::from_millis(10), slow).await,
            Err(Interrupted::Deadline)
        );
        // Joins the same run rather than starting one that would answer 2.
        let joined = flights
            .run("k", Duration::from_secs(5), || async { 2 })
            .await;
        assert_eq!(joined, Ok(1));
    }

    #[tokio::test]
    async fn a_stall_ends_the_wait_of_work_that_counts_its_bytes() {
        let flights = Singleflight::<u8>::new();
        // Never receives anything: the idle limit ends the wait, and the work goes on.
        let stalled = flights
            .run_while_alive("s", Duration::from_millis(20), |_| {
                std::future::pending::<u8>()
            })
            .await;
        assert_eq!(stalled, Err(Interrupted::Deadline));
    }

    fn flights_panic() -> bool {
        true
    }

    #[tokio::test]
    async fn a_panic_is_an_outcome_too() {
        let flights = Singleflight::<u8>::new();
        let outcome = flights
            .run("k", Duration::from_secs(5), || async {
                if flights_panic() {
                    panic!("boom");
                }
                0
            })
            .await;
        assert_eq!(outcome, Err(Interrupted::Panicked));
    }
}
