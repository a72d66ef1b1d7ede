//! The checks, one function each: settings in, findings out.

use super::parse::{is_public_proxy, is_public_sumdb};
use super::{
    CredentialSource, Finding, GoSettings, Inputs, Probes, ProxyUrl, Reach, credentials, finding,
    goproxy_entries, server_in_goproxy,
};

/// GOPROXY names the server, and nothing before it that would see private names first.
pub(super) fn goproxy_order(inputs: &Inputs<'_>) -> Vec<Finding> {
    let server = inputs.server.display();
    let entries = goproxy_entries(inputs.go);
    let Some(at) = entries
        .iter()
        .position(|e| ProxyUrl::parse(e).is_some_and(|u| u.same_server(inputs.server)))
    else {
        return vec![finding(
            format!(
                "GOPROXY={:?} does not name modgate ({server}): the go command never asks it",
                inputs.go.get("GOPROXY")
            ),
            format!("go env -w GOPROXY={server}"),
        )];
    };
    let mut findings = Vec::new();
    for before in &entries[..at] {
        let problem = match before.as_str() {
            "direct" => "GOPROXY lists `direct` before modgate: the go command fetches every \
                         module straight from its repository and asks modgate only when that fails"
                .to_owned(),
            "off" => {
                "GOPROXY lists `off` before modgate: no module is downloaded at all".to_owned()
            }
            other => match ProxyUrl::parse(other) {
                Some(url) if is_public_proxy(&url) => format!(
                    "GOPROXY lists the public proxy {} before modgate: every module path, the \
                     private ones too, is sent to it first",
                    url.display()
                ),
                _ => continue,
            },
        };
        findings.push(finding(
            problem,
            format!(
                "put modgate first: go env -w GOPROXY={server} (with an upstream route modgate \
                 fetches public modules itself)"
            ),
        ));
    }
    findings
}

/// `GOPRIVATE` alone also sets `GONOPROXY`, which sends private modules around every proxy.
pub(super) fn gonoproxy(go: &GoSettings) -> Option<Finding> {
    let value = go.get("GONOPROXY").trim();
    if value.is_empty() || value == "none" || value == "off" {
        return None;
    }
    let from = match go.get("GOPRIVATE").trim() == value {
        true => " (it takes GOPRIVATE's value when not set)",
        false => "",
    };
    Some(finding(
        format!(
            "GONOPROXY={value:?}{from}: the go command bypasses modgate for these modules and \
             clones them straight from version control"
        ),
        "go env -w GONOPROXY=none",
    ))
}

/// Private modules need a checksum database that knows them (modgate's own), or to be left out
/// of the public one's checks.
pub(super) fn checksums(inputs: &Inputs<'_>) -> Option<Finding> {
    let go = inputs.go;
    let name = go.sumdb_name()?;
    let server = inputs.server.display();
    if !is_public_sumdb(&name) {
        // Named: modgate's private database, if the server serves it.
        let (probed, reach) = inputs.probes?.sumdb.as_ref()?;
        return match reach {
            Reach::Answered(404, _) if *probed == name => Some(finding(
                format!(
                    "GOSUMDB names the checksum database {name}, which modgate ({server}) does not serve"
                ),
                "set GOSUMDB to the verifier key `modgate sumdb init` printed for the server's [private_sumdb], or GONOSUMDB to the private module prefixes",
            )),
            _ => None,
        };
    }
    if go.get("GONOSUMDB").trim().is_empty() {
        return Some(finding(
            format!(
                "GOSUMDB is the public {name} and GONOSUMDB is empty: the go command asks it \
                 about every module it downloads, the private ones too, and fails on them"
            ),
            "go env -w GONOSUMDB=corp.example (your private module prefixes), or \
             GOSUMDB=\"<the verifier key of modgate's private checksum database>\"",
        ));
    }
    let uncovered: Vec<String> = go
        .get("GOPRIVATE")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter(|p| !gomod::match_prefix_patterns(go.get("GONOSUMDB").split(','), p))
        .map(str::to_owned)
        .collect();
    (!uncovered.is_empty()).then(|| {
        finding(
            format!(
                "GONOSUMDB={:?} leaves out the private prefixes {}: the public {name} is asked about them",
                go.get("GONOSUMDB"),
                uncovered.join(",")
            ),
            format!("add them: go env -w GONOSUMDB={},{}", go.get("GONOSUMDB"), uncovered.join(",")),
        )
    })
}

