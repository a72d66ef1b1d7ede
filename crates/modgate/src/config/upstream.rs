//! `[upstream]`: the proxies that `source = "upstream"` routes fill the store from.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, invalid, positive_secs};

/// The public Go module mirror, as the `go` command's own default.
pub const DEFAULT_UPSTREAM: &str = "https://proxy.golang.org";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUpstream {
    pub proxies: Option<String>,
    pub timeout_secs: Option<u64>,
    pub zip_timeout_secs: Option<u64>,
    pub list_ttl_secs: Option<u64>,
    pub not_found_ttl_secs: Option<u64>,
    pub offline: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    /// Tried in order, as `GOPROXY` lists them.
    pub proxies: Vec<UpstreamProxy>,
    /// For connecting, for a whole small answer, and for any pause while a zip streams.
    pub timeout: Duration,
    /// For a whole zip download.
    pub zip_timeout: Duration,
    /// How long a `list`, `@latest` or version query answer is used before it is asked again
    /// (in the background; the old answer keeps being served meanwhile and when upstream fails).
    pub list_ttl: Duration,
    /// How long an upstream "not found" is remembered.
    pub not_found_ttl: Duration,
    /// Serve only what is stored; never ask upstream.
    pub offline: bool,
}

/// One entry of the proxy list.
#[derive(Clone, PartialEq, Eq)]
pub struct UpstreamProxy {
    /// The base URL without a trailing slash and without credentials.
    pub url: String,
    /// From the URL's user info, sent as Basic auth.
    pub credentials: Option<(String, String)>,
    /// Written `|` after this entry: any failure, not only 404/410, moves on to the next.
    pub fall_through_on_error: bool,
}

impl std::fmt::Debug for UpstreamProxy {
    // Credentials stay out of logs and error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProxy")
            .field("url", &self.url)
            .field("credentials", &self.credentials.as_ref().map(|_| "…"))
            .field("fall_through_on_error", &self.fall_through_on_error)
            .finish()
    }
}

pub(super) fn upstream(
    raw: RawUpstream,
    proxies_override: Option<String>,
    offline_override: Option<bool>,
) -> Result<UpstreamConfig, ConfigError> {
    let proxies = proxies_override
        .or(raw.proxies)
        .unwrap_or_else(|| DEFAULT_UPSTREAM.to_owned());
    Ok(UpstreamConfig {
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
