use std::os::unix::fs::PermissionsExt;

use futures::StreamExt;

use super::*;

#[tokio::test]
async fn a_directory_store_stages_a_copy_and_places_it_create_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("store");
    let store = Store::directory(&root).expect("store");
    let spooled = dir.path().join("spooled.zip");
    std::fs::write(&spooled, b"zip bytes").expect("write");
    // Spool files are private; what is stored is not.
    std::fs::set_permissions(&spooled, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let key = Path::from("example.com/m/@v/v1.0.0.zip");

    let staged = store.stage_file(&key, &spooled).await.expect("stage");
    assert_eq!(
        store
            .place(&staged, &key, Replace::No)
            .await
            .expect("place"),
        Created::New
    );
    store.discard(staged).await;
    let stored = store.read(&key).await.expect("read").expect("stored");
    assert_eq!(&stored[..], b"zip bytes");
    // The same mode as a file object_store writes.
    let put = Path::from("example.com/m/@v/list");
    store
        .put(&put, Bytes::from_static(b"v1.0.0\n"))
        .await
        .expect("put");
    let mode = |key: &Path| {
        std::fs::metadata(root.join(key.as_ref()))
            .expect("metadata")
            .permissions()
            .mode()
    };
    assert_eq!(mode(&key), mode(&put));

    // Create-only: other bytes staged for the same key leave the stored ones.
    std::fs::write(&spooled, b"other bytes").expect("write");
    let staged = store.stage_file(&key, &spooled).await.expect("stage");
    assert_eq!(
        store
            .place(&staged, &key, Replace::No)
            .await
            .expect("place"),
        Created::Existed
    );
    store.discard(staged).await;
    let stored = store.read(&key).await.expect("read").expect("stored");
    assert_eq!(&stored[..], b"zip bytes");
    let left: Vec<_> = std::fs::read_dir(root.join(STAGING_DIR))
        .expect("staging")
        .collect();
    assert!(left.is_empty(), "left in staging: {left:?}");
}

#[tokio::test]
async fn parts_of_a_stream_with_nowhere_to_read_again_are_cut_from_it() {
    let whole: Vec<u8> = (0..=255).collect();
    for (from, to) in [(0, 256), (10, 20), (63, 65), (200, 256), (255, 256)] {
        let chunks: Vec<Result<Bytes, object_store::Error>> = whole
            .chunks(64)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let object = StoredObject {
            size: 256,
            etag: None,
            last_modified: None,
            body: ObjectBody::Stream(futures::stream::iter(chunks).boxed()),
            key: Path::from("k"),
            reopen: None,
        };
        let part: Vec<Bytes> = object
            .slice(from..to)
            .await
            .expect("slice")
            .into_stream()
            .try_collect()
            .await
            .expect("body");
        assert_eq!(
            part.concat(),
            whole[from as usize..to as usize],
            "{from}..{to}"
        );
    }
}
