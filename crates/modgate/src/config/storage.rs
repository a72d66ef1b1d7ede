//! `[storage]`: a directory, or a bucket of an object store.

use std::path::{Path, PathBuf};

use super::{ConfigError, DEFAULT_STORE, RawStorage, invalid};
use crate::storage::StoreSettings;

pub(super) fn storage(
    raw: RawStorage,
    store_flag: Option<PathBuf>,
    base_dir: &Path,
) -> Result<StoreSettings, ConfigError> {
    // `--store DIR` (and MODGATE_STORE) always means a directory: scripts rely on it.
    if let Some(dir) = store_flag {
        return Ok(StoreSettings::Dir(dir));
    }
    let kind = raw.kind.as_deref().unwrap_or("dir");
    check_keys_fit_kind(&raw, kind)?;
    let bucket = || {
        raw.bucket.clone().filter(|b| !b.is_empty()).ok_or_else(|| {
            invalid(
                "storage.bucket",
                format!("missing: kind = {kind:?} needs a bucket"),
            )
        })
    };
    let prefix = raw
        .prefix
        .clone()
        .filter(|p| !p.trim_matches('/').is_empty());
    match kind {
        "dir" => Ok(StoreSettings::Dir(
            base_dir.join(raw.path.unwrap_or_else(|| PathBuf::from(DEFAULT_STORE))),
        )),
        "s3" => {
            if let Some(endpoint) = &raw.endpoint
                && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
            {
                return Err(invalid(
                    "storage.endpoint",
                    format!("{endpoint:?}: expected an http:// or https:// URL"),
                ));
            }
            Ok(StoreSettings::S3 {
                bucket: bucket()?,
                prefix,
                region: raw.region,
                endpoint: raw.endpoint,
                path_style: raw.path_style.unwrap_or(false),
            })
        }
        "gcs" => Ok(StoreSettings::Gcs {
            bucket: bucket()?,
            prefix,
        }),
        "azure" => Ok(StoreSettings::Azure {
            container: bucket()?,
            prefix,
        }),
        other => Err(invalid(
            "storage.kind",
            format!("{other:?}: expected \"dir\", \"s3\", \"gcs\" or \"azure\""),
        )),
    }
}

/// Keys that only one kind of store reads are refused for the others: a `region` under
/// `kind = "dir"` is a mistake the operator wants to hear about.
fn check_keys_fit_kind(raw: &RawStorage, kind: &str) -> Result<(), ConfigError> {
    let only_for = |key: &str, set: bool, kinds: &str| {
        if set {
            Err(invalid(
                format!("storage.{key}"),
                format!("not used with kind = {kind:?} (only with {kinds})"),
            ))
        } else {
            Ok(())
        }
    };
    let object_store = kind != "dir";
    only_for("path", raw.path.is_some() && object_store, "\"dir\"")?;
    only_for(
        "bucket",
        raw.bucket.is_some() && !object_store,
        "an object store",
    )?;
    only_for(
        "prefix",
        raw.prefix.is_some() && !object_store,
        "an object store",
    )?;
    let s3_only = kind != "s3";
    only_for("region", raw.region.is_some() && s3_only, "\"s3\"")?;
    only_for("endpoint", raw.endpoint.is_some() && s3_only, "\"s3\"")?;
    only_for("path_style", raw.path_style.is_some() && s3_only, "\"s3\"")
}
