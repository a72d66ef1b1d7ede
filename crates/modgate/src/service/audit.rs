//! The audit log: who did what to whom, from where, and how it went. Every event is made here
//! ([`AuditLog::record`]): kept in a ring of the last [`AUDIT_EVENTS`] for the admin pages, one
//! log line (target `audit`), and, when `[audit]` says so, one JSON line appended (and flushed)
//! to a file and/or written to stderr. Never a secret in it: a token is named by its id, a
//! password never.
//!
//! A single failed sign-in is kept in the ring only; the file gets one event per client
//! address at the [`FAILURES_REPORTED_AT`]th failure within [`FAILURE_WINDOW`], then one per
//! further [`FAILURES_REPORTED_EVERY`], so a password-guessing client cannot fill the disk.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Events kept in memory, per process.
pub(crate) const AUDIT_EVENTS: usize = 500;

/// Failed sign-ins from one address are counted within this window, from the first.
pub(crate) const FAILURE_WINDOW: Duration = Duration::from_secs(600);
/// The failure in a window that makes the first event.
pub(crate) const FAILURES_REPORTED_AT: u32 = 5;
/// Then one more event per this many further failures.
pub(crate) const FAILURES_REPORTED_EVERY: u32 = 10;
/// Addresses counted at once; past this, windows that ended are dropped, then the oldest.
const FAILING_ADDRESSES: usize = 10_000;

/// `[audit]`: where events are written besides the ring and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuditSettings {
    /// A file that JSON lines are appended to (created, mode 0600).
    pub file: Option<PathBuf>,
    /// Also write each JSON line to stderr.
    pub stderr: bool,
}

/// One thing that happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AuditEvent {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who did it: a user or token name, `-` when nobody signed in.
    pub who: String,
    pub from: Option<IpAddr>,
    /// `publish`, `delete`, `restore`, `gc.evict`, `bundle.import`, `token.create`,
    /// `token.revoke`, `user.add`, `user.remove`, `user.passwd`, `sign-in` (one failure, ring
    /// only), `sign-in.failures` (repeated failures from one address).
    pub action: String,
    /// What it was done to: module@version, a token id, a user name.
    pub target: String,
    /// `ok`, or why not, in a few words.
    pub outcome: String,
}

/// Failed sign-ins from one address in the current window.
#[derive(Debug, Clone, Copy)]
struct Failures {
    since: Instant,
    count: u32,
}

#[derive(Default)]
pub(crate) struct AuditLog {
    events: Mutex<VecDeque<AuditEvent>>,
    file: Option<Mutex<File>>,
    stderr: bool,
    failures: Mutex<HashMap<IpAddr, Failures>>,
}

impl AuditLog {
    /// The log `settings` describe; opens (creates) its file for appending.
    pub fn new(settings: &AuditSettings) -> std::io::Result<AuditLog> {
        let file = settings.file.as_deref().map(open_append).transpose()?;
        Ok(AuditLog {
            file: file.map(Mutex::new),
            stderr: settings.stderr,
            ..AuditLog::default()
        })
    }

    /// Records an event: the ring, the log line, and the file and stderr if configured.
    pub fn record(
        &self,
        who: &str,
        from: Option<IpAddr>,
        action: &str,
        target: &str,
        outcome: &str,
    ) {
        let event = self.keep(who, from, action, target, outcome);
        self.write(&event);
    }

    /// A failed sign-in (Basic, form or token) from `client`, claiming `target`: in the ring;
    /// written out only when it makes the failures from `client` repeated.
    pub fn failed_sign_in(&self, client: IpAddr, target: &str, why: &str) {
        self.keep("-", Some(client), "sign-in", target, why);
        if let Some(count) = self.count_failure(client, Instant::now()) {
            let outcome = format!(
                "{count} failed sign-ins within {} minutes; the last: {why}",
                FAILURE_WINDOW.as_secs() / 60
            );
            self.record("-", Some(client), "sign-in.failures", target, &outcome);
        }
    }

