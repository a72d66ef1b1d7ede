//! What doctor reads: proxy URLs as GOPROXY lists them, `.netrc` files as the go command reads
//! them, `GOSUMDB` and `GOAUTH` values.

/// One URL of a GOPROXY list: `https://alice:pw@modgate.corp.example:8443/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyUrl {
    pub scheme: String,
    pub user: Option<(String, String)>,
    pub host: String,
    /// The port written in the URL, if any.
    pub port: Option<u16>,
    /// The path, without its trailing slash ("" for the root).
    pub path: String,
}

impl ProxyUrl {
    /// `None` for what is not an http(s) URL (`direct`, `off`, `file://…`).
    pub(crate) fn parse(text: &str) -> Option<ProxyUrl> {
        let (scheme, rest) = text.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((info, host)) => {
                let (user, password) = info.split_once(':').unwrap_or((info, ""));
                (Some((user.to_owned(), password.to_owned())), host)
            }
            None => (None, authority),
        };
        // `[::1]:8443`: the port follows the bracket.
        let split = match host_port.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map(|(h, p)| (h, p.strip_prefix(':'))),
            None => Some(match host_port.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            }),
        };
        let (host, port) = split?;
        let port = match port {
            Some(p) => Some(p.parse().ok()?),
            None => None,
        };
        if host.is_empty() {
            return None;
        }
        Some(ProxyUrl {
            scheme,
            user,
            host: host.to_ascii_lowercase(),
            port,
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// The port a connection uses.
    pub(crate) fn effective_port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "https" { 443 } else { 80 })
    }

    /// A port other than the scheme's default is written in the URL.
    pub(crate) fn non_default_port(&self) -> Option<u16> {
        self.port
            .filter(|&p| p != if self.scheme == "https" { 443 } else { 80 })
    }

    /// The same server: host and port (whatever the scheme and credentials).
    pub(crate) fn same_server(&self, other: &ProxyUrl) -> bool {
        self.host == other.host && self.effective_port() == other.effective_port()
    }

    /// `host` or `host:port`, as a `.netrc` `machine` names it.
    pub(crate) fn host_port(&self) -> String {
        match self.non_default_port() {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    /// The URL without credentials.
    pub(crate) fn display(&self) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!("{}://{}{port}{}", self.scheme, self.host, self.path)
    }
}

/// One `machine` of a `.netrc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Machine {
    pub name: String,
    pub login: String,
    pub password: String,
}

/// The `machine` entries of a `.netrc`, as the go command parses them: `default` and what
/// follows it are ignored, `macdef` bodies skipped.
pub(crate) fn parse_netrc(text: &str) -> Vec<Machine> {
    let mut machines = Vec::new();
    let mut current: Option<Machine> = None;
    let mut in_macdef = false;
    for line in text.lines() {
        if in_macdef {
            in_macdef = !line.trim().is_empty();
            continue;
        }
        let mut tokens = line.split_whitespace();
        while let Some(token) = tokens.next() {
            match token {
                "machine" => {
                    machines.extend(current.take());
                    current = tokens.next().map(|name| Machine {
                        name: name.to_ascii_lowercase(),
                        login: String::new(),
                        password: String::new(),
                    });
                }
                "default" => {
                    machines.extend(current.take());
                    return machines;
                }
                "login" | "password" => {
                    let value = tokens.next().unwrap_or_default().to_owned();
                    if let Some(machine) = current.as_mut() {
                        match token {
                            "login" => machine.login = value,
                            _ => machine.password = value,
                        }
                    }
                }
                "macdef" => {
                    in_macdef = true;
                    break;
                }
                _ => {}
            }
        }
    }
    machines.extend(current);
    machines
}

/// The checksum database's name in a `GOSUMDB` value (`name+hash+key [URL]`); `None` for off.
pub(crate) fn sumdb_name(gosumdb: &str) -> Option<String> {
    let value = gosumdb.trim();
    match value {
        "off" => None,
        "" => Some("sum.golang.org".to_owned()),
        _ => value
            .split_whitespace()
            .next()
            .and_then(|key| key.split('+').next())
            .map(str::to_owned),
    }
}

/// The databases run by Google, which know only public modules.
pub(crate) fn is_public_sumdb(name: &str) -> bool {
    matches!(name, "sum.golang.org" | "sum.golang.google.cn")
}

/// Proxies on the internet, which must never hear a private module path.
pub(crate) fn is_public_proxy(url: &ProxyUrl) -> bool {
    const PUBLIC: [&str; 5] = [
        "proxy.golang.org",
        "goproxy.io",
        "goproxy.cn",
        "proxy.golang.com.cn",
        "mirrors.aliyun.com",
    ];
    PUBLIC
        .iter()
        .any(|p| url.host == *p || url.host.ends_with(&format!(".{p}")))
}

/// `GOAUTH` (Go 1.24+): whether `.netrc` is read, and whether a command supplies credentials.
pub(crate) fn goauth(value: &str) -> (bool, bool) {
    let methods: Vec<&str> = value
        .split(';')
        .filter_map(|m| m.split_whitespace().next())
        .collect();
    let netrc = methods.contains(&"netrc");
    let command = methods.iter().any(|m| !matches!(*m, "netrc" | "off"));
    (netrc, command)
}
