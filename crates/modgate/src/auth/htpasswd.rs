//! Users from an Apache htpasswd file, bcrypt only, verified off the async threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use super::Credentials;
use crate::memory::{self, Dated};

/// bcrypt costs tens of milliseconds of CPU by design; this many checks run at once, so a
/// flood of wrong passwords queues up instead of starving every other request.
const CONCURRENT_BCRYPT_CHECKS: usize = 4;
/// Past this many attempts taking turns, those nobody is checking any more are forgotten.
const MAX_IDLE_TURNS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub(crate) enum HtpasswdError {
    #[error("reading htpasswd {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("htpasswd {path} line {line}: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

pub(crate) struct Users {
    hashes: Arc<HashMap<String, String>>,
    /// Checked against when the user is unknown, at the cost the file uses, so that a wrong
    /// user name takes as long as a wrong password and names cannot be probed by timing.
    unknown_user_hash: Arc<str>,
    /// user → SHA-256 of the password last verified. Only successes are kept, and only as
    /// digests: the memory never holds a password.
    verified: Dated<String, [u8; 32]>,
    /// SHA-256 of user and password of recent failures. A user name and password that just
    /// failed fail again without bcrypt for a moment, so a client retrying the same wrong
    /// password (a stale `.netrc` in a CI fleet) costs one check per interval. Every distinct
    /// password still costs a full check: guessing gets no cheaper.
    failed: Dated<[u8; 32], ()>,
    ttl: Duration,
    bcrypt_slots: Semaphore,
    /// Attempts checked lately → the lock that concurrent checks of one take turns on.
    checking: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    #[cfg(test)]
    bcrypt_checks: std::sync::atomic::AtomicUsize,
}

/// Reads and checks the file without hashing anything: `Config::from_raw` calls this so that a
/// bad line is a configuration error (exit code 2), not a failure after start-up.
pub(crate) fn check_file(path: &Path) -> Result<(), HtpasswdError> {
    read(path).map(|_| ())
}

fn read(path: &Path) -> Result<HashMap<String, String>, HtpasswdError> {
    let text = std::fs::read_to_string(path).map_err(|source| HtpasswdError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text).map_err(|(line, reason)| HtpasswdError::Line {
        path: path.to_owned(),
        line,
        reason,
    })
}

impl Users {
    pub fn load(path: &Path, ttl: Duration) -> Result<Users, HtpasswdError> {
        let hashes = read(path)?;
        let cost = hashes
            .values()
            .next()
            .and_then(|h| h.get(4..6))
            .and_then(|c| c.parse().ok())
            .unwrap_or(bcrypt::DEFAULT_COST);
        let unknown_user_hash =
            bcrypt::hash("unknown user", cost).map_err(|e| HtpasswdError::Line {
                path: path.to_owned(),
                line: 1,
                reason: format!("bcrypt cost {cost}: {e}"),
            })?;
        Ok(Users {
            verified: Dated::new(hashes.len().max(1)),
            hashes: Arc::new(hashes),
            unknown_user_hash: unknown_user_hash.into(),
            failed: Dated::new(memory::FAILED_SIGN_INS),
            ttl,
            bcrypt_slots: Semaphore::new(CONCURRENT_BCRYPT_CHECKS),
            checking: Mutex::default(),
            #[cfg(test)]
            bcrypt_checks: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub async fn verify(&self, credentials: &Credentials) -> bool {
        let digest: [u8; 32] = Sha256::digest(credentials.password.as_bytes()).into();
        if let Some(known) = self.remembered(credentials, &digest) {
            return known;
        }
        // The same credentials at once (a CI fleet when its remembered success expires) wait
        // for one check rather than each paying for bcrypt.
        let attempt = attempt_digest(credentials);
        let turn = self.turn(attempt);
        let _checking = turn.lock().await;
        if let Some(known) = self.remembered(credentials, &digest) {
            return known;
        }
        metrics::counter!("modgate_credential_cache_total", "result" => "miss").increment(1);
        let Ok(_slot) = self.bcrypt_slots.acquire().await else {
            return false;
        };
        #[cfg(test)]
        self.bcrypt_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let hashes = self.hashes.clone();
        let unknown_user_hash = self.unknown_user_hash.clone();
        let user = credentials.user.clone();
        let password = credentials.password.clone();
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hashes
                .get(&user)
                .map_or(&*unknown_user_hash, String::as_str);
            let matches = bcrypt::verify(password.as_bytes(), hash).unwrap_or(false);
            matches && hashes.contains_key(&user)
        })
        .await
        .unwrap_or(false);
        if ok {
            self.verified.remember(credentials.user.clone(), digest);
        } else {
            self.failed.remember(attempt, ());
        }
        ok
    }

    /// The answer for these credentials if it is remembered.
    fn remembered(&self, credentials: &Credentials, digest: &[u8; 32]) -> Option<bool> {
        if self.recently_verified(&credentials.user, digest) {
            metrics::counter!("modgate_credential_cache_total", "result" => "hit").increment(1);
            return Some(true);
        }
        if self.recently_failed(&attempt_digest(credentials)) {
            metrics::counter!("modgate_credential_cache_total", "result" => "failed").increment(1);
            return Some(false);
        }
        None
    }

    /// The lock that checks of `attempt` take turns on.
    fn turn(&self, attempt: [u8; 32]) -> Arc<tokio::sync::Mutex<()>> {
        let mut checking = self.checking.lock().unwrap_or_else(PoisonError::into_inner);
        if checking.len() >= MAX_IDLE_TURNS {
            checking.retain(|_, turn| Arc::strong_count(turn) > 1);
        }
        checking.entry(attempt).or_default().clone()
    }

    fn recently_failed(&self, attempt: &[u8; 32]) -> bool {
        self.failed
            .fresh(attempt, memory::FAILED_SIGN_IN_FOR)
            .is_some()
    }

    fn recently_verified(&self, user: &str, digest: &[u8; 32]) -> bool {
        self.verified
            .fresh(user, self.ttl)
            .is_some_and(|known| bool::from(known.ct_eq(digest)))
    }
}

/// What identifies one attempt: user and password together, hashed (the length prefix keeps
/// `ab`+`c` apart from `a`+`bc`).
fn attempt_digest(credentials: &Credentials) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((credentials.user.len() as u64).to_be_bytes());
    hasher.update(credentials.user.as_bytes());
    hasher.update(credentials.password.as_bytes());
    hasher.finalize().into()
}

/// `user:hash` lines; blank lines and `#` comments are skipped. Errors are (line, reason).
fn parse(text: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut hashes = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (user, hash) = line
            .split_once(':')
            .ok_or_else(|| (number, "expected user:hash".to_owned()))?;
        if user.is_empty() {
            return Err((number, "empty user name".to_owned()));
        }
        if !["$2y$", "$2b$", "$2a$"].iter().any(|p| hash.starts_with(p)) {
            let scheme = scheme_name(hash);
            return Err((
                number,
                format!(
                    "user {user:?}: unsupported hash scheme {scheme}; only bcrypt is accepted (htpasswd -B)"
                ),
            ));
        }
        if hash.len() != 60 {
            return Err((number, format!("user {user:?}: malformed bcrypt hash")));
        }
        if hashes.insert(user.to_owned(), hash.to_owned()).is_some() {
            return Err((number, format!("user {user:?} appears twice")));
        }
    }
    Ok(hashes)
}

