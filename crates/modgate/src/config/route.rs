//! `[[route]]`: a module path prefix, where its versions come from, what "not here" means on
//! it, and who may read and publish.

use serde::Deserialize;

use super::git::{RawGit, git};
use super::{ConfigError, invalid, parse_nets};
use crate::auth::{AuthSettings, RightsSettings};
use crate::service::{IfAbsent, RouteSettings, SourceKind};

/// What a route's settings are checked against: the users and tokens, and where relative
/// paths and the git password come from.
pub(super) struct RouteContext<'a> {
    pub auth: &'a AuthSettings,
    pub base_dir: &'a std::path::Path,
    /// `MODGATE_GIT_PASSWORD`, for every git route.
    pub git_password: Option<&'a str>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    prefix: Option<String>,
    private: Option<bool>,
    source: Option<String>,
    missing: Option<String>,
    anonymous: Option<bool>,
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
    write_users: Option<Vec<String>>,
    write_groups: Option<Vec<String>>,
    allow: Option<Vec<String>>,
    git: Option<RawGit>,
}

pub(super) fn route(
    index: usize,
    raw: RawRoute,
    context: &RouteContext<'_>,
) -> Result<RouteSettings, ConfigError> {
    let key = |name: &str| format!("route[{index}].{name}");
    let auth = context.auth;
    let prefix = prefix(raw.prefix, &key)?;
    // A git host is the company's own: its modules are private unless a route says otherwise.
    let private = raw.private.unwrap_or(raw.source.as_deref() == Some("git"));
    let source = match raw.source.as_deref() {
        Some("git") => {
            SourceKind::Git(git(index, raw.git, context.git_password, context.base_dir)?)
        }
        other if raw.git.is_some() => {
            return Err(invalid(
                key("git"),
                format!(
                    "only for source = \"git\", not {:?}",
                    other.unwrap_or("store")
                ),
            ));
        }
        other => source(other, private, &key)?,
    };
    let if_absent = match raw.missing.as_deref() {
        None if private => IfAbsent::Refuse,
        None | Some("not-found") => IfAbsent::NotFound,
        Some("refuse") => IfAbsent::Refuse,
        Some(other) => {
            return Err(invalid(
                key("missing"),
                format!("{other:?}: expected \"refuse\" or \"not-found\""),
            ));
        }
    };
    let read = RightsSettings {
        anonymous: raw.anonymous,
        ..rights(auth, &key, ("users", raw.users), ("groups", raw.groups))?
    };
    let write = rights(
        auth,
        &key,
        ("write_users", raw.write_users),
        ("write_groups", raw.write_groups),
    )?;
    Ok(RouteSettings {
        prefix,
        private,
        source,
        if_absent,
        read,
        write,
        allow: parse_nets(&key("allow"), raw.allow.unwrap_or_default())?,
    })
}

/// A module path prefix, or `*` (stored as `""`) for every module.
fn prefix(raw: Option<String>, key: &impl Fn(&str) -> String) -> Result<String, ConfigError> {
    let prefix = raw.ok_or_else(|| invalid(key("prefix"), "missing"))?;
    if prefix == "*" {
        return Ok(String::new());
    }
    gomod::check_path(&prefix).map_err(|e| {
        invalid(
            key("prefix"),
            format!("{prefix:?} is not a module path prefix: {e}"),
        )
    })?;
    Ok(prefix)
}

fn source(
    raw: Option<&str>,
    private: bool,
    key: &impl Fn(&str) -> String,
) -> Result<SourceKind, ConfigError> {
    match raw {
        None | Some("store") => Ok(SourceKind::Store),
        // A private module's name must never reach a public proxy.
        Some("upstream") if private => Err(invalid(
            key("source"),
            "a private route never asks upstream: use \"store\" or drop `private`",
        )),
        Some("upstream") => Ok(SourceKind::Upstream),
        Some(other) => Err(invalid(
            key("source"),
            format!("{other:?}: expected \"store\", \"upstream\" or \"git\""),
        )),
    }
}

/// Who the named users, tokens and groups are; a user needs an htpasswd file, a group a
/// `[auth.groups]` entry.
fn rights(
    auth: &AuthSettings,
    key: &impl Fn(&str) -> String,
    (names_key, names): (&str, Option<Vec<String>>),
    (groups_key, groups): (&str, Option<Vec<String>>),
) -> Result<RightsSettings, ConfigError> {
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
    Ok(RightsSettings {
        anonymous: None,
        names,
        groups,
    })
}
