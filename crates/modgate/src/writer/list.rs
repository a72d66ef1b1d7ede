//! The `list` file of a module: its tagged versions, one per line, for `file://` users of the
//! tree and for `modgate export` (modgate itself derives lists from the version files).

use bytes::Bytes;
use gomod::{ModulePath, Version};

use crate::proxy_files::list_versions;
use crate::storage::{StorageError, Store, list_file, module_dir, visible_versions};

/// How many times a `list` update is written and checked again while other writers change it:
/// two suffice unless several processes write the same module at once.
const LIST_ROUNDS: usize = 5;

/// Adds `versions` to the module's `list`; pseudo-versions are never listed.
///
/// Another process (a replica, a CLI publish into the same store) may write the file between
/// our read and our write, without the version it added. So after each write the file is
/// checked against the versions the store holds and rewritten with any it lacks: the last writer
/// of a race always ends with a check that sees every version written before it.
pub(super) async fn add(
    store: &Store,
    module: &ModulePath,
    versions: Vec<Version>,
) -> Result<(), StorageError> {
    let key = list_file(module);
    let mut adding = versions;
    for _ in 0..LIST_ROUNDS {
        let current = store.read(&key).await?.unwrap_or_default();
        let mut versions = list_versions(&current);
        versions.extend(
            adding
                .iter()
                .filter(|v| !v.is_pseudo())
                .map(|v| v.as_str().to_owned()),
        );
        gomod::sort(&mut versions);
        versions.dedup();
        let body: String = versions.iter().map(|v| format!("{v}\n")).collect();
        if body.as_bytes() == &current[..] {
            return Ok(());
        }
        store.put(&key, Bytes::from(body)).await?;
        adding = visible_versions(&store.file_names(&module_dir(module)).await?);
    }
    // Still changing after all rounds: the next write of the module mends the file.
    Ok(())
}

/// Drops `version` from the module's `list` (deleted, or evicted by gc), for `file://` users of
/// the tree. A version another writer added meanwhile is put back, as `add` does.
pub(crate) async fn remove(
    store: &Store,
    module: &ModulePath,
    version: &Version,
) -> Result<(), StorageError> {
    let key = list_file(module);
    let Some(current) = store.read(&key).await? else {
        return Ok(());
    };
    let versions: Vec<String> = list_versions(&current)
        .into_iter()
        .filter(|v| v != version.as_str())
        .collect();
    let body: String = versions.iter().map(|v| format!("{v}\n")).collect();
    if body.as_bytes() == &current[..] {
        return Ok(());
    }
    store.put(&key, Bytes::from(body)).await?;
    let visible = visible_versions(&store.file_names(&module_dir(module)).await?);
    match visible
        .into_iter()
        .find(|v| !v.is_pseudo() && !versions.iter().any(|l| l == v.as_str()))
    {
        Some(missing) => add(store, module, vec![missing]).await,
        None => Ok(()),
    }
}
