//! The audit ring: who did what to whom, lately. The last [`AUDIT_EVENTS`] events of this
//! process, for the admin pages, each also one log line (target `audit`). Never a secret in it:
//! a token is named by its id, a password never.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;
use time::OffsetDateTime;

/// Events kept in memory, per process.
pub(crate) const AUDIT_EVENTS: usize = 500;

/// One thing that happened.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct AuditEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it: a user or token name, `-` when nobody signed in.
    pub who: String,
    pub from: Option<IpAddr>,
    /// `publish`, `token.create`, `token.revoke`, `user.add`, `user.remove`, `user.passwd`,
    /// `sign-in`.
    pub action: String,
    /// What it was done to: module@version, a token id, a user name.
    pub target: String,
    /// `ok`, or why not, in a few words.
    pub outcome: String,
}

#[derive(Default)]
pub(super) struct AuditLog {
    events: Mutex<VecDeque<AuditEvent>>,
}

impl AuditLog {
    pub fn record(
        &self,
        who: &str,
        from: Option<IpAddr>,
        action: &str,
        target: &str,
        outcome: &str,
    ) {
        let from_text = from.map(|ip| ip.to_string()).unwrap_or_default();
        tracing::info!(target: "audit", who, from = %from_text, action, target, outcome, "audit");
        let event = AuditEvent {
            at: OffsetDateTime::now_utc(),
            who: who.to_owned(),
            from,
            action: action.to_owned(),
            target: target.to_owned(),
            outcome: outcome.to_owned(),
        };
        let mut events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        if events.len() >= AUDIT_EVENTS {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// The newest `limit` events, newest first.
    pub fn recent(&self, limit: usize) -> Vec<AuditEvent> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().rev().take(limit).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_events_newest_first() {
        let log = AuditLog::default();
        for i in 0..AUDIT_EVENTS + 10 {
            log.record("alice", None, "token.create", &i.to_string(), "ok");
        }
        let recent = log.recent(3);
        let targets: Vec<&str> = recent.iter().map(|e| e.target.as_str()).collect();
        let last = AUDIT_EVENTS + 9;
        assert_eq!(
            targets,
            [
                last.to_string(),
                (last - 1).to_string(),
                (last - 2).to_string()
            ]
        );
        assert_eq!(log.recent(usize::MAX).len(), AUDIT_EVENTS);
    }
}
