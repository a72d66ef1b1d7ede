//! What the publishing API refuses, and why (issue #3): bad versions, module paths, zips and
//! bodies. Every refusal must be a one-line 4xx that leaves the store exactly as it was.

use std::io::{Cursor, Write};
use std::time::Duration;

use crate::support::{
    Api, GO_MOD, M_GO, api_path, digest_tree, files_below, module_zip, multipart, raw_upload,
    read_status, wait_until, zip_of,
};

/// One refused upload: the version, the body and what the one-line reason must say.
struct Bad {
    what: &'static str,
    module: &'static str,
    version: &'static str,
    zip: Vec<u8>,
    status: u16,
    says: &'static [&'static str],
}

#[test]
fn bad_uploads_are_refused_with_one_line_reasons_and_nothing_written() {
    let api = Api::start();
    // Something published already, so "nothing written" covers an existing module too.
    api.publish(
        "corp.example/m",
        "v1.0.0",
        module_zip(
            "corp.example/m",
            "v1.0.0",
            &[("go.mod", GO_MOD), ("m.go", M_GO)],
        ),
    );
    let before = digest_tree(&api.store);

    let p = "corp.example/m@v1.1.0/";
    let entries = |extra: &[(&str, &[u8])]| {
        let names: Vec<(String, Vec<u8>)> = extra
            .iter()
            .map(|(n, c)| (n.replace("P/", p), c.to_vec()))
            .collect();
        let mut all: Vec<(String, Vec<u8>)> = vec![
            (format!("{p}go.mod"), GO_MOD.as_bytes().to_vec()),
            (format!("{p}m.go"), M_GO.as_bytes().to_vec()),
        ];
        all.extend(names);
        let refs: Vec<(&str, &[u8])> = all
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice()))
            .collect();
        // The zip crate refuses to write a name twice: `m.gX` is renamed `m.go` afterwards.
        rename_in_place(zip_of(&refs), b"m.gX", b"m.go")
    };
    let bad = |what, zip, says| Bad {
        what,
        module: "corp.example/m",
        version: "v1.1.0",
        zip,
        status: 422,
        says,
    };
    let good = entries(&[]);
    let big_go_mod = format!("{GO_MOD}{}", "// padding\n".repeat((16 << 20) / 11 + 1));
    let cases = vec![
        bad(
            "a ../ entry",
            entries(&[("P/../../../etc/cron.d/evil", b"x")]),
            &[
                "corp.example/m@v1.1.0/../../../etc/cron.d/evil",
                "invalid path element \"..\"",
            ],
        ),
        bad(
            "a .. element",
            entries(&[("P/sub/../../m@v1.1.0/x.go", b"package m\n")]),
            &["not clean"],
        ),
        bad(
            "an absolute path",
            entries(&[("/etc/passwd", b"root\n")]),
            &["/etc/passwd", "path does not have prefix"],
        ),
        bad(
            "an absolute path after the prefix",
            entries(&[("P//etc/passwd", b"root\n")]),
            &["corp.example/m@v1.1.0//etc/passwd", "empty path element"],
        ),
        bad(
            "a directory entry",
            entries(&[("P/sub/", b""), ("P/sub/s.go", b"package sub\n")]),
            &["corp.example/m@v1.1.0/sub/", "directory"],
        ),
        bad(
            "the bare prefix as a directory entry",
            entries(&[("P/", b"")]),
            &["directory"],
        ),
        bad(
            "a duplicate name",
            entries(&[("P/m.gX", b"package m\n")]),
            &["multiple entries for file \"m.go\""],
        ),
        bad(
            "names that collide on a case-insensitive file system",
            entries(&[("P/M.GO", b"package m\n")]),
            &["case-insensitive file name collision: \"m.go\" and \"M.GO\""],
        ),
        bad(
            "a file and a directory of one name",
            entries(&[("P/m.go/x.go", b"package x\n")]),
            &["both a file and a directory"],
        ),
        bad(
            "a go.mod below the root",
            entries(&[("P/sub/go.mod", b"module corp.example/m/sub\n")]),
            &["go.mod file not in module root directory"],
        ),
        bad(
            "an invalid file name",
            entries(&[("P/bad'.go", b"package m\n")]),
            &["malformed file path", "bad'.go"],
        ),
        bad(
            "a LICENSE over 16 MiB",
            entries(&[("P/LICENSE", &vec![b'x'; (16 << 20) + 1])]),
            &["LICENSE file too large"],
        ),
        bad(
            "a go.mod over 16 MiB",
            zip_of(&[
                ("corp.example/m@v1.1.0/go.mod", big_go_mod.as_bytes()),
                ("corp.example/m@v1.1.0/m.go", M_GO.as_bytes()),
            ]),
            &["go.mod file too large"],
        ),
        bad(
            "a zip bomb: 528 MiB of zeros in a small zip",
            zip_bomb(),
            &["total uncompressed size of module contents too large"],
        ),
        bad(
            "an entry that holds more than it declares",
            patch_entry(&entries(&[("P/data.txt", &[7u8; 4096])]), "data.txt", |h| {
                h[24..28].copy_from_slice(&16u32.to_le_bytes())
            }),
            &["data.txt"],
        ),
        bad(
            "an entry whose CRC-32 is wrong",
            patch_entry(&entries(&[("P/data.txt", &[7u8; 4096])]), "data.txt", |h| {
                h[16..20].copy_from_slice(&0xdead_beef_u32.to_le_bytes())
            }),
            &["data.txt", "checksum"],
        ),
        bad(
            "the wrong prefix",
            module_zip("corp.example/other", "v1.1.0", &[("go.mod", GO_MOD)]),
            &["path does not have prefix \"corp.example/m@v1.1.0/\""],
        ),
        bad(
            "the right module at another version",
            module_zip("corp.example/m", "v1.2.0", &[("go.mod", GO_MOD)]),
            &["path does not have prefix \"corp.example/m@v1.1.0/\""],
        ),
        bad(
            "a go.mod for another module",
            module_zip(
                "corp.example/m",
                "v1.1.0",
                &[("go.mod", "module corp.example/other\n")],
            ),
            &["go.mod declares module \"corp.example/other\""],
        ),
        bad(
            "a go.mod without a module line",
            module_zip("corp.example/m", "v1.1.0", &[("go.mod", "go 1.19\n")]),
            &["go.mod has no module directive"],
        ),
        bad(
            "not a zip",
            b"PK\x03\x04 certainly not a zip".to_vec(),
            &["not a valid zip file"],
        ),
        bad(
            "a truncated zip",
            good[..good.len() / 2].to_vec(),
            &["not a valid zip file"],
        ),
        bad("an empty body", Vec::new(), &["not a valid zip file"]),
        bad(
            "every problem at once",
            entries(&[
                ("P/a/../x.go", b"package m\n"),
                ("P/m.gX", b"package m\n"),
                ("P/dir/", b""),
            ]),
            &["not clean", "multiple entries", "directory entries", "; "],
        ),
        Bad {
            what: "a major version the path does not allow",
            module: "corp.example/m",
            version: "v2.0.0",
            zip: module_zip("corp.example/m", "v2.0.0", &[("go.mod", GO_MOD)]),
            status: 422,
            says: &["should be v0 or v1, not v2"],
        },
        Bad {
            what: "v1 for a /v2 path",
            module: "corp.example/m/v2",
            version: "v1.0.0",
            zip: module_zip(
                "corp.example/m/v2",
                "v1.0.0",
                &[("go.mod", "module corp.example/m/v2\n")],
            ),
            status: 422,
            says: &["should be v2, not v1"],
        },
        Bad {
            what: "a gopkg.in path with another major",
            module: "gopkg.in/yaml.v2",
            version: "v3.0.0",
            zip: module_zip(
                "gopkg.in/yaml.v2",
                "v3.0.0",
                &[("go.mod", "module gopkg.in/yaml.v2\n")],
            ),
            status: 422,
            says: &["should be v2, not v3"],
        },
        Bad {
            what: "+incompatible for a /v2 path",
            module: "corp.example/m/v2",
            version: "v2.0.0+incompatible",
            zip: module_zip(
                "corp.example/m/v2",
                "v2.0.0+incompatible",
                &[("m.go", M_GO)],
            ),
            status: 422,
            says: &["+incompatible suffix not allowed", "major version suffix"],
        },
        Bad {
            what: "+incompatible for a v1",
            module: "corp.example/m",
            version: "v1.5.0+incompatible",
            zip: module_zip("corp.example/m", "v1.5.0+incompatible", &[("m.go", M_GO)]),
            status: 422,
            says: &["+incompatible suffix not allowed: major version v1 is compatible"],
        },
        Bad {
            what: "+incompatible with a go.mod",
            module: "corp.example/m",
            version: "v2.0.0+incompatible",
            zip: module_zip(
                "corp.example/m",
                "v2.0.0+incompatible",
                &[("go.mod", GO_MOD)],
            ),
            status: 422,
            says: &["+incompatible", "go.mod"],
        },
        Bad {
            what: "a version that is not canonical",
            module: "corp.example/m",
            version: "v1.1",
            zip: module_zip("corp.example/m", "v1.1", &[("go.mod", GO_MOD)]),
            status: 422,
            says: &["not canonical"],
        },
        Bad {
            what: "a pseudo-version with a time that does not exist",
            module: "corp.example/m",
            version: "v0.0.0-20241301120000-abcdef123456",
            zip: module_zip(
                "corp.example/m",
                "v0.0.0-20241301120000-abcdef123456",
                &[("go.mod", GO_MOD)],
            ),
            status: 422,
            says: &["pseudo-version", "20241301120000"],
        },
        Bad {
            what: "a pseudo-version with a short revision",
            module: "corp.example/m",
            version: "v1.2.4-0.20240101120000-abc",
            zip: module_zip(
                "corp.example/m",
                "v1.2.4-0.20240101120000-abc",
                &[("go.mod", GO_MOD)],
            ),
            status: 422,
            says: &["pseudo-version", "revision"],
        },
        Bad {
            what: "a version that is not one",
            module: "corp.example/m",
            version: "latest",
            zip: good.clone(),
            status: 422,
            says: &["latest"],
        },
    ];
    // Every case runs, and a failure lists all the cases that went wrong.
    let mut failed = Vec::new();
    for case in cases {
        let what = case.what;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let reply = api.put(case.module, case.version, case.zip, api.ci());
            let line = reply.assert_error(case.status, what);
            // Shown with --nocapture: the reasons as a publisher reads them.
            eprintln!("{what}: {} {line}", case.status);
            for needle in case.says {
                assert!(line.contains(needle), "{what}: {line:?} lacks {needle:?}");
            }
            assert_eq!(digest_tree(&api.store), before, "{what}: the store changed");
            api.assert_no_leftovers(what);
        }));
        if outcome.is_err() {
            failed.push(what);
        }
    }
    assert!(failed.is_empty(), "failed cases: {failed:#?}");
    // Not a module zip path at all: 400 before anything else.
    for path in [
        "/api/v1/corp.example/m/@v/v1.1.0.info",
        "/api/v1/corp.example/m/@latest",
        "/api/v1/corp.example/Upper/@v/v1.0.0.zip",
    ] {
        api.send("PUT", path, good.clone(), None, api.ci())
            .assert_error(400, path);
    }
    assert_eq!(digest_tree(&api.store), before);
}