/// A `.netrc` machine the go command in use does not match: current Go wants `host:port` when
/// the URL has a port, Go before 1.24 the host alone.
pub(super) fn netrc_machines(inputs: &Inputs<'_>) -> Option<Finding> {
    let go = inputs.go;
    let (path, machines) = inputs.netrc;
    let url = server_in_goproxy(go, inputs.server).unwrap_or_else(|| inputs.server.clone());
    let port = url.non_default_port()?;
    if !go.reads_netrc() {
        return None;
    }
    let with_port = format!("{}:{port}", url.host);
    let has = |name: &str| machines.iter().any(|m| m.name == name);
    let version = go.get("GOVERSION");
    match go.has_goauth() {
        true if has(&url.host) && !has(&with_port) => Some(finding(
            format!(
                "{path} has `machine {}` but {version} looks for `machine {with_port}` (the proxy URL has a port): no credentials are sent",
                url.host
            ),
            format!(
                "add a line to {path}: machine {with_port} login USER password PASSWORD (keep the other for Go before 1.24)"
            ),
        )),
        false if has(&with_port) && !has(&url.host) => Some(finding(
            format!(
                "{path} has `machine {with_port}` but {version} matches the host name alone: no credentials are sent"
            ),
            format!(
                "add a line to {path}: machine {} login USER password PASSWORD",
                url.host
            ),
        )),
        _ => None,
    }
}

/// The go command sends credentials over https only.
pub(super) fn http_credentials(inputs: &Inputs<'_>) -> Option<Finding> {
    let url = server_in_goproxy(inputs.go, inputs.server)?;
    if url.scheme != "http" {
        return None;
    }
    let from = match credentials(inputs)?.source {
        CredentialSource::Url => "credentials in the GOPROXY URL".to_owned(),
        CredentialSource::Netrc(machine) => format!("`machine {machine}` in {}", inputs.netrc.0),
    };
    Some(finding(
        format!(
            "modgate is reached over http ({}) and you have {from}: the go command never sends \
             credentials over http, so private modules are refused",
            url.display()
        ),
        "serve modgate over https ([tls] cert and key) and use https:// in GOPROXY",
    ))
}

/// The server answers, over a connection this machine trusts.
pub(super) fn reachable(inputs: &Inputs<'_>, probes: &Probes) -> Option<Finding> {
    let server = inputs.server.display();
    match &probes.health {
        Reach::Answered(200, _) => None,
        Reach::Answered(status, says) => Some(finding(
            format!("{server}/healthz answered {status} {says}: is this modgate?"),
            "check the URL in GOPROXY (or --server)",
        )),
        Reach::UntrustedCa(reason) => Some(finding(
            format!("{server} presents a certificate this machine does not trust ({reason})"),
            "export SSL_CERT_FILE=/path/to/ca.pem (the CA that signed modgate's certificate; \
             the go command reads it too), or add that CA to the system's store \
             (update-ca-certificates)",
        )),
        Reach::Unreachable(reason) => Some(finding(
            format!("{server} cannot be reached: {reason}"),
            "check the URL, that modgate runs, and any proxy (HTTPS_PROXY, NO_PROXY) in between",
        )),
    }
}

/// The credentials are accepted: a request for a private path, and the checksum database.
pub(super) fn access(inputs: &Inputs<'_>, probes: &Probes) -> Vec<Finding> {
    let sent = credentials(inputs);
    let host_port = server_in_goproxy(inputs.go, inputs.server)
        .unwrap_or_else(|| inputs.server.clone())
        .host_port();
    let mut findings = Vec::new();
    for (path, reach) in [&probes.access, &probes.sumdb].into_iter().flatten() {
        let Reach::Answered(status, says) = reach else {
            continue;
        };
        let problem = match (status, &sent) {
            (401, None) => format!(
                "modgate asks for credentials ({path}: 401) and the go command has none for {host_port}"
            ),
            (401, Some(c)) => format!(
                "modgate refused {}'s credentials ({path}: 401 {says})",
                c.user
            ),
            (403, Some(c)) if says.contains("may not") || says.contains("not allowed") => {
                format!("{} may not read {path}: {says}", c.user)
            }
            _ => continue,
        };
        let change = match status {
            401 => format!(
                "put them in {}: machine {host_port} login USER password PASSWORD (over https only)",
                inputs.netrc.0
            ),
            _ => "ask modgate's admin for read rights on the route".to_owned(),
        };
        findings.push(finding(problem, change));
        break;
    }
    findings
}

/// `GOINSECURE` and `-insecure` in `GOFLAGS` never apply to a proxy: a certificate problem is
/// solved by trusting the CA, not by them.
pub(super) fn insecure(go: &GoSettings) -> Vec<Finding> {
    let mut findings = Vec::new();
    if go
        .get("GOFLAGS")
        .split_whitespace()
        .any(|f| f == "-insecure" || f.starts_with("-insecure="))
    {
        findings.push(finding(
            "GOFLAGS has -insecure, which Go 1.17 and later reject (every go command fails), \
             and which never applied to proxies",
            "remove it: go env -w GOFLAGS= (keep its other flags); trust modgate's CA with \
             SSL_CERT_FILE instead",
        ));
    }
    let goinsecure = go.get("GOINSECURE").trim();
    if !goinsecure.is_empty() && go.get("GONOPROXY").trim() == "none" {
        findings.push(finding(
            format!(
                "GOINSECURE={goinsecure:?} has no effect with GONOPROXY=none: it applies to \
                 direct fetches only, never to a proxy"
            ),
            "go env -u GOINSECURE; if modgate's certificate is not trusted, set SSL_CERT_FILE",
        ));
    }
    findings
}
