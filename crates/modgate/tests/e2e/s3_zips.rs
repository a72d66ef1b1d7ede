//! Zips served from a real S3-compatible server (SeaweedFS, see `support/s3.rs`): a zip too
//! large to keep in memory streams from the bucket on every request, and its parts (`Range`,
//! `If-Range`) come from range GETs that carry the object's ETag in `If-Match`
//! (`StoredObject::slice`). Directory stores read parts from the open file instead, so only a
//! bucket exercises this path.

use crate::support::{Modgate, Weed, public_tree, temp_dir};

/// Larger than the 128 KiB up to which a zip is read whole and kept: streamed every time.
const LARGE: usize = 600 << 10;

#[test]
#[ignore = "needs weed"]
fn a_large_zip_on_s3_answers_ranges_from_range_gets() {
    let weed = Weed::start();
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let blob: Vec<u8> = (0..LARGE)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    tree.add_large("example.com/ranged", "v1.0.0", "blob.bin", &blob);
    let config = weed.write_config(&dir.path().join("modgate.toml"), "ranges", "");
    crate::support::s3::import(&weed, tree.root(), &config);
    let server = Modgate::start_configured(&config, None, &weed.env());
    let http = server.http();
    let path = "/example.com/ranged/@v/v1.0.0.zip";
    let zip = std::fs::read(tree.file("example.com/ranged", "v1.0.0", "zip")).expect("zip");
    assert!(zip.len() > LARGE, "the zip must be streamed, not kept");

    let whole = http.get(path);
    assert_eq!(whole.status, 200);
    assert!(whole.body == zip, "the whole zip differs");
    let etag = whole.header("etag").expect("an ETag").to_owned();
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));

    // A part in the middle, and one past the first S3 chunk (a range GET, not a skip).
    for (first, last) in [(1000, 1999), (300_000, 450_123)] {
        let range = format!("bytes={first}-{last}");
        let part = http.send("GET", path, &[("range", &range)]);
        assert_eq!(part.status, 206, "{range}: {}", part.text());
        assert!(part.body == zip[first..=last], "{range}: other bytes");
        let want = format!("bytes {first}-{last}/{}", zip.len());
        assert_eq!(part.header("content-range"), Some(want.as_str()));
        assert_eq!(part.header("etag"), Some(etag.as_str()));
    }
    // The last 100 bytes (a suffix range), still the same object.
    let tail = http.send("GET", path, &[("range", "bytes=-100")]);
    assert_eq!(tail.status, 206);
    assert!(tail.body == zip[zip.len() - 100..], "suffix: other bytes");

    // If-Range with the current ETag gives the part; with another, the whole zip.
    let current = http.send("GET", path, &[("range", "bytes=0-9"), ("if-range", &etag)]);
    assert_eq!(current.status, 206);
    assert!(current.body == zip[..10]);
    let stale = http.send(
        "GET",
        path,
        &[("range", "bytes=0-9"), ("if-range", "\"not-this-one\"")],
    );
    assert_eq!(stale.status, 200);
    assert!(stale.body == zip, "a stale If-Range gets the whole zip");

    // Past the end: 416 with the size, not a 503 from the bucket.
    let past = format!("bytes={}-", zip.len() + 10);
    let beyond = http.send("GET", path, &[("range", &past)]);
    assert_eq!(beyond.status, 416, "{}", beyond.text());
    let want = format!("bytes */{}", zip.len());
    assert_eq!(beyond.header("content-range"), Some(want.as_str()));
}
