//! Configuration: a TOML file, overlaid by `MODGATE_*` variables and flags, checked in one pass.
//!
//! `RawConfig` mirrors the file with every field optional; `Config::from_raw` validates all of it
//! and returns typed values, naming the key that is wrong. Nothing downstream reads the
//! environment or raw strings.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ipnet::IpNet;
use serde::Deserialize;

use crate::auth::AuthSettings;
use crate::outbound::OutboundSettings;
use crate::service::{IfAbsent, RouteSettings, SourceKind};
use crate::source::UpstreamSettings;
use crate::storage::StoreSettings;
use crate::sumdb::SumdbSettings;
use crate::telemetry::{LogFormat, RequestLog};
use crate::tls::TlsSettings;
use filter::{RawFilter, filters};
use git::RawGitCache;
use retention::{RawRetention, retention};
use route::{RawRoute, RouteContext, route};
use storage::storage;
pub(crate) use sumdb::is_valid_name as is_valid_sumdb_name;
use sumdb::{RawPrivateSumdb, RawSumdb};
use upstream::{RawUpstream, upstream};

/// Where modgate listens when nothing says otherwise: loopback, so a laptop run exposes nothing.
const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Where the directory store lives when nothing says otherwise.
const DEFAULT_STORE: &str = "./data";
/// The config file read from the working directory when `--config` is not given.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "modgate.toml";

/// A configuration error, naming the key and what is wrong with its value.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConfigError {
    /// The file could not be read.
    #[error("reading config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has an unknown or mistyped key.
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// A key has a value that cannot be used.
    #[error("config key `{key}`: {reason}")]
    Invalid { key: String, reason: String },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.into(),
        reason: reason.into(),
    }
}

/// The config file as written: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    server: RawServer,
    tls: Option<RawTls>,
    #[serde(default)]
    storage: RawStorage,
    #[serde(default)]
    auth: RawAuth,
    #[serde(default)]
    upstream: RawUpstream,
    #[serde(default, rename = "filter")]
    filters: Vec<RawFilter>,
    #[serde(default, rename = "route")]
    routes: Vec<RawRoute>,
    #[serde(default)]
    sumdb: RawSumdb,
    private_sumdb: Option<RawPrivateSumdb>,
    #[serde(default)]
    git: RawGitCache,
    #[serde(default)]
    network: RawNetwork,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    retention: RawRetention,
}

/// `[audit]`: the audit log's file and/or stderr.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    file: Option<PathBuf>,
    stderr: Option<bool>,
}

/// `[network]`: what every outbound connection shares.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<String>,
    log_format: Option<String>,
    request_log: Option<String>,
    request_timeout_secs: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    max_header_bytes: Option<usize>,
    allow: Option<Vec<String>>,
    trusted_proxies: Option<Vec<String>>,
    realm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    reload_check_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    kind: Option<String>,
    path: Option<PathBuf>,
    bucket: Option<String>,
    prefix: Option<String>,
    region: Option<String>,
    endpoint: Option<String>,
    path_style: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    htpasswd: Option<PathBuf>,
    cache_secs: Option<u64>,
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    #[serde(default, rename = "token")]
    tokens: Vec<RawToken>,
    admins: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawToken {
    name: Option<String>,
    sha256: Option<String>,
}

/// Values from the environment or the command line, which win over the file.
#[derive(Debug, Default, Clone)]
pub(crate) struct Overrides {
    pub listen: Option<String>,
    pub store: Option<PathBuf>,
    pub log_format: Option<String>,
    /// `MODGATE_REQUEST_LOG`: which requests get an access-log line.
    pub request_log: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub htpasswd: Option<PathBuf>,
    pub upstream: Option<String>,
    pub offline: Option<bool>,
    /// `MODGATE_GIT_PASSWORD`: modgate's password or token for every git route's host.
    pub git_password: Option<String>,
}

