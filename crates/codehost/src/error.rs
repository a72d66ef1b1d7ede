//! The one error type: what went wrong, about what, and why, with query methods for the caller
//! that must choose an answer (`is_not_found`, `is_unreachable`, …) without matching strings.

/// A boxed cause, kept for the `source()` chain.
pub(crate) type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What kind of failure an [`Error`] is. The server maps these to answers; the message is
/// for people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The repository does not exist at its URL (HTTP 404 from the git host, or a go-import
    /// page that names no repository for the path).
    RepoNotFound,
    /// The credentials were refused, or the host wants credentials and has none (HTTP 401/403).
    AuthFailed,
    /// The host could not be reached: DNS, connect or TLS failure, a proxy refusing, or a 5xx.
    Unreachable,
    /// The host was reached but did not answer in time.
    Timeout,
    /// The revision (tag, branch, commit hash) is not in the repository.
    UnknownRevision,
    /// The revision exists, but is not a version of this module (wrong go.mod, missing
    /// go.mod below the root, major-version mismatch, a file too large…). The message says
    /// which, in the go command's words.
    NotModuleVersion,
    /// The query is malformed for this module (a non-canonical version where one is needed).
    InvalidQuery,
    /// The repository has no commits, or no default branch.
    NoCommits,
    /// The configuration is unusable: a bad URL, an unreadable CA file, a bad proxy.
    Config,
    /// Anything else: a corrupt mirror, an I/O error in the cache directory, a protocol error.
    Internal,
}

/// An error from a repository: the kind, what it was about (a module and version, or a
/// repository URL with any credentials removed), a message, and the cause.
#[derive(Debug, thiserror::Error)]
#[error("{subject}{sep}{message}", sep = if subject.is_empty() { "" } else { ": " })]
pub struct Error {
    kind: ErrorKind,
    subject: String,
    message: String,
    #[source]
    source: Option<Cause>,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        subject: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            kind,
            subject: subject.into(),
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Into<Cause>) -> Error {
        self.source = Some(source.into());
        self
    }

    /// Replaces the subject (e.g. a revision with `module@revision`).
    pub(crate) fn about(mut self, subject: impl Into<String>) -> Error {
        self.subject = subject.into();
        self
    }

    pub(crate) fn internal(subject: impl Into<String>, message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, subject, message)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// What the error is about: `module@version`, or a repository URL without credentials.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The message alone, without the subject.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The repository, revision or version does not exist, or is not a version of the
    /// module: an answer the go command reads as "not found".
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::RepoNotFound
                | ErrorKind::UnknownRevision
                | ErrorKind::NotModuleVersion
                | ErrorKind::NoCommits
        )
    }

    /// The repository itself does not exist.
    pub fn is_repo_not_found(&self) -> bool {
        self.kind == ErrorKind::RepoNotFound
    }

    /// The host refused the credentials, or asked for some.
    pub fn is_auth_failed(&self) -> bool {
        self.kind == ErrorKind::AuthFailed
    }

    /// The host could not be reached at all (not a timeout).
    pub fn is_unreachable(&self) -> bool {
        self.kind == ErrorKind::Unreachable
    }

    /// The host did not answer in time.
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
