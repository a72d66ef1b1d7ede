//! `modgate audit`: the events of an audit file (`[audit] file`), oldest first, one a line:
//! time, who, from where, action, target, outcome (tab-separated); `--since` keeps the newer.

use std::io::BufRead;
use std::path::Path;

use anyhow::{Context, bail};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::service::AuditEvent;

/// Prints the events of `file` at or after `since` (a duration back from now like `90m`,
/// `12h`, `7d`, or an RFC 3339 time). Lines that are not events are named on stderr, and
/// make the command fail after printing the rest.
pub(crate) fn run(file: &Path, since: Option<&str>) -> anyhow::Result<()> {
    let since = since
        .map(|text| parse_since(text, OffsetDateTime::now_utc()))
        .transpose()?;
    let opened = std::fs::File::open(file)
        .with_context(|| format!("opening the audit file {}", file.display()))?;
    let mut bad = 0;
    for (number, line) in std::io::BufReader::new(opened).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", file.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let Ok(event) = serde_json::from_str::<AuditEvent>(&line) else {
            eprintln!(
                "modgate: {}:{}: not an audit event",
                file.display(),
                number + 1
            );
            bad += 1;
            continue;
        };
        if since.is_some_and(|since| event.at < since) {
            continue;
        }
        println!("{}", show(&event));
    }
    if bad > 0 {
        bail!("{bad} lines of {} are not audit events", file.display());
    }
    Ok(())
}

fn show(event: &AuditEvent) -> String {
    let from = event
        .from
        .map(|ip| ip.to_string())
        .unwrap_or_else(|| "-".to_owned());
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        event.at.format(&Rfc3339).unwrap_or_default(),
        event.who,
        from,
        event.action,
        event.target,
        event.outcome
    )
}

/// `30s`, `90m`, `12h`, `7d` back from `now`, or an RFC 3339 time.
fn parse_since(text: &str, now: OffsetDateTime) -> anyhow::Result<OffsetDateTime> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(time);
    }
    let unit_at = text.len().saturating_sub(1);
    let (number, unit) = text.split_at(unit_at);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => 0,
    };
    match number.parse::<i64>() {
        Ok(n) if seconds > 0 && n >= 0 => Ok(now - Duration::seconds(n.saturating_mul(seconds))),
        _ => bail!(
            "--since {text:?}: expected a duration like 30s, 90m, 12h, 7d or an RFC 3339 time"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_and_times() {
        let now = OffsetDateTime::parse("2026-01-10T12:00:00Z", &Rfc3339).expect("time");
        let at = |text| parse_since(text, now).map(|t| t.format(&Rfc3339).expect("format"));
        assert_eq!(at("90m").expect("90m"), "2026-01-10T10:30:00Z");
        assert_eq!(at("7d").expect("7d"), "2026-01-03T12:00:00Z");
        assert_eq!(
            at("2026-01-01T00:00:00Z").expect("time"),
            "2026-01-01T00:00:00Z"
        );
        for bad in ["", "h", "5w", "-1h", "yesterday"] {
            assert!(at(bad).is_err(), "{bad:?}");
        }
    }
}
