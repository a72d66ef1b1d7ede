//! `modgate bundle create OUT.tar.zst`: the versions named (lines, a go.sum, or a go.mod's
//! whole build list) and toolchains, fetched through the service as downloads would be, with
//! the checksum database's proofs of the public ones and a manifest of every file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use futures::StreamExt;
use gomod::tlog::{Hash, Tree};
use gomod::{ModulePath, ModuleVersion};

use super::archive;
use super::manifest::{FORMAT, Manifest, SumdbHead, VersionEntry};
use crate::commands::prefetch::{self, Wanted};
use crate::commands::progress::Progress;
use crate::config::Config;
use crate::service::{Answer, Caller, Request, Revision, Service};
use crate::storage::{VersionFile, list_file, version_file};
use crate::sumdb::{ChecksumDb, check_proof_files};
use crate::writer::{Strictness, check};

/// The platform whose toolchain `.info`/`.mod` the go command always asks for.
const TOOLCHAIN_HOME: &str = "linux-amd64";

/// What `bundle create` was asked for.
pub(crate) struct CreateArgs {
    pub out: PathBuf,
    pub modules: Vec<String>,
    pub since: Option<PathBuf>,
    pub toolchains: Vec<String>,
    pub platforms: Vec<String>,
}

/// Writes the bundle; returns its manifest.
pub(crate) fn run(config: &Config, args: &CreateArgs) -> anyhow::Result<Manifest> {
    let earlier = args
        .since
        .as_deref()
        .map(Manifest::read_earlier)
        .transpose()?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let service = crate::app::service(config, None)?;
    let store = crate::storage::Store::from_settings(&config.storage)?;
    let db = crate::app::checksum_db(config, store)?;
    let privacy = crate::service::Privacy::new(&config.routes);
    let mut wanted = runtime.block_on(wanted(&service, args))?;
    if let Some(earlier) = &earlier {
        leave_out_earlier(&mut wanted, earlier);
    }
    let parent = args.out.parent().filter(|p| !p.as_os_str().is_empty());
    let staging = tempfile::Builder::new()
        .prefix(".modgate-bundle-")
        .tempdir_in(parent.unwrap_or(Path::new(".")))
        .context("creating a staging directory beside the bundle")?;
    let root = staging.path();
    let versions = runtime.block_on(fetch_all(&service, root, wanted))?;
    write_lists(root, &versions, earlier.as_ref())?;
    let public: Vec<&VersionEntry> = versions
        .iter()
        .filter(|v| is_public(&db, &privacy, &v.module))
        .collect();
    let sumdb = match public.is_empty() {
        true => None,
        false => {
            let key = &config.sumdb.key;
            Some(runtime.block_on(write_proofs(&db, key, root, &public, earlier.as_ref()))?)
        }
    };
    let manifest = Manifest {
        format: FORMAT,
        created: now_rfc3339()?,
        sumdb,
        files: archive::file_entries(root)?,
        versions,
    };
    archive::write(&args.out, root, &manifest)?;
    println!(
        "bundled {} versions ({} files) into {}",
        manifest.versions.len(),
        manifest.files.len(),
        args.out.display()
    );
    Ok(manifest)
}

/// Whether the public checksum database proves `module`: checked, and not a private route's.
pub(super) fn is_public(db: &ChecksumDb, privacy: &crate::service::Privacy, module: &str) -> bool {
    ModulePath::new(module).is_ok_and(|m| db.checks(&m) && !privacy.is_private(&m))
}

/// Every version the arguments name: `--modules` files (a go.mod resolved to its build list),
/// then the toolchains.
async fn wanted(service: &Service, args: &CreateArgs) -> anyhow::Result<Wanted> {
    let mut wanted = Wanted::new();
    for spec in &args.modules {
        if Path::new(spec).is_file() && spec.ends_with("go.mod") {
            super::resolve::build_list(service, Path::new(spec), &mut wanted).await?;
        } else {
            prefetch::read_spec(spec, &mut wanted)?;
        }
    }
    for toolchain in &args.toolchains {
        let go = match toolchain.strip_prefix("go") {
            Some(_) => toolchain.clone(),
            None => format!("go{toolchain}"),
        };
        let mut platforms = args.platforms.clone();
        if platforms.is_empty() {
            platforms.push(TOOLCHAIN_HOME.to_owned());
        }
        for platform in &platforms {
            let version = toolchain_version(&go, platform)?;
            prefetch::want(&mut wanted, version, true);
        }
        prefetch::want(&mut wanted, toolchain_version(&go, TOOLCHAIN_HOME)?, false);
    }
    Ok(wanted)
}

