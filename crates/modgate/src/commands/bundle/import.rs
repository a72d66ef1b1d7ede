//! `modgate bundle import FILE|DIR`: everything is checked before anything is written (the
//! files against the manifest, every zip and go.mod as the writer checks them and against the
//! manifest's `h1:`, the proofs against the checksum database's key, and what the store
//! already holds); any problem refuses the whole bundle, one line each. Then the proofs go in
//! through `store_proof_files` (which refuses a tree head the stored one is not part of before
//! it writes anything) and the versions through the version writer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use gomod::ModuleVersion;

use super::archive;
use super::manifest::{self, MANIFEST, Manifest, VersionEntry};
use crate::commands::progress::Progress;
use crate::config::Config;
use crate::proxy_files::Info;
use crate::storage::{Store, VersionFile, version_file};
use crate::sumdb::{ProofFiles, check_proof_files, store_proof_files};
use crate::writer::{CheckedGoMod, CheckedZip, Origin, Strictness, VersionWriter, check};

/// Who imported versions, in their origin record (who first published them is not known).
const BUNDLE_IMPORT: &str = "(bundle import)";

/// A version that passed every check, ready for the writer.
struct Checked {
    version: ModuleVersion,
    info: Bytes,
    go_mod: CheckedGoMod,
    zip: Option<CheckedZip>,
}

/// What an import wrote.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub imported: usize,
    pub unchanged: usize,
}

pub(crate) fn run(config: &Config, source: &Path) -> anyhow::Result<Summary> {
    // A file is unpacked into a private temp directory first: nothing is read in place.
    let unpacked = tempfile::tempdir().context("creating a temp directory")?;
    let (root, mut problems): (PathBuf, Vec<String>) = if source.is_dir() {
        (source.to_path_buf(), Vec::new())
    } else {
        let problems = archive::unpack(source, unpacked.path())?;
        (unpacked.path().to_path_buf(), problems)
    };
    let manifest_bytes = std::fs::read(root.join(MANIFEST))
        .with_context(|| format!("{}: no {MANIFEST}: not a bundle", source.display()))?;
    let manifest = Manifest::parse(&manifest_bytes)
        .with_context(|| format!("{}: {MANIFEST}", source.display()))?;
    problems.extend(check_files(&root, &manifest)?);
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let store = Store::from_settings(&config.storage)?;
    let mut checked = Vec::new();
    if problems.is_empty() {
        let mut progress = Progress::new("check", manifest.versions.len());
        for entry in &manifest.versions {
            match runtime.block_on(check_version(&root, entry)) {
                Ok(version) => checked.push(version),
                Err(problem) => {
                    problems.push(format!("{}@{}: {problem}", entry.module, entry.version))
                }
            }
            progress.step(&format!("{}@{}", entry.module, entry.version));
        }
        progress.finish();
    }
    let proofs = match problems.is_empty() {
        true => check_proofs(config, &root, &manifest, &mut problems)?,
        false => None,
    };
    if problems.is_empty() {
        problems.extend(runtime.block_on(conflicts(&store, &manifest.versions))?);
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        let plural = if problems.len() == 1 { "" } else { "s" };
        let outcome = format!("refused: {} problem{plural}", problems.len());
        audit(config, source, &outcome)?;
        anyhow::bail!(
            "{}: bundle refused ({} problem{plural} above); nothing was imported",
            source.display(),
            problems.len()
        );
    }
    let writer = VersionWriter::new(store.clone(), crate::app::sumlog(config, &store)?);
    let summary = runtime.block_on(write(&writer, &store, checked, proofs.as_ref()))?;
    println!(
        "imported {} versions, {} already there",
        summary.imported, summary.unchanged
    );
    let outcome = format!(
        "ok: {} imported, {} already there",
        summary.imported, summary.unchanged
    );
    audit(config, source, &outcome)?;
    Ok(summary)
}

