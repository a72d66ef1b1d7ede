//! The service's vocabulary: who asks ([`Caller`]), what they ask ([`Request`]), and what
//! they get ([`Answer`]). The HTTP layer builds the first two and shapes the third.

use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};

use crate::auth::{ClientAddress, Principal};
pub(crate) use crate::storage::{ObjectBody, StoredObject as Zip};

/// Who is asking, once their address and credentials have been checked.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(super) address: ClientAddress,
    pub(super) principal: Principal,
}

impl Caller {
    /// Whoever runs a modgate command on the server's config, who may read every route.
    pub fn operator() -> Caller {
        Caller {
            address: ClientAddress(std::net::Ipv4Addr::LOCALHOST.into()),
            principal: Principal::Operator,
        }
    }

    /// The name for logs: never a secret.
    pub fn name(&self) -> &str {
        self.principal.name()
    }

    /// The client's address (the peer, or what a trusted proxy vouches for).
    pub fn address(&self) -> std::net::IpAddr {
        self.address.0
    }
}

/// One GOPROXY question about one module, parsed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// `MODULE/@v/list`
    List(ModulePath),
    /// `MODULE/@latest`
    Latest(ModulePath),
    /// `MODULE/@v/REVISION.info`
    Info(ModulePath, Revision),
    /// `MODULE/@v/VERSION.mod`
    Mod(ModuleVersion),
    /// `MODULE/@v/VERSION.zip`
    Zip(ModuleVersion),
}

/// What an `.info` request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Revision {
    /// A version of the module; `exact` when it was asked in canonical form (`v1.0.0`, not
    /// `v1.0.0+meta`), whose answer never changes.
    Version { version: ModuleVersion, exact: bool },
    /// Anything else the go command may ask: a branch, a commit, `v2.0.0` for a path without
    /// `/v2` (a proxy may answer `v2.0.0+incompatible`).
    Query(String),
}

impl Revision {
    /// What `text` (unescaped) names as a revision of `module`.
    pub fn of(module: &ModulePath, text: String) -> Revision {
        let canonical = gomod::canonical_version(&text)
            .and_then(|canonical| Version::new(&canonical).ok())
            .and_then(|version| ModuleVersion::new(module.clone(), version).ok());
        match canonical {
            Some(version) => Revision::Version {
                exact: version.version().as_str() == text,
                version,
            },
            None => Revision::Query(text),
        }
    }
}

impl Request {
    /// The module asked about: what the request is routed and authorized by.
    pub fn module(&self) -> &ModulePath {
        match self {
            Request::List(module) | Request::Latest(module) | Request::Info(module, _) => module,
            Request::Mod(version) | Request::Zip(version) => version.path(),
        }
    }

    /// The version asked about, when the request names one exactly.
    pub fn version(&self) -> Option<&ModuleVersion> {
        match self {
            Request::Mod(version) | Request::Zip(version) => Some(version),
            Request::Info(_, Revision::Version { version, .. }) => Some(version),
            Request::Info(_, Revision::Query(_)) | Request::List(_) | Request::Latest(_) => None,
        }
    }

    /// The endpoint's name, for logs and metrics.
    pub fn endpoint(&self) -> &'static str {
        match self {
            Request::List(_) => "list",
            Request::Latest(_) => "latest",
            Request::Info(..) => "info",
            Request::Mod(_) => "mod",
            Request::Zip(_) => "zip",
        }
    }

    /// Whether the answer never changes: a version's files do not; a list, `@latest` and a
    /// query such as `master` resolve to something else tomorrow.
    pub fn is_immutable(&self) -> bool {
        match self {
            Request::Mod(_) | Request::Zip(_) => true,
            Request::Info(_, Revision::Version { exact, .. }) => *exact,
            Request::Info(_, Revision::Query(_)) | Request::List(_) | Request::Latest(_) => false,
        }
    }
}

/// A request that is not a valid GOPROXY request, with what to route it by (the text before
/// `/@v/`), so that a private route still asks for credentials before explaining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub reason: String,
    pub route_hint: Option<String>,
    /// What is wrong: the path's shape, or a version that the module cannot have.
    pub part: MalformedPart,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MalformedPart {
    /// The path: its length, encoding, escaping, or the module path.
    Path,
    /// The version, in a path that is otherwise a valid request.
    Version,
}

/// What a request gets.
pub(crate) enum Answer {
    /// The `@v/list` body: tagged versions, one per line.
    List(Bytes),
    /// `.info` or `@latest` JSON, as stored.
    Info(Bytes),
    Mod(Bytes),
    Zip(Zip),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_name_versions_where_they_can() {
        let module = ModulePath::new("example.com/m").expect("valid");
        let revision = |text: &str| Revision::of(&module, text.to_owned());
        let exact = |r: &Revision| match r {
            Revision::Version { exact, version } => Some((version.version().to_string(), *exact)),
            Revision::Query(_) => None,
        };
        assert_eq!(exact(&revision("v1.0.0")), Some(("v1.0.0".into(), true)));
        assert_eq!(
            exact(&revision("v1.0.0+meta")),
            Some(("v1.0.0".into(), false))
        );
        assert_eq!(exact(&revision("v2.0.0")), None, "v2 of a path without /v2");
        assert_eq!(exact(&revision("master")), None);
        assert!(!Request::Info(module.clone(), revision("master")).is_immutable());
        assert!(Request::Info(module.clone(), revision("v1.0.0")).is_immutable());
    }
}
