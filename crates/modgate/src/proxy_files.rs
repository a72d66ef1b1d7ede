//! The two text formats of a proxy tree besides go.mod: a version's `.info` JSON and a
//! module's `list`. Read by serving, publishing, importing and the upstream cache alike.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A version's `.info`: `{"Version":"v1.2.3","Time":"2024-01-02T03:04:05Z"}`. Other fields
/// (an upstream's `Origin`) are ignored when read and kept as they were in the stored bytes.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Info {
    #[serde(rename = "Version", default)]
    pub version: String,
    /// RFC 3339 as written; `time` is what some hand-written trees use.
    #[serde(
        rename = "Time",
        alias = "time",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<String>,
}

impl Info {
    pub fn parse(bytes: &[u8]) -> Result<Info, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// The JSON for a new version: UTC, whole seconds, as the go command writes it.
    pub fn encode(version: &str, time: OffsetDateTime) -> Result<Vec<u8>, String> {
        let time = time
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .unwrap_or(time)
            .format(&Rfc3339)
            .map_err(|e| format!("formatting time: {e}"))?;
        let info = Info {
            version: version.to_owned(),
            time: Some(time),
        };
        serde_json::to_vec(&info).map_err(|e| format!("encoding .info: {e}"))
    }

    /// `Time`, parsed; `None` when absent or not RFC 3339.
    pub fn parsed_time(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(self.time.as_deref()?, &Rfc3339).ok()
    }
}

/// The versions a `list` names: the first field of each line (the go command's format, which
/// older proxies extend with a time after the version).
pub(crate) fn list_versions(list: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(list)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_reads_what_trees_hold_and_writes_what_go_writes() {
        let info =
            Info::parse(br#"{"Version":"v1.0.0","Time":"2024-01-02T04:04:05+01:00","Origin":{}}"#)
                .expect("valid");
        assert_eq!(info.version, "v1.0.0");
        assert_eq!(
            info.parsed_time().map(|t| t.unix_timestamp()),
            Some(1_704_164_645)
        );
        assert_eq!(
            Info::parse(br#"{"time":"x"}"#)
                .expect("valid")
                .time
                .as_deref(),
            Some("x")
        );
        assert!(Info::parse(b"<html>").is_err());
        let time = OffsetDateTime::from_unix_timestamp(1_704_164_645).expect("a time");
        assert_eq!(
            Info::encode("v1.0.0", time).expect("encodes"),
            br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#
        );
    }

    #[test]
    fn lists_keep_the_first_field() {
        assert_eq!(
            list_versions(b"v1.0.0\nv1.1.0 2024-01-01T00:00:00Z\n\n"),
            ["v1.0.0", "v1.1.0"]
        );
    }
}
