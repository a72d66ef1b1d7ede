//! `modgate doctor`'s judgement, pure: a developer's go settings (`go env -json`), their
//! `.netrc`, and what probing the server showed, in; plain findings ("problem: … / change: …")
//! out. `commands/doctor.rs` gathers the inputs and prints the findings.

mod checks;
mod parse;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use checks::{
    access, checksums, gonoproxy, goproxy_order, http_credentials, insecure, netrc_machines,
    reachable,
};
pub(crate) use parse::{Machine, ProxyUrl, parse_netrc};
use parse::{goauth, is_public_proxy, sumdb_name};

/// The go command's settings, as `go env -json` prints them.
#[derive(Debug, Default, Clone)]
pub(crate) struct GoSettings(pub BTreeMap<String, String>);

impl GoSettings {
    pub(crate) fn get(&self, key: &str) -> &str {
        self.0.get(key).map_or("", String::as_str)
    }

    /// 27 for go1.27.3; `None` when unknown (a development build).
    pub(crate) fn minor(&self) -> Option<u32> {
        let version = self.get("GOVERSION").strip_prefix("go1.")?;
        version.split(['.', 'r', 'b', '-']).next()?.parse().ok()
    }

    /// Go 1.24 and later read credentials through GOAUTH and match `.netrc` machines against
    /// the URL's host with its port.
    fn has_goauth(&self) -> bool {
        self.minor().is_none_or(|m| m >= 24)
    }

    /// Whether this go reads `.netrc` at all.
    fn reads_netrc(&self) -> bool {
        match self.has_goauth() {
            true => match self.0.get("GOAUTH") {
                Some(value) => goauth(value).0,
                None => true,
            },
            false => true,
        }
    }

    /// The patterns of `GOPRIVATE`, `GONOPROXY` and `GONOSUMDB` together.
    fn private_patterns(&self) -> Vec<String> {
        let mut patterns: Vec<String> = ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"]
            .iter()
            .flat_map(|k| self.get(k).split(','))
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty() && p != "none" && p != "off")
            .collect();
        patterns.sort();
        patterns.dedup();
        patterns
    }

    /// The first literal private prefix (no glob): a path to ask the server about.
    pub(crate) fn private_prefix(&self) -> Option<String> {
        self.private_patterns()
            .into_iter()
            .find(|p| !p.contains(['*', '?', '[', '\\']))
    }

    /// The checksum database `GOSUMDB` names; `None` when off.
    pub(crate) fn sumdb_name(&self) -> Option<String> {
        sumdb_name(self.get("GOSUMDB"))
    }
}

/// How a request to the server went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reach {
    /// An HTTP answer: its status and the first line of its body.
    Answered(u16, String),
    /// The server's certificate is not trusted here.
    UntrustedCa(String),
    /// No connection, or no answer.
    Unreachable(String),
}

/// Where the credentials a probe sent came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    Netrc(String),
    Url,
}

/// What the go command would send the server, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub user: String,
    pub password: String,
    pub source: CredentialSource,
}

/// What probing the server showed.
#[derive(Debug, Clone)]
pub(crate) struct Probes {
    /// `GET /healthz`.
    pub health: Reach,
    /// `GET /<a private prefix>/@v/list` with the credentials: whether they are accepted.
    pub access: Option<(String, Reach)>,
    /// `GET /sumdb/<GOSUMDB's name>/supported` with the credentials.
    pub sumdb: Option<(String, Reach)>,
}

/// One thing to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub problem: String,
    pub change: String,
}

fn finding(problem: impl Into<String>, change: impl Into<String>) -> Finding {
    Finding {
        problem: problem.into(),
        change: change.into(),
    }
}

/// Everything doctor knows.
pub(crate) struct Inputs<'a> {
    pub go: &'a GoSettings,
    /// The `.netrc` the go command reads (its path), and its machines.
    pub netrc: (&'a str, &'a [Machine]),
    /// The modgate server: `--server`, or the first private proxy in GOPROXY.
    pub server: &'a ProxyUrl,
    pub probes: Option<&'a Probes>,
}

/// The GOPROXY entry that is this server, if any.
pub(crate) fn server_in_goproxy(go: &GoSettings, server: &ProxyUrl) -> Option<ProxyUrl> {
    goproxy_entries(go)
        .into_iter()
        .filter_map(|e| ProxyUrl::parse(&e))
        .find(|u| u.same_server(server))
}

/// The server doctor talks to when none is named: the first http(s) proxy in GOPROXY that is
/// not a public one.
pub(crate) fn server_from_goproxy(go: &GoSettings) -> Option<ProxyUrl> {
    goproxy_entries(go)
        .into_iter()
        .filter_map(|e| ProxyUrl::parse(&e))
        .find(|u| !is_public_proxy(u))
}

fn goproxy_entries(go: &GoSettings) -> Vec<String> {
    go.get("GOPROXY")
        .split([',', '|'])
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .collect()
}

/// The credentials the go command would send the server: the `.netrc` machine it matches
/// (when it reads `.netrc`), else those in the GOPROXY URL.
pub(crate) fn credentials(inputs: &Inputs<'_>) -> Option<Credentials> {
    let entry = server_in_goproxy(inputs.go, inputs.server);
    let wanted = match inputs.go.has_goauth() {
        true => entry.as_ref().unwrap_or(inputs.server).host_port(),
        false => inputs.server.host.clone(),
    };
    let from_netrc = inputs
        .netrc
        .1
        .iter()
        .find(|m| inputs.go.reads_netrc() && m.name == wanted)
        .map(|m| Credentials {
            user: m.login.clone(),
            password: m.password.clone(),
            source: CredentialSource::Netrc(m.name.clone()),
        });
    from_netrc.or_else(|| {
        let (user, password) = entry?.user?;
        Some(Credentials {
            user,
            password,
            source: CredentialSource::Url,
        })
    })
}

/// Every finding, most fundamental first.
pub(crate) fn check(inputs: &Inputs<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(goproxy_order(inputs));
    findings.extend(gonoproxy(inputs.go));
    findings.extend(checksums(inputs));
    findings.extend(netrc_machines(inputs));
    findings.extend(http_credentials(inputs));
    findings.extend(insecure(inputs.go));
    if let Some(probes) = inputs.probes {
        findings.extend(reachable(inputs, probes));
        findings.extend(access(inputs, probes));
    }
    findings
}