fn scheme_name(hash: &str) -> String {
    if let Some(rest) = hash.strip_prefix('$') {
        format!("${}$", rest.split('$').next().unwrap_or_default())
    } else if hash.starts_with("{SHA}") {
        "{SHA}".to_owned()
    } else {
        "crypt or plain text".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_bcrypt_and_names_other_schemes() {
        let ok = parse(
            "# users\n\nalice:$2y$05$abcdefghijklmnopqrstuuNl1wOQWbWn/0JfYbkqcYXIyV1N/1gDe\n",
        )
        .expect("bcrypt");
        assert!(ok.contains_key("alice"));
        let cases = [
            ("bob:$apr1$abc$def", "$apr1$"),
            ("bob:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=", "{SHA}"),
            ("bob:rl0w1Xyz2abcd", "crypt"),
            ("bob", "user:hash"),
            ("bob:$2y$05$short", "malformed"),
        ];
        for (line, want) in cases {
            let (number, reason) = parse(line).expect_err(line);
            assert_eq!(number, 1);
            assert!(reason.contains(want), "{line}: {reason}");
        }
    }

    #[tokio::test]
    async fn verifies_and_caches_only_the_right_password() {
        let hash = bcrypt::hash("s3cret", 4).expect("hash");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, format!("alice:{hash}\n")).expect("write");
        let users = Users::load(&path, Duration::from_secs(60)).expect("load");
        let creds = |user: &str, password: &str| Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        };
        assert!(!users.verify(&creds("alice", "wrong")).await);
        assert!(users.verify(&creds("alice", "s3cret")).await);
        assert!(users.recently_verified("alice", &Sha256::digest(b"s3cret").into()));
        assert!(!users.verify(&creds("alice", "wrong")).await);
        assert!(!users.verify(&creds("mallory", "s3cret")).await);
        assert!(users.recently_failed(&attempt_digest(&creds("alice", "wrong"))));
        assert!(!users.recently_failed(&attempt_digest(&creds("alice", "s3cret"))));
        assert!(users.recently_failed(&attempt_digest(&creds("mallory", "s3cret"))));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_same_credentials_at_once_cost_one_check() {
        let hash = bcrypt::hash("s3cret", 6).expect("hash");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        std::fs::write(&path, format!("alice:{hash}\n")).expect("write");
        let users = Arc::new(Users::load(&path, Duration::from_secs(60)).expect("load"));
        for password in ["s3cret", "wrong"] {
            let before = users
                .bcrypt_checks
                .load(std::sync::atomic::Ordering::Relaxed);
            let checks: Vec<_> = (0..16)
                .map(|_| {
                    let users = users.clone();
                    tokio::spawn(async move {
                        users
                            .verify(&Credentials {
                                user: "alice".to_owned(),
                                password: password.to_owned(),
                            })
                            .await
                    })
                })
                .collect();
            for check in checks {
                assert_eq!(check.await.expect("task"), password == "s3cret");
            }
            let after = users
                .bcrypt_checks
                .load(std::sync::atomic::Ordering::Relaxed);
            assert_eq!(after - before, 1, "{password}");
        }
    }
}
