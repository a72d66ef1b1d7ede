//! `[upstream]`: the proxies that `source = "upstream"` routes fill the store from.

use serde::Deserialize;

use super::{ConfigError, invalid, positive_secs};
use crate::source::{UpstreamProxy, UpstreamSettings};

/// The public Go module mirror, as the `go` command's own default.
const DEFAULT_UPSTREAM: &str = "https://proxy.golang.org";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUpstream {
    proxies: Option<String>,
    timeout_secs: Option<u64>,
    zip_timeout_secs: Option<u64>,
    list_ttl_secs: Option<u64>,
    not_found_ttl_secs: Option<u64>,
    offline: Option<bool>,
}

pub(super) fn upstream(
    raw: RawUpstream,
    proxies_override: Option<String>,
    offline_override: Option<bool>,
) -> Result<UpstreamSettings, ConfigError> {
    let proxies = proxies_override
        .or(raw.proxies)
        .unwrap_or_else(|| DEFAULT_UPSTREAM.to_owned());
    Ok(UpstreamSettings {
        proxies: parse_proxy_list(&proxies)
            .map_err(|reason| invalid("upstream.proxies", reason))?,
        timeout: positive_secs("upstream.timeout_secs", raw.timeout_secs, 30)?,
        zip_timeout: positive_secs("upstream.zip_timeout_secs", raw.zip_timeout_secs, 600)?,
        list_ttl: positive_secs("upstream.list_ttl_secs", raw.list_ttl_secs, 300)?,
        not_found_ttl: positive_secs("upstream.not_found_ttl_secs", raw.not_found_ttl_secs, 30)?,
        offline: offline_override.or(raw.offline).unwrap_or(false),
    })
}

/// Parses a list in `GOPROXY` syntax: URLs separated by `,` (only 404/410 fall through) or
/// `|` (any failure does). `direct` and `off` are the go command's, not a proxy's: modgate
/// fetches from proxies only.
fn parse_proxy_list(list: &str) -> Result<Vec<UpstreamProxy>, String> {
    let mut proxies = Vec::new();
    let mut rest = list.trim();
    while !rest.is_empty() {
        let end = rest.find([',', '|']).unwrap_or(rest.len());
        let entry = rest[..end].trim();
        let fall_through_on_error = rest[end..].starts_with('|');
        rest = rest.get(end + 1..).unwrap_or("").trim_start();
        if entry.is_empty() {
            return Err(format!("{list:?}: empty entry"));
        }
        proxies.push(UpstreamProxy {
            fall_through_on_error,
            ..parse_proxy(entry)?
        });
    }
    if proxies.is_empty() {
        return Err("empty: name at least one proxy URL".to_owned());
    }
    Ok(proxies)
}

fn parse_proxy(entry: &str) -> Result<UpstreamProxy, String> {
    if entry == "direct" || entry == "off" {
        return Err(format!(
            "{entry:?} is not supported: modgate fetches from proxies only (list proxy URLs)"
        ));
    }
    let url = reqwest::Url::parse(entry).map_err(|e| format!("{entry:?}: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{entry:?}: expected an http:// or https:// URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{entry:?}: a proxy URL has no query or fragment"));
    }
    let credentials = (!url.username().is_empty()).then(|| {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        (
            decode(url.username()),
            decode(url.password().unwrap_or_default()),
        )
    });
    let mut bare = url.clone();
    // Both setters fail only for URLs that cannot have credentials, which was ruled out above.
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    Ok(UpstreamProxy {
        url: bare.as_str().trim_end_matches('/').to_owned(),
        credentials,
        fall_through_on_error: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_lists_follow_goproxy_separators() {
        let proxies = parse_proxy_list(
            "https://a.example/p/, http://u:p%40ss@b.example:8080|https://c.example",
        )
        .expect("a valid list");
        let urls: Vec<&str> = proxies.iter().map(|p| p.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://a.example/p",
                "http://b.example:8080",
                "https://c.example"
            ]
        );
        let fall: Vec<bool> = proxies.iter().map(|p| p.fall_through_on_error).collect();
        assert_eq!(fall, [false, true, false]);
        assert_eq!(
            proxies[1].credentials,
            Some(("u".to_owned(), "p@ss".to_owned()))
        );
        assert!(!format!("{:?}", proxies[1]).contains("p@ss"));
    }

    #[test]
    fn proxy_lists_reject_what_modgate_cannot_fetch_from() {
        for bad in [
            "",
            "direct",
            "https://a.example,off",
            "ftp://a.example",
            "a.example",
            "https://a.example,,https://b.example",
            "https://a.example/?x=1",
        ] {
            assert!(parse_proxy_list(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
