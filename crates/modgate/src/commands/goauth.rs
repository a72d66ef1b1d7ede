//! `modgate auth [URL]`: a GOAUTH command (`GOAUTH='modgate auth'`, Go 1.24+). It prints the
//! tokens `modgate login` stored, in the format of `go help goauth`: for each server, its URL,
//! a blank line, `Authorization: Bearer TOKEN`, a blank line. Without an argument (the go
//! command's first call), every https server; with a URL (a retry after a 4xx, the response on
//! standard input, which is not needed), the server it starts with, or nothing.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;

use super::login::{read_tokens, tokens_file};

pub(crate) fn run(url: Option<&str>) -> anyhow::Result<()> {
    let tokens = read_tokens(&tokens_file()?)?;
    let out = render(&tokens, url);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to standard output")
}

/// The credential sets for `url` (or every server). The go command sends credentials over
/// https only and takes only https URLs, so other servers are left out.
fn render(tokens: &BTreeMap<String, String>, url: Option<&str>) -> String {
    let mut out = String::new();
    for (server, token) in tokens {
        if !server.starts_with("https://") || !is_header_value(token) {
            continue;
        }
        if let Some(url) = url
            && !covers(server, url)
        {
            continue;
        }
        out.push_str(&format!("{server}\n\nAuthorization: Bearer {token}\n\n"));
    }
    out
}

/// Whether `url` is on `server` (an origin): the same scheme, host and port, then a path.
fn covers(server: &str, url: &str) -> bool {
    url.strip_prefix(server)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
}

/// A token that would break the format (a hand-edited file) is left out.
fn is_header_value(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_credential_sets_as_go_help_goauth_says() {
        let tokens = BTreeMap::from([
            ("https://a.example".to_owned(), "mg_a".to_owned()),
            ("https://b.example:8443".to_owned(), "mg_b".to_owned()),
            ("http://plain.example".to_owned(), "mg_p".to_owned()),
            ("https://bad.example".to_owned(), "mg x\n".to_owned()),
        ]);
        assert_eq!(
            render(&tokens, None),
            "https://a.example\n\nAuthorization: Bearer mg_a\n\n\
             https://b.example:8443\n\nAuthorization: Bearer mg_b\n\n"
        );
        assert_eq!(
            render(
                &tokens,
                Some("https://b.example:8443/corp.example/a/@v/list")
            ),
            "https://b.example:8443\n\nAuthorization: Bearer mg_b\n\n"
        );
        assert_eq!(render(&tokens, Some("https://b.example/x")), "");
        assert_eq!(render(&tokens, Some("https://a.example.evil/x")), "");
        assert_eq!(render(&tokens, Some("http://plain.example/x")), "");
    }
}
