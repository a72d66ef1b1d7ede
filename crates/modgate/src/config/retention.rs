//! `[retention]`: limits on the versions cached from upstream proxies.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, invalid};
use crate::retention::{DEFAULT_INTERVAL, RetentionSettings};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    max_bytes: Option<u64>,
    unused_days: Option<u32>,
    interval_secs: Option<u64>,
}

/// `offline`: `[upstream] offline`, under which gc evicts nothing (and the server never runs it).
pub(super) fn retention(
    raw: RawRetention,
    offline: bool,
) -> Result<RetentionSettings, ConfigError> {
    if raw.unused_days == Some(0) {
        return Err(invalid(
            "retention.unused_days",
            "0 would evict every cached version: give 1 or more days, or leave it out",
        ));
    }
    let limits = raw.max_bytes.is_some() || raw.unused_days.is_some();
    let interval = match raw.interval_secs {
        Some(0) => {
            return Err(invalid(
                "retention.interval_secs",
                "must be at least 1 second",
            ));
        }
        Some(_) if !limits => {
            return Err(invalid(
                "retention.interval_secs",
                "nothing to run: set retention.max_bytes or retention.unused_days",
            ));
        }
        Some(secs) => Some(Duration::from_secs(secs)),
        None => limits.then_some(DEFAULT_INTERVAL),
    };
    Ok(RetentionSettings {
        max_bytes: raw.max_bytes,
        unused_days: raw.unused_days,
        interval: interval.filter(|_| !offline),
        offline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::from_text;

    #[test]
    fn limits_turn_the_periodic_run_on_and_bad_values_name_their_key() {
        let none = from_text("").expect("valid").retention;
        assert_eq!(none, RetentionSettings::default());
        let set = from_text("[retention]\nmax_bytes = 1000\nunused_days = 30\n")
            .expect("valid")
            .retention;
        assert_eq!(
            (set.max_bytes, set.unused_days, set.interval),
            (Some(1000), Some(30), Some(DEFAULT_INTERVAL))
        );
        let every = from_text("[retention]\nunused_days = 3\ninterval_secs = 60\n")
            .expect("valid")
            .retention;
        assert_eq!(every.interval, Some(Duration::from_secs(60)));
        let offline = from_text("[upstream]\noffline = true\n[retention]\nunused_days = 3\n")
            .expect("valid")
            .retention;
        assert!(offline.offline);
        assert_eq!(offline.interval, None, "the server never runs gc offline");
        for (text, key) in [
            ("[retention]\nunused_days = 0", "retention.unused_days"),
            (
                "[retention]\nmax_bytes = 1\ninterval_secs = 0",
                "retention.interval_secs",
            ),
            ("[retention]\ninterval_secs = 60", "retention.interval_secs"),
            ("[retention]\nmax_bytes = -1", "max_bytes"),
            ("[retention]\nmax_byte = 1", "max_byte"),
        ] {
            let message = from_text(text).expect_err(text).to_string();
            assert!(message.contains(key), "{text}: {message}");
        }
    }
}