/// One `bundle.import` event in the audit file the config names, as the operator.
fn audit(config: &Config, source: &Path, outcome: &str) -> anyhow::Result<()> {
    let operator = crate::service::Caller::operator();
    let log = crate::service::AuditLog::new(&config.audit).context("[audit] file")?;
    let target = source.display().to_string();
    log.record(operator.name(), None, "bundle.import", &target, outcome);
    Ok(())
}

/// Every file below `root` against the manifest: no file it does not name, none missing, each
/// of its size and SHA-256, and no path of it leaving the bundle.
fn check_files(root: &Path, manifest: &Manifest) -> anyhow::Result<Vec<String>> {
    let (files, mut problems) = archive::files_below(root)?;
    let named = manifest.file_map();
    for path in &files {
        if path != MANIFEST && !named.contains_key(path.as_str()) {
            problems.push(format!("{path}: not in the manifest"));
        }
    }
    for (path, entry) in named {
        if archive::safe_relative(path).is_none() || path == MANIFEST {
            problems.push(format!(
                "{path}: the manifest names a path outside the bundle"
            ));
            continue;
        }
        let Ok((sha256, size)) = manifest::sha256_file(&root.join(path)) else {
            problems.push(format!("{path}: in the manifest but not in the bundle"));
            continue;
        };
        if size != entry.size || sha256 != entry.sha256 {
            problems.push(format!(
                "{path}: {size} bytes with sha256 {sha256}, the manifest says {} bytes with {}",
                entry.size, entry.sha256
            ));
        }
    }
    Ok(problems)
}

/// One version's files, checked as the writer checks them and against the manifest's hashes.
async fn check_version(root: &Path, entry: &VersionEntry) -> Result<Checked, String> {
    let version = ModuleVersion::parse(&entry.module, &entry.version).map_err(|e| e.to_string())?;
    let file = |kind| root.join(version_file(&version, kind).as_ref());
    let read = |kind| {
        std::fs::read(file(kind)).map_err(|e| format!("{}: {e}", version_file(&version, kind)))
    };
    let info = Bytes::from(read(VersionFile::Info)?);
    Info::parse(&info).map_err(|e| format!(".info: {e}"))?;
    let go_mod =
        check::go_mod(&version, Bytes::from(read(VersionFile::Mod)?)).map_err(|e| e.to_string())?;
    if go_mod.h1 != entry.go_mod_h1 {
        return Err(format!(
            "go.mod hashes to {}, the manifest says {}",
            go_mod.h1, entry.go_mod_h1
        ));
    }
    let zip = match &entry.h1 {
        None => None,
        Some(h1) => {
            let zip = check::zip(&version, file(VersionFile::Zip), Strictness::Download)
                .await
                .map_err(|e| e.to_string())?;
            if &zip.h1 != h1 {
                return Err(format!("zip hashes to {}, the manifest says {h1}", zip.h1));
            }
            if zip.go_mod.bytes != go_mod.bytes {
                return Err(".mod differs from the zip's go.mod".to_owned());
            }
            Some(zip)
        }
    };
    Ok(Checked {
        version,
        info,
        go_mod,
        zip,
    })
}

