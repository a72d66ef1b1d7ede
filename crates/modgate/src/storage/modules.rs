//! Which modules the store holds, without holding every key of it in memory: a store of
//! 100,000 versions has half a million keys, and the web UI's index and the not-found policy
//! want only the ten thousand module paths.

use std::collections::BTreeSet;
use std::path::PathBuf;

use futures::TryStreamExt;
use gomod::ModulePath;
use object_store::path::Path;

use super::{StorageError, Store, is_reserved};

/// Directories nested deeper than this are not walked: a module path has far fewer elements,
/// and a symlink loop must end.
const MAX_DEPTH: usize = 64;

impl Store {
    /// The modules with files under `prefix` (the whole store when `None`), sorted, each once.
    /// A directory store is walked by its directories (the files of a module are not even
    /// stat'ed); an object store is listed, each key dropped once its module is noted.
    pub async fn modules(&self, prefix: Option<&Path>) -> Result<Vec<ModulePath>, StorageError> {
        let escaped = match &self.local_root {
            Some(root) => {
                let under = prefix.map_or_else(String::new, |p| p.as_ref().to_owned());
                let start = root.join(&under);
                tokio::task::spawn_blocking(move || {
                    let mut found = BTreeSet::new();
                    walk(&start, &under, 0, &mut found).map(|()| found)
                })
                .await
                .map_err(std::io::Error::other)
                .and_then(|walked| walked)
                .map_err(|e| StorageError::local(prefix.unwrap_or(&Path::default()), e))?
            }
            None => self.listed_modules(prefix).await?,
        };
        Ok(escaped
            .into_iter()
            .filter_map(|module| ModulePath::from_escaped(&module).ok())
            .collect())
    }

    async fn listed_modules(
        &self,
        prefix: Option<&Path>,
    ) -> Result<BTreeSet<String>, StorageError> {
        let mut found = BTreeSet::new();
        let mut listing = self.objects.list(prefix);
        loop {
            match listing.try_next().await {
                Ok(Some(meta)) if !is_reserved(&meta.location) => {
                    if let Some((module, _)) = meta.location.as_ref().split_once("/@v/")
                        && !found.contains(module)
                    {
                        found.insert(module.to_owned());
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => return Ok(found),
                // Nothing written under the prefix yet.
                Err(object_store::Error::NotFound { .. }) => return Ok(found),
                Err(e) => return Err(StorageError::new(prefix.unwrap_or(&Path::default()), e)),
            }
        }
    }
}

/// Notes `under` (the escaped path of `dir` in the store) when it has an `@v` directory that
/// holds a file, and walks its other subdirectories: modules nest (`a/b` and `a/b/v2`).
fn walk(
    dir: &PathBuf,
    under: &str,
    depth: usize,
    found: &mut BTreeSet<String>,
) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let is_dir = kind.is_dir()
            || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()));
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // modgate's own directories (`.modgate`, `.modgate-staging`) at the top hold no modules.
        if !is_dir || (under.is_empty() && name.starts_with(".modgate")) {
            continue;
        }
        if name == "@v" {
            if !under.is_empty() && holds_a_file(&entry.path())? {
                found.insert(under.to_owned());
            }
        } else if depth < MAX_DEPTH {
            let below = match under {
                "" => name,
                _ => format!("{under}/{name}"),
            };
            walk(&entry.path(), &below, depth + 1, found)?;
        }
    }
    Ok(())
}

/// Whether an `@v` directory holds anything (object_store lists no empty directory).
fn holds_a_file(dir: &std::path::Path) -> std::io::Result<bool> {
    Ok(std::fs::read_dir(dir)?.next().is_some())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use object_store::memory::InMemory;

    use super::*;

    /// The same keys in a directory and in a bucket give the same modules: nested ones each
    /// once, capitals unescaped, modgate's own files and the checksum database's left out.
    #[tokio::test]
    async fn modules_are_found_alike_in_a_directory_and_a_bucket() {
        let root = tempfile::tempdir().expect("tempdir");
        let stores = [
            Store::directory(root.path()).expect("store"),
            Store::in_memory(Arc::new(InMemory::new())),
        ];
        for store in &stores {
            for key in [
                "example.com/x/@v/list",
                "example.com/x/@v/v1.0.0.info",
                "example.com/x/v2/@v/v2.0.0.mod",
                "example.com/!corp/!lib/@v/v1.0.0.info",
                "sumdb/sum.golang.org/latest",
                ".modgate/origin/example.com/y/@v/v1.0.0.json",
                ".modgate-staging/abc",
            ] {
                store
                    .put(&Path::from(key), Bytes::new())
                    .await
                    .expect("put");
            }
            let modules = |prefix: Option<&'static str>| async move {
                let prefix = prefix.map(Path::from);
                let found = store.modules(prefix.as_ref()).await.expect("modules");
                found.iter().map(ToString::to_string).collect::<Vec<_>>()
            };
            assert_eq!(
                modules(None).await,
                ["example.com/Corp/Lib", "example.com/x", "example.com/x/v2"],
                "{}",
                store.description()
            );
            assert_eq!(
                modules(Some("example.com/x")).await,
                ["example.com/x", "example.com/x/v2"]
            );
            assert!(modules(Some("nothing.example")).await.is_empty());
        }
    }
}
