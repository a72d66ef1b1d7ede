//! `[sumdb]`: the checksum database that modgate proxies under `/sumdb/<name>/` and checks
//! modules fetched from upstream against.

use serde::Deserialize;

use super::{ConfigError, invalid, positive_secs};
use crate::sumdb::SumdbSettings;

/// The public Go checksum database, the go command's default `GOSUMDB`.
const DEFAULT_SUMDB_NAME: &str = "sum.golang.org";
/// Its verifier key, as the go command knows it (`knownGOSUMDB` in modfetch/key.go).
pub(super) const DEFAULT_SUMDB_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSumdb {
    name: Option<String>,
    key: Option<String>,
    url: Option<String>,
    verify: Option<bool>,
    skip: Option<Vec<String>>,
    proxy: Option<bool>,
    timeout_secs: Option<u64>,
}

pub(super) fn sumdb(raw: RawSumdb, offline: bool) -> Result<SumdbSettings, ConfigError> {
    let name = raw.name.unwrap_or_else(|| DEFAULT_SUMDB_NAME.to_owned());
    if !is_valid_name(&name) {
        return Err(invalid(
            "sumdb.name",
            format!("{name:?} is not a checksum database name (host[/path])"),
        ));
    }
    let key = match raw.key {
        Some(key) => key,
        None if name == DEFAULT_SUMDB_NAME => DEFAULT_SUMDB_KEY.to_owned(),
        None => {
            return Err(invalid(
                "sumdb.key",
                format!("missing: required when sumdb.name is not {DEFAULT_SUMDB_NAME:?}"),
            ));
        }
    };
    let verifier = gomod::note::Verifier::new(&key)
        .map_err(|e| invalid("sumdb.key", format!("{key:?}: {e}")))?;
    if verifier.name() != name {
        return Err(invalid(
            "sumdb.key",
            format!(
                "the key is for {:?}, not sumdb.name {name:?}",
                verifier.name()
            ),
        ));
    }
    let url = raw.url.unwrap_or_else(|| format!("https://{name}"));
    match reqwest::Url::parse(&url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {}
        Ok(_) => {
            return Err(invalid(
                "sumdb.url",
                format!("{url:?}: expected http(s)://host"),
            ));
        }
        Err(e) => return Err(invalid("sumdb.url", format!("{url:?}: {e}"))),
    }
    let skip = raw.skip.unwrap_or_default();
    if let Some(bad) = skip
        .iter()
        .find(|p| p.trim_end_matches('/').is_empty() || !gomod::check_prefix_pattern(p))
    {
        return Err(invalid(
            "sumdb.skip",
            format!("{bad:?} is not a module path pattern"),
        ));
    }
    Ok(SumdbSettings {
        name,
        key,
        url: url.trim_end_matches('/').to_owned(),
        verify: raw.verify.unwrap_or(true),
        skip,
        proxy: raw.proxy.unwrap_or(true),
        timeout: positive_secs("sumdb.timeout_secs", raw.timeout_secs, 30)?,
        offline,
    })
}

/// The go command's rule (`host[/path]`), tightened to what can safely become a URL path and a
/// storage key: non-empty elements of letters, digits and `-._~`, none `.` or `..`.
pub(crate) fn is_valid_name(name: &str) -> bool {
    name.split('/').all(|element| {
        !element.is_empty()
            && element != "."
            && element != ".."
            && element
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    })
}

/// `[private_sumdb]`: modgate's own checksum database, of every version it serves.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrivateSumdb {
    name: Option<String>,
    key_file: Option<std::path::PathBuf>,
}

/// The private database's settings, if one is configured: its name must differ from the
/// public one's, and its key file must hold its signer key (`modgate sumdb init` writes it).
pub(super) fn private_sumdb(
    raw: Option<RawPrivateSumdb>,
    public_name: &str,
    base_dir: &std::path::Path,
) -> Result<Option<crate::sumlog::SumlogSettings>, ConfigError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let name = raw
        .name
        .ok_or_else(|| invalid("private_sumdb.name", "missing"))?;
    if !is_valid_name(&name) || name == public_name {
        return Err(invalid(
            "private_sumdb.name",
            format!("{name:?}: a checksum database name (host[/path]) other than sumdb.name"),
        ));
    }
    let key_file = base_dir.join(raw.key_file.ok_or_else(|| {
        invalid(
            "private_sumdb.key_file",
            "missing: see `modgate sumdb init`",
        )
    })?);
    let text = std::fs::read_to_string(&key_file).map_err(|e| {
        invalid(
            "private_sumdb.key_file",
            format!("{}: {e}", key_file.display()),
        )
    })?;
    let signer_key = text.trim().to_owned();
    // The key itself never goes into an error: only what is wrong with it.
    let signer = gomod::note::Signer::new(&signer_key).map_err(|e| {
        invalid(
            "private_sumdb.key_file",
            format!("{}: not a signer key: {e}", key_file.display()),
        )
    })?;
    if signer.name() != name {
        return Err(invalid(
            "private_sumdb.key_file",
            format!(
                "{}: the key is for {:?}, not {name:?}",
                key_file.display(),
                signer.name()
            ),
        ));
    }
    Ok(Some(crate::sumlog::SumlogSettings {
        name,
        signer_key: crate::secret::Secret::new(signer_key),
    }))
}
