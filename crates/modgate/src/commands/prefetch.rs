//! `modgate prefetch`: warm the cache of upstream routes before builds ask, say before
//! upstream goes away or the proxy goes offline. Each version is fetched, checked and stored
//! exactly as a `go` request through the server would do it, filters included.
//!
//! What to fetch comes from `module@version` arguments and files: a `go.sum` (the whole build
//! graph: zips for its `h1:` lines, go.mod files for its `/go.mod` lines), a `go.mod` (its
//! requirements), or a text file with one `module@version` per line (`#` starts a comment).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use futures::StreamExt;
use gomod::ModuleVersion;

use super::progress::Progress;
use crate::config::Config;
use crate::service::{Caller, Request, Service};

/// Versions fetched at once: enough to hide upstream latency, few enough to be polite.
pub(crate) const CONCURRENT_FETCHES: usize = 8;

/// What happened.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub fetched: usize,
    /// (module@version, reason)
    pub failed: Vec<(String, String)>,
}

/// A version → whether its zip is wanted (else only its go.mod).
pub(crate) type Wanted = BTreeMap<ModuleVersion, bool>;

pub(crate) fn run(config: &Config, specs: &[String]) -> anyhow::Result<Summary> {
    let mut wanted = Wanted::new();
    for spec in specs {
        read_spec(spec, &mut wanted)?;
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    // No client waits here: a slow fetch may take as long as the upstream timeouts allow.
    let service = crate::app::service(config, None)?;
    let operator = Caller::operator();
    let mut progress = Progress::new("prefetch", wanted.len());
    let outcomes: Vec<(String, Result<(), String>)> = runtime.block_on(async {
        let mut fetches = futures::stream::iter(wanted)
            .map(|(version, zip)| fetch(&service, &operator, version, zip))
            .buffer_unordered(CONCURRENT_FETCHES);
        let mut outcomes = Vec::new();
        while let Some((name, outcome)) = fetches.next().await {
            progress.step(&name);
            outcomes.push((name, outcome));
        }
        outcomes
    });
    progress.finish();
    let mut summary = Summary::default();
    for (name, outcome) in outcomes {
        match outcome {
            Ok(()) => summary.fetched += 1,
            Err(reason) => {
                println!("failed {name}: {reason}");
                summary.failed.push((name, reason));
            }
        }
    }
    println!(
        "prefetched {} versions, {} failed",
        summary.fetched,
        summary.failed.len()
    );
    Ok(summary)
}

/// Fetches one version's zip (or only its go.mod) as a request would.
async fn fetch(
    service: &Service,
    operator: &Caller,
    version: ModuleVersion,
    zip: bool,
) -> (String, Result<(), String>) {
    let name = version.to_string();
    let request = match zip {
        true => Request::Zip(version),
        false => Request::Mod(version),
    };
    let outcome = service.get(operator, Ok(&request)).await;
    (name, outcome.map(drop).map_err(|e| e.to_string()))
}

/// Adds what one argument names: a file, or `module@version`.
pub(crate) fn read_spec(spec: &str, wanted: &mut Wanted) -> anyhow::Result<()> {
    let path = Path::new(spec);
    if !path.is_file() {
        let version = parse_module_version(spec)
            .with_context(|| format!("{spec:?} is neither a file nor module@version"))?;
        want(wanted, version, true);
        return Ok(());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {spec}"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with("go.sum") {
        for (n, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [module, version, _hash] = fields[..] else {
                anyhow::bail!("{spec}:{}: not a go.sum line", n + 1);
            };
            let (version, zip) = match version.strip_suffix("/go.mod") {
                Some(version) => (version, false),
                None => (version, true),
            };
            let version = ModuleVersion::parse(module, version)
                .with_context(|| format!("{spec}:{}", n + 1))?;
            want(wanted, version, zip);
        }
    } else if name.ends_with("go.mod") {
        let go_mod = gomod::ModFile::parse_lax(text.as_bytes())
            .map_err(|e| anyhow::anyhow!("{spec}: {e}"))?;
        for (module, version) in &go_mod.require {
            let version = ModuleVersion::parse(module, version)
                .with_context(|| format!("{spec}: require {module} {version}"))?;
            want(wanted, version, true);
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let version =
                parse_module_version(line).with_context(|| format!("{spec}:{}", n + 1))?;
            want(wanted, version, true);
        }
    }
    Ok(())
}

/// `module@version`, or a toolchain as `GOTOOLCHAIN` names it with its platform
/// (`go1.22.1.linux-amd64`, for `golang.org/toolchain@v0.0.1-go1.22.1.linux-amd64`).
fn parse_module_version(spec: &str) -> anyhow::Result<ModuleVersion> {
    if spec.starts_with("go1.") && !spec.contains('@') {
        let version = format!("v0.0.1-{spec}");
        return ModuleVersion::parse(crate::sumdb::TOOLCHAIN_MODULE, &version)
            .with_context(|| format!("{spec:?}: expected a toolchain as go1.X.Y.<goos>-<goarch>"));
    }
    let (module, version) = spec.split_once('@').context("expected module@version")?;
    Ok(ModuleVersion::parse(module, version)?)
}

pub(crate) fn want(wanted: &mut Wanted, version: ModuleVersion, zip: bool) {
    *wanted.entry(version).or_default() |= zip;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toolchains_by_module_version_or_by_name() {
        for spec in [
            "golang.org/toolchain@v0.0.1-go1.22.1.linux-amd64",
            "go1.22.1.linux-amd64",
        ] {
            let version = parse_module_version(spec).expect(spec);
            assert_eq!(
                version.to_string(),
                "golang.org/toolchain@v0.0.1-go1.22.1.linux-amd64"
            );
        }
        assert!(parse_module_version("go1.22.1.linux_amd64").is_err());
    }

    #[test]
    fn go_sum_lines_want_zips_or_go_mod_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let go_sum = dir.path().join("go.sum");
        std::fs::write(
            &go_sum,
            "example.com/a v1.0.0 h1:x=\nexample.com/a v1.0.0/go.mod h1:y=\nexample.com/b v1.1.0/go.mod h1:z=\n",
        )
        .expect("writing go.sum");
        let list = dir.path().join("modules.txt");
        std::fs::write(&list, "# pinned\nexample.com/c@v0.1.0 # why\n\n").expect("writing list");
        let mut wanted = Wanted::new();
        for spec in [
            go_sum.to_str(),
            list.to_str(),
            Some("example.com/d@v2.0.0+incompatible"),
        ] {
            read_spec(spec.expect("UTF-8 path"), &mut wanted).expect("readable");
        }
        let got: Vec<(&str, &str, bool)> = wanted
            .iter()
            .map(|(v, zip)| (v.path().as_str(), v.version().as_str(), *zip))
            .collect();
        assert_eq!(
            got,
            [
                ("example.com/a", "v1.0.0", true),
                ("example.com/b", "v1.1.0", false),
                ("example.com/c", "v0.1.0", true),
                ("example.com/d", "v2.0.0+incompatible", true),
            ]
        );
        assert!(read_spec("example.com/e", &mut wanted).is_err());
        let bad_sum = dir.path().join("bad/go.sum");
        std::fs::create_dir_all(dir.path().join("bad")).expect("a directory");
        std::fs::write(&bad_sum, "example.com/a v1.0.0\n").expect("writing go.sum");
        let err = read_spec(bad_sum.to_str().expect("UTF-8"), &mut wanted).unwrap_err();
        assert!(
            err.to_string().ends_with("go.sum:1: not a go.sum line"),
            "{err}"
        );
        let bad_list = dir.path().join("bad/list.txt");
        std::fs::write(&bad_list, "example.com/a v1.0.0\n").expect("writing a list");
        assert!(read_spec(bad_list.to_str().expect("UTF-8"), &mut wanted).is_err());
        assert!(read_spec("example.com/e@latest", &mut wanted).is_err());
    }
}
