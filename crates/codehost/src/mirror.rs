//! Bare mirrors of remote repositories in a cache directory, fetched incrementally with gix
//! over smart HTTP, and the in-memory [`Refs`] index of each.
//!
//! A mirror holds every branch and tag of the remote (`+refs/heads/*:refs/heads/*`,
//! `+refs/tags/*:refs/tags/*`, pruned), and its `HEAD` follows the remote's default branch:
//! what the go command's own clone holds after its `fetchRefsLocked`. Commits reachable only
//! from other refs (pull requests, Gerrit changes) are never fetched, as the go command
//! refuses to make versions of them.
//!
//! One fetch per mirror at a time: a fetch holds an exclusive lock on `<mirror>/modgate.lock`
//! (`flock`), so two processes sharing a cache directory wait for each other, and so do two
//! threads of one process. Reads need no lock: git writes packs and refs atomically.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use gix::ObjectId;
use gix::remote::Direction;
use sha2::{Digest, Sha256};

use crate::error::{Cause, Error, ErrorKind, Result};
use crate::refs::Refs;
use crate::remote::{Remote, redact_url};

/// The file a fetch locks.
const LOCK_FILE: &str = "modgate.lock";
/// Touched after each successful fetch: its modification time is the fetch's.
const FETCHED_FILE: &str = "modgate.fetched";
/// What the go command writes to `info/attributes` before `git archive`
/// (`ensureGitAttributes`): `export-subst` and `export-ignore` are off, whatever the
/// repository's `.gitattributes` say, so the same commit always gives the same zip.
const INFO_ATTRIBUTES: &str = "* -export-subst -export-ignore\n";
/// `git -c core.autocrlf=input -c core.eol=lf archive`: the go command's conversions on
/// the way out.
const CONFIG_OVERRIDES: [&str; 2] = ["core.autocrlf=input", "core.eol=lf"];

/// A bare mirror of one remote repository in a cache directory.
///
/// Blocking: fetches and reads do network and disk I/O on the calling thread. A server calls
/// them under `spawn_blocking`. `Mirror` is `Send + Sync`; share it in an `Arc`.
pub struct Mirror {
    dir: PathBuf,
    remote: Remote,
    repo: gix::ThreadSafeRepository,
    refs: Mutex<Arc<Refs>>,
    /// Serializes fetches within this process (the lock file does it across processes).
    fetching: Mutex<()>,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror")
            .field("dir", &self.dir)
            .field("url", &self.remote.url())
            .finish_non_exhaustive()
    }
}

impl Mirror {
    /// Opens the mirror of `remote` under `cache_dir`, creating an empty one if there is
    /// none, and loads its refs as of its last fetch (none for a new mirror). Does not
    /// touch the network.
    ///
    /// The mirror's directory is named by a hash of the URL, so a change of URL makes a new
    /// mirror, and no credentials or host names appear in paths.
    pub fn open(cache_dir: &Path, remote: &Remote) -> Result<Mirror> {
        let subject = redact_url(remote.url());
        let digest = Sha256::digest(remote.url().as_bytes());
        let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let dir = cache_dir.join(format!("{name}.git"));
        let io = |what: &str, e: std::io::Error| {
            Error::internal(&subject, format!("{what} {}", dir.display())).with_source(e)
        };
        if !dir.join("HEAD").is_file() {
            std::fs::create_dir_all(cache_dir).map_err(|e| io("creating", e))?;
            // Built aside and renamed into place, so a crash never leaves half a mirror.
            let staging = tempdir_in(cache_dir).map_err(|e| io("creating a directory in", e))?;
            gix::init_bare(&staging).map_err(|e| gix_error(&subject, "creating the mirror", e))?;
            match std::fs::rename(&staging, &dir) {
                Ok(()) => {}
                // Another process made it first: use theirs.
                Err(_) if dir.join("HEAD").is_file() => {
                    let _ = std::fs::remove_dir_all(&staging);
                }
                Err(e) => return Err(io("creating", e)),
            }
        }
        let info = dir.join("info");
        std::fs::create_dir_all(&info).map_err(|e| io("creating", e))?;
        let attributes = info.join("attributes");
        if std::fs::read(&attributes).ok().as_deref() != Some(INFO_ATTRIBUTES.as_bytes()) {
            write_atomic(&attributes, INFO_ATTRIBUTES.as_bytes()).map_err(|e| io("writing", e))?;
        }
        let repo = open_repository(&dir, &subject)?;
        let refs = load_refs(&repo, &subject)?;
        Ok(Mirror {
            dir,
            remote: remote.clone(),
            repo: repo.into_sync(),
            refs: Mutex::new(Arc::new(refs)),
            fetching: Mutex::new(()),
        })
    }

