//! A go.mod's whole build list, by minimal version selection (`gomod::mvs`) over the go.mod
//! files of its module graph, each fetched through the service as the go command fetches it.

use std::path::Path;

use anyhow::Context;
use futures::StreamExt;
use gomod::ModuleVersion;
use gomod::mvs::Graph;

use crate::commands::prefetch::{self, Wanted};
use crate::service::{Answer, Caller, Request, Service};

/// Adds to `wanted` the go.mod of every version in the module graph of the go.mod at `path`,
/// and the zip of every version of its build list and of every requirement it lists (what a
/// tidy `go 1.17`+ module's pruned build list selects).
pub(super) async fn build_list(
    service: &Service,
    path: &Path,
    wanted: &mut Wanted,
) -> anyhow::Result<()> {
    let what = || path.display().to_string();
    let text = std::fs::read(path).with_context(what)?;
    let main = gomod::ModFile::parse_lax(&text).map_err(|e| anyhow::anyhow!("{}: {e}", what()))?;
    let mut graph = Graph::new(&main.require);
    let operator = Caller::operator();
    loop {
        let needed = graph.needed();
        if needed.is_empty() {
            break;
        }
        let mut fetches = futures::stream::iter(needed)
            .map(|(module, version)| requirements(service, &operator, module, version))
            .buffer_unordered(prefetch::CONCURRENT_FETCHES);
        let mut failed = Vec::new();
        while let Some(fetched) = fetches.next().await {
            match fetched {
                Ok((version, requires)) => graph.add(
                    version.path().as_str(),
                    version.version().as_str(),
                    &requires,
                ),
                Err(problem) => failed.push(problem),
            }
        }
        if !failed.is_empty() {
            failed.sort();
            anyhow::bail!(
                "{}: resolving the build list:\n{}",
                what(),
                failed.join("\n")
            );
        }
    }
    for (module, version) in graph.versions() {
        prefetch::want(wanted, ModuleVersion::parse(&module, &version)?, false);
    }
    for (module, version) in graph.build_list().iter().chain(&main.require) {
        prefetch::want(wanted, ModuleVersion::parse(module, version)?, true);
    }
    Ok(())
}

/// The `require` lines of `module@version`'s go.mod, or one line saying why not.
async fn requirements(
    service: &Service,
    operator: &Caller,
    module: String,
    version: String,
) -> Result<(ModuleVersion, Vec<(String, String)>), String> {
    let name = format!("{module}@{version}");
    let version = ModuleVersion::parse(&module, &version).map_err(|e| format!("{name}: {e}"))?;
    let request = Request::Mod(version.clone());
    let go_mod = match service.get(operator, Ok(&request)).await {
        Ok(Answer::Mod(bytes)) => bytes,
        Ok(_) => return Err(format!("{name}: the service answered with no go.mod")),
        Err(e) => return Err(format!("{name}: {e}")),
    };
    let parsed = gomod::ModFile::parse_lax(&go_mod).map_err(|e| format!("{name}: go.mod: {e}"))?;
    Ok((version, parsed.require))
}
