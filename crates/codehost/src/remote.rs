//! Where a repository lives and how to reach it: its URL, modgate's credentials for it, and
//! the outbound network settings (proxy, extra CA, time limits) shared by git fetches and
//! go-import discovery. Every outbound HTTP client of this crate is built in
//! [`Network::client_builder`], so the rules hold everywhere.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// A git repository reached over HTTP(S).
#[derive(Clone)]
pub struct Remote {
    url: String,
    /// modgate's credentials for the host: sent as HTTP basic auth when the host asks.
    pub credentials: Option<Credentials>,
    /// Proxy, CA and time limits.
    pub network: Network,
    /// Sends the credentials over a plain `http://` URL. Off by default: the credentials
    /// would cross the network in clear text. For loopback test servers and trusted
    /// networks only.
    pub allow_plain_http_credentials: bool,
}

impl Remote {
    /// A remote at `url` (`http://` or `https://`). Credentials in the URL's user info are
    /// refused: give them as [`Credentials`], so they never end up in a path, a log or an
    /// error.
    pub fn new(url: impl Into<String>) -> Result<Remote> {
        let url = url.into();
        let parsed = reqwest::Url::parse(&url).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                redact_url(&url),
                format!("invalid repository URL: {e}"),
            )
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::new(
                ErrorKind::Config,
                redact_url(&url),
                "only http and https repository URLs are supported",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(Error::new(
                ErrorKind::Config,
                redact_url(&url),
                "credentials in the repository URL: configure them as a username and password instead",
            ));
        }
        Ok(Remote {
            url,
            credentials: None,
            network: Network::default(),
            allow_plain_http_credentials: false,
        })
    }

    /// Sets the credentials.
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Remote {
        self.credentials = credentials;
        self
    }

    /// Sets the network settings.
    pub fn with_network(mut self, network: Network) -> Remote {
        self.network = network;
        self
    }

    /// Allows credentials over plain `http://` (see the field).
    pub fn allow_plain_http_credentials(mut self, allow: bool) -> Remote {
        self.allow_plain_http_credentials = allow;
        self
    }

    /// The credentials to send, refusing clear text over `http://` unless allowed.
    pub(crate) fn credentials_to_send(&self) -> Result<Option<&Credentials>> {
        match &self.credentials {
            Some(_) if self.url.starts_with("http://") && !self.allow_plain_http_credentials => {
                Err(Error::new(
                    ErrorKind::Config,
                    redact_url(&self.url),
                    "refusing to send credentials over plain http (use https, or allow it explicitly)",
                ))
            }
            c => Ok(c.as_ref()),
        }
    }

    /// The repository URL (never holds credentials).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Remote")
            .field("url", &self.url)
            .field("credentials", &self.credentials)
            .field("network", &self.network)
            .field(
                "allow_plain_http_credentials",
                &self.allow_plain_http_credentials,
            )
            .finish()
    }
}

/// A username and a password or token. `Debug` shows the username only.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (for a token, whatever the host expects, e.g. `oauth2`).
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Which proxy outbound connections use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProxySettings {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case), as the go
    /// command and git read them. The default.
    #[default]
    FromEnv,
    /// No proxy at all, whatever the environment says.
    Direct,
    /// This proxy URL for every scheme, except for the hosts of `no_proxy` (a `NO_PROXY`-style
    /// list).
    Fixed {
        /// e.g. `http://proxy.corp.example:3128`.
        url: String,
        /// e.g. `localhost,.corp.example`.
        no_proxy: Option<String>,
    },
}