fn toolchain_version(go: &str, platform: &str) -> anyhow::Result<ModuleVersion> {
    ModuleVersion::parse("golang.org/toolchain", &format!("v0.0.1-{go}.{platform}"))
        .with_context(|| format!("toolchain {go} for {platform}"))
}

/// Drops what the earlier bundle held already (a go.mod-only version stays wanted if its zip
/// is wanted now).
fn leave_out_earlier(wanted: &mut Wanted, earlier: &Manifest) {
    let had: BTreeMap<(&str, &str), bool> = earlier
        .versions
        .iter()
        .map(|v| ((v.module.as_str(), v.version.as_str()), v.h1.is_some()))
        .collect();
    wanted.retain(|version, zip| {
        match had.get(&(version.path().as_str(), version.version().as_str())) {
            Some(had_zip) => *zip && !had_zip,
            None => true,
        }
    });
}

/// Fetches every wanted version into `root`, at most [`CONCURRENT_FETCHES`] at once; any
/// failure fails the bundle, with one line per version.
async fn fetch_all(
    service: &Service,
    root: &Path,
    wanted: Wanted,
) -> anyhow::Result<Vec<VersionEntry>> {
    let operator = Caller::operator();
    let mut progress = Progress::new("bundle", wanted.len());
    let mut fetches = futures::stream::iter(wanted)
        .map(|(version, zip)| {
            let operator = &operator;
            async move {
                let name = version.to_string();
                (
                    name,
                    fetch_version(service, operator, root, version, zip).await,
                )
            }
        })
        .buffer_unordered(prefetch::CONCURRENT_FETCHES);
    let (mut versions, mut failed) = (Vec::new(), Vec::new());
    while let Some((name, outcome)) = fetches.next().await {
        progress.step(&name);
        match outcome {
            Ok(entry) => versions.push(entry),
            Err(reason) => failed.push(format!("{name}: {reason}")),
        }
    }
    progress.finish();
    if !failed.is_empty() {
        failed.sort();
        anyhow::bail!(
            "could not fetch {} versions:\n{}",
            failed.len(),
            failed.join("\n")
        );
    }
    versions.sort_by(|a, b| (&a.module, &a.version).cmp(&(&b.module, &b.version)));
    Ok(versions)
}

/// One version's `.info`, `.mod` and (when `zip`) `.zip` and `.ziphash`, asked of the service
/// as the go command asks, each checked as the writer checks it.
async fn fetch_version(
    service: &Service,
    operator: &Caller,
    root: &Path,
    version: ModuleVersion,
    zip: bool,
) -> Result<VersionEntry, String> {
    let get = |request: Request| async move {
        service
            .get(operator, Ok(&request))
            .await
            .map_err(|e| e.to_string())
    };
    let zip_object = match zip {
        true => match get(Request::Zip(version.clone())).await? {
            Answer::Zip(object) => Some(object),
            _ => return Err("the service answered a zip request with no zip".to_owned()),
        },
        false => None,
    };
    let revision = Revision::Version {
        version: version.clone(),
        exact: true,
    };
    let Answer::Info(info) = get(Request::Info(version.path().clone(), revision)).await? else {
        return Err("the service answered an .info request with no .info".to_owned());
    };
    let Answer::Mod(go_mod) = get(Request::Mod(version.clone())).await? else {
        return Err("the service answered a .mod request with no go.mod".to_owned());
    };
    let go_mod = check::go_mod(&version, go_mod).map_err(|e| e.to_string())?;
    put(root, version_file(&version, VersionFile::Info), &info)?;
    put(
        root,
        version_file(&version, VersionFile::Mod),
        &go_mod.bytes,
    )?;
    let mut entry = VersionEntry {
        module: version.path().as_str().to_owned(),
        version: version.version().as_str().to_owned(),
        h1: None,
        go_mod_h1: go_mod.h1.clone(),
    };
    if let Some(object) = zip_object {
        let path = root.join(version_file(&version, VersionFile::Zip).as_ref());
        crate::storage::copy_to_file(object, &path)
            .await
            .map_err(|e| format!("copying the zip: {e}"))?;
        let checked = check::zip(&version, path, Strictness::Download)
            .await
            .map_err(|e| e.to_string())?;
        if checked.go_mod.bytes != go_mod.bytes {
            return Err(".mod differs from the zip's go.mod".to_owned());
        }
        let ziphash = format!("{}\n", checked.h1);
        put(
            root,
            version_file(&version, VersionFile::ZipHash),
            ziphash.as_bytes(),
        )?;
        entry.h1 = Some(checked.h1);
    }
    Ok(entry)
}

