//! Every outbound connection (an upstream proxy, the checksum database, a git host and its
//! go-import pages) is configured here, the same way: proxies from the environment
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), the system's CA roots plus an optional extra CA
//! file, and modgate's `User-Agent`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

/// `[network]`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OutboundSettings {
    /// A PEM file of CA certificates trusted besides the system's: a company CA.
    pub ca_file: Option<PathBuf>,
}

const USER_AGENT: &str = concat!("modgate/", env!("CARGO_PKG_VERSION"));

impl OutboundSettings {
    /// An HTTP client builder for an upstream proxy or the checksum database; each adds its
    /// own time limits.
    pub fn client(&self) -> anyhow::Result<reqwest::ClientBuilder> {
        let mut builder = reqwest::Client::builder().user_agent(USER_AGENT);
        if let Some(path) = &self.ca_file {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading network.ca_file {}", path.display()))?;
            for certificate in reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("network.ca_file {}", path.display()))?
            {
                builder = builder.add_root_certificate(certificate);
            }
        }
        Ok(builder)
    }

    /// The same for git: fetches, probes and go-import discovery (`codehost`).
    pub fn git(&self, connect_timeout: Duration) -> codehost::Network {
        codehost::Network {
            proxy: codehost::ProxySettings::FromEnv,
            extra_ca_file: self.ca_file.clone(),
            connect_timeout,
            user_agent: USER_AGENT.to_owned(),
            ..codehost::Network::default()
        }
    }
}