    /// The mirror's git directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The remote this mirrors.
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// The refs as of the last fetch, from memory.
    pub fn refs(&self) -> Arc<Refs> {
        self.refs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// When the mirror was last fetched (by any process), if ever.
    pub fn fetched_at(&self) -> Option<SystemTime> {
        std::fs::metadata(self.dir.join(FETCHED_FILE))
            .and_then(|m| m.modified())
            .ok()
    }

    /// Fetches unless the last fetch is more recent than `max_age`, and returns the refs.
    pub fn fetch_if_older(&self, max_age: Duration) -> Result<Arc<Refs>> {
        let fresh = self
            .fetched_at()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < max_age);
        if fresh {
            // Another process may have fetched: the refs on disk are the ones to serve.
            let on_disk = load_refs(&self.thread_local(), &self.subject())?;
            let mut refs = self.refs.lock().unwrap_or_else(PoisonError::into_inner);
            if **refs != on_disk {
                *refs = Arc::new(on_disk);
            }
            return Ok(refs.clone());
        }
        self.fetch()
    }

    /// Fetches every branch and tag from the remote, incrementally, prunes refs the remote
    /// no longer has, points `HEAD` at the remote's default branch, and returns the new refs.
    pub fn fetch(&self) -> Result<Arc<Refs>> {
        let _in_process = self.fetching.lock().unwrap_or_else(PoisonError::into_inner);
        let subject = self.subject();
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(LOCK_FILE))
            .map_err(|e| Error::internal(&subject, "opening the fetch lock").with_source(e))?;
        lock.lock()
            .map_err(|e| Error::internal(&subject, "locking the mirror").with_source(e))?;

