//! Who may read and publish what: users from an htpasswd file, bearer tokens, per-route rights,
//! IP allow-lists.
//!
//! The HTTP layer hands in the raw `Authorization` value and the client address and gets back
//! a `Principal` or a `Denied`, which it turns into 401 or 403; never into 404, which would send
//! the `go` command to the next proxy with a private module's name.

mod credentials;
mod htpasswd;
mod htpasswd_file;
mod network;
mod tokens;

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) use credentials::{Credentials, Presented};
pub(crate) use htpasswd::Users;
pub(crate) use htpasswd::{HtpasswdError, check_file as check_htpasswd};
pub(crate) use htpasswd_file::{
    Edit, EditError, apply as edit_htpasswd, check_name, cost as htpasswd_cost,
    names as htpasswd_names,
};
use ipnet::IpNet;
pub(crate) use network::ClientAddress;
use tokens::Tokens;
pub(crate) use tokens::{digest as token_digest, generate as generate_token};

/// `[auth]`: where users and tokens come from.
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthSettings {
    pub htpasswd: Option<PathBuf>,
    /// How long a verified password is remembered (as a digest).
    pub cache_ttl: Duration,
    pub groups: BTreeMap<String, Vec<String>>,
    /// (name, SHA-256 of the token)
    pub tokens: Vec<(String, [u8; 32])>,
    /// Users and tokens that may read what names every module (the private checksum
    /// database's data tiles).
    pub admins: Vec<String>,
}

/// Who may read, or publish to, a route, as configured: users or tokens by name, and groups.
/// For reading, naming nobody means any user or token, or anyone when none are configured;
/// nobody may publish unless named.
#[derive(Debug, Clone, Default)]
pub(crate) struct RightsSettings {
    pub anonymous: Option<bool>,
    pub names: Vec<String>,
    pub groups: Vec<String>,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Principal {
    Anonymous,
    User(String),
    Token(String),
    /// Whoever runs a modgate command on the server's own config (`modgate prefetch`): no
    /// credentials make this, so no client can be it.
    Operator,
}

impl Principal {
    /// The name for logs and rights: never a secret.
    pub fn name(&self) -> &str {
        match self {
            Principal::Anonymous => "-",
            Principal::Operator => "(operator)",
            Principal::User(name) | Principal::Token(name) => name,
        }
    }
}

/// The user name a Basic `Authorization` header claims, checked or not: for the audit of a
/// failed sign-in (never the password).
pub(crate) fn claimed_user(header: &[u8]) -> Option<String> {
    match Presented::parse(header) {
        Ok(Presented::Basic(credentials)) => Some(credentials.user),
        _ => None,
    }
}

/// Who the credentials name.
pub(crate) enum Identified {
    Principal(Principal),
    /// A bearer token that is not one of the configured ones (deliberately without `Debug`).
    Bearer(String),
}

/// Why a request may not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Denied {
    /// 401: no credentials where they are needed, or credentials that do not check out.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: known, or from an address, that may not do this.
    #[error("{0}")]
    Forbidden(String),
}

/// Read or publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Read,
    Write,
}

/// Who may do one action on one route, resolved against the configured users and groups.
#[derive(Debug, Clone, Default)]
struct Rights {
    anyone: bool,
    any_identity: bool,
    names: HashSet<String>,
    groups: HashSet<String>,
}

impl Rights {
    fn allows(
        &self,
        principal: &Principal,
        memberships: &BTreeMap<String, HashSet<String>>,
    ) -> bool {
        if self.anyone {
            return true;
        }
        let name = match principal {
            Principal::Anonymous => return false,
            Principal::Operator => return true,
            Principal::User(name) | Principal::Token(name) => name,
        };
        self.any_identity
            || self.names.contains(name)
            || memberships
                .get(name)
                .is_some_and(|groups| !groups.is_disjoint(&self.groups))
    }
}

/// The rights of one route.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    read: Rights,
    write: Rights,
    allow: Vec<IpNet>,
}

