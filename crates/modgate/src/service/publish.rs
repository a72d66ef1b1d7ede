//! Publishing through the service: the route and the caller's right to write, then the one
//! checker and the version writer.

use std::path::PathBuf;

use gomod::ModuleVersion;
use time::OffsetDateTime;

use super::{Caller, Failure, FailureKind, Published, Refusal, Service};
use crate::auth::Action;
use crate::writer::{Origin, Strictness, WriteError, check};

/// A zip received for publishing, in a local file the caller owns.
pub(crate) struct Upload {
    pub version: ModuleVersion,
    pub zip: PathBuf,
    /// The version's time; now when absent.
    pub time: Option<OffsetDateTime>,
}

impl Service {
    /// Whether `caller` may publish `version`: asked before an upload is received, so that
    /// nobody without the right can make the server spool 500 MiB.
    pub fn may_publish(&self, caller: &Caller, version: &ModuleVersion) -> Result<(), Refusal> {
        let outcome = self.check_publish(caller, version);
        if let Err(refusal) = &outcome {
            self.audit_publish(caller, version, refusal);
        }
        outcome
    }

    fn check_publish(&self, caller: &Caller, version: &ModuleVersion) -> Result<(), Refusal> {
        let Some(route) = self.routes.find(version.path().as_str()) else {
            return Err(Refusal::NotFound(format!(
                "{}: no route of this proxy serves it",
                version.path()
            )));
        };
        self.authorize(caller, route, Action::Write)?;
        // Before the upload is received; the writer asks the store again.
        match self.deleted(version.path(), version.version().as_str()) {
            Some(gone) => Err(gone),
            None => Ok(()),
        }
    }

    /// Checks an upload as the go command checks a download, and writes it, immutably.
    pub async fn publish(&self, caller: &Caller, upload: Upload) -> Result<Published, Refusal> {
        self.may_publish(caller, &upload.version)?;
        let refusal = |e| write_refusal(&upload.version, e).reported();
        let origin = Origin::Published {
            by: caller.name().to_owned(),
        };
        let outcome =
            match check::zip(&upload.version, upload.zip.clone(), Strictness::Upload).await {
                Ok(zip) => self
                    .writer
                    .publish(&upload.version, &zip, upload.time, &origin)
                    .await
                    .map_err(refusal),
                Err(e) => Err(refusal(e)),
            };
        match &outcome {
            Ok(_) => {
                let target = upload.version.to_string();
                self.audit.record(
                    caller.name(),
                    Some(caller.address()),
                    "publish",
                    &target,
                    "ok",
                );
            }
            Err(refusal) => self.audit_publish(caller, &upload.version, refusal),
        }
        outcome
    }

    fn audit_publish(&self, caller: &Caller, version: &ModuleVersion, refusal: &Refusal) {
        let outcome = match refusal {
            Refusal::Failed(failure) => failure.public_reason(),
            other => other.to_string(),
        };
        let target = version.to_string();
        self.audit.record(
            caller.name(),
            Some(caller.address()),
            "publish",
            &target,
            &outcome,
        );
    }
}

/// What the writer's "no" means to the client.
pub(super) fn write_refusal(version: &ModuleVersion, error: WriteError) -> Refusal {
    match error {
        WriteError::Invalid(reason) => Refusal::Invalid(reason),
        WriteError::Conflict(reason) => Refusal::Conflict(reason),
        WriteError::Gone(reason) => Refusal::Gone(reason),
        WriteError::Storage(e) => {
            Refusal::Failed(Failure::new(FailureKind::Storage, version.to_string(), e))
        }
        WriteError::Internal(reason) => Refusal::Failed(Failure::new(
            FailureKind::Internal,
            version.to_string(),
            reason,
        )),
        WriteError::Log(e) => Refusal::Failed(Failure::new(e.kind(), version.to_string(), e)),
    }
}