    /// Counts a failure at `now`; the count when it is one to report.
    fn count_failure(&self, client: IpAddr, now: Instant) -> Option<u32> {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        if failures.len() >= FAILING_ADDRESSES && !failures.contains_key(&client) {
            failures.retain(|_, f| now.duration_since(f.since) < FAILURE_WINDOW);
            if failures.len() >= FAILING_ADDRESSES
                && let Some(oldest) = failures
                    .iter()
                    .min_by_key(|(_, f)| f.since)
                    .map(|(a, _)| *a)
            {
                failures.remove(&oldest);
            }
        }
        let entry = failures.entry(client).or_insert(Failures {
            since: now,
            count: 0,
        });
        if now.duration_since(entry.since) >= FAILURE_WINDOW {
            *entry = Failures {
                since: now,
                count: 0,
            };
        }
        entry.count += 1;
        let count = entry.count;
        let reported = count == FAILURES_REPORTED_AT
            || (count > FAILURES_REPORTED_AT
                && (count - FAILURES_REPORTED_AT).is_multiple_of(FAILURES_REPORTED_EVERY));
        reported.then_some(count)
    }

    fn keep(
        &self,
        who: &str,
        from: Option<IpAddr>,
        action: &str,
        target: &str,
        outcome: &str,
    ) -> AuditEvent {
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
        events.push_back(event.clone());
        event
    }

    /// One JSON line to the file (appended and flushed) and to stderr. A failing file is
    /// logged, and the event is still in the ring and the log.
    fn write(&self, event: &AuditEvent) {
        if self.file.is_none() && !self.stderr {
            return;
        }
        let Ok(mut line) = serde_json::to_vec(event) else {
            return;
        };
        line.push(b'\n');
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(e) = file.write_all(&line).and_then(|()| file.flush()) {
                tracing::error!(cause = %e, "writing the audit file failed");
            }
        }
        if self.stderr {
            let _ = std::io::stderr().lock().write_all(&line);
        }
    }

    /// The newest `limit` events, newest first.
    pub fn recent(&self, limit: usize) -> Vec<AuditEvent> {
        let events = self.events.lock().unwrap_or_else(PoisonError::into_inner);
        events.iter().rev().take(limit).cloned().collect()
    }
}

/// Opens `path` for appending, creating it readable by its owner only.
fn open_append(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
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

    #[test]
    fn failed_sign_ins_are_reported_at_the_fifth_then_every_tenth_per_address() {
        let log = AuditLog::default();
        let (a, b): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        let start = Instant::now();
        let reported: Vec<u32> = (0..30)
            .filter_map(|_| log.count_failure(a, start))
            .collect();
        assert_eq!(reported, [5, 15, 25]);
        // Another address counts on its own.
        let other: Vec<u32> = (0..5).filter_map(|_| log.count_failure(b, start)).collect();
        assert_eq!(other, [5]);
        // After the window, counting starts again.
        let later = start + FAILURE_WINDOW;
        let again: Vec<u32> = (0..5).filter_map(|_| log.count_failure(a, later)).collect();
        assert_eq!(again, [5]);
    }

    #[test]
    fn events_are_appended_to_the_file_as_json_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("audit.log");
        let settings = AuditSettings {
            file: Some(file.clone()),
            stderr: false,
        };
        let here: IpAddr = "127.0.0.1".parse().expect("ip");
        AuditLog::new(&settings).expect("log").record(
            "alice",
            Some(here),
            "delete",
            "m@v1.0.0",
            "ok",
        );
        let log = AuditLog::new(&settings).expect("log, again");
        for _ in 0..FAILURES_REPORTED_AT {
            log.failed_sign_in(here, "bob", "wrong credentials");
        }
        let text = std::fs::read_to_string(&file).expect("read");
        let events: Vec<AuditEvent> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["delete", "sign-in.failures"], "{text}");
        assert_eq!(events[0].from, Some(here));
        assert_eq!(
            log.recent(usize::MAX).len(),
            6,
            "each failure is in the ring"
        );
    }
}
