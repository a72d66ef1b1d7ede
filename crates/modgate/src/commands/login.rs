//! `modgate login`: a personal token from a modgate server, kept for that server in the
//! user's config directory (`$XDG_CONFIG_HOME/modgate/tokens.json`, else
//! `~/.config/modgate/tokens.json`, mode 0600), for `modgate auth` to hand to the go command.
//! The file maps a server's origin (`https://host[:port]`) to its token.

use std::collections::BTreeMap;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

use super::user::{PasswordFrom, UsageError, read_password};
use crate::outbound::OutboundSettings;

/// What `modgate login` was asked.
pub(crate) struct Login {
    pub server: String,
    pub user: Option<String>,
    pub password_from: PasswordFrom,
    pub label: Option<String>,
    /// A CA certificate (PEM) to trust besides the system's (and `SSL_CERT_FILE`).
    pub ca: Option<PathBuf>,
    /// Print the token too (it is stored either way).
    pub print_token: bool,
}

/// The server's answer to `POST /-/api/tokens`.
#[derive(Deserialize)]
struct Created {
    id: String,
    token: String,
    user: String,
}

/// The server's error body.
#[derive(Deserialize)]
struct ApiError {
    error: String,
}

pub(crate) fn run(login: Login) -> anyhow::Result<()> {
    let origin = origin(&login.server)?;
    let user = match login.user {
        Some(user) => user,
        None => ask_user()?,
    };
    let password = read_password(login.password_from)?;
    let label = login.label.unwrap_or_else(default_label);
    let runtime = super::current_thread_runtime()?;
    let outbound = OutboundSettings { ca_file: login.ca };
    let client = outbound
        .client()?
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .context("building the HTTP client")?;
    let created = runtime.block_on(create_token(&client, &origin, &user, &password, &label))?;
    let path = tokens_file()?;
    let mut tokens = read_tokens(&path)?;
    let previous = tokens.insert(origin.clone(), created.token.clone());
    write_tokens(&path, &tokens)?;
    if let Some(previous) = previous.filter(|p| *p != created.token) {
        runtime.block_on(revoke_previous(&client, &origin, &created.token, &previous));
    }
    eprintln!(
        "signed in to {origin} as {:?}: token {} stored in {}",
        created.user,
        created.id,
        path.display()
    );
    eprintln!("use it with the go command: go env -w GOAUTH='modgate auth'");
    if login.print_token {
        println!("{}", created.token);
    }
    Ok(())
}

/// The token this login replaces is revoked, so logging in again does not pile tokens up on
/// the server; a failure only warns (the token may be gone already).
async fn revoke_previous(client: &reqwest::Client, origin: &str, token: &str, previous: &str) {
    let id: String = crate::auth::token_digest(previous)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let url = format!("{origin}/-/api/tokens/{id}");
    match client.delete(&url).bearer_auth(token).send().await {
        Ok(r) if r.status() == reqwest::StatusCode::NO_CONTENT => {
            eprintln!("revoked the token this one replaces ({id})");
        }
        Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {}
        Ok(r) => eprintln!("warning: revoking the previous token {id}: {}", r.status()),
        Err(e) => eprintln!("warning: revoking the previous token {id}: {e}"),
    }
}

async fn create_token(
    client: &reqwest::Client,
    origin: &str,
    user: &str,
    password: &str,
    label: &str,
) -> anyhow::Result<Created> {
    let url = format!("{origin}/-/api/tokens");
    let response = client
        .post(&url)
        .basic_auth(user, Some(password))
        .json(&serde_json::json!({ "label": label }))
        .send()
        .await
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("POST {url}: reading the answer"))?;
    if status != reqwest::StatusCode::CREATED {
        let reason = serde_json::from_slice::<ApiError>(&body)
            .map(|e| e.error)
            .unwrap_or_else(|_| {
                String::from_utf8_lossy(&body)
                    .trim()
                    .chars()
                    .take(200)
                    .collect()
            });
        anyhow::bail!("POST {url}: {status}: {reason}");
    }
    serde_json::from_slice(&body).with_context(|| format!("POST {url}: not a token"))
}

/// `scheme://host[:port]` of a server URL: what tokens are kept by, and what the go command
/// matches request URLs against.
pub(crate) fn origin(server: &str) -> anyhow::Result<String> {
    let url = reqwest::Url::parse(server.trim())
        .map_err(|e| UsageError(format!("--server {server:?}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        anyhow::bail!(UsageError(format!(
            "--server {server:?}: expected https://host[:port]"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        anyhow::bail!(UsageError(
            "--server: no credentials in the URL; give --user, and the password when asked"
                .to_owned()
        ));
    }
    Ok(url.origin().ascii_serialization())
}

fn ask_user() -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    let terminal = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| UsageError("no terminal to ask for the user name: give --user".to_owned()))?;
    let mut writer = &terminal;
    write!(writer, "User: ").and_then(|()| writer.flush())?;
    let mut line = String::new();
    std::io::BufReader::new(&terminal).read_line(&mut line)?;
    let user = line.trim().to_owned();
    if user.is_empty() {
        anyhow::bail!(UsageError("no user name given".to_owned()));
    }
    Ok(user)
}

/// "modgate login on HOST": which machine a token was made for, in the server's token list.
fn default_label() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".to_owned());
    format!("modgate login on {host}")
}

/// `$XDG_CONFIG_HOME/modgate/tokens.json`, or `$HOME/.config/modgate/tokens.json`.
pub(crate) fn tokens_file() -> anyhow::Result<PathBuf> {
    let config = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        _ => match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
            Some(home) => PathBuf::from(home).join(".config"),
            None => anyhow::bail!("neither XDG_CONFIG_HOME nor HOME is set"),
        },
    };
    Ok(config.join("modgate").join("tokens.json"))
}

/// Server origin → token; empty when the file does not exist.
pub(crate) fn read_tokens(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a map of servers to tokens", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn write_tokens(path: &Path, tokens: &BTreeMap<String, String>) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut json = serde_json::to_vec_pretty(tokens).context("writing the tokens")?;
    json.push(b'\n');
    crate::atomic_file::write(path, &json, 0o600)
        .with_context(|| format!("writing {}", path.display()))?;
    // A file that was there with a wider mode is narrowed too.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("chmod 600 {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_are_kept_by_origin() {
        assert_eq!(
            origin("https://Modgate.Corp.Example:443/some/path").expect("ok"),
            "https://modgate.corp.example"
        );
        assert_eq!(
            origin("https://127.0.0.1:8443").expect("ok"),
            "https://127.0.0.1:8443"
        );
        for bad in [
            "modgate.corp.example",
            "ftp://x",
            "https://u:p@x",
            "https://",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_tokens_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("modgate/tokens.json");
        assert!(read_tokens(&path).expect("missing is empty").is_empty());
        let tokens = BTreeMap::from([("https://a".to_owned(), "mg_1".to_owned())]);
        write_tokens(&path, &tokens).expect("write");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(path.parent().expect("dir"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(read_tokens(&path).expect("read"), tokens);
    }
}
