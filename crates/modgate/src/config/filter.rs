//! `[[filter]]`: allow and deny rules by module pattern and version range (see `crate::filter`).

use serde::Deserialize;

use super::{ConfigError, invalid};
use crate::filter::{Rule, VersionRange};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilter {
    module: Option<String>,
    versions: Option<String>,
    action: Option<String>,
    reason: Option<String>,
}

pub(super) fn filters(raw: Vec<RawFilter>) -> Result<Vec<Rule>, ConfigError> {
    raw.into_iter()
        .enumerate()
        .map(|(index, raw)| rule(index, raw))
        .collect()
}

fn rule(index: usize, raw: RawFilter) -> Result<Rule, ConfigError> {
    let key = |name: &str| format!("filter[{index}].{name}");
    let module = raw
        .module
        .ok_or_else(|| invalid(key("module"), "missing"))?;
    if module.trim().is_empty() || !gomod::check_prefix_pattern(&module) {
        return Err(invalid(
            key("module"),
            format!("{module:?} is not a module path pattern (a GOPRIVATE-style glob)"),
        ));
    }
    let versions = raw
        .versions
        .map(|text| VersionRange::parse(&text).map_err(|reason| invalid(key("versions"), reason)))
        .transpose()?;
    let allow = match raw.action.as_deref() {
        None | Some("deny") => false,
        Some("allow") => true,
        Some(other) => {
            return Err(invalid(
                key("action"),
                format!("{other:?}: expected \"deny\" or \"allow\""),
            ));
        }
    };
    let reason = raw
        .reason
        .unwrap_or_else(|| "blocked by this proxy's policy".to_owned());
    if reason.chars().any(char::is_control) {
        return Err(invalid(key("reason"), "must be one line"));
    }
    Ok(Rule {
        module,
        versions,
        allow,
        reason,
    })
}