/// Writes `bytes` at the store key `key` below `root`.
fn put(root: &Path, key: object_store::path::Path, bytes: &[u8]) -> Result<(), String> {
    let path = root.join(key.as_ref());
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Each module's `list` for `file://` users: its tagged versions in this bundle and the
/// earlier one (a bundle made `--since` is unpacked over the earlier tree).
fn write_lists(
    root: &Path,
    versions: &[VersionEntry],
    earlier: Option<&Manifest>,
) -> anyhow::Result<()> {
    let mut lists: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for v in versions {
        lists.entry(&v.module).or_default();
    }
    let earlier_versions = earlier.map(|e| e.versions.as_slice()).unwrap_or_default();
    for v in versions.iter().chain(earlier_versions) {
        if let Some(list) = lists.get_mut(v.module.as_str())
            && !gomod::is_pseudo_version(&v.version)
        {
            list.insert(&v.version);
        }
    }
    for (module, tagged) in lists {
        let module = ModulePath::new(module)?;
        let mut tagged: Vec<&str> = tagged.into_iter().collect();
        gomod::sort(&mut tagged);
        let text: String = tagged.iter().map(|v| format!("{v}\n")).collect();
        put(root, list_file(&module), text.as_bytes()).map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// The checksum database's proofs of `public` under `sumdb/<name>/`, checked here as an import
/// will check them; with an earlier bundle, also the proof that its tree is in this one.
async fn write_proofs(
    db: &ChecksumDb,
    key: &str,
    root: &Path,
    public: &[&VersionEntry],
    earlier: Option<&Manifest>,
) -> anyhow::Result<SumdbHead> {
    let mut versions = Vec::new();
    let mut expected = Vec::new();
    for v in public {
        let version = ModuleVersion::parse(&v.module, &v.version)?;
        expected.push((version.clone(), v.h1.clone(), v.go_mod_h1.clone()));
        versions.push(version);
    }
    let since = match earlier.and_then(|e| e.sumdb.as_ref()) {
        Some(head) if head.name == db.name() => Some(Tree {
            n: head.tree_size,
            hash: Hash::parse(&head.tree_hash).context("the earlier manifest's tree hash")?,
        }),
        _ => None,
    };
    let proofs = db
        .proof_files(&versions, since)
        .await
        .context("getting the checksum database's proofs")?;
    let tree = check_proof_files(key, &proofs.files, &expected).map_err(|problems| {
        anyhow::anyhow!(
            "the checksum database's proofs do not check:\n{}",
            problems.join("\n")
        )
    })?;
    for (relative, bytes) in &proofs.files {
        let key = crate::storage::sumdb_file(&proofs.name, relative);
        put(root, key, bytes).map_err(anyhow::Error::msg)?;
    }
    Ok(SumdbHead {
        name: proofs.name.clone(),
        tree_size: tree.n,
        tree_hash: tree.hash.to_string(),
    })
}

fn now_rfc3339() -> anyhow::Result<String> {
    Ok(time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?)
}
