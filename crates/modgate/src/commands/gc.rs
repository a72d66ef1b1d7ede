//! `modgate gc [--dry-run]`: evict upstream-cached versions by `[retention]`'s limits, as the
//! server's periodic run does. Lists each version (module@version, zip size, last use) and the
//! totals on stdout; with `--dry-run` only lists.

use time::format_description::well_known::Rfc3339;

use super::progress::Progress;
use crate::config::Config;
use crate::retention::{Cached, GcPlan};

/// What the audit records as the one who evicted.
const OPERATOR: &str = "(operator)";

/// Returns how many evictions failed.
pub(crate) fn run(config: &Config, dry_run: bool) -> anyhow::Result<usize> {
    if config.retention.max_bytes.is_none() && config.retention.unused_days.is_none() {
        eprintln!("modgate: [retention] sets neither max_bytes nor unused_days: nothing to evict");
    } else if config.retention.offline {
        eprintln!(
            "modgate: offline ([upstream] offline): an evicted version could not be fetched again, so nothing is evicted"
        );
    }
    let runtime = super::current_thread_runtime()?;
    let service = crate::app::service(config, None)?;
    runtime.block_on(async {
        let plan = service
            .gc_plan()
            .await
            .map_err(|e| anyhow::anyhow!("listing upstream-cached versions: {e}"))?;
        if dry_run {
            for cached in &plan.evict {
                println!("{}", line(cached));
            }
            println!("{}", totals(&plan, "would evict"));
            return Ok(0);
        }
        let mut failed = 0;
        let mut progress = Progress::new("gc", plan.evict.len());
        service
            .gc_evict(&plan, OPERATOR, |cached, outcome| {
                progress.step(&cached.version.to_string());
                match outcome {
                    Ok(()) => println!("{}", line(cached)),
                    Err(e) => {
                        failed += 1;
                        eprintln!("modgate: evicting {}: {e}", cached.version);
                    }
                }
            })
            .await;
        progress.finish();
        println!("{}", totals(&plan, "evicted"));
        Ok(failed)
    })
}

/// `module@version<TAB>size<TAB>last use`.
fn line(cached: &Cached) -> String {
    let last_use = cached.last_use.format(&Rfc3339).unwrap_or_default();
    format!("{}\t{}\t{last_use}", cached.version, cached.size)
}

fn totals(plan: &GcPlan, verb: &str) -> String {
    let evicted = plan.evicted_bytes();
    format!(
        "{verb} {} of {} upstream-cached versions, {evicted} of {} bytes ({} bytes left)",
        plan.evict.len(),
        plan.cached_versions,
        plan.cached_bytes,
        plan.cached_bytes - evicted
    )
}