/// 22 entries that each inflate to 24 MiB of zeros: 528 MiB declared, truthfully, from a zip
/// of about half a MiB. The deflated data is made once and copied raw.
fn zip_bomb() -> Vec<u8> {
    let one = zip_of(&[("corp.example/m@v1.1.0/z/0", &vec![0u8; 24 << 20])]);
    let mut source = zip::ZipArchive::new(Cursor::new(one)).expect("reading the bomb's seed");
    let mut bomb = zip::ZipWriter::new(Cursor::new(Vec::new()));
    bomb.start_file(
        "corp.example/m@v1.1.0/go.mod",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("go.mod entry");
    bomb.write_all(GO_MOD.as_bytes()).expect("go.mod");
    for i in 0..22 {
        let entry = source.by_index_raw(0).expect("the seed entry");
        bomb.raw_copy_file_rename(entry, format!("corp.example/m@v1.1.0/z/{i}"))
            .expect("copying the seed");
    }
    let bomb = bomb.finish().expect("finishing the bomb").into_inner();
    assert!(bomb.len() < 2 << 20, "the bomb is {} bytes", bomb.len());
    bomb
}

/// Replaces every occurrence of `from` by `to` (of the same length) in the zip's bytes: entry
/// names are stored in clear in the local and central headers, and the data of these test zips
/// never holds the placeholder.
fn rename_in_place(mut zip: Vec<u8>, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut at = 0;
    while let Some(p) = zip[at..].windows(from.len()).position(|w| w == from) {
        zip[at + p..at + p + from.len()].copy_from_slice(to);
        at += p + from.len();
    }
    zip
}

/// Rewrites the central directory header of the entry whose name ends in `name_suffix` (sizes
/// and CRC live there: offsets 16 CRC-32, 20 compressed, 24 uncompressed).
fn patch_entry(zip: &[u8], name_suffix: &str, patch: impl Fn(&mut [u8])) -> Vec<u8> {
    let mut zip = zip.to_vec();
    let mut at = 0;
    let mut patched = false;
    while let Some(offset) = zip[at..]
        .windows(4)
        .position(|w| w == b"PK\x01\x02")
        .map(|p| p + at)
    {
        let name_len = u16::from_le_bytes([zip[offset + 28], zip[offset + 29]]) as usize;
        let name = &zip[offset + 46..offset + 46 + name_len];
        if name.ends_with(name_suffix.as_bytes()) {
            patch(&mut zip[offset..offset + 46]);
            patched = true;
        }
        at = offset + 4;
    }
    assert!(patched, "no entry {name_suffix}");
    zip
}

#[test]
fn oversized_and_truncated_bodies_are_refused() {
    let api = Api::start();
    let before = digest_tree(&api.store);
    let auth = format!("Bearer {}", api.ci.secret);
    let path = api_path("corp.example/m", "v1.0.0");

    // Announced as larger than the go command would ever download: 413 before any byte.
    let mut stream = raw_upload(
        api.server.port(),
        &format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\nPK",
            (500u64 << 20) + 1
        ),
    );
    assert_eq!(read_status(&mut stream), Some(413));

    // Chunked, so the size is known only by counting: 413 once past 500 MiB, and the spooled
    // part is gone.
    let mut stream = raw_upload(
        api.server.port(),
        &format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ),
    );
    let chunk = vec![b'z'; 4 << 20];
    let mut head = format!("{:x}\r\n", chunk.len()).into_bytes();
    head.extend_from_slice(&chunk);
    head.extend_from_slice(b"\r\n");
    // The server answers and closes as soon as it has seen too much, while this side is still
    // writing: read the answer as it comes, before the close can reset the connection.
    let mut reading = stream.try_clone().expect("cloning the socket");
    let reader = std::thread::spawn(move || read_status(&mut reading));
    let mut sent = 0u64;
    while sent <= (500 << 20) + (8 << 20) && stream.write_all(&head).is_ok() {
        sent += chunk.len() as u64;
    }
    let _ = stream.write_all(b"0\r\n\r\n");
    assert_eq!(reader.join().expect("the reading thread"), Some(413));

    // A body that stops short of its Content-Length: refused (if the client is still there to
    // hear it), nothing written.
    let zip = module_zip("corp.example/m", "v1.0.0", &[("go.mod", GO_MOD)]);
    let mut stream = raw_upload(
        api.server.port(),
        &format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            zip.len() + 100
        ),
    );
    stream.write_all(&zip).expect("sending the zip");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("half-closing");
    let status = read_status(&mut stream);
    assert!(
        status.is_none() || status == Some(400),
        "truncated body: {status:?}"
    );

    // An info part that is not small is not read into memory. Just over the limit: the server
    // answers as soon as it has seen too much, and a client still sending a large body would
    // see the connection reset instead of the answer.
    let (content_type, body) = multipart(&zip, Some(&format!("\"{}\"", "x".repeat(70_000))));
    api.send("POST", &path, body, Some(&content_type), api.ci())
        .assert_error(413, "a large info part");
    let (content_type, body) = multipart(&zip, Some("{\"Time\": \"yesterday\"}"));
    api.send("POST", &path, body, Some(&content_type), api.ci())
        .assert_error(400, "a bad time");
    api.send(
        "PUT",
        &format!("{path}?time=tomorrow"),
        zip.clone(),
        None,
        api.ci(),
    )
    .assert_error(400, "a bad ?time=");

    // Let the server notice the half-closed connections before looking at its temp directory.
    assert!(wait_until(Duration::from_secs(10), || files_below(
        &api.tmp
    )
    .is_empty()));
    assert_eq!(digest_tree(&api.store), before);
    api.assert_no_leftovers("oversized and truncated");
    // The server is fine afterwards.
    api.publish("corp.example/m", "v1.0.0", zip);
}
