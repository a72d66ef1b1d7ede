//! The times the go command writes, in UTC, from Unix seconds: the timestamp of a
//! pseudo-version and the RFC 3339 time of an `.info` file.

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn utc_parts(secs: i64) -> (i64, u32, u32, i64, i64, i64) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `yyyymmddhhmmss` in UTC, the timestamp of a pseudo-version.
pub(crate) fn pseudo_time(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}")
}

/// RFC 3339 in UTC, as Go's `time.Time` marshals to JSON for whole seconds:
/// `2024-03-01T10:00:00Z`.
pub(crate) fn rfc3339(secs: i64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(secs);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats() {
        // x/mod's pseudo-version tests' fixed time, 2018-02-10 18:40:37 UTC.
        let t = 1_518_288_037;
        assert_eq!(pseudo_time(t), "20180210184037");
        assert_eq!(rfc3339(t), "2018-02-10T18:40:37Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(pseudo_time(951_782_400), "20000229000000");
        assert_eq!(pseudo_time(0), "19700101000000");
    }
}
