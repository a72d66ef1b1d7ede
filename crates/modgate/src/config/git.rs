//! `[route.git]`: the git host a `source = "git"` route reads, and modgate's credentials for it;
//! `[git]`: where the mirrors are kept.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ConfigError, invalid, positive_secs};
use crate::source::{GitSettings, Locate};
use crate::storage::StoreSettings;

/// The go command's own way to find a repository.
const DEFAULT_DISCOVERY: &str = "https://{path}?go-get=1";

/// A token given alone is sent with this user name, which GitLab needs and GitHub and Gitea
/// ignore.
const TOKEN_USER: &str = "oauth2";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGit {
    url: Option<String>,
    root_depth: Option<usize>,
    discovery: Option<String>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    token_file: Option<PathBuf>,
    refresh_secs: Option<u64>,
    webhook_secret_file: Option<PathBuf>,
    insecure_http: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGitCache {
    cache_dir: Option<PathBuf>,
}

/// `[route.git]` of route `index`, checked; `password` from `MODGATE_GIT_PASSWORD` wins over
/// the files.
pub(super) fn git(
    index: usize,
    raw: Option<RawGit>,
    password: Option<&str>,
    base_dir: &Path,
) -> Result<GitSettings, ConfigError> {
    let key = |name: &str| format!("route[{index}].git.{name}");
    let raw = raw.ok_or_else(|| invalid(key("url"), "missing: a git route needs [route.git]"))?;
    let url = raw.url.ok_or_else(|| invalid(key("url"), "missing"))?;
    check_url(&url, &["{root}", "{repo}"], &key("url"))?;
    let locate = match (raw.root_depth, raw.discovery) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                key("discovery"),
                "give root_depth or discovery, not both",
            ));
        }
        (Some(0), None) => return Err(invalid(key("root_depth"), "must be at least 1")),
        (Some(depth), None) => Locate::RootDepth(depth),
        (None, discovery) => {
            let page = discovery.unwrap_or_else(|| DEFAULT_DISCOVERY.to_owned());
            check_url(&page, &["{path}"], &key("discovery"))?;
            Locate::Discovery(page)
        }
    };
    let in_file = |p: PathBuf| base_dir.join(p);
    let secret = |name: &str, path: Option<PathBuf>| {
        path.map(|p| read_secret(&key(name), &in_file(p)))
            .transpose()
    };
    let password = match (raw.password_file, raw.token_file) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                key("token_file"),
                "give password_file or token_file, not both",
            ));
        }
        (password_file, token_file) => match password {
            Some(password) => Some(password.to_owned()),
            None => secret("password_file", password_file)?.or(secret("token_file", token_file)?),
        },
    };
    let credentials = match (raw.username, password) {
        (username, Some(password)) => Some(codehost::Credentials {
            username: username.unwrap_or_else(|| TOKEN_USER.to_owned()),
            password,
        }),
        (Some(_), None) => {
            return Err(invalid(key("password_file"), "missing: username is set"));
        }
        (None, None) => None,
    };
    Ok(GitSettings {
        url,
        locate,
        credentials,
        refresh: positive_secs(&key("refresh_secs"), raw.refresh_secs, 60)?,
        webhook_secret: secret("webhook_secret_file", raw.webhook_secret_file)?
            .map(crate::secret::Secret::new),
        insecure_http: raw.insecure_http.unwrap_or(false),
    })
}

/// `[git] cache_dir`: by default inside a directory store (under `.modgate/`, which no module
/// path can take), else beside the config file.
pub(super) fn cache_dir(raw: RawGitCache, storage: &StoreSettings, base_dir: &Path) -> PathBuf {
    match (raw.cache_dir, storage) {
        (Some(dir), _) => base_dir.join(dir),
        (None, StoreSettings::Dir(store)) => store.join(".modgate").join("git"),
        (None, _) => base_dir.join("modgate-git-cache"),
    }
}

/// An http(s) URL template with one of `placeholders`, and no credentials in it.
fn check_url(template: &str, placeholders: &[&str], key: &str) -> Result<(), ConfigError> {
    if !placeholders.iter().any(|p| template.contains(p)) {
        return Err(invalid(
            key,
            format!("{template:?} names no {}", placeholders.join(" or ")),
        ));
    }
    let sample = placeholders
        .iter()
        .fold(template.to_owned(), |t, p| t.replace(p, "x"));
    match reqwest::Url::parse(&sample) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => Err(invalid(
            key,
            format!("{template:?}: expected an http:// or https:// URL"),
        )),
        Ok(url) if !url.username().is_empty() || url.password().is_some() => Err(invalid(
            key,
            "credentials in the URL: use username and password_file or token_file",
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(invalid(key, format!("{template:?}: {e}"))),
    }
}

/// The first line of a secret file; the secret itself never appears in an error.
fn read_secret(key: &str, path: &Path) -> Result<String, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(key, format!("{}: {e}", path.display())))?;
    let secret = text.lines().next().unwrap_or("").trim().to_owned();
    if secret.is_empty() {
        return Err(invalid(key, format!("{}: empty", path.display())));
    }
    Ok(secret)
}
