//! Where a version modgate wrote came from, and who published it: a small JSON object in the
//! store's reserved area (`storage::origin_file`), written by the version writer before the
//! version's `.info`, so that every visible version modgate wrote has one. The web UI shows it;
//! a version without one reached the store some other way (a copied tree).

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// How a version entered the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Published through the API, the CLI (`publish --store`) or `import`, by whom: a user's or
    /// token's name, `(operator)` for the CLI, `(import)` for an imported tree.
    Published { by: String },
    /// Built from a git repository by a git route.
    Git,
    /// Cached from an upstream proxy.
    Upstream,
}

impl Origin {
    /// The name the web UI shows: `published`, `git` or `upstream`.
    pub fn source(&self) -> &'static str {
        match self {
            Origin::Published { .. } => "published",
            Origin::Git => "git",
            Origin::Upstream => "upstream",
        }
    }

    /// The stored record, written at `at`.
    pub(super) fn record(&self, at: OffsetDateTime) -> Bytes {
        let record = OriginRecord {
            source: self.source().to_owned(),
            by: match self {
                Origin::Published { by } => Some(by.clone()),
                Origin::Git | Origin::Upstream => None,
            },
            at: at.format(&Rfc3339).ok(),
        };
        // A struct of strings always serializes.
        Bytes::from(serde_json::to_vec(&record).unwrap_or_default())
    }
}

/// A stored origin record, as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OriginRecord {
    /// `published`, `git` or `upstream`.
    pub source: String,
    /// Who published it, for published versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When modgate wrote it (RFC 3339), which for an imported or git version is later than
    /// the version's own time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl OriginRecord {
    /// `None` for bytes that are not a record.
    pub fn parse(bytes: &[u8]) -> Option<OriginRecord> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).expect("time");
        let published = Origin::Published { by: "alice".into() }.record(at);
        assert_eq!(
            OriginRecord::parse(&published),
            Some(OriginRecord {
                source: "published".into(),
                by: Some("alice".into()),
                at: Some("2023-11-14T22:13:20Z".into()),
            })
        );
        let cached = OriginRecord::parse(&Origin::Upstream.record(at)).expect("a record");
        assert_eq!((cached.source.as_str(), cached.by), ("upstream", None));
        assert_eq!(OriginRecord::parse(b"not json"), None);
    }
}
