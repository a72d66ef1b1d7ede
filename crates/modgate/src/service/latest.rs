//! `@v/list` and `@latest` from a source's versions, as the `go` command would choose.

use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};

use crate::proxy_files::Info;
use crate::source::{Source, SourceError};

/// Tagged versions, sorted, one per line; pseudo-versions are left out as the protocol asks
/// (the client would drop them anyway).
pub(super) fn list_body(versions: Vec<Version>) -> Bytes {
    let mut tagged: Vec<Version> = versions.into_iter().filter(|v| !v.is_pseudo()).collect();
    gomod::sort(&mut tagged);
    let body: String = tagged.iter().map(|v| format!("{v}\n")).collect();
    Bytes::from(body)
}

/// `@latest`: the highest release, else the highest pre-release, else the newest
/// pseudo-version by `.info` Time. `+incompatible` releases count only when no other exists,
/// and versions retracted by the go.mod of the highest version are passed over unless every
/// version is retracted, as the `go` command chooses.
pub(super) async fn latest(
    source: &dyn Source,
    module: &ModulePath,
    versions: Vec<Version>,
) -> Result<Option<Bytes>, SourceError> {
    let of = |version: &Version| ModuleVersion::new(module.clone(), version.clone()).ok();
    let (pseudo, tagged): (Vec<Version>, Vec<Version>) =
        versions.into_iter().partition(Version::is_pseudo);
    let ranked = rank(tagged);
    if let Some(highest) = ranked.first().and_then(of) {
        let retractions = match source.go_mod(&highest).await? {
            Some(go_mod) => gomod::ModFile::parse_lax(&go_mod).unwrap_or_default(),
            None => gomod::ModFile::default(),
        };
        let chosen = ranked
            .iter()
            .find(|v| retractions.is_retracted(v.as_str()).is_none())
            .and_then(of)
            .unwrap_or(highest);
        return source.info(&chosen).await;
    }
    let mut newest: Option<(String, Bytes)> = None;
    for version in pseudo.iter().filter_map(of) {
        let Some(info) = source.info(&version).await? else {
            continue;
        };
        let time = info_time(&info, version.version());
        if newest.as_ref().is_none_or(|(t, _)| time > *t) {
            newest = Some((time, info));
        }
    }
    Ok(newest.map(|(_, info)| info))
}

/// Tagged versions best first: compatible releases, then `+incompatible` releases, then
/// pre-releases, each from the highest down.
pub(super) fn rank(mut tagged: Vec<Version>) -> Vec<Version> {
    let tier = |v: &Version| match (v.is_prerelease(), v.is_incompatible()) {
        (false, false) => 0,
        (false, true) => 1,
        (true, _) => 2,
    };
    tagged.sort_by(|a, b| tier(a).cmp(&tier(b)).then_with(|| b.cmp(a)));
    tagged
}

/// The `Version` an `.info` names ("" when it names none).
pub(super) fn info_version(info: &[u8]) -> String {
    Info::parse(info).map(|i| i.version).unwrap_or_default()
}

/// A sortable UTC timestamp for a pseudo-version: the `.info` Time, else the one inside the
/// version. Both become `yyyymmddhhmmss[.frac]` so they compare as strings.
fn info_time(info: &[u8], version: &Version) -> String {
    match Info::parse(info).ok().and_then(|i| i.parsed_time()) {
        Some(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            format!(
                "{:04}{:02}{:02}{:02}{:02}{:02}.{:09}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.nanosecond()
            )
        }
        None => gomod::pseudo_version_time(version.as_str())
            .map(|t| format!("{t}.000000000"))
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(texts: &[&str]) -> Vec<Version> {
        texts
            .iter()
            .map(|v| Version::new(v).expect("valid"))
            .collect()
    }

    #[test]
    fn list_has_tagged_versions_in_order() {
        let listed = list_body(versions(&[
            "v1.10.0",
            "v1.2.0",
            "v1.2.0-rc.1",
            "v0.0.0-20230601120000-abcdef123456",
            "v2.0.0+incompatible",
        ]));
        assert_eq!(
            &listed[..],
            b"v1.2.0-rc.1\nv1.2.0\nv1.10.0\nv2.0.0+incompatible\n"
        );
        assert!(list_body(Vec::new()).is_empty());
    }

    #[test]
    fn info_time_prefers_the_info_and_falls_back_to_the_version() {
        let v = &versions(&["v0.0.0-20230601120000-abcdef123456"])[0];
        assert_eq!(
            info_time(br#"{"Version":"x","Time":"2024-01-02T03:04:05Z"}"#, v),
            "20240102030405.000000000"
        );
        assert_eq!(
            info_time(br#"{"Version":"x","Time":"2024-01-02T04:04:05+01:00"}"#, v),
            "20240102030405.000000000"
        );
        assert_eq!(info_time(b"{}", v), "20230601120000.000000000");
    }

    #[test]
    fn latest_prefers_releases_then_incompatible_then_prereleases() {
        let ranked = rank(versions(&[
            "v1.2.0-rc.1",
            "v2.0.0+incompatible",
            "v1.1.0",
            "v1.10.0",
            "v3.0.0-beta",
        ]));
        let ranked: Vec<String> = ranked.iter().map(ToString::to_string).collect();
        assert_eq!(
            ranked,
            [
                "v1.10.0",
                "v1.1.0",
                "v2.0.0+incompatible",
                "v3.0.0-beta",
                "v1.2.0-rc.1"
            ]
        );
    }
}
