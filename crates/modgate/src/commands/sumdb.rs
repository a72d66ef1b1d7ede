//! `modgate sumdb`: the private checksum database's key, audit and catch-up.
//!
//! - `init` makes the signing key: the private half into a new file only its owner can read,
//!   the verifier key (what clients put in `GOSUMDB`) on stdout.
//! - `verify` audits the log (records, tiles, index, signed heads) and every record against
//!   the stored files it vouches for.
//! - `sync` logs every stored version the log does not hold yet (a tree copied in), in large
//!   batches, rather than one by one on first lookup.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use gomod::ModuleVersion;

use crate::config::Config;
use crate::storage::{self, Store, VersionFile, version_file};
use crate::sumlog::{Entry, Sumlog};
use crate::writer::VersionWriter;

/// Stored files hashed at once: each is a read from the store and a pass over a zip.
const HASHING_AT_ONCE: usize = 8;
/// Versions appended per batch by `sync`: one signed head per batch.
const SYNC_BATCH: usize = 1000;

/// Creates the signing key of database `name` in `key_file`, which must not exist; prints the
/// verifier key.
pub(crate) fn init(name: &str, key_file: &Path) -> anyhow::Result<()> {
    if !crate::config::is_valid_sumdb_name(name) {
        anyhow::bail!("{name:?}: not a checksum database name (host[/path])");
    }
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).context("reading random bytes")?;
    let (signer_key, verifier_key) =
        gomod::note::generate_key(name, &seed).context("making the key")?;
    // Never overwritten: clients trust the verifier key of the key that signed the log.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(key_file)
        .with_context(|| format!("{}: a signing key is never overwritten", key_file.display()))?;
    file.write_all(format!("{signer_key}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", key_file.display()))?;
    println!("{verifier_key}");
    eprintln!(
        "wrote the signing key to {}; in modgate.toml:\n\n[private_sumdb]\nname = \"{name}\"\nkey_file = \"{}\"\n\nand for clients: GOSUMDB=\"{verifier_key}\"",
        key_file.display(),
        key_file.display()
    );
    Ok(())
}

/// Audits the log and the stored files its records vouch for; returns the disagreements.
pub(crate) fn verify(config: &Config) -> anyhow::Result<Vec<String>> {
    let (store, log, writer) = open(config)?;
    runtime()?.block_on(async {
        let audit = log.audit().await.context("reading the checksum log")?;
        let mut problems = audit.problems;
        let logged: HashSet<ModuleVersion> =
            audit.entries.iter().map(|e| e.version.clone()).collect();
        let checks = futures::stream::iter(audit.entries)
            .map(|entry| compare_with_store(&store, &writer, entry))
            .buffer_unordered(HASHING_AT_ONCE)
            .try_collect::<Vec<_>>()
            .await?;
        problems.extend(checks.into_iter().flatten());
        let unlogged = stored_versions(&store)
            .await?
            .into_iter()
            .filter(|v| !logged.contains(v))
            .count();
        println!(
            "checksum log {}: {} records signed, {} written beyond the newest head, {} problems; {unlogged} stored versions not logged yet (modgate sumdb sync logs them)",
            log.name(),
            audit.size,
            audit.unsigned,
            problems.len(),
        );
        for problem in &problems {
            println!("  {problem}");
        }
        Ok(problems)
    })
}

/// Logs every stored version the log does not hold; returns how many.
pub(crate) fn sync(config: &Config) -> anyhow::Result<usize> {
    let (store, log, writer) = open(config)?;
    runtime()?.block_on(async {
        let mut unlogged = Vec::new();
        for version in stored_versions(&store).await? {
            if log.record_of(&version).await?.is_none() {
                unlogged.push(version);
            }
        }
        let mut logged = 0;
        for batch in unlogged.chunks(SYNC_BATCH) {
            let entries: Vec<Entry> = futures::stream::iter(batch)
                .map(|version| entry_of(&store, &writer, version))
                .buffer_unordered(HASHING_AT_ONCE)
                .try_collect::<Vec<_>>()
                .await?
                .into_iter()
                .flatten()
                .collect();
            logged += entries.len();
            log.append(entries)
                .await
                .map_err(|e| anyhow::anyhow!("appending: {e}"))?;
        }
        println!(
            "checksum log {}: logged {logged} stored versions",
            log.name()
        );
        Ok(logged)
    })
}

fn open(config: &Config) -> anyhow::Result<(Store, Arc<Sumlog>, VersionWriter)> {
    let store = Store::from_settings(&config.storage)?;
    let log = crate::app::sumlog(config, &store)?
        .context("the config has no [private_sumdb]: see `modgate sumdb init`")?;
    let writer = VersionWriter::new(store.clone(), None);
    Ok((store, log, writer))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("starting the async runtime")
}

/// Every visible version with a zip in the store.
async fn stored_versions(store: &Store) -> anyhow::Result<Vec<ModuleVersion>> {
    let keys: Vec<_> = store
        .keys(None)
        .await?
        .into_iter()
        .filter(|key| !storage::is_reserved(key))
        .collect();
    Ok(storage::versions_with_zips(&keys))
}

/// The entry of a stored version by its files' hashes; `None` once it is gone.
async fn entry_of(
    store: &Store,
    writer: &VersionWriter,
    version: &ModuleVersion,
) -> anyhow::Result<Option<Entry>> {
    let Some(zip) = store.open(&version_file(version, VersionFile::Zip)).await? else {
        return Ok(None);
    };
    Ok(writer.stored_entry(version, zip).await?)
}

/// What disagrees between a record and the stored files of its version.
async fn compare_with_store(
    store: &Store,
    writer: &VersionWriter,
    logged: Entry,
) -> anyhow::Result<Vec<String>> {
    let version = &logged.version;
    let Some(stored) = entry_of(store, writer, version).await? else {
        return Ok(vec![format!("{version}: zip or .mod missing")]);
    };
    let mut problems = Vec::new();
    if stored.h1 != logged.h1 {
        problems.push(format!(
            "{version}: zip hashes to {}, the log holds {}",
            stored.h1, logged.h1
        ));
    }
    if stored.go_mod_h1 != logged.go_mod_h1 {
        problems.push(format!(
            "{version}: .mod hashes to {}, the log holds {}",
            stored.go_mod_h1, logged.go_mod_h1
        ));
    }
    Ok(problems)
}
