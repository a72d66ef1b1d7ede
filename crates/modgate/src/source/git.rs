//! Modules from the company's git host, read in-process (`codehost`: gix over smart HTTP, with
//! modgate's own credentials): every tag is a version, and a branch or commit resolves to the
//! pseudo-version the go command would compute. A version is built once, from one commit, into
//! its `.info`, `.mod` and zip, checked and written through the version writer like a publish;
//! from then on it is served from the store, whatever later happens to its tag.
//!
//! - `locate`: which repository a module path lives in (a fixed depth, or go-import discovery).
//! - `mirrors`: the bare mirrors, one per repository, fetched when older than `refresh_secs`
//!   for answers that change (lists, `@latest`, branches), at once for a revision not seen yet,
//!   one fetch per repository at a time.
//! - this file: the `Source`, and building a version.

mod locate;
mod mirrors;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use codehost::{CodeRepo, Mirror, Refs, RevInfo};
use gomod::{ModulePath, ModuleVersion, Version};

use super::{FailureKind, Lookup, Source, SourceError, listed_and_stored};
use crate::memory::{self, Kept, Weighed};
use crate::singleflight::{Interrupted, Singleflight};
use crate::storage::StoredObject;
use crate::writer::{Origin, Strictness, VersionWriter, WriteError, check};
pub(crate) use locate::Locate;
use locate::Locator;
use mirrors::Mirrors;

/// A version asked for by name and not in the mirror may be a push not fetched yet; the mirror
/// is fetched for it unless it was fetched this recently, so that a flood of requests for what
/// does not exist is not a flood of fetches.
const FETCH_FOR_NEW_VERSION_AFTER: Duration = Duration::from_secs(1);

/// `[route.git]`: one git host, or a part of one.
#[derive(Debug, Clone)]
pub(crate) struct GitSettings {
    /// The repository URL for a repository root: `{root}` is its module path, `{repo}` the
    /// same without its first element (`https://git.corp.example/{repo}.git`).
    pub url: String,
    pub locate: Locate,
    /// modgate's own credentials for the host, never the developers'.
    pub credentials: Option<codehost::Credentials>,
    /// How old a mirror may be for answers that change: lists, `@latest`, branches.
    pub refresh: Duration,
    /// The shared secret of the host's push webhooks for this route.
    pub webhook_secret: Option<crate::secret::Secret>,
    /// Whether the credentials may go over plain http (a test host on loopback; never a real
    /// network).
    pub insecure_http: bool,
}

/// Why the git host could not answer: a failure, never "not found".
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub(crate) struct GitError {
    kind: FailureKind,
    message: String,
}

impl GitError {
    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    fn from_codehost(error: &codehost::Error) -> GitError {
        let kind = if error.is_timeout() {
            FailureKind::Timeout
        } else if matches!(error.kind(), codehost::ErrorKind::Internal) {
            FailureKind::Internal
        } else {
            FailureKind::Upstream
        };
        GitError {
            kind,
            message: format!("git: {error}"),
        }
    }

    fn internal(message: String) -> GitError {
        GitError {
            kind: FailureKind::Internal,
            message,
        }
    }
}

/// What a call into a repository gives: `Ok(None)` where the repository, revision or version
/// is not there.
type Found<T> = Result<Option<T>, GitError>;