/// The validated configuration: plain settings, each of the type the module that uses it
/// defines. Nothing below reads the file, the environment or raw strings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub listen: SocketAddr,
    pub log_format: LogFormat,
    pub request_log: RequestLog,
    pub request_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub max_header_bytes: usize,
    pub allow: Vec<IpNet>,
    pub trusted_proxies: Vec<IpNet>,
    pub realm: String,
    pub tls: Option<TlsSettings>,
    pub storage: StoreSettings,
    pub auth: AuthSettings,
    pub upstream: UpstreamSettings,
    pub filters: Vec<crate::filter::Rule>,
    pub routes: Vec<RouteSettings>,
    pub sumdb: SumdbSettings,
    /// modgate's own checksum database, if configured.
    pub private_sumdb: Option<crate::sumlog::SumlogSettings>,
    /// Where git routes keep their repositories' mirrors.
    pub git_cache_dir: PathBuf,
    pub outbound: OutboundSettings,
    pub audit: crate::service::AuditSettings,
    /// `[retention]`: limits on upstream-cached versions.
    pub retention: crate::retention::RetentionSettings,
}

impl RawConfig {
    /// Reads `path`; `Ok(None)` when `required` is false and the file does not exist.
    pub(crate) fn load(path: &Path, required: bool) -> Result<Option<RawConfig>, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text, path).map(Some)
    }

    pub(crate) fn parse(text: &str, origin: &Path) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: origin.to_owned(),
            // toml's message spans several lines with a source excerpt; keep its first line
            // plus the key it names, which is what an operator needs.
            message: one_line(&e.to_string()),
        })
    }
}

fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^'))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Overrides {
    /// The `MODGATE_*` variables; flags are applied on top by the caller.
    pub(crate) fn from_env() -> Overrides {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        Overrides {
            listen: var("MODGATE_LISTEN"),
            store: var("MODGATE_STORE").map(PathBuf::from),
            log_format: var("MODGATE_LOG_FORMAT"),
            request_log: var("MODGATE_REQUEST_LOG"),
            tls_cert: var("MODGATE_TLS_CERT").map(PathBuf::from),
            tls_key: var("MODGATE_TLS_KEY").map(PathBuf::from),
            htpasswd: var("MODGATE_HTPASSWD").map(PathBuf::from),
            upstream: var("MODGATE_UPSTREAM"),
            offline: var("MODGATE_OFFLINE").map(|v| v != "0" && v != "false"),
            git_password: var("MODGATE_GIT_PASSWORD"),
        }
    }

    /// `self` with every value that `over` sets replaced.
    pub(crate) fn overlay(self, over: Overrides) -> Overrides {
        Overrides {
            listen: over.listen.or(self.listen),
            store: over.store.or(self.store),
            log_format: over.log_format.or(self.log_format),
            request_log: over.request_log.or(self.request_log),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            htpasswd: over.htpasswd.or(self.htpasswd),
            upstream: over.upstream.or(self.upstream),
            offline: over.offline.or(self.offline),
            git_password: over.git_password.or(self.git_password),
        }
    }
}

#[cfg(test)]
impl Config {
    /// The config `text` gives, its paths relative to `dir`, with `store` for its store: the
    /// one way tests build one.
    pub(crate) fn for_test(
        text: &str,
        dir: &Path,
        store: Option<PathBuf>,
    ) -> Result<Config, ConfigError> {
        let raw = RawConfig::parse(text, Path::new("test.toml"))?;
        let overrides = Overrides {
            store,
            ..Overrides::default()
        };
        Config::from_raw(raw, overrides, dir)
    }
}

