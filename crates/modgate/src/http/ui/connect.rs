//! The connect page: the exact lines a user runs to use this server from the `go` command,
//! for this user and the address they reached it at.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use maud::{Markup, html};

use super::pages::layout;
use super::{Page, Reached, Who, html};
use crate::http::AppState;
use crate::service::ClientSettings;

/// Stands for the user's password in the lines shown: the page never holds a real one.
const PASSWORD_PLACEHOLDER: &str = "YOUR-PASSWORD-OR-TOKEN";

pub(super) async fn page(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Page {
    let who = Who::reader(&state, peer, &headers, &uri).await?;
    let server = Server::of(&Reached::of(&state, peer, &headers, &uri));
    let settings = state.service.client_settings(&who.caller);
    let lines = Lines::new(&server, &settings, who.name.as_deref());
    Ok(html(
        StatusCode::OK,
        connect_page(&who, &lines, &server, state.ui),
    ))
}

/// Where the client reached us.
pub(super) struct Server {
    pub https: bool,
    /// The host name (or bracketed IPv6 address), without the port.
    pub host: String,
    /// The port, when not the scheme's default.
    pub port: Option<u16>,
}

impl Server {
    fn of(reached: &Reached<'_>) -> Server {
        let https = reached.https;
        let authority = reached
            .authority
            .filter(|a| {
                !a.is_empty()
                    && a.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
            })
            .unwrap_or("modgate.example");
        let (host, port) = match authority.rsplit_once(':') {
            // `[::1]` alone has colons but no port.
            Some((host, port)) if !port.contains(']') => (host, port.parse::<u16>().ok()),
            _ => (authority, None),
        };
        let default = if https { 443 } else { 80 };
        Server {
            https,
            host: host.to_owned(),
            port: port.filter(|p| *p != default),
        }
    }

    /// `https://host[:port]`.
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        match self.port {
            Some(port) => format!("{scheme}://{}:{port}", self.host),
            None => format!("{scheme}://{}", self.host),
        }
    }
}

/// The three blocks of lines.
pub(super) struct Lines {
    pub env: String,
    pub netrc: String,
    pub goauth: String,
}

impl Lines {
    pub fn new(server: &Server, settings: &ClientSettings, user: Option<&str>) -> Lines {
        let url = server.url();
        let mut env = format!("go env -w GOPROXY={url}\n");
        match (&settings.gosumdb, settings.nosumdb.is_empty()) {
            (Some(key), _) => env.push_str(&format!("go env -w GOSUMDB='{key}'\n")),
            (None, false) => env.push_str(&format!(
                "go env -w GONOSUMDB={}\n",
                settings.nosumdb.join(",")
            )),
            (None, true) => {}
        }
        env.push_str("go env -w GONOPROXY=none\n");
        let login = user.unwrap_or("YOUR-USER-NAME");
        let mut netrc = format!(
            "machine {} login {login} password {PASSWORD_PLACEHOLDER}\n",
            server.host
        );
        if let Some(port) = server.port {
            netrc.push_str(&format!(
                "machine {}:{port} login {login} password {PASSWORD_PLACEHOLDER}\n",
                server.host
            ));
        }
        let goauth = format!("modgate login --server {url}\ngo env -w GOAUTH='modgate auth'\n");
        Lines { env, netrc, goauth }
    }
}

fn block(id: &str, title: &str, text: &str) -> Markup {
    html! {
        div .block {
            div .block-head {
                h2 { (title) }
                button .copy type="button" data-copy=(id) hidden { "Copy" }
            }
            pre #(id) { (text) }
        }
    }
}

fn connect_page(who: &Who, lines: &Lines, server: &Server, ui: super::UiSettings) -> Markup {
    let body = html! {
        h1 { "Connect the go command" }
        p { "Run these lines on your machine to fetch modules through " code { (server.url()) } "." }
        (block("connect-env", "Environment", &lines.env))
        h2 { "Credentials" }
        p { "Either in " code { "~/.netrc" } " (the go command sends them only over https):" }
        (block("connect-netrc", ".netrc", &lines.netrc))
        @if server.port.is_some() {
            p .muted { "Go 1.19 matches the host name alone; newer Go matches host:port: keep both lines." }
        }
        p { "Or with a personal token kept by modgate (" a href="/-/tokens" { "Tokens" } "), through GOAUTH (Go 1.24 and later):" }
        (block("connect-goauth", "GOAUTH", &lines.goauth))
        @if !server.https {
            p .notice { "This server speaks plain HTTP: the go command sends no credentials to it, so only routes anyone may read work." }
        }
        @if ui.private_ca {
            p #ca-hint .notice {
                "This server's certificate is not signed by a CA your system trusts. Get the CA certificate from your administrator and point the go command at it: "
                code { "export SSL_CERT_FILE=/path/to/ca.pem" } " (Linux), or add it to the system's trust store."
            }
        }
    };
    layout(who, "Connect", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(host: &str, https: bool) -> Server {
        Server::of(&Reached {
            https,
            authority: Some(host),
        })
    }

    #[test]
    fn lines_name_the_port_only_when_not_default() {
        let settings = ClientSettings {
            gosumdb: None,
            nosumdb: vec!["corp.example".into()],
        };
        let lines = Lines::new(
            &server("proxy.corp.example:8443", true),
            &settings,
            Some("alice"),
        );
        assert!(
            lines
                .env
                .contains("GOPROXY=https://proxy.corp.example:8443\n")
        );
        assert!(lines.env.contains("GONOSUMDB=corp.example\n"));
        assert!(lines.env.contains("GONOPROXY=none\n"));
        assert!(
            lines
                .netrc
                .contains("machine proxy.corp.example login alice password ")
        );
        assert!(
            lines
                .netrc
                .contains("machine proxy.corp.example:8443 login alice")
        );
        let lines = Lines::new(
            &server("proxy.corp.example:443", true),
            &settings,
            Some("alice"),
        );
        assert_eq!(lines.netrc.lines().count(), 1);
        assert!(
            lines
                .goauth
                .contains("modgate login --server https://proxy.corp.example\n")
        );
        let with_log = ClientSettings {
            gosumdb: Some("sum.corp.example+1+abc".into()),
            nosumdb: Vec::new(),
        };
        let lines = Lines::new(&server("[::1]:8080", false), &with_log, None);
        assert!(lines.env.contains("GOSUMDB='sum.corp.example+1+abc'\n"));
        assert!(!lines.env.contains("GONOSUMDB"));
        assert!(lines.env.contains("GOPROXY=http://[::1]:8080\n"));
        assert_eq!(server("a b", true).host, "modgate.example");
    }
}