impl Access {
    /// `identities_configured`: whether users or tokens exist. Without any, a route that names
    /// nobody may be read by everyone (the seed's behaviour); with some, by every identity.
    /// Writing is never open by default.
    pub fn new(
        read: &RightsSettings,
        write: &RightsSettings,
        allow: Vec<IpNet>,
        identities_configured: bool,
    ) -> Access {
        let names_someone = !read.names.is_empty() || !read.groups.is_empty();
        Access {
            read: Rights {
                anyone: read
                    .anonymous
                    .unwrap_or(!identities_configured && !names_someone),
                any_identity: !names_someone && identities_configured,
                names: read.names.iter().cloned().collect(),
                groups: read.groups.iter().cloned().collect(),
            },
            write: Rights {
                anyone: false,
                any_identity: false,
                names: write.names.iter().cloned().collect(),
                groups: write.groups.iter().cloned().collect(),
            },
            allow,
        }
    }
}

pub(crate) struct Auth {
    users: Option<Users>,
    admins: HashSet<String>,
    tokens: Tokens,
    /// identity → the groups it belongs to.
    memberships: BTreeMap<String, HashSet<String>>,
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
}

impl Auth {
    pub fn new(
        config: &AuthSettings,
        allow: Vec<IpNet>,
        trusted_proxies: Vec<IpNet>,
    ) -> Result<Auth, HtpasswdError> {
        let users = config
            .htpasswd
            .as_deref()
            .map(|p| Users::load(p, config.cache_ttl))
            .transpose()?;
        let mut memberships: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for (group, members) in &config.groups {
            for member in members {
                memberships
                    .entry(member.clone())
                    .or_default()
                    .insert(group.clone());
            }
        }
        Ok(Auth {
            users,
            admins: config.admins.iter().cloned().collect(),
            tokens: Tokens::new(&config.tokens),
            memberships,
            allow,
            trusted_proxies,
        })
    }

    /// Whether `principal` is an administrator: named in `[auth] admins`, or the operator.
    pub fn is_admin(&self, principal: &Principal) -> bool {
        match principal {
            Principal::Operator => true,
            Principal::User(name) | Principal::Token(name) => self.admins.contains(name),
            Principal::Anonymous => false,
        }
    }

    /// Whether any user or token exists.
    pub fn has_identities(&self) -> bool {
        self.users.is_some() || !self.tokens.is_empty()
    }

    /// The client's address: the peer, or the `X-Forwarded-For` entry that a trusted proxy
    /// vouches for.
    pub fn client_address(&self, peer: IpAddr, forwarded_for: Option<&str>) -> ClientAddress {
        network::client_address(peer, forwarded_for, &self.trusted_proxies)
    }