impl Config {
    /// Validates everything at once. Relative paths in the file are taken from `base_dir`.
    pub(crate) fn from_raw(
        raw: RawConfig,
        overrides: Overrides,
        base_dir: &Path,
    ) -> Result<Config, ConfigError> {
        let server = server(raw.server, &overrides)?;
        // Paths in the file are relative to the file; paths from flags and the environment to
        // the working directory.
        let in_file = |p: PathBuf| base_dir.join(p);
        let tls = tls(raw.tls.unwrap_or_default(), &overrides, in_file)?;
        let storage = storage(raw.storage, overrides.store, base_dir)?;
        let auth = auth(raw.auth, overrides.htpasswd, in_file)?;
        let upstream = upstream(raw.upstream, overrides.upstream, overrides.offline)?;
        let context = RouteContext {
            auth: &auth,
            base_dir,
            git_password: overrides.git_password.as_deref(),
        };
        let routes = routes(raw.routes, &context)?;
        let git_cache_dir = git::cache_dir(raw.git, &storage, base_dir);
        let public_sumdb = sumdb::sumdb(raw.sumdb, upstream.offline)?;
        let retention = retention(raw.retention, upstream.offline)?;
        let outbound = OutboundSettings {
            ca_file: raw
                .network
                .ca_file
                .map(|p| existing_file("network.ca_file", in_file(p)))
                .transpose()?,
        };
        let audit = crate::service::AuditSettings {
            file: raw.audit.file.map(in_file),
            stderr: raw.audit.stderr.unwrap_or(false),
        };
        Ok(Config {
            audit,
            listen: server.listen,
            log_format: server.log_format,
            request_log: server.request_log,
            request_timeout: server.request_timeout,
            shutdown_timeout: server.shutdown_timeout,
            max_header_bytes: server.max_header_bytes,
            allow: server.allow,
            trusted_proxies: server.trusted_proxies,
            realm: server.realm,
            tls,
            storage,
            auth,
            private_sumdb: sumdb::private_sumdb(raw.private_sumdb, &public_sumdb.name, base_dir)?,
            sumdb: public_sumdb,
            git_cache_dir,
            outbound,
            upstream,
            filters: filters(raw.filters)?,
            routes,
            retention,
        })
    }
}

/// `[server]`, checked.
struct Server {
    listen: SocketAddr,
    log_format: LogFormat,
    request_log: RequestLog,
    request_timeout: Duration,
    shutdown_timeout: Duration,
    max_header_bytes: usize,
    allow: Vec<IpNet>,
    trusted_proxies: Vec<IpNet>,
    realm: String,
}

fn server(raw: RawServer, overrides: &Overrides) -> Result<Server, ConfigError> {
    let listen_text = overrides
        .listen
        .clone()
        .or(raw.listen)
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen = listen_text
        .parse::<SocketAddr>()
        .map_err(|e| invalid("server.listen", format!("{listen_text:?}: {e}")))?;
    let log_format = match overrides
        .log_format
        .as_deref()
        .or(raw.log_format.as_deref())
    {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => {
            return Err(invalid(
                "server.log_format",
                format!("{other:?}: expected \"text\" or \"json\""),
            ));
        }
    };
    let request_log = match overrides
        .request_log
        .as_deref()
        .or(raw.request_log.as_deref())
    {
        None => RequestLog::All,
        Some(text) => RequestLog::parse(text).ok_or_else(|| {
            invalid(
                "server.request_log",
                format!("{text:?}: expected \"all\", \"off\" or \"sample N\" (N >= 1)"),
            )
        })?,
    };
    let max_header_bytes = raw.max_header_bytes.unwrap_or(16 * 1024);
    if !(8192..=1024 * 1024).contains(&max_header_bytes) {
        return Err(invalid(
            "server.max_header_bytes",
            format!("{max_header_bytes}: expected 8192 to 1048576"),
        ));
    }
    let realm = raw.realm.unwrap_or_else(|| "modgate".to_owned());
    if realm.is_empty() || realm.contains(['"', '\\']) || realm.chars().any(char::is_control) {
        return Err(invalid(
            "server.realm",
            "must be non-empty, without quotes, backslashes or control characters",
        ));
    }
    Ok(Server {
        listen,
        log_format,
        request_log,
        request_timeout: positive_secs(
            "server.request_timeout_secs",
            raw.request_timeout_secs,
            300,
        )?,
        shutdown_timeout: positive_secs(
            "server.shutdown_timeout_secs",
            raw.shutdown_timeout_secs,
            30,
        )?,
        max_header_bytes,
        allow: parse_nets("server.allow", raw.allow.unwrap_or_default())?,
        trusted_proxies: parse_nets(
            "server.trusted_proxies",
            raw.trusted_proxies.unwrap_or_default(),
        )?,
        realm,
    })
}

fn tls(
    raw: RawTls,
    overrides: &Overrides,
    in_file: impl Fn(PathBuf) -> PathBuf,
) -> Result<Option<TlsSettings>, ConfigError> {
    let cert = overrides.tls_cert.clone().or(raw.cert.map(&in_file));
    let key = overrides.tls_key.clone().or(raw.key.map(&in_file));
    match (cert, key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(TlsSettings {
            cert: existing_file("tls.cert", cert)?,
            key: existing_file("tls.key", key)?,
            reload_check: positive_secs("tls.reload_check_secs", raw.reload_check_secs, 10)?,
        })),
        (Some(_), None) => Err(invalid("tls.key", "missing: tls.cert is set")),
        (None, Some(_)) => Err(invalid("tls.cert", "missing: tls.key is set")),
    }
}

