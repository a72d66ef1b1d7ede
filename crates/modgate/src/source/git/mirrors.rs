//! The bare mirrors of a route's repositories, one per repository URL, kept in the cache
//! directory across restarts and fetched incrementally: when older than a caller allows, one
//! fetch per repository at a time however many requests ask (`singleflight`; across
//! processes, `codehost` locks the mirror). A fetch that moves or deletes a tag is logged and
//! counted: versions already built from it stay as they were served.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use codehost::{Credentials, Mirror, Network, Refs, Remote};

use super::{Found, GitError, GitSettings, found};
use crate::singleflight::{Interrupted, Singleflight};

/// How long a request waits for a fetch another request started, past the fetch's own limit.
const FETCH_GRACE: Duration = Duration::from_secs(5);

pub(super) struct Mirrors {
    cache_dir: PathBuf,
    network: Network,
    credentials: Option<Credentials>,
    insecure_http: bool,
    open: Mutex<HashMap<String, Arc<Mirror>>>,
    fetches: Singleflight<Result<Option<()>, GitError>>,
}

impl Mirrors {
    pub fn new(cache_dir: PathBuf, network: Network, settings: &GitSettings) -> Mirrors {
        Mirrors {
            cache_dir,
            network,
            credentials: settings.credentials.clone(),
            insecure_http: settings.insecure_http,
            open: Mutex::default(),
            fetches: Singleflight::new(),
        }
    }

    /// The mirror of `url`, fetched first when its last fetch is older than `max_age` (or when
    /// it was never fetched); `None` when the repository is not there for modgate.
    pub async fn fetch(&self, url: &str, max_age: Duration) -> Found<Arc<Mirror>> {
        let mirror = self.mirror(url).await?;
        let fresh = mirror
            .fetched_at()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < max_age);
        if fresh {
            return Ok(Some(mirror));
        }
        let fetching = mirror.clone();
        let fetched = self
            .fetches
            .run(
                url,
                self.network.fetch_timeout + FETCH_GRACE,
                move || async move {
                    let before = fetching.refs();
                    let outcome = tokio::task::spawn_blocking(move || fetching.fetch())
                        .await
                        .map_err(|e| GitError::internal(format!("a git fetch stopped: {e}")))?;
                    let after = found(outcome)?;
                    if let Some(after) = &after {
                        report_moved_tags(&before, after);
                    }
                    Ok(after.map(drop))
                },
            )
            .await
            .unwrap_or_else(|why| Err(interrupted(url, why)))?;
        Ok(fetched.map(|()| mirror))
    }

    /// Whether the mirror of `url` is open here.
    pub fn is_open(&self, url: &str) -> bool {
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(url)
    }

    /// The mirror of `url`, opened (and created, empty, the first time) on first use.
    async fn mirror(&self, url: &str) -> Result<Arc<Mirror>, GitError> {
        if let Some(mirror) = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(url)
        {
            return Ok(mirror.clone());
        }
        let remote = Remote::new(url)
            .map_err(|e| GitError::from_codehost(&e))?
            .with_credentials(self.credentials.clone())
            .with_network(self.network.clone())
            .allow_plain_http_credentials(self.insecure_http);
        let cache_dir = self.cache_dir.clone();
        let opened = tokio::task::spawn_blocking(move || Mirror::open(&cache_dir, &remote))
            .await
            .map_err(|e| GitError::internal(format!("a git task stopped: {e}")))?
            .map_err(|e| GitError::from_codehost(&e))?;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(open
            .entry(url.to_owned())
            .or_insert_with(|| Arc::new(opened))
            .clone())
    }
}

/// Logs and counts the tags a fetch moved or deleted.
fn report_moved_tags(before: &Refs, after: &Refs) {
    for (tag, id) in before.tags_with_prefix("") {
        match after.tag(tag) {
            Some(now) if now == id => {}
            now => {
                let what = if now.is_some() { "moved" } else { "deleted" };
                tracing::warn!(%tag, was = %id, ?now, "a git tag was {what}; versions built from it stay as served");
                metrics::counter!("modgate_git_tags_changed_total", "change" => what).increment(1);
            }
        }
    }
}

fn interrupted(url: &str, why: Interrupted) -> GitError {
    let url = codehost::redact_url(url);
    match why {
        Interrupted::Deadline => GitError {
            kind: crate::source::FailureKind::Timeout,
            message: format!("git: {url}: still fetching; try again"),
        },
        Interrupted::Panicked => GitError::internal(format!("git: {url}: the fetch failed")),
    }
}
