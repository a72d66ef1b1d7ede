use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use gomod::{ModulePath, ModuleVersion, Version};
use object_store::memory::InMemory;

use super::Listings;
use crate::storage::{Store, VersionFile, version_file};

fn module() -> ModulePath {
    ModulePath::new("corp.example/lib").expect("module path")
}

fn listed(versions: Option<Arc<[Version]>>) -> Vec<String> {
    versions
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|v| v.as_str().to_owned())
        .collect()
}

async fn put_version(store: &Store, version: &str) {
    let version = ModuleVersion::new(module(), Version::new(version).expect("version"))
        .expect("module version");
    for file in [VersionFile::Mod, VersionFile::Info] {
        let key = version_file(&version, file);
        store
            .put(&key, Bytes::from_static(b"{}"))
            .await
            .expect("put");
    }
}

async fn delete_version(store: &Store, version: &str) {
    let version = ModuleVersion::new(module(), Version::new(version).expect("version"))
        .expect("module version");
    for file in [VersionFile::Info, VersionFile::Mod] {
        store
            .delete(&version_file(&version, file))
            .await
            .expect("delete");
    }
}

/// Sets the module directory's mtime to a time long ago.
fn date_dir(root: &std::path::Path, unix_secs: u64) {
    let dir = std::fs::File::open(root.join("corp.example/lib/@v")).expect("open dir");
    let long_ago = SystemTime::UNIX_EPOCH + Duration::from_secs(unix_secs);
    dir.set_modified(long_ago).expect("set mtime");
}

#[tokio::test]
async fn a_directory_listing_is_reused_until_the_directory_changes() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = Store::directory(root.path()).expect("store");
    // Another process (a CLI publish, a hand copy) writes through its own store.
    let other = Store::directory(root.path()).expect("store");
    let listings = Listings::new(store.clone(), Duration::MAX, Duration::ZERO);
    assert!(listings.versions(&module()).await.expect("list").is_none());

    put_version(&other, "v1.1.0").await;
    put_version(&other, "v1.0.0").await;
    date_dir(root.path(), 1_700_000_000);
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0"]
    );

    // Kept: a file added behind the directory's back (its mtime put back) is not seen...
    put_version(&other, "v1.2.0").await;
    date_dir(root.path(), 1_700_000_000);
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0"]
    );
    // ...but any change that moves the mtime is, at once: a publish, then a delete.
    put_version(&other, "v1.3.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0", "v1.2.0", "v1.3.0"]
    );
    date_dir(root.path(), 1_700_000_100);
    assert_eq!(
        listings.versions(&module()).await.unwrap().unwrap().len(),
        4
    );
    delete_version(&other, "v1.1.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.2.0", "v1.3.0"]
    );
}

#[tokio::test]
async fn a_directory_changed_a_moment_ago_is_listed_again() {
    let root = tempfile::tempdir().expect("tempdir");
    let store = Store::directory(root.path()).expect("store");
    let listings = Listings::new(store.clone(), Duration::MAX, Duration::ZERO);
    put_version(&store, "v1.0.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );
    // Another process adds a file within the same clock tick: the mtime may not move, so a
    // listing of a directory that recent must not have been kept.
    let mtime = std::fs::metadata(root.path().join("corp.example/lib/@v"))
        .and_then(|m| m.modified())
        .expect("mtime");
    put_version(&Store::directory(root.path()).expect("store"), "v1.1.0").await;
    let dir = std::fs::File::open(root.path().join("corp.example/lib/@v")).expect("dir");
    dir.set_modified(mtime).expect("set mtime");
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0"]
    );
}

#[tokio::test]
async fn an_object_store_listing_sees_this_process_writes_at_once() {
    let bucket = Arc::new(InMemory::new());
    let store = Store::in_memory(bucket.clone());
    let listings = Listings::new(store.clone(), Duration::MAX, Duration::ZERO);
    assert!(listings.versions(&module()).await.expect("list").is_none());
    put_version(&store, "v1.0.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );
    put_version(&store, "v1.1.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0"]
    );
    delete_version(&store, "v1.0.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.1.0"]
    );
}

#[tokio::test]
async fn an_object_store_listing_sees_another_replica_once_its_time_is_up() {
    let bucket = Arc::new(InMemory::new());
    let store = Store::in_memory(bucket.clone());
    let replica = Store::in_memory(bucket);
    let trusting = Listings::new(store.clone(), Duration::MAX, Duration::ZERO);
    let expired = Listings::new(store.clone(), Duration::ZERO, Duration::ZERO);
    put_version(&store, "v1.0.0").await;
    assert_eq!(
        listed(trusting.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );
    assert_eq!(
        listed(expired.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );

    // The other replica's publish: unseen within the bound, seen past it.
    put_version(&replica, "v1.1.0").await;
    assert_eq!(
        listed(trusting.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );
    assert_eq!(
        listed(expired.versions(&module()).await.unwrap()),
        ["v1.0.0", "v1.1.0"]
    );
    delete_version(&replica, "v1.0.0").await;
    assert_eq!(
        listed(expired.versions(&module()).await.unwrap()),
        ["v1.1.0"]
    );
}

#[tokio::test]
async fn an_expired_object_store_listing_is_answered_while_it_is_listed_again() {
    let bucket = Arc::new(InMemory::new());
    let store = Store::in_memory(bucket.clone());
    let replica = Store::in_memory(bucket);
    // Expired at once, answered stale for as long as the test runs.
    let listings = Listings::new(store.clone(), Duration::ZERO, Duration::MAX);
    put_version(&store, "v1.0.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );

    // The replica's publish: the request after it gets the listing it had, without waiting,
    // and starts listing again; once that is done, requests see the new version.
    put_version(&replica, "v1.1.0").await;
    assert_eq!(
        listed(listings.versions(&module()).await.unwrap()),
        ["v1.0.0"]
    );
    let mut seen = Vec::new();
    for _ in 0..1000 {
        seen = listed(listings.versions(&module()).await.unwrap());
        if seen.len() == 2 {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(seen, ["v1.0.0", "v1.1.0"]);
}