        let result = self.fetch_locked(&subject);
        let result = match result {
            Ok(refs) => Ok(refs),
            // The fetch failed; ask the host plainly why, as the go command does after a
            // failed `git ls-remote`, so that "missing", "private" and "down" differ.
            Err(err) if err.kind() == &ErrorKind::Unreachable => {
                Err(crate::probe::classify(&self.remote, err))
            }
            Err(err) => Err(err),
        };
        let refs = result?;
        let _ = std::fs::File::create(self.dir.join(FETCHED_FILE));
        let refs = Arc::new(refs);
        *self.refs.lock().unwrap_or_else(PoisonError::into_inner) = refs.clone();
        Ok(refs)
    }

    /// The fetch, under the lock: connects with the remote's credentials, receives every branch
    /// and tag, drops what the remote no longer has, and returns the refs it advertised.
    fn fetch_locked(&self, subject: &str) -> Result<Refs> {
        let repo = self.thread_local();
        let remote = repo
            .remote_at(self.remote.url())
            .map_err(|e| gix_error(subject, "invalid remote", e))?
            .with_refspecs(
                ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
                Direction::Fetch,
            )
            .map_err(|e| gix_error(subject, "invalid refspec", e))?
            .with_fetch_tags(gix::remote::fetch::Tags::None);

        let http = self.http_options();
        let credentials = self.remote.credentials_to_send()?.cloned();
        let connection = remote
            .connect(Direction::Fetch)
            .map_err(|e| transport_error(subject, e))?
            .with_credentials(move |action| {
                use gix::credentials::helper::Action;
                match (action, &credentials) {
                    (Action::Get(context), Some(c)) => {
                        Ok(Some(gix::credentials::protocol::Outcome {
                            identity: gix::sec::identity::Account {
                                username: c.username.clone(),
                                password: c.password.clone(),
                                oauth_refresh_token: None,
                            },
                            next: context.into(),
                        }))
                    }
                    _ => Ok(None),
                }
            })
            .with_transport_options(Box::new(http));
        let options = gix::remote::ref_map::Options {
            // The go command lists every ref (`git ls-remote`), HEAD included.
            prefix_from_spec_as_filter_on_remote: false,
            ..Default::default()
        };
        let interrupt = AtomicBool::new(false);
        let outcome = connection
            .prepare_fetch(gix::progress::Discard, options)
            .map_err(|e| transport_error(subject, e))?
            .receive(gix::progress::Discard, &interrupt)
            .map_err(|e| transport_error(subject, e))?;

        let Advertised {
            refs: advertised,
            head,
            head_branch,
        } = Advertised::from_remote(&outcome.ref_map.remote_refs);
        self.prune_and_set_head(&repo, subject, &advertised, head, head_branch.as_deref())?;
        Ok(Refs::new(
            advertised.iter().map(|(n, id)| (n.as_str(), *id)),
            head,
            head_branch,
        ))
    }

    /// The HTTP settings of a fetch: the network's user agent and connect timeout, and a
    /// client built by [`Network::client_builder`](crate::Network::client_builder) (proxy, CA, fetch timeout).
    fn http_options(&self) -> gix::protocol::transport::client::blocking_io::http::Options {
        let mut http = gix::protocol::transport::client::blocking_io::http::Options {
            user_agent: Some(self.remote.network.user_agent.clone()),
            connect_timeout: Some(self.remote.network.connect_timeout),
            ..Default::default()
        };
        let network = self.remote.network.clone();
        let configure = gix::protocol::transport::client::blocking_io::http::reqwest::Options {
            configure_client: Some(Box::new(move |_builder| {
                network
                    .client_builder(network.fetch_timeout)
                    .map_err(|e| gix::error::Error::from_error(e))
            })),
            configure_request: None,
        };
        http.backend =
            Some(Arc::new(Mutex::new(configure)) as Arc<Mutex<dyn std::any::Any + Send + Sync>>);
        http
    }

    /// Deletes local branches and tags the remote no longer has, and points `HEAD` where the
    /// remote's points, so that a restart loads the same refs.
    fn prune_and_set_head(
        &self,
        repo: &gix::Repository,
        subject: &str,
        advertised: &[(String, ObjectId)],
        head: Option<ObjectId>,
        head_branch: Option<&str>,
    ) -> Result<()> {
        use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};
        use gix::refs::{FullName, Target};
        let keep: std::collections::HashSet<&str> =
            advertised.iter().map(|(n, _)| n.as_str()).collect();
        let mut edits = Vec::new();
        let references = repo
            .references()
            .map_err(|e| gix_error(subject, "reading refs", e))?;
        let all = references
            .all()
            .map_err(|e| gix_error(subject, "reading refs", e))?;
        for r in all {
            let r = r.map_err(|e| Error::internal(subject, "reading refs").with_source(e))?;
            let name = r.name().as_bstr().to_string();
            if (name.starts_with("refs/heads/") || name.starts_with("refs/tags/"))
                && !keep.contains(name.as_str())
            {
                edits.push(RefEdit {
                    change: Change::Delete {
                        expected: PreviousValue::Any,
                        log: RefLog::AndReference,
                    },
                    name: r.name().to_owned(),
                    deref: false,
                });
            }
        }
        let head_target = match (head_branch, head) {
            (Some(branch), _) => FullName::try_from(format!("refs/heads/{branch}").as_str())
                .ok()
                .map(Target::Symbolic),
            (None, Some(id)) => Some(Target::Object(id)),
            (None, None) => None,
        };
        if let Some(new) = head_target
            && let Ok(name) = FullName::try_from("HEAD")
        {
            edits.push(RefEdit {
                change: Change::Update {
                    log: LogChange::default(),
                    expected: PreviousValue::Any,
                    new,
                },
                name,
                deref: false,
            });
        }
        if !edits.is_empty() {
            repo.edit_references(edits)
                .map_err(|e| gix_error(subject, "updating refs", e))?;
        }
        Ok(())
    }

    /// A handle on the repository for this thread.
    pub(crate) fn thread_local(&self) -> gix::Repository {
        self.repo.to_thread_local()
    }

    /// The repository opened anew, sharing nothing with the mirror's own handles.
    ///
    /// gix keeps each pack it reads mapped, and every page of it that was read resident, for
    /// as long as the object database lives: the mirror's own lives as long as the mirror.
    /// Work that reads much of a pack once (building a zip) uses a repository of its own,
    /// so what it read is let go when it is dropped.
    pub(crate) fn open_private(&self) -> Result<gix::Repository> {
        open_repository(&self.dir, &self.subject())
    }

    /// The remote's URL, for messages.
    pub(crate) fn subject(&self) -> String {
        redact_url(self.remote.url())
    }
}

