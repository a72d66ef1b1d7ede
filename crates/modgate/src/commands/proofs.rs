//! `modgate sumdb proofs` and `modgate sumdb store-proofs`: the public checksum database's
//! proofs of some versions, carried to a machine with no route to it (`sumdb/offline.rs`).
//!
//! - `proofs` writes them under `OUT/sumdb/<name>/`, where a `GOPROXY=file://OUT` tree (the
//!   go command's module cache layout) keeps them.
//! - `store-proofs` reads them from such a tree, checks them (against the tree's module files,
//!   by their `h1:`) and stores them, for an offline modgate to serve.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bytes::Bytes;
use gomod::ModuleVersion;
use gomod::tlog::Tree;

use crate::config::Config;
use crate::storage::Store;
use crate::sumdb::{ProofFiles, check_proof_files, store_proof_files};

/// Writes the proofs of `versions` (`module@version`) under `out/sumdb/<name>/`; with
/// `since`, an earlier proof's `latest` file, also the tiles proving that tree in the new one.
pub(crate) fn write(
    config: &Config,
    versions: &[String],
    out: &Path,
    since: Option<&Path>,
) -> anyhow::Result<()> {
    let versions = versions
        .iter()
        .map(|spec| {
            let (module, version) = spec.split_once('@').context("expected module@version")?;
            ModuleVersion::parse(module, version).with_context(|| spec.clone())
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let since = since.map(|file| earlier_tree(config, file)).transpose()?;
    let store = Store::from_settings(&config.storage)?;
    let db = crate::app::checksum_db(config, store)?;
    let proof = super::current_thread_runtime()?.block_on(db.proof_files(&versions, since))?;
    let root = out.join("sumdb").join(&proof.name);
    for (file, data) in &proof.files {
        let path = root.join(file);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(&path, data).with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{} files proving {} versions in tree {} under {}",
        proof.files.len(),
        versions.len(),
        proof.tree_size,
        root.display()
    );
    Ok(())
}

/// The tree of an earlier proof's `latest`, which must verify with the configured key.
fn earlier_tree(config: &Config, file: &Path) -> anyhow::Result<Tree> {
    let note = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let verifier = gomod::note::Verifier::new(&config.sumdb.key).context("[sumdb] key")?;
    let note = gomod::note::open(&note, std::slice::from_ref(&verifier))
        .with_context(|| format!("{}: not a tree head of {}", file.display(), verifier.name()))?;
    Ok(gomod::tlog::parse_tree(note.text.as_bytes())?)
}

/// Checks the proofs under `dir/sumdb/<name>/` against the key and the module files of `dir`,
/// and stores them; on any problem, prints them all (one line each) and stores nothing.
pub(crate) fn store(config: &Config, dir: &Path) -> anyhow::Result<()> {
    let name = &config.sumdb.name;
    let root = dir.join("sumdb").join(name);
    let mut files = BTreeMap::new();
    for path in walk(&root)? {
        let relative = path.strip_prefix(&root)?.to_str().context("a file name")?;
        let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        files.insert(relative.to_owned(), Bytes::from(data));
    }
    let expected = module_hashes(dir)?;
    let tree = match check_proof_files(&config.sumdb.key, &files, &expected) {
        Ok(tree) => tree,
        Err(problems) => {
            for problem in &problems {
                eprintln!("{problem}");
            }
            anyhow::bail!("{} problems; nothing stored", problems.len());
        }
    };
    let proof = ProofFiles {
        name: name.clone(),
        tree_size: tree.n,
        files,
    };
    let store = Store::from_settings(&config.storage)?;
    super::current_thread_runtime()?.block_on(store_proof_files(&store, &proof))?;
    println!(
        "stored {} files proving {} versions in tree {}",
        proof.files.len(),
        expected.len(),
        tree.n
    );
    Ok(())
}

/// The `h1:` of every version's `.mod` (and `.zip`, when there) in a `cache/download` tree.
fn module_hashes(dir: &Path) -> anyhow::Result<Vec<(ModuleVersion, Option<String>, String)>> {
    let mut found = Vec::new();
    for path in walk(dir)? {
        let relative = path.strip_prefix(dir)?.to_str().context("a file name")?;
        let Some((module, file)) = relative.split_once("/@v/") else {
            continue;
        };
        let Some(version) = file.strip_suffix(".mod") else {
            continue;
        };
        if relative.starts_with("sumdb/") {
            continue;
        }
        let version = crate::sumdb::parse_lookup(&format!("{module}@{version}"))
            .with_context(|| format!("{}", path.display()))?;
        let go_mod = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let zip = path.with_extension("zip");
        let zip_h1 = match std::fs::File::open(&zip) {
            Ok(file) => Some(gomod::hash_zip(file).with_context(|| format!("{}", zip.display()))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("opening {}", zip.display())),
        };
        found.push((version, zip_h1, gomod::hash_go_mod(&go_mod)));
    }
    Ok(found)
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