/// A blocking call's outcome: `Ok(None)` for "not found" kinds, a failure for the rest. A
/// host that refuses modgate's credentials answers as if the repository were not there, by
/// the route's no-leak rules; the operator reads why in the log.
fn found<T>(outcome: codehost::Result<T>) -> Found<T> {
    match outcome {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.is_auth_failed() => {
            tracing::warn!(cause = %e, "the git host refused modgate's credentials");
            metrics::counter!("modgate_git_auth_failures_total").increment(1);
            Ok(None)
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(GitError::from_codehost(&e)),
    }
}

pub(crate) struct GitSource {
    git: Arc<Git>,
    /// The route's store: versions built before, and anything published there.
    stored: Arc<dyn Source>,
    builds: Singleflight<Result<bool, GitError>>,
    /// How long a request waits for a build another request started.
    build_deadline: Duration,
}

/// What a blocking task needs of the source.
struct Git {
    locator: Locator,
    mirrors: Mirrors,
    writer: Arc<VersionWriter>,
    refresh: Duration,
    /// Modules' tagged versions, by module path.
    listed: Kept<String, Listed>,
}

/// A module's tagged versions, as one snapshot of its mirror's refs has them.
#[derive(Clone)]
struct Listed {
    refs: Arc<Refs>,
    versions: Arc<[Version]>,
}

impl Weighed for Listed {
    fn weight(&self) -> u64 {
        // A version is held twice (as it is and escaped), beside its two string headers.
        let bytes: usize = self
            .versions
            .iter()
            .map(|v| 2 * v.as_str().len() + 48)
            .sum();
        bytes as u64
    }
}

impl GitSource {
    /// `answer_within`: the server's request timeout, if a client waits; waiting on a build
    /// ends before it, with a 504 that says the build goes on.
    pub fn new(
        settings: &GitSettings,
        network: codehost::Network,
        cache_dir: std::path::PathBuf,
        stored: Arc<dyn Source>,
        writer: Arc<VersionWriter>,
        answer_within: Option<Duration>,
    ) -> GitSource {
        let git = Git {
            locator: Locator::new(settings, network.clone()),
            mirrors: Mirrors::new(cache_dir, network, settings),
            writer,
            refresh: settings.refresh,
            listed: Kept::new(memory::GIT_LISTS_BYTES),
        };
        GitSource {
            git: Arc::new(git),
            stored,
            builds: Singleflight::new(),
            build_deadline: answer_within.map_or(Duration::MAX, |within| within.mul_f64(0.9)),
        }
    }

    /// Fetches the repository of `url` now: a push webhook said it changed.
    pub async fn refresh(&self, url: &str) -> Result<(), GitError> {
        self.git.mirrors.fetch(url, Duration::ZERO).await.map(drop)
    }

    /// Whether `url` may be one of this route's repositories.
    pub fn serves_repository(&self, url: &str) -> bool {
        self.git.locator.may_serve(url) || self.git.mirrors.is_open(url)
    }

    /// What `read` finds in the store; else, once the version is built from its commit and
    /// stored, what it finds then.
    async fn stored_or_built<T, Read>(
        &self,
        version: &ModuleVersion,
        read: impl Fn() -> Read,
    ) -> Result<Option<T>, SourceError>
    where
        Read: Future<Output = Result<Option<T>, SourceError>>,
    {
        if let Some(found) = read().await? {
            return Ok(Some(found));
        }
        let git = self.git.clone();
        let owned = version.clone();
        let built = self
            .builds
            .run(
                &version.to_string(),
                self.build_deadline,
                move || async move { git.build(&owned).await },
            )
            .await
            .unwrap_or_else(|why| Err(interrupted(version, why)))?;
        if !built {
            return Ok(None);
        }
        read().await
    }
}

impl Git {
    /// The module's repository, its mirror at least `max_age` fresh, and a blocking call on
    /// the module in it; `Ok(None)` when there is no such repository, revision or version.
    async fn in_repository<T: Send + 'static>(
        &self,
        module: &ModulePath,
        max_age: Duration,
        call: impl FnOnce(&CodeRepo<'_>) -> codehost::Result<T> + Send + 'static,
    ) -> Found<T> {
        let Some((location, mirror)) = self.mirror_of(module, max_age).await? else {
            return Ok(None);
        };
        Self::call_on(module, location, mirror, call).await
    }

    /// The module's repository and its mirror, at least `max_age` fresh.
    async fn mirror_of(
        &self,
        module: &ModulePath,
        max_age: Duration,
    ) -> Found<(locate::Location, Arc<Mirror>)> {
        let Some(location) = self.locator.locate(module).await? else {
            return Ok(None);
        };
        let mirror = self.mirrors.fetch(&location.url, max_age).await?;
        Ok(mirror.map(|mirror| (location, mirror)))
    }

    /// The module's tagged versions (`@v/list`), worked out once for each fetch of the mirror:
    /// a repository's thousands of tags are not filtered and sorted again on every request.
    async fn listed(&self, module: &ModulePath) -> Found<Arc<[Version]>> {
        let Some((location, mirror)) = self.mirror_of(module, self.refresh).await? else {
            return Ok(None);
        };
        let refs = mirror.refs();
        if let Some(listed) = self.listed.get(module.as_str())
            && Arc::ptr_eq(&listed.refs, &refs)
        {
            return Ok(Some(listed.versions));
        }
        let tags = Self::call_on(module, location, mirror, |repo| {
            let versions = repo.versions()?;
            if versions.is_empty() {
                // No tags: a module only if its latest commit is one.
                repo.latest()?;
            }
            Ok(versions)
        })
        .await?;
        let Some(tags) = tags else {
            return Ok(None);
        };
        let versions: Arc<[Version]> = tags.iter().filter_map(|v| Version::new(v).ok()).collect();
        // Keyed by the refs they came from (held, so never mistaken for a later snapshot's).
        let listed = Listed {
            refs,
            versions: versions.clone(),
        };
        self.listed.keep(module.as_str().to_owned(), listed);
        Ok(Some(versions))
    }

    /// A blocking call on the module in its repository's mirror.
    async fn call_on<T: Send + 'static>(
        module: &ModulePath,
        location: locate::Location,
        mirror: Arc<Mirror>,
        call: impl FnOnce(&CodeRepo<'_>) -> codehost::Result<T> + Send + 'static,
    ) -> Found<T> {
        let module = module.as_str().to_owned();
        let outcome = tokio::task::spawn_blocking(move || {
            let repo = CodeRepo::new(&mirror, &module, &location.root, &location.subdir)?;
            call(&repo)
        })
        .await
        .map_err(|e| GitError::internal(format!("a git task stopped: {e}")))?;
        found(outcome)
    }

    /// Builds `version` from its commit and writes it through the version writer; `false`
    /// when the repository has no such version.
    async fn build(&self, version: &ModuleVersion) -> Result<bool, GitError> {
        let temp = crate::spool::new_file()
            .map_err(|e| GitError::internal(format!("creating a temp file: {e}")))?;
        let zip_file = || {
            temp.reopen()
                .map_err(|e| GitError::internal(format!("opening a temp file: {e}")))
        };
        let v = version.version().as_str().to_owned();
        // A tag or commit not seen yet may be a push the mirror has not fetched: one more look
        // after a fetch, for a version asked for by name.
        let mut built = self
            .in_repository(
                version.path(),
                Duration::MAX,
                build_files(v.clone(), zip_file()?),
            )
            .await?
            .flatten();
        if built.is_none() {
            built = self
                .in_repository(
                    version.path(),
                    FETCH_FOR_NEW_VERSION_AFTER,
                    build_files(v, zip_file()?),
                )
                .await?
                .flatten();
        }
        let Some(built) = built else {
            return Ok(false);
        };
        built
            .zip
            .into_inner()
            .map_err(|e| GitError::internal(format!("writing a temp file: {}", e.error())))?;
        self.write(version, &built.info, &built.go_mod, temp.path())
            .await
    }

    /// Checks the files built and writes them; `false` when they are no version of the module.
    async fn write(
        &self,
        version: &ModuleVersion,
        info: &RevInfo,
        go_mod: &[u8],
        zip: &std::path::Path,
    ) -> Result<bool, GitError> {
        let invalid = |e: WriteError| GitError {
            kind: FailureKind::Upstream,
            message: format!("git: {version}: {e}"),
        };
        let checked = match check::zip(version, zip.to_owned(), Strictness::Download).await {
            Ok(checked) => checked,
            // What no source may store (a go.mod naming another module, say) is not a version.
            Err(WriteError::Invalid(reason)) => {
                tracing::info!(%version, commit = %info.commit, %reason, "not a version of the module");
                return Ok(false);
            }
            Err(e) => return Err(invalid(e)),
        };
        if checked.go_mod.bytes != go_mod {
            return Err(invalid(WriteError::Invalid(
                "the zip's go.mod differs from the commit's".to_owned(),
            )));
        }
        let time = time::OffsetDateTime::from_unix_timestamp(info.time).ok();
        match self
            .writer
            .publish(version, &checked, time, &Origin::Git)
            .await
        {
            Ok(published) => {
                if published.created {
                    tracing::info!(%version, commit = %info.commit, h1 = %checked.h1, "built from git");
                    metrics::counter!("modgate_git_built_total").increment(1);
                }
                Ok(true)
            }
            // Stored before from another commit: the tag moved. The stored version stays.
            Err(WriteError::Conflict(reason)) => {
                tracing::warn!(%version, commit = %info.commit, %reason, "a tag moved after its version was served; the stored version stays");
                metrics::counter!("modgate_git_tags_changed_total", "change" => "moved")
                    .increment(1);
                Ok(true)
            }
            Err(e) => Err(GitError {
                kind: FailureKind::Storage,
                message: format!("{version}: {e}"),
            }),
        }
    }
}

/// The blocking part of a build: the revision the version names, its go.mod, and its zip
/// into `zip`; `None` when the version resolves to another (it names a query, not a version).
fn build_files(
    version: String,
    zip: std::fs::File,
) -> impl FnOnce(&CodeRepo<'_>) -> codehost::Result<Option<Built>> + Send + 'static {
    move |repo| {
        let info = repo.stat(&version)?;
        if info.version != version {
            return Ok(None);
        }
        let go_mod = repo.go_mod(&version)?;
        let mut zip = std::io::BufWriter::new(zip);
        repo.zip(&version, &mut zip)?;
        Ok(Some(Built { info, go_mod, zip }))
    }
}

/// A version's files from its commit; the zip's last bytes may still be in its buffer.
struct Built {
    info: RevInfo,
    go_mod: Vec<u8>,
    zip: std::io::BufWriter<std::fs::File>,
}

fn interrupted(version: &ModuleVersion, why: Interrupted) -> GitError {
    match why {
        Interrupted::Deadline => GitError {
            kind: FailureKind::Timeout,
            message: format!("{version}: still building from git; try again"),
        },
        Interrupted::Panicked => GitError::internal(format!("{version}: building from git failed")),
    }
}

#[async_trait]
impl Source for GitSource {
    /// The repository's tagged versions of the module, and every stored one (a version whose
    /// tag was deleted is still served). A module with no tags but a go.mod at the default
    /// branch has an empty list; a path that is no module there is not held.
    async fn versions(&self, module: &ModulePath) -> Result<Option<Vec<Version>>, SourceError> {
        let stored = self.stored.versions(module).await?;
        let Some(listed) = self.git.listed(module).await? else {
            return Ok(stored);
        };
        Ok(Some(listed_and_stored(listed.iter().cloned(), stored)))
    }

    async fn info(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        self.stored_or_built(version, || self.stored.info(version))
            .await
    }

    async fn go_mod(&self, version: &ModuleVersion) -> Result<Option<Bytes>, SourceError> {
        self.stored_or_built(version, || self.stored.go_mod(version))
            .await
    }

    async fn zip(&self, version: &ModuleVersion) -> Result<Option<StoredObject>, SourceError> {
        self.stored_or_built(version, || self.stored.zip(version))
            .await
    }

    /// `@latest` and queries (a branch, a commit hash, `v1.2`) as the go command resolves them
    /// in direct mode; the version they name is built when it is asked for.
    async fn resolve(
        &self,
        module: &ModulePath,
        lookup: Lookup<'_>,
    ) -> Result<Option<Bytes>, SourceError> {
        let query = match lookup {
            Lookup::Latest => None,
            Lookup::Revision(revision) => Some(revision.to_owned()),
        };
        let info = self
            .git
            .in_repository(module, self.git.refresh, move |repo| match &query {
                None => repo.latest(),
                Some(revision) => repo.stat(revision),
            })
            .await?;
        Ok(info.map(|info| Bytes::from(info.info_json())))
    }

    async fn modules(&self, prefix: &str) -> Result<Vec<ModulePath>, SourceError> {
        self.stored.modules(prefix).await
    }

    /// A path in a repository that exists is one the go command's import probes may try:
    /// "not here" is a 404 for it, even on a private route.
    async fn holds_near(&self, module: &ModulePath) -> Result<bool, SourceError> {
        Ok(self
            .git
            .in_repository(module, self.git.refresh, |_| Ok(()))
            .await?
            .is_some())
    }
}
