//! Allow and deny rules by module pattern and version range: a known-vulnerable version, a
//! module whose license is not allowed, or an allow-list with a final catch-all deny.
//!
//! Rules are read in order and the first one that matches decides, as in a firewall; a
//! module and version no rule matches is allowed. Patterns are the go command's `GOPRIVATE`
//! globs, matched against path-element prefixes, so `github.com/evil` covers its subpackages'
//! modules too.

use std::cmp::Ordering;

/// One rule as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub module: String,
    /// `None`: every version.
    pub versions: Option<VersionRange>,
    pub allow: bool,
    /// Shown to the client with the 403.
    pub reason: String,
}

/// Comparisons that must all hold, e.g. `>= v1.0.0, < v1.4.2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VersionRange {
    bounds: Vec<(Comparison, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Less,
    LessOrEqual,
    Equal,
    GreaterOrEqual,
    Greater,
}

impl VersionRange {
    /// Parses comma-separated comparisons, each an operator (`<`, `<=`, `=`, `>=`, `>`; none
    /// means `=`) and a semantic version.
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        let bounds = text
            .split(',')
            .map(|part| {
                let part = part.trim();
                let (comparison, version) = [
                    ("<=", Comparison::LessOrEqual),
                    (">=", Comparison::GreaterOrEqual),
                    ("<", Comparison::Less),
                    (">", Comparison::Greater),
                    ("=", Comparison::Equal),
                ]
                .into_iter()
                .find_map(|(op, c)| part.strip_prefix(op).map(|v| (c, v.trim())))
                .unwrap_or((Comparison::Equal, part));
                if !gomod::is_valid(version) {
                    return Err(format!(
                        "{part:?}: expected an operator (<, <=, =, >=, >) and a version such as v1.2.3"
                    ));
                }
                Ok((comparison, version.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VersionRange { bounds })
    }

    pub fn contains(&self, version: &str) -> bool {
        gomod::is_valid(version)
            && self.bounds.iter().all(|(comparison, bound)| {
                let order = gomod::compare(version, bound);
                match comparison {
                    Comparison::Less => order == Ordering::Less,
                    Comparison::LessOrEqual => order != Ordering::Greater,
                    Comparison::Equal => order == Ordering::Equal,
                    Comparison::GreaterOrEqual => order != Ordering::Less,
                    Comparison::Greater => order == Ordering::Greater,
                }
            })
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Filters {
    rules: Vec<Rule>,
}

impl Filters {
    pub fn new(rules: Vec<Rule>) -> Filters {
        Filters { rules }
    }

    /// Why `module@version` is denied, or `None` when it may be served.
    pub fn denies(&self, module: &str, version: &str) -> Option<&str> {
        self.rules
            .iter()
            .filter(|r| covers(r, module))
            .find(|r| {
                r.versions
                    .as_ref()
                    .is_none_or(|range| range.contains(version))
            })
            .and_then(|r| (!r.allow).then_some(r.reason.as_str()))
    }

    /// Why every version of `module` is denied: the first rule for the module denies it
    /// whatever the version. Version-specific rules leave the module listed, minus those
    /// versions.
    pub fn denies_module(&self, module: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| covers(r, module))
            .filter(|r| !r.allow && r.versions.is_none())
            .map(|r| r.reason.as_str())
    }
}

fn covers(rule: &Rule, module: &str) -> bool {
    gomod::match_prefix_patterns([rule.module.as_str()], module)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(module: &str, versions: Option<&str>, allow: bool, reason: &str) -> Rule {
        Rule {
            module: module.to_owned(),
            versions: versions.map(|v| VersionRange::parse(v).expect("a valid range")),
            allow,
            reason: reason.to_owned(),
        }
    }

    #[test]
    fn ranges_compare_as_semver() {
        let range = VersionRange::parse(">= v1.0.0, < v1.4.2").expect("valid");
        for (version, inside) in [
            ("v0.9.0", false),
            ("v1.0.0", true),
            ("v1.4.1", true),
            ("v1.4.2-rc.1", true),
            ("v1.4.2", false),
            ("v1.10.0", false),
            ("master", false),
        ] {
            assert_eq!(range.contains(version), inside, "{version}");
        }
        assert!(
            VersionRange::parse("v1.2.3")
                .expect("valid")
                .contains("v1.2.3")
        );
        assert!(
            VersionRange::parse("<=v1.2.3")
                .expect("valid")
                .contains("v1.2.3")
        );
        for bad in ["", "v1.x", "~> v1.0.0", ">= 1.0.0", "v1.0.0,"] {
            assert!(VersionRange::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let filters = Filters::new(vec![
            rule("example.com/vuln", Some("< v1.2.1"), false, "CVE-2099-1"),
            rule("example.com/trusted", None, true, ""),
            rule(
                "example.com",
                None,
                false,
                "only trusted example.com modules",
            ),
        ]);
        assert_eq!(
            filters.denies("example.com/vuln", "v1.2.0"),
            Some("CVE-2099-1")
        );
        assert_eq!(
            filters.denies("example.com/vuln", "v1.2.1"),
            Some("only trusted example.com modules")
        );
        assert_eq!(filters.denies("example.com/trusted/v2", "v2.0.0"), None);
        assert_eq!(filters.denies("other.example/x", "v1.0.0"), None);

        assert_eq!(filters.denies_module("example.com/vuln"), None);
        assert_eq!(
            filters.denies_module("example.com/other"),
            Some("only trusted example.com modules")
        );
        assert_eq!(filters.denies_module("example.com/trusted"), None);
    }

    #[test]
    fn a_catch_all_deny_makes_an_allow_list() {
        let filters = Filters::new(vec![
            rule("golang.org/x/*", None, true, ""),
            rule("*", None, false, "not on the allow-list"),
        ]);
        assert_eq!(filters.denies("golang.org/x/mod", "v0.7.0"), None);
        assert_eq!(
            filters.denies_module("github.com/a/b"),
            Some("not on the allow-list")
        );
    }
}