fn auth(
    raw: RawAuth,
    htpasswd_override: Option<PathBuf>,
    in_file: impl Fn(PathBuf) -> PathBuf,
) -> Result<AuthSettings, ConfigError> {
    let htpasswd = htpasswd_override
        .or(raw.htpasswd.map(in_file))
        .map(|p| existing_file("auth.htpasswd", p))
        .transpose()?;
    if let Some(path) = &htpasswd {
        crate::auth::check_htpasswd(path).map_err(|e| invalid("auth.htpasswd", e.to_string()))?;
    }
    for (group, members) in &raw.groups {
        if members.iter().any(|m| m.is_empty()) {
            return Err(invalid(format!("auth.groups.{group}"), "empty user name"));
        }
    }
    Ok(AuthSettings {
        htpasswd,
        cache_ttl: positive_secs("auth.cache_secs", raw.cache_secs, 60)?,
        groups: raw.groups,
        tokens: tokens(raw.tokens)?,
        admins: raw.admins.unwrap_or_default(),
    })
}

fn routes(
    raw: Vec<RawRoute>,
    context: &RouteContext<'_>,
) -> Result<Vec<RouteSettings>, ConfigError> {
    if raw.is_empty() {
        // The seed's behaviour: every module in the store, 404 for the rest.
        return Ok(vec![RouteSettings {
            prefix: String::new(),
            private: false,
            source: SourceKind::Store,
            if_absent: IfAbsent::NotFound,
            read: Default::default(),
            write: Default::default(),
            allow: Vec::new(),
        }]);
    }
    let routes: Vec<RouteSettings> = raw
        .into_iter()
        .enumerate()
        .map(|(i, r)| route(i, r, context))
        .collect::<Result<_, _>>()?;
    let mut prefixes: Vec<&str> = routes.iter().map(|r| r.prefix.as_str()).collect();
    prefixes.sort_unstable();
    if let Some(dup) = prefixes.windows(2).find(|w| w[0] == w[1]) {
        return Err(invalid(
            "route.prefix",
            format!("{:?} appears twice", dup[0]),
        ));
    }
    Ok(routes)
}

fn tokens(raw: Vec<RawToken>) -> Result<Vec<(String, [u8; 32])>, ConfigError> {
    let mut tokens: Vec<(String, [u8; 32])> = Vec::new();
    for (i, token) in raw.into_iter().enumerate() {
        let key = |name: &str| format!("auth.token[{i}].{name}");
        let name = token
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid(key("name"), "missing"))?;
        if tokens.iter().any(|(n, _)| *n == name) {
            return Err(invalid(key("name"), format!("{name:?} appears twice")));
        }
        let hex = token.sha256.ok_or_else(|| {
            invalid(
                key("sha256"),
                "missing: the digest `modgate token new` printed",
            )
        })?;
        let digest = parse_digest(&hex).ok_or_else(|| {
            invalid(
                key("sha256"),
                "expected 64 hex digits (the digest, never the token itself)",
            )
        })?;
        tokens.push((name, digest));
    }
    Ok(tokens)
}

fn parse_digest(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(digest)
}

fn positive_secs(key: &str, value: Option<u64>, default: u64) -> Result<Duration, ConfigError> {
    match value.unwrap_or(default) {
        0 => Err(invalid(key, "must be at least 1")),
        secs => Ok(Duration::from_secs(secs)),
    }
}

fn existing_file(key: &str, path: PathBuf) -> Result<PathBuf, ConfigError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(invalid(key, format!("{}: no such file", path.display())))
    }
}

/// Parses addresses and CIDR blocks; a bare address is a one-address block.
fn parse_nets(key: &str, values: Vec<String>) -> Result<Vec<IpNet>, ConfigError> {
    values
        .iter()
        .map(|v| {
            v.parse::<IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| invalid(key, format!("{v:?} is not an IP address or CIDR block")))
        })
        .collect()
}

mod filter;
mod git;
mod retention;
mod route;
mod storage;
mod sumdb;
#[cfg(test)]
mod tests;
mod upstream;
