//! Asking the upstream proxies, in order, with the fall-through rules of `GOPROXY`: after a `,`
//! only "not found" (404/410) moves on to the next proxy, after a `|` any failure does. A failure
//! is never turned into "not found": that would send the go command elsewhere.

use std::path::Path;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;

use super::{UpstreamError, UpstreamSettings};
use crate::progress::Progress;

/// The largest `list`, `.info`, `.mod` or `@latest` answer taken (the go command's limit on a
/// go.mod).
const MAX_SMALL_ANSWER: usize = gomod::MAX_GO_MOD as usize;
/// The largest zip taken (the module zip limit).
const MAX_ZIP: u64 = gomod::MAX_ZIP_FILE;

/// One entry of the proxy list.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct UpstreamProxy {
    /// The base URL without a trailing slash and without credentials.
    pub url: String,
    /// From the URL's user info, sent as Basic auth.
    pub credentials: Option<(String, String)>,
    /// Written `|` after this entry: any failure, not only 404/410, moves on to the next.
    pub fall_through_on_error: bool,
}

impl std::fmt::Debug for UpstreamProxy {
    // Credentials stay out of logs and error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProxy")
            .field("url", &self.url)
            .field("credentials", &self.credentials.as_ref().map(|_| "…"))
            .field("fall_through_on_error", &self.fall_through_on_error)
            .finish()
    }
}

pub(crate) struct UpstreamClient {
    http: reqwest::Client,
    proxies: Vec<UpstreamProxy>,
    timeout: Duration,
    zip_timeout: Duration,
}

/// Where an answer's body goes.
enum Sink<'a> {
    Memory,
    /// A zip's bytes, counted as they arrive.
    File(&'a Path, &'a Progress),
}

enum Body {
    Memory(Bytes),
    File,
}

enum Attempt {
    Found(Body),
    NotFound,
    Failed(UpstreamError),
}

impl UpstreamClient {
    /// `http`: the outbound client's settings (`crate::outbound`), to which the upstream's
    /// time limits are added.
    pub fn new(
        settings: &UpstreamSettings,
        http: reqwest::ClientBuilder,
    ) -> Result<UpstreamClient, reqwest::Error> {
        let http = http
            .connect_timeout(settings.timeout)
            // A stalled answer (no bytes for this long) fails even while a zip's whole-download
            // deadline is far away.
            .read_timeout(settings.timeout)
            .build()?;
        Ok(UpstreamClient {
            http,
            proxies: settings.proxies.clone(),
            timeout: settings.timeout,
            zip_timeout: settings.zip_timeout,
        })
    }

    /// A small answer at `path` (an escaped GOPROXY path such as `example.com/!a/@v/list`);
    /// `None` when the proxies say it does not exist.
    pub async fn get(&self, path: &str) -> Result<Option<Bytes>, UpstreamError> {
        match self.ask(path, Sink::Memory, self.timeout).await? {
            Some(Body::Memory(bytes)) => Ok(Some(bytes)),
            Some(Body::File) | None => Ok(None),
        }
    }

    /// Downloads a zip at `path` into `file`, counting its bytes in `progress`; `false` when
    /// the proxies say it does not exist. `zip_timeout` limits the wait for the answer to
    /// start; then there is no limit on the whole while bytes keep coming (a pause longer
    /// than `timeout` fails it): a 70 MB toolchain from a slow upstream takes what it takes.
    pub async fn download(
        &self,
        path: &str,
        file: &Path,
        progress: &Progress,
    ) -> Result<bool, UpstreamError> {
        Ok(self
            .ask(path, Sink::File(file, progress), self.zip_timeout)
            .await?
            .is_some())
    }