    /// Whether `peer` is a proxy in `[server] trusted_proxies`, whose `X-Forwarded-*` headers
    /// are believed.
    pub fn is_trusted_proxy(&self, peer: IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(&peer))
    }

    /// The server-wide allow-list.
    pub fn check_address(&self, client: ClientAddress) -> Result<(), Denied> {
        network::check_allowed(client, &self.allow)
    }

    /// Checks credentials, if any were sent. Bad or malformed ones are refused even on a public
    /// route, so that a typo in `.netrc` shows up at once instead of as a missing module. A
    /// bearer token that is not configured comes back as it is: it may be a personal token,
    /// which the service looks up in the store.
    pub async fn authenticate(&self, authorization: Option<&[u8]>) -> Result<Identified, Denied> {
        let Some(header) = authorization else {
            return Ok(Identified::Principal(Principal::Anonymous));
        };
        if !self.has_identities() {
            return Ok(Identified::Principal(Principal::Anonymous));
        }
        match Presented::parse(header).map_err(Denied::Unauthenticated)? {
            Presented::Basic(credentials) => self
                .check_password(credentials)
                .await
                .map(Identified::Principal),
            Presented::Bearer(token) => match self.tokens.verify(&token) {
                Some(name) => Ok(Identified::Principal(Principal::Token(name.to_owned()))),
                None => Ok(Identified::Bearer(token)),
            },
        }
    }

    /// The user and password checked as Basic auth checks them (the same remembered successes
    /// and failures): for a sign-in form.
    pub async fn check_password(&self, credentials: Credentials) -> Result<Principal, Denied> {
        let verified = match &self.users {
            Some(users) => users.verify(&credentials).await,
            None => false,
        };
        if verified {
            Ok(Principal::User(credentials.user))
        } else {
            Err(Denied::Unauthenticated(format!(
                "wrong user name or password for {:?}",
                credentials.user
            )))
        }
    }

    /// The htpasswd file's users, if there is one.
    pub fn users(&self) -> Option<&Users> {
        self.users.as_ref()
    }

    /// Makes `edit` to the htpasswd file, at the cost its hashes use, and puts it in force
    /// at once. `None` when there is no htpasswd file.
    pub async fn edit_users(&self, edit: Edit) -> Option<Result<(), EditError>> {
        let users = self.users.as_ref()?;
        let _turn = users.edits.lock().await;
        let path = users.path().to_owned();
        let cost = users.cost();
        // bcrypt and an fsync: off the async threads.
        let result = tokio::task::spawn_blocking(move || htpasswd_file::apply(&path, &edit, cost))
            .await
            .unwrap_or_else(|e| {
                Err(EditError::Write {
                    path: users.path().to_owned(),
                    source: std::io::Error::other(e.to_string()),
                })
            });
        users.look_again();
        Some(result)
    }

    /// Whether `principal`, from `client`, may do `action` on a route with `access`.
    pub fn authorize(
        &self,
        access: &Access,
        action: Action,
        principal: &Principal,
        client: ClientAddress,
    ) -> Result<(), Denied> {
        if *principal == Principal::Operator {
            return Ok(());
        }
        network::check_allowed(client, &access.allow)?;
        let rights = match action {
            Action::Read => &access.read,
            Action::Write => &access.write,
        };
        if rights.allows(principal, &self.memberships) {
            return Ok(());
        }
        let verb = match action {
            Action::Read => "read",
            Action::Write => "publish",
        };
        match principal {
            Principal::Anonymous => Err(Denied::Unauthenticated(format!(
                "authentication required to {verb} here: set credentials for this proxy in .netrc or GOPROXY"
            ))),
            known => Err(Denied::Forbidden(format!(
                "{:?} may not {verb} this module",
                known.name()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(anonymous: Option<bool>, names: &[&str], groups: &[&str]) -> RightsSettings {
        RightsSettings {
            anonymous,
            names: names.iter().map(|s| s.to_string()).collect(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn rights_by_name_group_and_default() {
        let config = AuthSettings {
            groups: [("dev".to_owned(), vec!["bob".to_owned()])].into(),
            ..AuthSettings::default()
        };
        let auth = Auth::new(&config, Vec::new(), Vec::new()).expect("auth");
        let client = ClientAddress("127.0.0.1".parse().expect("ip"));
        let alice = Principal::User("alice".into());
        let bob = Principal::User("bob".into());
        let ci = Principal::Token("ci".into());

        let open = Access::new(
            &rights(None, &[], &[]),
            &rights(None, &[], &[]),
            Vec::new(),
            false,
        );
        assert!(
            auth.authorize(&open, Action::Read, &Principal::Anonymous, client)
                .is_ok()
        );
        assert!(matches!(
            auth.authorize(&open, Action::Write, &Principal::Anonymous, client),
            Err(Denied::Unauthenticated(_))
        ));

        let any_user = Access::new(
            &rights(None, &[], &[]),
            &rights(None, &["ci"], &[]),
            Vec::new(),
            true,
        );
        assert!(
            auth.authorize(&any_user, Action::Read, &alice, client)
                .is_ok()
        );
        assert!(matches!(
            auth.authorize(&any_user, Action::Read, &Principal::Anonymous, client),
            Err(Denied::Unauthenticated(_))
        ));
        assert!(
            auth.authorize(&any_user, Action::Write, &ci, client)
                .is_ok()
        );
        assert!(matches!(
            auth.authorize(&any_user, Action::Write, &alice, client),
            Err(Denied::Forbidden(_))
        ));

        let team = Access::new(
            &rights(None, &["alice"], &["dev"]),
            &rights(None, &[], &["dev"]),
            Vec::new(),
            true,
        );
        assert!(auth.authorize(&team, Action::Read, &alice, client).is_ok());
        assert!(auth.authorize(&team, Action::Read, &bob, client).is_ok());
        assert!(matches!(
            auth.authorize(&team, Action::Read, &ci, client),
            Err(Denied::Forbidden(_))
        ));
        assert!(auth.authorize(&team, Action::Write, &bob, client).is_ok());

        let walled = Access::new(
            &rights(Some(true), &[], &[]),
            &rights(None, &[], &[]),
            vec!["10.0.0.0/8".parse().expect("net")],
            false,
        );
        assert!(matches!(
            auth.authorize(&walled, Action::Read, &alice, client),
            Err(Denied::Forbidden(_))
        ));
    }
}
