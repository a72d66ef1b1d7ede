//! Why a fetch failed, asked of the host directly.
//!
//! gix's errors say that a fetch failed but not in a form worth branching on, so after a
//! failure we make one plain request for the repository's ref advertisement
//! (`GET <url>/info/refs?service=git-upload-pack`, with the same credentials, proxy and CA)
//! and read its status, as the go command does with `web.GetBytes` after a failed
//! `git ls-remote`: 404 means the repository does not exist, 401/403 that the credentials
//! are missing or refused, a connect error or a 5xx that the host is unreachable.

use crate::error::{Error, ErrorKind};
use crate::remote::Remote;

/// Gives `err`, from a failed fetch of `remote`, the kind the host's answer shows.
pub(crate) fn classify(remote: &Remote, err: Error) -> Error {
    let kind = match probe(remote) {
        Ok(status) => match status {
            401 | 403 => ErrorKind::AuthFailed,
            404 | 410 => ErrorKind::RepoNotFound,
            500..=599 => ErrorKind::Unreachable,
            // The host answers; the failure was ours or the protocol's.
            _ => ErrorKind::Internal,
        },
        Err(kind) => kind,
    };
    let message = match kind {
        ErrorKind::AuthFailed => "authentication failed (missing or refused credentials)",
        ErrorKind::RepoNotFound => "repository not found",
        ErrorKind::Timeout => "timed out",
        ErrorKind::Unreachable => "host unreachable",
        _ => "git fetch failed",
    };
    let subject = err.subject().to_owned();
    Error::new(kind, subject, message).with_source(err)
}

/// The HTTP status of the ref advertisement, or the kind of the transport failure.
fn probe(remote: &Remote) -> Result<u16, ErrorKind> {
    let client = remote.network.client().map_err(|_| ErrorKind::Config)?;
    let url = format!(
        "{}/info/refs?service=git-upload-pack",
        remote.url().trim_end_matches('/')
    );
    let mut request = client.get(url);
    if let Ok(Some(c)) = remote.credentials_to_send() {
        request = request.basic_auth(&c.username, Some(&c.password));
    }
    match request.send() {
        Ok(response) => Ok(response.status().as_u16()),
        Err(e) if e.is_timeout() => Err(ErrorKind::Timeout),
        Err(_) => Err(ErrorKind::Unreachable),
    }
}
