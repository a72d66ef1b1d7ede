//! The upstream checksum database over HTTP: one GET per path, its failures sorted into the
//! kinds the callers branch on.

use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;

use super::SumdbError;
use crate::singleflight::{Interrupted, Singleflight};

/// Answers larger than this are not a checksum database's (a tile is 8 KiB, a lookup a few
/// hundred bytes): refused rather than held in memory.
const MAX_ANSWER_BYTES: usize = 1 << 20;

/// How long past its own timeout a shared GET is waited for.
const FLIGHT_GRACE: Duration = Duration::from_secs(5);

pub(super) struct Remote {
    client: reqwest::Client,
    /// Without a trailing slash.
    base: String,
    timeout: Duration,
    /// Never asked: modgate serves only what it has stored.
    offline: bool,
    /// Callers asking for one path at once share one GET: a burst of go commands after a
    /// release costs the database one request per tile or lookup, not one per command.
    in_flight: Singleflight<Result<Bytes, SumdbError>>,
}

impl Remote {
    pub fn new(client: reqwest::Client, base: &str, timeout: Duration, offline: bool) -> Remote {
        Remote {
            client,
            base: base.trim_end_matches('/').to_owned(),
            timeout,
            offline,
            in_flight: Singleflight::new(),
        }
    }

    /// Whether the database is never asked (`[upstream] offline`).
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// `GET <base>/<path>`. `what` names the request in errors (a module@version, a tile).
    /// 404 and 410 are `NotFound`; anything else but 200 is `Unreachable`, never `NotFound`.
    pub async fn get(&self, path: &str, what: &str) -> Result<Bytes, SumdbError> {
        let url = format!("{}/{path}", self.base);
        if self.offline {
            return Err(SumdbError::Unreachable(format!(
                "{what}: modgate is offline and does not ask the checksum database"
            )));
        }
        let fetch = || {
            let (client, url, what) = (self.client.clone(), url.clone(), what.to_owned());
            let timeout = self.timeout;
            async move { fetch(&client, &url, &what, timeout).await }
        };
        // The GET times out by itself; the grace only covers a flight that never ends.
        match self
            .in_flight
            .run(path, self.timeout + FLIGHT_GRACE, fetch)
            .await
        {
            Ok(outcome) => outcome,
            Err(Interrupted::Deadline) => Err(timed_out(what, &url)),
            Err(Interrupted::Panicked) => Err(SumdbError::Unreachable(format!(
                "{what}: asking the checksum database failed ({url})"
            ))),
        }
    }
}

/// One GET of `url`, its answer sorted as [`Remote::get`] says.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    what: &str,
    timeout: Duration,
) -> Result<Bytes, SumdbError> {
    let failed = |e: reqwest::Error| {
        if e.is_timeout() {
            timed_out(what, url)
        } else {
            SumdbError::Unreachable(format!(
                "{what}: checksum database unreachable ({url}): {}",
                root_cause(&e)
            ))
        }
    };
    let mut response = client
        .get(url)
        .timeout(timeout)
        .send()
        .await
        .map_err(failed)?;
    match response.status() {
        StatusCode::OK => {}
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            return Err(SumdbError::NotFound(format!(
                "{what}: not found in the checksum database"
            )));
        }
        status => {
            return Err(SumdbError::Unreachable(format!(
                "{what}: checksum database answered {status} ({url})"
            )));
        }
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_ANSWER_BYTES as u64)
    {
        return Err(too_large(what));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(too_large(what));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.into())
}

fn too_large(what: &str) -> SumdbError {
    SumdbError::Invalid(format!(
        "{what}: checksum database answer larger than {MAX_ANSWER_BYTES} bytes"
    ))
}

/// reqwest's own message is "error sending request for url (…)"; the cause says why.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn timed_out(what: &str, url: &str) -> SumdbError {
    SumdbError::Timeout(format!("{what}: checksum database timed out ({url})"))
}
