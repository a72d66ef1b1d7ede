//! Users from an Apache htpasswd file, bcrypt only, verified off the async threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

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

/// How often the file is looked at for a change (its size, times and inode): an edit by
/// `modgate user`, the admin API or an editor is in force within this time, without a restart.
const LOOK_FOR_CHANGES_EVERY: Duration = Duration::from_secs(1);

pub(crate) struct Users {
    path: PathBuf,
    current: RwLock<Arc<Snapshot>>,
    watch: Mutex<Watch>,
    /// Edits through this process take turns, so two at once cannot lose one of them.
    pub(super) edits: tokio::sync::Mutex<()>,
    /// Checked against when the user is unknown, at the cost the file uses, so that a wrong
    /// user name takes as long as a wrong password and names cannot be probed by timing.
    unknown_user_hash: Arc<str>,
    /// user → SHA-256 of the stored hash and the password last verified. Only successes are
    /// kept, and only as digests: the memory never holds a password. A changed or removed
    /// line no longer matches, so a remembered success never outlives an edit.
    verified: Dated<String, [u8; 32]>,
    /// SHA-256 of user and password (and the file's generation) of recent failures. A user
    /// name and password that just failed fail again without bcrypt for a moment, so a
    /// client retrying the same wrong password (a stale `.netrc` in a CI fleet) costs one
    /// check per interval. Every distinct password still costs a full check: guessing gets no
    /// cheaper.
    failed: Dated<[u8; 32], ()>,
    ttl: Duration,
    bcrypt_slots: Semaphore,
    /// Attempts checked lately → the lock that concurrent checks of one take turns on.
    checking: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    #[cfg(test)]
    bcrypt_checks: std::sync::atomic::AtomicUsize,
}

/// The users as last read from the file.
struct Snapshot {
    hashes: HashMap<String, String>,
    /// Counts reloads: part of a remembered failure's key, so that a user added or a password
    /// changed just after a failed attempt works at once.
    generation: u64,
}

/// When the file was last looked at, and what it looked like.
struct Watch {
    looked: Instant,
    stamp: Option<Stamp>,
}

/// What tells that the file changed: an atomic replace changes the inode, an edit in place
/// the size or the times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: (u64, u64),
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        len: meta.len(),
        modified: (meta.mtime(), meta.mtime_nsec()),
        changed: (meta.ctime(), meta.ctime_nsec()),
        inode: (meta.dev(), meta.ino()),
    })
}

/// The cost of the file's hashes (its first one), or the default for new files.
pub(super) fn cost_of(hashes: &HashMap<String, String>) -> u32 {
    hashes
        .values()
        .next()
        .and_then(|h| h.get(4..6))
        .and_then(|c| c.parse().ok())
        .unwrap_or(super::htpasswd_file::DEFAULT_COST)
}

/// Reads and checks the file without hashing anything: `Config::from_raw` calls this so that a
/// bad line is a configuration error (exit code 2), not a failure after start-up.
pub(crate) fn check_file(path: &Path) -> Result<(), HtpasswdError> {
    read(path).map(|_| ())
}

