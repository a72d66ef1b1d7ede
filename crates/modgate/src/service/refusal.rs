//! Why a request gets no answer. Each kind has one meaning for the client (DESIGN.md's status
//! table); the HTTP layer maps kinds to statuses and nothing else.

use std::fmt;

pub(crate) use crate::source::FailureKind;

/// Why a request gets no answer; every message is one line for the client.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// No credentials where they are needed, or credentials that do not check out.
    #[error("{0}")]
    Unauthenticated(String),
    /// Known, or from an address, that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A path, version or upload that is not what the protocol takes.
    #[error("{0}")]
    Malformed(String),
    /// Not here; the client may ask the next proxy.
    #[error("{0}")]
    NotFound(String),
    /// Not here, and the client must not ask elsewhere: the name is private.
    #[error("{0}")]
    NotHere(String),
    /// Held or fetchable, but a filter rule denies it.
    #[error("{0}")]
    Denied(String),
    /// A zip or go.mod the go command would refuse (publishing).
    #[error("{0}")]
    Invalid(String),
    /// The version exists with other bytes (publishing).
    #[error("{0}")]
    Conflict(String),
    /// Deleted by an admin, for good (the tombstone's line: `deleted: <reason>`).
    #[error("{0}")]
    Gone(String),
    /// Storage, an upstream or the checksum database failed: never "not found".
    #[error("{0}")]
    Failed(Failure),
}

/// A failure to answer, with what it concerns and its cause.
#[derive(Debug)]
pub(crate) struct Failure {
    kind: FailureKind,
    /// The module, version or file it concerns.
    context: String,
    /// The cause, for the log: it may name files and hosts the client need not see.
    cause: String,
}

impl Failure {
    pub fn new(kind: FailureKind, context: impl Into<String>, cause: impl fmt::Display) -> Self {
        Failure {
            kind,
            context: context.into(),
            cause: cause.to_string(),
        }
    }

    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    /// The line the client gets: upstream and checksum failures say what happened (the
    /// `go` command shows it, and it names nothing private); storage failures only that the
    /// store is unavailable.
    pub fn public_reason(&self) -> String {
        match self.kind {
            FailureKind::Storage => {
                format!("{}: storage unavailable, try again later", self.context)
            }
            FailureKind::Internal => format!("{}: internal error, try again later", self.context),
            FailureKind::Upstream | FailureKind::Timeout | FailureKind::Tampered => {
                self.cause.clone()
            }
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.context, self.cause)
    }
}

impl Refusal {
    /// Whether this says what is not here (a 404, or a private route's refusal): an answer
    /// that only a write to the store changes, and so may be kept for a moment.
    pub fn is_absence(&self) -> bool {
        matches!(self, Refusal::NotFound(_) | Refusal::NotHere(_))
    }

    /// Reports a failure once, where every request's outcome passes (the service's entry
    /// points): storage and upstream failures are logged with their cause, and a checksum
    /// mismatch is a security event, logged and counted.
    pub fn reported(self) -> Refusal {
        if let Refusal::Failed(failure) = &self {
            match failure.kind {
                FailureKind::Tampered => {
                    tracing::error!(context = %failure.context, cause = %failure.cause, "SECURITY ERROR: checksum mismatch");
                    metrics::counter!("modgate_security_events_total", "kind" => "checksum_mismatch")
                        .increment(1);
                }
                FailureKind::Storage => {
                    tracing::error!(context = %failure.context, cause = %failure.cause, "storage unavailable");
                }
                FailureKind::Internal => {
                    tracing::error!(context = %failure.context, cause = %failure.cause, "internal error");
                }
                FailureKind::Upstream | FailureKind::Timeout => {
                    tracing::warn!(context = %failure.context, cause = %failure.cause, "upstream failed");
                }
            }
        }
        self
    }
}