/// The proofs of the bundle's public versions, checked against the configured key; `None`
/// when the bundle has none and needs none.
fn check_proofs(
    config: &Config,
    root: &Path,
    manifest: &Manifest,
    problems: &mut Vec<String>,
) -> anyhow::Result<Option<ProofFiles>> {
    let store = Store::from_settings(&config.storage)?;
    let db = crate::app::checksum_db(config, store)?;
    let privacy = crate::service::Privacy::new(&config.routes);
    let name = &config.sumdb.name;
    let prefix = format!("sumdb/{name}/");
    let mut files = BTreeMap::new();
    for entry in &manifest.files {
        if let Some(relative) = entry.path.strip_prefix(&prefix) {
            let bytes = std::fs::read(root.join(&entry.path))?;
            files.insert(relative.to_owned(), Bytes::from(bytes));
        } else if entry.path.starts_with("sumdb/") {
            problems.push(format!(
                "{}: not the configured checksum database {name}",
                entry.path
            ));
        }
    }
    let mut expected = Vec::new();
    for v in &manifest.versions {
        if super::create::is_public(&db, &privacy, &v.module) {
            let version = ModuleVersion::parse(&v.module, &v.version)?;
            expected.push((version, v.h1.clone(), v.go_mod_h1.clone()));
        }
    }
    if expected.is_empty() && files.is_empty() {
        return Ok(None);
    }
    match check_proof_files(&config.sumdb.key, &files, &expected) {
        Ok(tree) => Ok(Some(ProofFiles {
            name: name.clone(),
            tree_size: tree.n,
            files,
        })),
        Err(found) => {
            // Each line names its file (`sumdb/<name>/…`) already.
            problems.extend(found);
            Ok(None)
        }
    }
}

/// Versions the store holds with other bytes: an import never replaces a version.
async fn conflicts(store: &Store, versions: &[VersionEntry]) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for entry in versions {
        let version = ModuleVersion::parse(&entry.module, &entry.version)?;
        if let Some(stored) = store
            .read(&version_file(&version, VersionFile::Mod))
            .await?
            && gomod::hash_go_mod(&stored) != entry.go_mod_h1
        {
            problems.push(format!("{version}: the store holds another go.mod"));
        }
        let stored_h1 = store
            .read(&version_file(&version, VersionFile::ZipHash))
            .await?;
        if let (Some(stored), Some(h1)) = (stored_h1, &entry.h1)
            && String::from_utf8_lossy(&stored).trim() != h1
        {
            problems.push(format!(
                "{version}: the store holds another zip ({})",
                String::from_utf8_lossy(&stored).trim()
            ));
        }
    }
    Ok(problems)
}

/// Writes the proofs, then the checked versions through the writer.
async fn write(
    writer: &VersionWriter,
    store: &Store,
    checked: Vec<Checked>,
    proofs: Option<&ProofFiles>,
) -> anyhow::Result<Summary> {
    // The proofs first: a tree head that the stored one is not part of is refused before any
    // version is written, so that refusal too leaves the store as it was.
    if let Some(proofs) = proofs {
        let stored = store_proof_files(store, proofs).await;
        stored.context("storing the checksum database's proofs")?;
    }
    let origin = Origin::Published {
        by: BUNDLE_IMPORT.to_owned(),
    };
    let mut summary = Summary::default();
    let mut progress = Progress::new("import", checked.len());
    for version in checked {
        let name = version.version.to_string();
        let created = match &version.zip {
            // The store cached only its go.mod (a build graph read it): the zip joins it.
            Some(zip) if only_go_mod(store, &version.version).await? => {
                let cached = writer.cache_zip(&version.version, zip);
                cached.await.with_context(|| name.clone())?;
                true
            }
            Some(zip) => {
                let time = Info::parse(&version.info)
                    .ok()
                    .and_then(|i| i.parsed_time());
                let published = writer.publish(&version.version, zip, time, &origin).await;
                published.with_context(|| name.clone())?.created
            }
            // A go.mod the build graph reads, as a cache keeps it before any zip is asked.
            None => {
                let cached = writer.cache_version(&version.version, version.info, &version.go_mod);
                cached.await.with_context(|| name.clone())?;
                true
            }
        };
        match created {
            true => summary.imported += 1,
            false => summary.unchanged += 1,
        }
        progress.step(&name);
    }
    progress.finish();
    Ok(summary)
}

/// Whether the store holds the version visible without its zip.
async fn only_go_mod(store: &Store, version: &ModuleVersion) -> anyhow::Result<bool> {
    let info = store
        .read(&version_file(version, VersionFile::Info))
        .await?;
    let zip = store.open(&version_file(version, VersionFile::Zip)).await?;
    Ok(info.is_some() && zip.is_none())
}