pub(super) fn read(path: &Path) -> Result<HashMap<String, String>, HtpasswdError> {
    let text = std::fs::read_to_string(path).map_err(|source| HtpasswdError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_at(path, &text)
}

/// `text` parsed as the file at `path` (which names it in errors).
pub(super) fn parse_at(path: &Path, text: &str) -> Result<HashMap<String, String>, HtpasswdError> {
    parse(text).map_err(|(line, reason)| HtpasswdError::Line {
        path: path.to_owned(),
        line,
        reason,
    })
}

impl Users {
    pub fn load(path: &Path, ttl: Duration) -> Result<Users, HtpasswdError> {
        let stamp = stamp(path);
        let hashes = read(path)?;
        let cost = cost_of(&hashes);
        let unknown_user_hash =
            bcrypt::hash("unknown user", cost).map_err(|e| HtpasswdError::Line {
                path: path.to_owned(),
                line: 1,
                reason: format!("bcrypt cost {cost}: {e}"),
            })?;
        Ok(Users {
            path: path.to_owned(),
            verified: Dated::new(hashes.len().max(64)),
            current: RwLock::new(Arc::new(Snapshot {
                hashes,
                generation: 0,
            })),
            watch: Mutex::new(Watch {
                looked: Instant::now(),
                stamp,
            }),
            edits: tokio::sync::Mutex::new(()),
            unknown_user_hash: unknown_user_hash.into(),
            failed: Dated::new(memory::FAILED_SIGN_INS),
            ttl,
            bcrypt_slots: Semaphore::new(CONCURRENT_BCRYPT_CHECKS),
            checking: Mutex::default(),
            #[cfg(test)]
            bcrypt_checks: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The user names, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.current().hashes.keys().cloned().collect();
        names.sort();
        names
    }

    pub fn contains(&self, name: &str) -> bool {
        self.current().hashes.contains_key(name)
    }

    /// The bcrypt cost for new hashes: the one the file uses.
    pub fn cost(&self) -> u32 {
        cost_of(&self.current().hashes)
    }

    /// Reads the file again now if it changed: after an edit through this process.
    pub fn look_again(&self) {
        let mut watch = self.watch.lock().unwrap_or_else(PoisonError::into_inner);
        self.reload_if_changed(&mut watch);
    }

    /// The users, read again first if the file changed and was not looked at for a second.
    fn current(&self) -> Arc<Snapshot> {
        // Whoever holds the watch is looking already: the others go on with what is read.
        if let Ok(mut watch) = self.watch.try_lock()
            && watch.looked.elapsed() >= LOOK_FOR_CHANGES_EVERY
        {
            self.reload_if_changed(&mut watch);
        }
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn reload_if_changed(&self, watch: &mut Watch) {
        watch.looked = Instant::now();
        let stamp = stamp(&self.path);
        if stamp == watch.stamp {
            return;
        }
        watch.stamp = stamp;
        match read(&self.path) {
            Ok(hashes) => {
                let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
                tracing::info!(path = %self.path.display(), users = hashes.len(), "htpasswd read again");
                *current = Arc::new(Snapshot {
                    hashes,
                    generation: current.generation + 1,
                });
            }
            Err(e) => {
                tracing::warn!(cause = %e, "htpasswd changed but cannot be read; the users read before stay in force");
            }
        }
    }

    pub async fn verify(&self, credentials: &Credentials) -> bool {
        let users = self.current();
        let stored = users.hashes.get(&credentials.user).cloned();
        let proof = stored
            .as_deref()
            .map(|hash| proof(hash, &credentials.password));
        let attempt = attempt_digest(credentials, users.generation);
        if let Some(known) = self.remembered(&credentials.user, proof.as_ref(), &attempt) {
            return known;
        }
        // The same credentials at once (a CI fleet when its remembered success expires) wait
        // for one check rather than each paying for bcrypt.
        let turn = self.turn(attempt);
        let _checking = turn.lock().await;
        if let Some(known) = self.remembered(&credentials.user, proof.as_ref(), &attempt) {
            return known;
        }
        metrics::counter!("modgate_credential_cache_total", "result" => "miss").increment(1);
        let Ok(_slot) = self.bcrypt_slots.acquire().await else {
            return false;
        };
        #[cfg(test)]
        self.bcrypt_checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let unknown_user_hash = self.unknown_user_hash.clone();
        let known_user = stored.is_some();
        let password = credentials.password.clone();
        let ok = tokio::task::spawn_blocking(move || {
            let hash = stored.as_deref().unwrap_or(&*unknown_user_hash);
            let matches = bcrypt::verify(password.as_bytes(), hash).unwrap_or(false);
            matches && known_user
        })
        .await
        .unwrap_or(false);
        match proof {
            Some(proof) if ok => self.verified.remember(credentials.user.clone(), proof),
            _ => self.failed.remember(attempt, ()),
        }
        ok
    }

    /// The answer for these credentials if it is remembered.
    fn remembered(&self, user: &str, proof: Option<&[u8; 32]>, attempt: &[u8; 32]) -> Option<bool> {
        if proof.is_some_and(|proof| self.recently_verified(user, proof)) {
            metrics::counter!("modgate_credential_cache_total", "result" => "hit").increment(1);
            return Some(true);
        }
        if self.recently_failed(attempt) {
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

    fn recently_verified(&self, user: &str, proof: &[u8; 32]) -> bool {
        self.verified
            .fresh(user, self.ttl)
            .is_some_and(|known| bool::from(known.ct_eq(proof)))
    }
}

/// What a verified password is remembered as: SHA-256 of the stored hash and the password.
fn proof(hash: &str, password: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update((hash.len() as u64).to_be_bytes());
    hasher.update(hash.as_bytes());
    hasher.update(password.as_bytes());
    hasher.finalize().into()
}

/// What identifies one attempt: user and password together, hashed (the length prefix keeps
/// `ab`+`c` apart from `a`+`bc`), against one generation of the file.
fn attempt_digest(credentials: &Credentials, generation: u64) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(generation.to_be_bytes());
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
        assert!(users.recently_verified("alice", &proof(&hash, "s3cret")));
        assert!(!users.verify(&creds("alice", "wrong")).await);
        assert!(!users.verify(&creds("mallory", "s3cret")).await);
        assert!(users.recently_failed(&attempt_digest(&creds("alice", "wrong"), 0)));
        assert!(!users.recently_failed(&attempt_digest(&creds("alice", "s3cret"), 0)));
        assert!(users.recently_failed(&attempt_digest(&creds("mallory", "s3cret"), 0)));
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

    #[tokio::test]
    async fn an_edited_file_is_in_force_within_a_second_and_forgets_what_it_changed() {
        use super::super::htpasswd_file::{Edit, apply};
        let add = |name: &str, password: &str| Edit::Add {
            name: name.to_owned(),
            password: password.to_owned(),
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        apply(&path, &add("alice", "one"), 4).expect("add");
        let users = Users::load(&path, Duration::from_secs(60)).expect("load");
        let creds = |user: &str, password: &str| Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        };
        assert!(users.verify(&creds("alice", "one")).await);
        assert!(!users.verify(&creds("bob", "two")).await);
        apply(&path, &add("bob", "two"), 4).expect("add bob");
        let set = Edit::SetPassword {
            name: "alice".into(),
            password: "new".into(),
        };
        apply(&path, &set, 4).expect("passwd");
        users.look_again();
        assert!(
            users.verify(&creds("bob", "two")).await,
            "a failure is not kept across an edit"
        );
        assert!(
            !users.verify(&creds("alice", "one")).await,
            "the old password is forgotten"
        );
        assert!(users.verify(&creds("alice", "new")).await);
        apply(&path, &Edit::Remove { name: "bob".into() }, 4).expect("remove");
        tokio::time::sleep(LOOK_FOR_CHANGES_EVERY).await;
        assert!(
            !users.verify(&creds("bob", "two")).await,
            "removed within a second"
        );
        assert_eq!(users.names(), ["alice"]);
        std::fs::write(&path, "broken\n").expect("break");
        users.look_again();
        assert!(
            users.verify(&creds("alice", "new")).await,
            "a broken file changes nothing"
        );
    }
}
