//! Who may read what: users from an htpasswd file, per-route read rights, IP allow-lists.
//!
//! The HTTP layer hands in the raw `Authorization` value and the client address and gets back
//! a `Principal` or a `Denied`, which it turns into 401 or 403; never into 404, which would send
//! the `go` command to the next proxy with a private module's name.

mod credentials;
mod htpasswd;
mod network;

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;

use crate::config::ReadRights;
pub(crate) use credentials::Credentials;
pub(crate) use htpasswd::HtpasswdError;
use htpasswd::Users;
pub(crate) use network::ClientAddress;

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    Anonymous,
    User(String),
}

impl Principal {
    /// The name for logs: never a secret.
    pub fn name(&self) -> &str {
        match self {
            Principal::Anonymous => "-",
            Principal::User(name) => name,
        }
    }
}

/// Why a request may not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Denied {
    /// 401: no credentials where they are needed, or credentials that do not check out.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: known, or from an address, that may not read this.
    #[error("{0}")]
    Forbidden(String),
}

/// The read rights of one route, resolved against the configured users and groups.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    anyone: bool,
    any_user: bool,
    users: HashSet<String>,
    groups: HashSet<String>,
    allow: Vec<IpNet>,
}

impl Access {
    /// `users_configured`: whether an htpasswd file is in use. Without one, a route that names
    /// nobody is open to everyone (the seed's behaviour); with one, to every known user.
    pub fn new(read: &ReadRights, allow: Vec<IpNet>, users_configured: bool) -> Access {
        let names_someone = !read.users.is_empty() || !read.groups.is_empty();
        let anyone = read.anonymous.unwrap_or(!users_configured && !names_someone);
        Access {
            anyone,
            any_user: !names_someone && users_configured,
            users: read.users.iter().cloned().collect(),
            groups: read.groups.iter().cloned().collect(),
            allow,
        }
    }
}

pub(crate) struct Auth {
    users: Option<Users>,
    /// user → the groups it belongs to.
    memberships: BTreeMap<String, HashSet<String>>,
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl Auth {
    pub fn new(
        htpasswd: Option<&Path>,
        cache_ttl: Duration,
        groups: &BTreeMap<String, Vec<String>>,
        allow: Vec<IpNet>,
        trusted_proxies: Vec<IpNet>,
    ) -> Result<Auth, HtpasswdError> {
        let users = htpasswd.map(|p| Users::load(p, cache_ttl)).transpose()?;
        let mut memberships: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for (group, members) in groups {
            for member in members {
                memberships.entry(member.clone()).or_default().insert(group.clone());
            }
        }
        Ok(Auth {
            users,
            memberships,
            allow,
            trusted_proxies,
        })
    }

    pub fn has_users(&self) -> bool {
        self.users.is_some()
    }

    /// The client's address: the peer, or the `X-Forwarded-For` entry that a trusted proxy
    /// vouches for.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> ClientAddress {
        network::client_address(peer, forwarded_for, &self.trusted_proxies)
    }

    /// The server-wide allow-list.
    pub fn check_address(&self, client: ClientAddress) -> Result<(), Denied> {
        network::check_allowed(client, &self.allow)
    }

    /// Checks credentials, if any were sent. Bad or malformed ones are refused even on a public
    /// route, so that a typo in `.netrc` shows up at once instead of as a missing module.
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Principal, Denied> {
        let (Some(users), Some(header)) = (&self.users, authorization) else {
            return Ok(Principal::Anonymous);
        };
        let credentials = Credentials::parse(header).map_err(Denied::Unauthenticated)?;
        if users.verify(&credentials).await {
            Ok(Principal::User(credentials.user))
        } else {
            Err(Denied::Unauthenticated(format!(
                "wrong user name or password for {:?}",
                credentials.user
            )))
        }
    }

    /// Whether `principal`, from `client`, may read a route with `access`.
    pub fn authorize(
        &self,
        access: &Access,
        principal: &Principal,
        client: ClientAddress,
    ) -> Result<(), Denied> {
        network::check_allowed(client, &access.allow)?;
        if access.anyone {
            return Ok(());
        }
        let Principal::User(user) = principal else {
            return Err(Denied::Unauthenticated(
                "authentication required: set credentials for this proxy in .netrc or GOPROXY".to_owned(),
            ));
        };
        let in_group = self
            .memberships
            .get(user)
            .is_some_and(|groups| !groups.is_disjoint(&access.groups));
        if access.any_user || access.users.contains(user) || in_group {
            Ok(())
        } else {
            Err(Denied::Forbidden(format!("user {user:?} may not read this module")))
        }
    }
}