    /// Asks each proxy in turn. As the go command does, a failure outranks "not found": when one
    /// proxy failed and a later one said 404, the answer is the failure.
    async fn ask(
        &self,
        path: &str,
        sink: Sink<'_>,
        deadline: Duration,
    ) -> Result<Option<Body>, UpstreamError> {
        let mut failure = None;
        for proxy in &self.proxies {
            let url = format!("{}/{path}", proxy.url);
            let attempt = match &sink {
                // A zip's deadline is for its answer to start (see `attempt`).
                Sink::File(..) => self.attempt(proxy, &url, &sink, deadline).await,
                Sink::Memory => {
                    let whole = self.attempt(proxy, &url, &sink, deadline);
                    match tokio::time::timeout(deadline, whole).await {
                        Ok(attempt) => attempt,
                        Err(_) => Attempt::Failed(UpstreamError::Timeout(format!(
                            "upstream {url}: no complete answer within {}s",
                            deadline.as_secs()
                        ))),
                    }
                }
            };
            let outcome = match &attempt {
                Attempt::Found(_) => "found",
                Attempt::NotFound => "not_found",
                Attempt::Failed(UpstreamError::Timeout(_)) => "timeout",
                Attempt::Failed(_) => "failed",
            };
            metrics::counter!("modgate_upstream_requests_total", "outcome" => outcome).increment(1);
            match attempt {
                Attempt::Found(body) => return Ok(Some(body)),
                Attempt::NotFound => {}
                Attempt::Failed(error) => {
                    tracing::warn!(%url, cause = %error, "upstream failed");
                    if !proxy.fall_through_on_error {
                        return Err(error);
                    }
                    failure = Some(error);
                }
            }
        }
        failure.map_or(Ok(None), Err)
    }

    /// One proxy's answer; `deadline` for its status and headers.
    async fn attempt(
        &self,
        proxy: &UpstreamProxy,
        url: &str,
        sink: &Sink<'_>,
        deadline: Duration,
    ) -> Attempt {
        let mut request = self.http.get(url);
        if let Some((user, password)) = &proxy.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = match tokio::time::timeout(deadline, request.send()).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Attempt::Failed(request_error(url, &e)),
            Err(_) => {
                return Attempt::Failed(UpstreamError::Timeout(format!(
                    "upstream {url}: no answer within {}s",
                    deadline.as_secs()
                )));
            }
        };
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Attempt::NotFound;
        }
        if !status.is_success() {
            let reason = response.text().await.unwrap_or_default();
            let reason = reason.lines().next().unwrap_or("").trim();
            return Attempt::Failed(UpstreamError::Failed(format!(
                "upstream {url}: {status}{}{reason}",
                if reason.is_empty() { "" } else { ": " }
            )));
        }
        let body = match sink {
            Sink::Memory => read_limited(url, response).await.map(Body::Memory),
            Sink::File(file, progress) => write_limited(url, response, file, progress)
                .await
                .map(|()| Body::File),
        };
        match body {
            Ok(body) => Attempt::Found(body),
            Err(error) => Attempt::Failed(error),
        }
    }
}

async fn read_limited(url: &str, mut response: reqwest::Response) -> Result<Bytes, UpstreamError> {
    let too_large = || {
        UpstreamError::Failed(format!(
            "upstream {url}: answer larger than {MAX_SMALL_ANSWER} bytes"
        ))
    };
    if response
        .content_length()
        .is_some_and(|n| n > MAX_SMALL_ANSWER as u64)
    {
        return Err(too_large());
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| request_error(url, &e))? {
        if body.len() + chunk.len() > MAX_SMALL_ANSWER {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

async fn write_limited(
    url: &str,
    mut response: reqwest::Response,
    path: &Path,
    progress: &Progress,
) -> Result<(), UpstreamError> {
    let too_large =
        || UpstreamError::Failed(format!("upstream {url}: zip larger than {MAX_ZIP} bytes"));
    if response.content_length().is_some_and(|n| n > MAX_ZIP) {
        return Err(too_large());
    }
    let local = |e: std::io::Error| {
        UpstreamError::Failed(format!("saving {url} to {}: {e}", path.display()))
    };
    let mut file = tokio::fs::File::create(path).await.map_err(local)?;
    let mut written: u64 = 0;
    while let Some(chunk) = response.chunk().await.map_err(|e| request_error(url, &e))? {
        written += chunk.len() as u64;
        if written > MAX_ZIP {
            return Err(too_large());
        }
        file.write_all(&chunk).await.map_err(local)?;
        progress.advance(chunk.len() as u64);
    }
    file.flush().await.map_err(local)?;
    Ok(())
}

fn request_error(url: &str, error: &reqwest::Error) -> UpstreamError {
    // reqwest's Display stops at "error sending request"; the cause chain says what happened.
    let mut text = format!("upstream {url}: {error}");
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    if error.is_timeout() {
        UpstreamError::Timeout(text)
    } else {
        UpstreamError::Failed(text)
    }
}
