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

/// Why a caller got no outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Interrupted {
    /// The work did not finish within the caller's deadline (it goes on for the others).
    Deadline,
    /// The work panicked.
    Panicked,
}

type Flight<T> = Shared<BoxFuture<'static, Option<T>>>;

pub(crate) struct Singleflight<T: Clone> {
    flights: Arc<Mutex<HashMap<String, Flight<T>>>>,
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
        let flight = self.join_or_start(key, work);
        match tokio::time::timeout(deadline, flight).await {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => Err(Interrupted::Panicked),
            Err(_) => Err(Interrupted::Deadline),
        }
    }

    fn join_or_start<F>(&self, key: &str, work: impl FnOnce() -> F) -> Flight<T>
    where
        F: Future<Output = T> + Send + 'static,
    {
        let mut flights = self.flights.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flight) = flights.get(key) {
            return flight.clone();
        }
        let task = tokio::spawn(work());
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
        flights.insert(key.to_owned(), flight.clone());
        flight
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
