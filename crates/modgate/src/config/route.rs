//! `[[route]]`: a module path prefix, where its versions come from, what "not here" means on
//! it, and who may read and publish.

use ipnet::IpNet;
use serde::Deserialize;

use super::{AuthConfig, ConfigError, invalid, parse_nets};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub prefix: Option<String>,
    pub private: Option<bool>,
    pub source: Option<String>,
    pub missing: Option<String>,
    pub anonymous: Option<bool>,
    pub users: Option<Vec<String>>,
    pub groups: Option<Vec<String>>,
    pub write_users: Option<Vec<String>>,
    pub write_groups: Option<Vec<String>>,
    pub allow: Option<Vec<String>>,
}

/// What a route answers for a module or version it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// 404: the `go` command may ask the next proxy.
    NotFound,
    /// 403 with a reason, except for the path prefixes `go` probes while resolving imports.
    Refuse,
    /// As `Refuse`, for an upstream route while modgate is offline: only what is stored is served.
    Offline,
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    /// A module path prefix, matched at path-element boundaries; empty matches every module.
    pub prefix: String,
    pub private: bool,
    pub source: SourceKind,
    pub missing: Missing,
    pub read: Rights,
    pub write: Rights,
    pub allow: Vec<IpNet>,
}

/// Where a route's versions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// The store only.
    Store,
    /// The store, filled from the upstream proxies on a miss.
    Upstream,
}

/// Who may read, or publish to, a route: users or tokens by name, and groups. For reading,
/// naming nobody means any user or token, or anyone when none are configured; nobody may
/// publish unless named.
#[derive(Debug, Clone, Default)]
pub struct Rights {
    pub anonymous: Option<bool>,
    pub names: Vec<String>,
    pub groups: Vec<String>,
}

pub(super) fn route(
    index: usize,
    raw: RawRoute,
    auth: &AuthConfig,
) -> Result<RouteConfig, ConfigError> {
    let key = |name: &str| format!("route[{index}].{name}");
    let prefix = raw
        .prefix
        .ok_or_else(|| invalid(key("prefix"), "missing"))?;
    let prefix = if prefix == "*" {
        String::new()
    } else {
        gomod::check_path(&prefix).map_err(|e| {
            invalid(
                key("prefix"),
                format!("{prefix:?} is not a module path prefix: {e}"),
            )
        })?;
        prefix
    };
    let private = raw.private.unwrap_or(false);
    let source = match raw.source.as_deref() {
        None | Some("store") => SourceKind::Store,
        // A private module's name must never reach a public proxy.
        Some("upstream") if private => {
            return Err(invalid(
                key("source"),
                "a private route never asks upstream: use \"store\" or drop `private`",
            ));
        }
        Some("upstream") => SourceKind::Upstream,
        Some(other) => {
            return Err(invalid(
                key("source"),
                format!("{other:?}: expected \"store\" or \"upstream\""),
            ));
        }
    };
    let missing = match raw.missing.as_deref() {
        None if private => Missing::Refuse,
        None | Some("not-found") => Missing::NotFound,
        Some("refuse") => Missing::Refuse,
        Some(other) => {
            return Err(invalid(
                key("missing"),
                format!("{other:?}: expected \"refuse\" or \"not-found\""),
            ));
        }
    };
    let rights = |names_key: &str,
                  names: Option<Vec<String>>,
                  groups_key: &str,
                  groups: Option<Vec<String>>| {
        let names = names.unwrap_or_default();
        let groups = groups.unwrap_or_default();
        let is_token = |n: &String| auth.tokens.iter().any(|(t, _)| t == n);
        if let Some(name) = names.iter().find(|n| !is_token(n))
            && auth.htpasswd.is_none()
        {
            return Err(invalid(
                key(names_key),
                format!("names user {name:?} but auth.htpasswd is not set"),
            ));
        }
        if let Some(unknown) = groups.iter().find(|g| !auth.groups.contains_key(*g)) {
            return Err(invalid(
                key(groups_key),
                format!("unknown group {unknown:?} (see [auth.groups])"),
            ));
        }
        Ok(Rights {
            anonymous: None,
            names,
            groups,
        })
    };
    let read = Rights {
        anonymous: raw.anonymous,
        ..rights("users", raw.users, "groups", raw.groups)?
    };
    let write = rights(
        "write_users",
        raw.write_users,
        "write_groups",
        raw.write_groups,
    )?;
    Ok(RouteConfig {
        prefix,
        private,
        source,
        missing,
        read,
        write,
        allow: parse_nets(&key("allow"), raw.allow.unwrap_or_default())?,
    })
}
