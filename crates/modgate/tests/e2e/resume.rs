//! Resumable zip downloads (RFC 9110 ranges) from the real binary, on a directory store (small
//! zips kept in memory and sent by sendfile on plain HTTP, large ones streamed from the file)
//! and on S3 (SeaweedFS: a range GET of the object); and a large zip from a slow but live
//! upstream, which must arrive whole however long it takes while bytes keep coming.

use std::time::Duration;

use crate::support::{
    Backend, Fault, Gateway, Http, Storage, escape, noise, public_tree, temp_dir,
};

#[test]
fn zips_resume_on_a_directory_store() {
    zips_resume_with(Storage::Dir);
}

#[test]
#[ignore = "needs weed"]
fn zips_resume_on_s3() {
    zips_resume_with(Storage::S3);
}

fn zips_resume_with(storage: Storage) {
    let backend = Backend::new(storage, "resume");
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    tree.add_large("example.com/big", "v1.0.0", "big.bin", &noise(3_000_000));
    let server = backend.serve(tree.root(), &dir.path().join("modgate.toml"), "", None);
    for (module, version) in [
        ("example.com/Corp/Lib", "v1.0.0"),
        ("example.com/big", "v1.0.0"),
    ] {
        let want = std::fs::read(tree.file(module, version, "zip")).expect("the zip");
        let path = format!("/{}/@v/{version}.zip", escape(module));
        // Twice: a small zip's second answer is the kept one (sent by sendfile).
        for pass in ["first", "second"] {
            check_resumable(server.http(), &path, &want, pass);
        }
    }
}

fn check_resumable(http: &Http, path: &str, want: &[u8], pass: &str) {
    let size = want.len();
    let whole = http.get(path);
    assert_eq!(whole.status, 200, "{pass} {path}: {}", whole.text());
    assert!(whole.body == want, "{pass} {path}");
    assert_eq!(whole.header("accept-ranges"), Some("bytes"), "{path}");
    assert_eq!(
        whole.header("content-length"),
        Some(size.to_string().as_str())
    );
    assert_eq!(whole.header("content-encoding"), None, "{path}");
    let etag = whole.header("etag").expect("an ETag").to_owned();
    assert!(etag.starts_with('"'), "a strong ETag: {etag}");
    let date = whole
        .header("last-modified")
        .expect("Last-Modified")
        .to_owned();

    let start = size / 3;
    for (range, from, to) in [
        (format!("bytes={start}-"), start, size),
        ("bytes=0-99".to_owned(), 0, 100),
        ("bytes=-10".to_owned(), size - 10, size),
    ] {
        let part = http.send("GET", path, &[("range", &range)]);
        assert_eq!(part.status, 206, "{pass} {path} {range}: {}", part.text());
        assert!(part.body == want[from..to], "{pass} {path} {range}");
        let content_range = format!("bytes {from}-{}/{size}", to - 1);
        assert_eq!(part.header("content-range"), Some(content_range.as_str()));
        assert_eq!(part.header("etag"), Some(etag.as_str()));
    }
    // A resume as the go command asks it: the rest, if the zip is still the one it had.
    let resume = format!("bytes={start}-");
    for (if_range, status) in [(etag.as_str(), 206), (date.as_str(), 206), ("\"x\"", 200)] {
        let got = http.send("GET", path, &[("range", &resume), ("if-range", if_range)]);
        assert_eq!(got.status, status, "{pass} {path} If-Range {if_range}");
        let from = if status == 206 { start } else { 0 };
        assert!(
            got.body == want[from..],
            "{pass} {path} If-Range {if_range}"
        );
    }
    let past = format!("bytes={size}-");
    let refused = http.send("GET", path, &[("range", &past)]);
    assert_eq!(refused.status, 416, "{pass} {path}");
    let unsatisfied = format!("bytes */{size}");
    assert_eq!(refused.header("content-range"), Some(unsatisfied.as_str()));
    let head = http.send("HEAD", path, &[("range", "bytes=0-99")]);
    assert_eq!(head.status, 200, "{pass} {path}: HEAD ignores Range");
    let whole = size.to_string();
    assert_eq!(head.header("content-length"), Some(whole.as_str()));
    assert!(head.body.is_empty());
}

#[test]
fn a_large_zip_from_a_slow_but_live_upstream_arrives_whole() {
    // An upstream pause of a second fails a fetch, a request has two seconds, and waiting on
    // a fetch someone else started 1.8; the zip takes several seconds in 64 KiB steps a tenth
    // of a second apart.
    let gateway = Gateway::start("timeout_secs = 1", "[server]\nrequest_timeout_secs = 2");
    let (module, version) = ("example.com/toolbox", "v1.0.0");
    gateway
        .upstream
        .add_large(module, version, "big.bin", &noise(3_000_000));
    let zip = std::fs::read(gateway.upstream.file(module, version, "zip")).expect("zip");
    let go_mod = std::fs::read(gateway.upstream.file(module, version, "mod")).expect("mod");
    let zip_h1 = gomod::hash_zip(std::io::Cursor::new(&zip)).expect("h1");
    gateway
        .sumdb
        .add(module, version, &zip_h1, &gomod::hash_go_mod(&go_mod));
    gateway
        .second()
        .set_fault(Fault::Trickle(Duration::from_millis(100)));

    let reply = gateway
        .server
        .http()
        .get(&format!("/{module}/@v/{version}.zip"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.body == zip, "the whole zip");
    assert!(gateway.stored(module, version, "zip"));
}
