//! Zips in parts (`Range`, `If-Range`) against the whole router in this process, for each way
//! a zip is answered: kept in memory (up to 128 KiB), read whole but streamed (up to 1 MiB),
//! and streamed from the open file.

use std::path::Path;

use super::tests::serve;

const CONFIG: &str = r#"
[[route]]
prefix = "public.example"
anonymous = true
"#;

/// (version, zip size): one of each way a zip is answered.
const ZIPS: &[(&str, usize)] = &[
    ("v1.0.0", 50_000),
    ("v1.1.0", 500_000),
    ("v1.2.0", 3_000_000),
];

fn bytes_of(size: usize, seed: usize) -> Vec<u8> {
    (0..size).map(|i| ((i * 7 + seed) % 251) as u8).collect()
}

fn write_versions(store: &Path) {
    let dir = store.join("public.example/r/@v");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (index, (version, size)) in ZIPS.iter().enumerate() {
        let info = format!(r#"{{"Version":"{version}","Time":"2024-01-01T00:00:00Z"}}"#);
        std::fs::write(dir.join(format!("{version}.info")), info).expect("info");
        std::fs::write(
            dir.join(format!("{version}.mod")),
            "module public.example/r\n",
        )
        .expect("mod");
        std::fs::write(dir.join(format!("{version}.zip")), bytes_of(*size, index)).expect("zip");
    }
}

struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

async fn get(base: &str, method: reqwest::Method, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("a response");
    Got {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.bytes().await.expect("a body").to_vec(),
    }
}

fn header<'a>(got: &'a Got, name: &str) -> &'a str {
    got.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn zips_are_answered_in_parts_by_rfc_9110() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = dir.path().join("store");
    write_versions(&store);
    let (base, _server) = serve(CONFIG, dir.path(), store).await;
    use reqwest::Method;
    for (index, (version, size)) in ZIPS.iter().enumerate() {
        let want = bytes_of(*size, index);
        let path = format!("/public.example/r/@v/{version}.zip");
        let path = path.as_str();
        // Twice: the second answers a small zip from the kept answers.
        for pass in ["first", "second"] {
            let whole = get(&base, Method::GET, path, &[]).await;
            assert_eq!(whole.status, 200, "{pass} {path}");
            assert!(whole.body == want, "{pass} {path}");
            assert_eq!(header(&whole, "accept-ranges"), "bytes", "{path}");
            assert_eq!(header(&whole, "content-length"), size.to_string());
            assert!(header(&whole, "content-encoding").is_empty());
            let etag = header(&whole, "etag").to_owned();
            let date = header(&whole, "last-modified").to_owned();
            assert!(
                etag.starts_with('"') && etag.ends_with('"'),
                "strong: {etag}"
            );
            assert!(httpdate::parse_http_date(&date).is_ok(), "{date:?}");

            let start = size - 1000;
            let resumed = [("range", format!("bytes={start}-"))];
            for (asked, from, to) in [
                (format!("bytes={start}-"), start, *size),
                ("bytes=10-19".to_owned(), 10, 20),
                ("bytes=-100".to_owned(), size - 100, *size),
                (format!("bytes=5-{}", size * 2), 5, *size),
            ] {
                let part = get(&base, Method::GET, path, &[("range", &asked)]).await;
                assert_eq!(part.status, 206, "{path} {asked}");
                assert!(part.body == want[from..to], "{path} {asked}");
                let range = format!("bytes {from}-{}/{size}", to - 1);
                assert_eq!(header(&part, "content-range"), range);
                assert_eq!(header(&part, "content-length"), (to - from).to_string());
                assert_eq!(header(&part, "etag"), etag);
            }
            let [(_, resume)] = &resumed;
            for (if_range, status) in [
                (etag.as_str(), 206),
                (date.as_str(), 206),
                ("\"other\"", 200),
            ] {
                let asked = [("range", resume.as_str()), ("if-range", if_range)];
                let got = get(&base, Method::GET, path, &asked).await;
                assert_eq!(got.status, status, "{path} If-Range {if_range}");
                let from = if status == 206 { start } else { 0 };
                assert!(got.body == want[from..], "{path} If-Range {if_range}");
            }
            let past = format!("bytes={size}-");
            let refused = get(&base, Method::GET, path, &[("range", &past)]).await;
            assert_eq!(refused.status, 416, "{path}");
            assert_eq!(header(&refused, "content-range"), format!("bytes */{size}"));
            let several = get(&base, Method::GET, path, &[("range", "bytes=0-1,5-6")]).await;
            assert_eq!(several.status, 200, "several ranges: the whole zip");
            assert!(several.body == want);
            let head = get(&base, Method::HEAD, path, &[("range", "bytes=10-19")]).await;
            assert_eq!(head.status, 200, "HEAD ignores Range (RFC 9110 §14.2)");
            assert!(header(&head, "content-range").is_empty());
            assert_eq!(header(&head, "content-length"), size.to_string());
            assert!(head.body.is_empty());
            let cached = get(
                &base,
                Method::GET,
                path,
                &[("if-none-match", &etag), ("range", "bytes=1-")],
            )
            .await;
            assert_eq!(cached.status, 304, "{path}");
        }
    }
}