/// Outbound network settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// The proxy.
    pub proxy: ProxySettings,
    /// A PEM file of extra CA certificates, trusted besides the system store.
    pub extra_ca_file: Option<PathBuf>,
    /// The most a connection may take to open.
    pub connect_timeout: Duration,
    /// The most a small request (go-import discovery, a probe of the repository URL) may
    /// take in total.
    pub request_timeout: Duration,
    /// The most one request of a git fetch may take in total, pack download included: a
    /// first fetch of a large repository needs minutes.
    pub fetch_timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for Network {
    fn default() -> Network {
        Network {
            proxy: ProxySettings::FromEnv,
            extra_ca_file: None,
            connect_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30),
            fetch_timeout: Duration::from_secs(15 * 60),
            user_agent: concat!("modgate-codehost/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl Network {
    /// A blocking reqwest client builder with these settings: system roots plus the extra CA,
    /// the proxy, the connect limit, `timeout` for each whole request, and the user agent.
    /// Redirects are left to the caller.
    pub fn client_builder(&self, timeout: Duration) -> Result<reqwest::blocking::ClientBuilder> {
        let mut builder = reqwest::blocking::ClientBuilder::new()
            .connect_timeout(self.connect_timeout)
            .timeout(timeout)
            .user_agent(self.user_agent.clone());
        match &self.proxy {
            ProxySettings::FromEnv => {}
            ProxySettings::Direct => builder = builder.no_proxy(),
            ProxySettings::Fixed { url, no_proxy } => {
                let proxy = reqwest::Proxy::all(url.as_str())
                    .map_err(|e| {
                        Error::new(
                            ErrorKind::Config,
                            redact_url(url),
                            format!("invalid proxy URL: {e}"),
                        )
                    })?
                    .no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string));
                builder = builder.no_proxy().proxy(proxy);
            }
        }
        if let Some(path) = &self.extra_ca_file {
            let subject = path.display().to_string();
            let pem = std::fs::read(path).map_err(|e| {
                Error::new(ErrorKind::Config, &subject, "cannot read the CA file").with_source(e)
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                Error::new(ErrorKind::Config, &subject, "invalid PEM in the CA file").with_source(e)
            })?;
            if certs.is_empty() {
                return Err(Error::new(
                    ErrorKind::Config,
                    subject,
                    "no certificate in the CA file",
                ));
            }
            builder = builder.tls_certs_merge(certs);
        }
        Ok(builder)
    }

    /// A client for small requests ([`request_timeout`](Self::request_timeout)), following
    /// redirects.
    pub fn client(&self) -> Result<reqwest::blocking::Client> {
        self.client_builder(self.request_timeout)?
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Config, "", "cannot build an HTTP client").with_source(e)
            })
    }
}

/// `url` with any user info replaced by `redacted`, for messages and logs. A string that
/// does not parse as a URL is cut at its last `@` before the path, to be safe.
pub fn redact_url(url: &str) -> String {
    if let Ok(mut parsed) = reqwest::Url::parse(url) {
        if !parsed.username().is_empty() || parsed.password().is_some() {
            let _ = parsed.set_username("redacted");
            let _ = parsed.set_password(None);
        }
        return parsed.to_string();
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let rest = match rest[..authority_end].rfind('@') {
        Some(at) => format!("redacted@{}", &rest[at + 1..]),
        None => rest.to_owned(),
    };
    match scheme {
        Some(scheme) => format!("{scheme}://{rest}"),
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_user_info() {
        const CASES: &[(&str, &str)] = &[
            ("https://git.example/a.git", "https://git.example/a.git"),
            (
                "https://u:p@git.example/a.git",
                "https://redacted@git.example/a.git",
            ),
            (
                "https://tok@git.example/a.git",
                "https://redacted@git.example/a.git",
            ),
            ("weird://u:p@h/x@y", "weird://redacted@h/x@y"),
            ("not a url u:p@h/x", "redacted@h/x"),
        ];
        for (url, want) in CASES {
            assert_eq!(redact_url(url), *want, "{url}");
        }
    }

    #[test]
    fn refuses_credentials_in_url() {
        let err = Remote::new("https://u:secret@git.example/a.git").unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::Config);
        assert!(!err.to_string().contains("secret"), "{err}");
        let debug = format!(
            "{:?}",
            Remote::new("https://git.example/a.git").map(|r| r.with_credentials(Some(
                Credentials {
                    username: "u".into(),
                    password: "secret".into()
                }
            )))
        );
        assert!(!debug.contains("secret"), "{debug}");
    }
}