/// What a remote advertised that a mirror keeps: its branches and tags, peeled, and `HEAD`
/// with the branch it points to.
struct Advertised {
    refs: Vec<(String, ObjectId)>,
    head: Option<ObjectId>,
    head_branch: Option<String>,
}

impl Advertised {
    /// Picks them from the refs a fetch received; unborn ones are skipped.
    fn from_remote(remote_refs: &[gix::protocol::handshake::Ref]) -> Self {
        let mut advertised: Vec<(String, ObjectId)> = Vec::new();
        let mut head = None;
        let mut head_branch = None;
        for r in remote_refs {
            use gix::protocol::handshake::Ref;
            let (name, peeled) = match r {
                Ref::Peeled {
                    full_ref_name,
                    object,
                    ..
                }
                | Ref::Direct {
                    full_ref_name,
                    object,
                } => (full_ref_name, *object),
                Ref::Symbolic {
                    full_ref_name,
                    target,
                    object,
                    ..
                } => {
                    if full_ref_name == "HEAD" {
                        head_branch = target
                            .strip_prefix(b"refs/heads/")
                            .map(|b| String::from_utf8_lossy(b).into_owned());
                    }
                    (full_ref_name, *object)
                }
                Ref::Unborn { .. } => continue,
            };
            let name = String::from_utf8_lossy(name).into_owned();
            if name == "HEAD" {
                head = Some(peeled);
            } else if name.starts_with("refs/heads/") || name.starts_with("refs/tags/") {
                advertised.push((name, peeled));
            }
        }
        Advertised {
            refs: advertised,
            head,
            head_branch,
        }
    }
}

/// Opens the mirror's repository at `dir`, configured as the go command's `git archive` runs.
fn open_repository(dir: &Path, subject: &str) -> Result<gix::Repository> {
    let options = gix::open::Options::isolated()
        .config_overrides(CONFIG_OVERRIDES)
        .strict_config(false);
    gix::open_opts(dir, options).map_err(|e| gix_error(subject, "opening the mirror", e))
}

/// Reads the refs of the mirror from disk: its branches, its tags peeled, and `HEAD`.
fn load_refs(repo: &gix::Repository, subject: &str) -> Result<Refs> {
    let mut refs: Vec<(String, ObjectId)> = Vec::new();
    let platform = repo
        .references()
        .map_err(|e| gix_error(subject, "reading refs", e))?;
    for prefix in ["refs/heads/", "refs/tags/"] {
        let iter = platform
            .prefixed(prefix)
            .map_err(|e| gix_error(subject, "reading refs", e))?;
        for r in iter {
            let mut r = r.map_err(|e| Error::internal(subject, "reading refs").with_source(e))?;
            let name = r.name().as_bstr().to_string();
            let id = r
                .peel_to_id()
                .map_err(|e| gix_error(subject, &format!("peeling {name}"), e))?
                .detach();
            refs.push((name, id));
        }
    }
    let (head, head_branch) = match repo.head() {
        Ok(head) => {
            let branch = head
                .referent_name()
                .and_then(|n| n.as_bstr().strip_prefix(b"refs/heads/"))
                .map(|b| String::from_utf8_lossy(b).into_owned());
            (head.id().map(|id| id.detach()), branch)
        }
        Err(_) => (None, None),
    };
    Ok(Refs::new(
        refs.iter().map(|(n, id)| (n.as_str(), *id)),
        head,
        head_branch,
    ))
}

/// A gix error that is not about the network: the mirror is broken or unwritable.
pub(crate) fn gix_error(subject: &str, what: &str, e: impl Into<Cause>) -> Error {
    Error::internal(subject, what.to_owned()).with_source(e)
}

/// A gix error from talking to the remote; [`crate::probe::classify`] refines it.
fn transport_error(subject: &str, e: impl Into<Cause>) -> Error {
    let source: Cause = e.into();
    Error::new(
        ErrorKind::Unreachable,
        subject,
        format!("git fetch: {source}"),
    )
    .with_source(source)
}

/// A fresh directory below `parent`.
fn tempdir_in(parent: &Path) -> std::io::Result<PathBuf> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    for n in 0..100u32 {
        let dir = parent.join(format!(".tmp-{}-{nanos}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no free temporary name"))
}

/// Writes `path` through a temporary file and a rename.
fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path)
}
