//! The publishing API and CLI without the go command (issue #3): what a publish writes, what it
//! refuses and why, who may publish, concurrent publishes of one version, crashes in the middle,
//! and `modgate import` / `modgate verify`. Every refusal must be a one-line 4xx that leaves the
//! store exactly as it was.
//!
//! The go-driven half (hashes as `go mod download` sees them, builds, direct mode from git,
//! retractions) is in `publish.rs`.

mod support;

use std::io::{Cursor, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use base64::Engine;
use support::{
    Modgate, Published, Reply, Token, TreeBuilder, api_path, describe, digest_tree, escape,
    files_below, modgate_command, module_zip, multipart, new_token, parse_published,
    publish_command, published_by, temp_dir, wait_until, write_file, write_htpasswd, write_module,
    zip_of, zip_with,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zip::CompressionMethod;

/// Tokens `ci` (may publish to corp.example and gopkg.in) and `reader` (may not); users alice
/// (named in write_users), bob (through the group in write_groups) and carol (neither). Reading
/// is open, so the tests can look at what was published.
fn config_for(ci: &Token, reader: &Token) -> String {
    format!(
        r#"
[auth]
htpasswd = "htpasswd"

{}
{}
[auth.groups]
release = ["bob"]

[[route]]
prefix = "corp.example"
anonymous = true
write_users = ["ci", "alice"]
write_groups = ["release"]

[[route]]
prefix = "gopkg.in"
anonymous = true
write_users = ["ci"]

[[route]]
prefix = "*"
anonymous = true
"#,
        ci.config, reader.config
    )
}

const GO_MOD: &str = "module corp.example/m\n\ngo 1.19\n";
const M_GO: &str = "package m\n\nconst V = 1\n";

/// Credentials for one request.
#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

impl Auth<'_> {
    fn header(self) -> Option<String> {
        match self {
            Auth::None => None,
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Basic(user, password) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
        }
    }
}

/// A store, a server whose temp directory is ours to inspect, and two tokens.
struct Api {
    dir: tempfile::TempDir,
    store: PathBuf,
    /// The server's TMPDIR, where uploads are spooled.
    tmp: PathBuf,
    config: PathBuf,
    server: Modgate,
    ci: Token,
    reader: Token,
}

impl Api {
    fn start() -> Api {
        let dir = temp_dir();
        let store = dir.path().join("store");
        let tmp = dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).expect("creating TMPDIR");
        let (ci, reader) = (new_token("ci"), new_token("reader"));
        write_htpasswd(
            &dir.path().join("htpasswd"),
            &[("alice", "s3cret"), ("bob", "hunter2"), ("carol", "pa55")],
        );
        let config = dir.path().join("modgate.toml");
        write_file(&config, config_for(&ci, &reader));
        let server = start_server(&store, &config, &tmp);
        Api {
            dir,
            store,
            tmp,
            config,
            server,
            ci,
            reader,
        }
    }

    fn ci(&self) -> Auth<'_> {
        Auth::Bearer(&self.ci.secret)
    }

    fn put(&self, module: &str, version: &str, zip: Vec<u8>, auth: Auth) -> Reply {
        self.send("PUT", &api_path(module, version), zip, None, auth)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
        auth: Auth,
    ) -> Reply {
        let authorization = auth.header();
        let mut headers = vec![("content-type", content_type.unwrap_or("application/zip"))];
        if let Some(value) = authorization.as_deref() {
            headers.push(("authorization", value));
        }
        self.server
            .http()
            .send_body(method, path, &headers, Some(body))
    }

    fn publish(&self, module: &str, version: &str, zip: Vec<u8>) -> Published {
        let reply = self.put(module, version, zip, self.ci());
        parse_published(&reply, &format!("publishing {module}@{version}"))
    }

    fn stored(&self, module: &str, version: &str, extension: &str) -> Option<Vec<u8>> {
        std::fs::read(TreeBuilder::new(&self.store).file(module, version, extension)).ok()
    }

    /// Nothing left in the staging area or the server's temp directory.
    fn assert_no_leftovers(&self, what: &str) {
        assert_eq!(
            files_below(&self.store.join(".modgate-staging")),
            Vec::<String>::new(),
            "{what}: staging leftovers"
        );
        assert_eq!(
            files_below(&self.tmp),
            Vec::<String>::new(),
            "{what}: temp files left"
        );
    }
}

fn start_server(store: &Path, config: &Path, tmp: &Path) -> Modgate {
    Modgate::start_with_env(store, Some(config), None, &[], &[("TMPDIR", tmp)])
}

fn h1_of(zip: &[u8]) -> String {
    gomod::hash_zip(Cursor::new(zip)).expect("hashing a test zip")
}

fn info_time(info: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(info).expect(".info is JSON");
    value["Time"].as_str().expect("Time").to_owned()
}

#[test]
fn a_publish_writes_a_complete_immutable_version() {
    let api = Api::start();
    let module = "corp.example/Upper/Lib";
    let go_mod = "module corp.example/Upper/Lib\n\ngo 1.19\n\nrequire corp.example/dep v1.0.0\n";
    let zip = module_zip(
        module,
        "v1.0.0",
        &[("go.mod", go_mod), ("lib.go", "package lib\n")],
    );

    // PUT with ?time=: 201 and the hashes, as go.sum will hold them.
    let path = format!(
        "{}?time=2024-01-02T04:04:05%2B01:00",
        api_path(module, "v1.0.0")
    );
    let reply = api.send("PUT", &path, zip.clone(), None, api.ci());
    let published = parse_published(&reply, "first publish");
    assert_eq!(
        published,
        Published {
            module: module.to_owned(),
            version: "v1.0.0".to_owned(),
            h1: h1_of(&zip),
            gomod_h1: gomod::hash_go_mod(go_mod.as_bytes()),
            created: true,
        }
    );

    // The zip as sent, the .mod byte for byte the zip's go.mod, .info with the time in UTC,
    // the ziphash, and the list.
    assert_eq!(
        api.stored(module, "v1.0.0", "zip").as_deref(),
        Some(&zip[..])
    );
    assert_eq!(
        api.stored(module, "v1.0.0", "mod").as_deref(),
        Some(go_mod.as_bytes())
    );
    assert_eq!(
        api.stored(module, "v1.0.0", "info").as_deref(),
        Some(&br#"{"Version":"v1.0.0","Time":"2024-01-02T03:04:05Z"}"#[..])
    );
    assert_eq!(
        api.stored(module, "v1.0.0", "ziphash"),
        Some(format!("{}\n", published.h1).into_bytes())
    );
    let list = TreeBuilder::new(&api.store)
        .version_dir(module)
        .join("list");
    assert_eq!(std::fs::read_to_string(&list).expect("list"), "v1.0.0\n");
    // And served as such.
    let served = api
        .server
        .http()
        .get(&format!("/{}/@v/v1.0.0.mod", escape(module)));
    assert_eq!((served.status, served.text()), (200, go_mod.to_owned()));

    // The same bytes again: 200, nothing changes.
    let before = digest_tree(&api.store);
    let again = parse_published(&api.put(module, "v1.0.0", zip, api.ci()), "same bytes");
    assert_eq!(
        again,
        Published {
            created: false,
            ..published.clone()
        }
    );
    assert_eq!(
        digest_tree(&api.store),
        before,
        "a same-bytes publish changed the store"
    );

    // Other bytes: 409 naming the h1 that stays.
    let other = module_zip(
        module,
        "v1.0.0",
        &[("go.mod", go_mod), ("lib.go", "package lib // changed\n")],
    );
    let line = api
        .put(module, "v1.0.0", other, api.ci())
        .assert_error(409, "other bytes");
    assert!(line.contains(&published.h1), "{line}");
    assert_eq!(
        digest_tree(&api.store),
        before,
        "a refused publish changed the store"
    );

    // A multipart form with an info part: its Time wins; the list grows in semver order.
    let zip = module_zip(
        module,
        "v1.10.0",
        &[("go.mod", go_mod), ("lib.go", "package lib\n")],
    );
    let (content_type, body) = multipart(&zip, Some(r#"{"Time":"2024-05-06T07:08:09Z"}"#));
    let reply = api.send(
        "POST",
        &api_path(module, "v1.10.0"),
        body,
        Some(&content_type),
        api.ci(),
    );
    assert_eq!(parse_published(&reply, "multipart").h1, h1_of(&zip));
    assert_eq!(
        info_time(&api.stored(module, "v1.10.0", "info").expect(".info")),
        "2024-05-06T07:08:09Z"
    );
    // Larger than axum's default body limit for forms (2 MiB), as real modules are.
    let large = noise(3 << 20);
    let zip = zip_with(
        &[
            ("corp.example/Upper/Lib@v1.2.0/go.mod", go_mod.as_bytes()),
            ("corp.example/Upper/Lib@v1.2.0/lib.go", b"package lib\n"),
            ("corp.example/Upper/Lib@v1.2.0/big.bin", &large),
        ],
        CompressionMethod::Stored,
    );
    let (content_type, body) = multipart(&zip, None);
    assert!(body.len() > 2 << 20);
    let reply = api.send(
        "POST",
        &api_path(module, "v1.2.0"),
        body,
        Some(&content_type),
        api.ci(),
    );
    parse_published(&reply, "large multipart");
    // No time anywhere: now.
    let time = info_time(&api.stored(module, "v1.2.0", "info").expect(".info"));
    let age = OffsetDateTime::now_utc() - OffsetDateTime::parse(&time, &Rfc3339).expect("time");
    assert!(age.whole_seconds().abs() < 300, "{time}");
    assert_eq!(
        std::fs::read_to_string(&list).expect("list"),
        "v1.0.0\nv1.2.0\nv1.10.0\n"
    );

    // The shapes of version a module path allows: /vN, gopkg.in, +incompatible (no go.mod: the
    // .mod is synthesised) and a pseudo-version (never listed).
    let v2 = "corp.example/Upper/Lib/v2";
    api.publish(
        v2,
        "v2.0.0",
        module_zip(v2, "v2.0.0", &[("go.mod", &format!("module {v2}\n"))]),
    );
    let yaml = "gopkg.in/yaml.v2";
    api.publish(
        yaml,
        "v2.4.0",
        module_zip(yaml, "v2.4.0", &[("go.mod", &format!("module {yaml}\n"))]),
    );
    let legacy = "corp.example/legacy";
    let published = api.publish(
        legacy,
        "v3.1.0+incompatible",
        module_zip(
            legacy,
            "v3.1.0+incompatible",
            &[("legacy.go", "package legacy\n")],
        ),
    );
    assert_eq!(
        published.gomod_h1,
        gomod::hash_go_mod(b"module corp.example/legacy\n")
    );
    assert_eq!(
        api.stored(legacy, "v3.1.0+incompatible", "mod").as_deref(),
        Some(&b"module corp.example/legacy\n"[..])
    );
    let pseudo = "v0.0.0-20240101120000-abcdef123456";
    api.publish(
        "corp.example/m",
        pseudo,
        module_zip(
            "corp.example/m",
            pseudo,
            &[("go.mod", GO_MOD), ("m.go", M_GO)],
        ),
    );
    assert!(api.stored("corp.example/m", pseudo, "info").is_some());
    let list = TreeBuilder::new(&api.store)
        .version_dir("corp.example/m")
        .join("list");
    assert_eq!(std::fs::read_to_string(list).unwrap_or_default(), "");

    api.assert_no_leftovers("after the publishes");
    assert_verify_clean(&api.store);
}

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
fn only_writers_may_publish() {
    let api = Api::start();
    let module = "corp.example/m";
    let zip = |n: u32| {
        module_zip(
            module,
            &format!("v1.0.{n}"),
            &[("go.mod", GO_MOD), ("m.go", M_GO)],
        )
    };
    let before = digest_tree(&api.store);
    // No credentials: 401 with a challenge. Bad ones: 401. Known but not a writer: 403.
    let reply = api.put(module, "v1.0.1", zip(1), Auth::None);
    reply.assert_error(401, "no credentials");
    assert!(
        reply
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Basic realm=")),
        "{:?}",
        reply.headers
    );
    api.put(
        module,
        "v1.0.1",
        zip(1),
        Auth::Bearer("mg_not-a-real-token"),
    )
    .assert_error(401, "unknown token");
    api.put(module, "v1.0.1", zip(1), Auth::Basic("alice", "wrong"))
        .assert_error(401, "wrong password");
    let line = api
        .put(module, "v1.0.1", zip(1), Auth::Bearer(&api.reader.secret))
        .assert_error(403, "a token without write rights");
    assert!(line.contains("reader"), "{line}");
    api.put(module, "v1.0.1", zip(1), Auth::Basic("carol", "pa55"))
        .assert_error(403, "a user without write rights");
    // A route that names no writer: nobody, not even ci.
    api.put(
        "example.com/public",
        "v1.0.0",
        module_zip(
            "example.com/public",
            "v1.0.0",
            &[("go.mod", "module example.com/public\n")],
        ),
        api.ci(),
    )
    .assert_error(403, "a route without writers");
    assert_eq!(digest_tree(&api.store), before);
    api.assert_no_leftovers("refused for credentials");

    // Writers by token, by user name and by group.
    for (n, auth) in [
        (1, api.ci()),
        (2, Auth::Basic("alice", "s3cret")),
        (3, Auth::Basic("bob", "hunter2")),
    ] {
        let reply = api.put(module, &format!("v1.0.{n}"), zip(n), auth);
        assert!(parse_published(&reply, "a writer").created);
    }
}

/// Raw HTTP/1.1 on a socket: the tests below send bodies that lie about their length, or stop.
fn raw_upload(port: u16, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    stream.write_all(head.as_bytes()).expect("sending the head");
    stream
}

fn read_status(stream: &mut TcpStream) -> Option<u16> {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split(' ').nth(1)?.parse().ok()
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

#[test]
fn concurrent_publishes_of_one_version_leave_exactly_one() {
    let api = Arc::new(Api::start());
    let module = "corp.example/race";
    let go_mod = "module corp.example/race\n";
    // Two different contents per version, each sent twice at once.
    let contents = |version: &str, tag: &str| {
        module_zip(
            module,
            version,
            &[
                ("go.mod", go_mod),
                ("r.go", &format!("package race\n\nconst Tag = {tag:?}\n")),
                // Enough bytes that the writes overlap.
                ("pad.txt", &tag.repeat(1 << 18)),
            ],
        )
    };
    for round in 0..4 {
        let version = format!("v1.0.{round}");
        let a = contents(&version, "a");
        let b = contents(&version, "b");
        let barrier = Arc::new(Barrier::new(4));
        let threads: Vec<_> = [a.clone(), b.clone(), a.clone(), b.clone()]
            .into_iter()
            .map(|zip| {
                let (api, barrier, version) = (api.clone(), barrier.clone(), version.clone());
                std::thread::spawn(move || {
                    let http = support::Http::new(&api.server.url(), None);
                    let authorization = format!("Bearer {}", api.ci.secret);
                    barrier.wait();
                    http.send_body(
                        "PUT",
                        &api_path(module, &version),
                        &[("authorization", &authorization)],
                        Some(zip),
                    )
                })
            })
            .collect();
        let replies: Vec<Reply> = threads
            .into_iter()
            .map(|t| t.join().expect("a publishing thread"))
            .collect();
        check_race(&api.store, module, &version, &[&a, &b, &a, &b], &replies);
    }
    api.assert_no_leftovers("after the races");

    // Across processes too: two through the server, two straight into the store with the CLI,
    // all at once. Only create-only writes can decide between processes.
    let version = "v1.1.0";
    let sources = temp_dir();
    let mut zips = Vec::new();
    for tag in ["a", "b"] {
        let dir = sources.path().join(tag);
        write_module(
            &dir,
            &[
                ("go.mod", go_mod),
                ("r.go", &format!("package race\n\nconst Tag = {tag:?}\n")),
                ("pad.txt", &tag.repeat(1 << 18)),
            ],
        );
        let built = build_zip(
            &dir,
            module,
            version,
            &api.dir.path().join(format!("t-{tag}")),
        );
        zips.push((dir, built));
    }
    let barrier = Arc::new(Barrier::new(4));
    let mut threads = Vec::new();
    for (i, (dir, zip)) in zips.iter().enumerate() {
        let (api2, barrier2, zip) = (api.clone(), barrier.clone(), zip.clone());
        threads.push(std::thread::spawn(move || {
            let http = support::Http::new(&api2.server.url(), None);
            let authorization = format!("Bearer {}", api2.ci.secret);
            barrier2.wait();
            let reply = http.send_body(
                "PUT",
                &api_path(module, version),
                &[("authorization", &authorization)],
                Some(zip),
            );
            (reply.status, reply.text())
        }));
        let (store, dir, barrier, tmp) = (
            api.store.clone(),
            dir.clone(),
            barrier.clone(),
            api.dir.path().join(format!("cli-{i}")),
        );
        threads.push(std::thread::spawn(move || {
            barrier.wait();
            let output = publish_command(
                &[
                    &dir.display().to_string(),
                    "--version",
                    version,
                    "--store",
                    &store.display().to_string(),
                ],
                &tmp,
            );
            // The CLI's outcome in the API's terms.
            if output.status.success() {
                let published = published_by(&output);
                let status = if published.created { 201 } else { 200 };
                (status, String::from_utf8_lossy(&output.stdout).into_owned())
            } else {
                (409, describe(&output))
            }
        }));
    }
    let outcomes: Vec<(u16, String)> = threads
        .into_iter()
        .map(|t| t.join().expect("a publishing thread"))
        .collect();
    let created = outcomes.iter().filter(|(s, _)| *s == 201).count();
    assert_eq!(created, 1, "{outcomes:#?}");
    let stored = api.stored(module, version, "zip").expect("the stored zip");
    let winner = zips
        .iter()
        .position(|(_, zip)| *zip == stored)
        .expect("the stored zip is one of those sent");
    // Threads alternate API (even) and CLI (odd) for source 0, then 1.
    for (i, (status, text)) in outcomes.iter().enumerate() {
        let source = i / 2;
        if source == winner {
            assert!(matches!(status, 200 | 201), "same bytes: {status} {text}");
        } else {
            assert_eq!(*status, 409, "other bytes: {text}");
            assert!(
                text.contains("already published") || text.contains("being published"),
                "{text}"
            );
        }
    }
    api.assert_no_leftovers("after the cross-process race");
    assert_verify_clean(&api.store);
}

/// `modgate publish DIR --store` builds the zip; to send the same bytes through the API, build
/// it the same way into a scratch store and take it from there.
fn build_zip(dir: &Path, module: &str, version: &str, scratch: &Path) -> Vec<u8> {
    let store = scratch.join("store");
    let output = publish_command(
        &[
            &dir.display().to_string(),
            "--version",
            version,
            "--store",
            &store.display().to_string(),
        ],
        &scratch.join("tmp"),
    );
    published_by(&output);
    std::fs::read(TreeBuilder::new(&store).file(module, version, "zip")).expect("the built zip")
}

/// One version after four racing publishes of two contents (`sent[i]` for `replies[i]`).
fn check_race(store: &Path, module: &str, version: &str, sent: &[&Vec<u8>], replies: &[Reply]) {
    let tree = TreeBuilder::new(store);
    let stored = std::fs::read(tree.file(module, version, "zip")).expect("a zip was stored");
    let h1 = h1_of(&stored);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "{version}: {statuses:?}"
    );
    for (zip, reply) in sent.iter().zip(replies) {
        if **zip == stored {
            let published = parse_published(reply, "a winner's twin");
            assert_eq!(published.h1, h1);
        } else {
            let line = reply.assert_error(409, "other bytes");
            assert!(
                line.contains(&h1) || line.contains("being published"),
                "{line}"
            );
        }
    }
    // The three files agree: .mod is the zip's go.mod, .info names the version, .ziphash the zip.
    let go_mod = gomod::read_go_mod(Cursor::new(&stored), module, version)
        .expect("reading go.mod")
        .expect("a go.mod");
    assert_eq!(
        std::fs::read(tree.file(module, version, "mod")).ok(),
        Some(go_mod)
    );
    let info = std::fs::read(tree.file(module, version, "info")).expect(".info");
    let info: serde_json::Value = serde_json::from_slice(&info).expect(".info JSON");
    assert_eq!(info["Version"], version);
    assert_eq!(
        std::fs::read_to_string(tree.file(module, version, "ziphash")).ok(),
        Some(format!("{h1}\n"))
    );
}

/// `modgate verify --store` finds nothing to report.
fn assert_verify_clean(store: &Path) {
    let output = modgate_command()
        .args(["verify", "--store"])
        .arg(store)
        .output()
        .expect("running modgate verify");
    assert!(output.status.success(), "{}", describe(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains(", 0 with problems"),
        "{}",
        describe(&output)
    );
}

/// Deterministic bytes that deflate does not shrink, so a zip is as large as its contents.
fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// `wait_until` at a millisecond's pace: the crash tests must kill within a short window.
fn poll_fast(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    done()
}

/// The files of one version in the store (any of .zip/.mod/.info/.ziphash, and their staged
/// `#N` siblings).
fn version_files(store: &Path, module: &str, version: &str) -> Vec<String> {
    let dir = TreeBuilder::new(store).version_dir(module);
    let prefix = format!("{}.", escape(version));
    files_below(&dir)
        .into_iter()
        .filter(|f| f.starts_with(&prefix))
        .collect()
}

#[test]
fn a_server_killed_mid_upload_leaves_no_version() {
    let mut api = Api::start();
    let module = "corp.example/crash";
    let go_mod = "module corp.example/crash\n";
    let auth = format!("Bearer {}", api.ci.secret);
    let upload_head = |path: &str, length: usize| {
        format!(
            "PUT {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\
             Content-Length: {length}\r\n\r\n"
        )
    };

    // Half a body, then SIGKILL while the server waits for the rest.
    let zip = zip_with(
        &[
            ("corp.example/crash@v1.0.0/go.mod", go_mod.as_bytes()),
            ("corp.example/crash@v1.0.0/data.bin", &noise(8 << 20)),
        ],
        CompressionMethod::Stored,
    );
    let path = api_path(module, "v1.0.0");
    let mut stream = raw_upload(api.server.port(), &upload_head(&path, zip.len()));
    stream
        .write_all(&zip[..zip.len() / 2])
        .expect("sending half");
    let spooled = wait_until(Duration::from_secs(20), || {
        files_below(&api.tmp)
            .iter()
            .any(|f| std::fs::metadata(api.tmp.join(f)).is_ok_and(|m| m.len() > 0))
    });
    assert!(
        spooled,
        "the upload never reached the server's temp directory"
    );
    api.server.kill();
    drop(stream);
    // The spooled half stays in the killed server's TMPDIR, outside the store, for the system's
    // temp cleaning; the store has nothing of it.
    assert_eq!(
        version_files(&api.store, module, "v1.0.0"),
        Vec::<String>::new()
    );

    // A server on the same store: no such version, and other bytes publish normally.
    api.server = start_server(&api.store, &api.config, &api.tmp);
    let reply = api.server.http().get(&format!("/{module}/@v/v1.0.0.info"));
    assert_eq!(reply.status, 404, "{}", reply.text());
    let other = module_zip(
        module,
        "v1.0.0",
        &[("go.mod", go_mod), ("c.go", "package crash\n")],
    );
    assert!(api.publish(module, "v1.0.0", other.clone()).created);
    assert_eq!(
        api.stored(module, "v1.0.0", "zip").as_deref(),
        Some(&other[..])
    );

    // A whole body, then SIGKILL while the server writes it into the store.
    let big = zip_with(
        &[
            ("corp.example/crash@v1.1.0/go.mod", go_mod.as_bytes()),
            ("corp.example/crash@v1.1.0/data.bin", &noise(96 << 20)),
        ],
        CompressionMethod::Stored,
    );
    let staging = api.store.join(".modgate-staging");
    let head = upload_head(&api_path(module, "v1.1.0"), big.len());
    let port = api.server.port();
    let sender = std::thread::spawn(move || {
        let mut stream = raw_upload(port, &head);
        let _ = stream.write_all(&big);
        read_status(&mut stream)
    });
    let staged = poll_fast(Duration::from_secs(60), || {
        !files_below(&staging).is_empty()
    });
    assert!(staged, "the upload never reached the staging area");
    api.server.kill();
    let _ = sender.join();
    // Killed while the zip was being staged: nothing under the version's names, not even an
    // invisible zip (which a publish of other bytes would have to wait out).
    assert_eq!(
        version_files(&api.store, module, "v1.1.0"),
        Vec::<String>::new(),
        "the kill did not land while staging"
    );
    assert!(
        !files_below(&staging).is_empty(),
        "no partial upload was left"
    );
    api.server = start_server(&api.store, &api.config, &api.tmp);
    let reply = api.server.http().get(&format!("/{module}/@v/v1.1.0.info"));
    assert_eq!(reply.status, 404, "{}", reply.text());
    let other = module_zip(module, "v1.1.0", &[("go.mod", go_mod)]);
    assert!(api.publish(module, "v1.1.0", other).created);
    assert_verify_clean(&api.store);
}

#[test]
fn a_cli_publish_killed_mid_write_leaves_no_version() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    let source = dir.path().join("src");
    let module = "corp.example/big";
    write_module(&source, &[("go.mod", "module corp.example/big\n")]);
    write_file(&source.join("data.bin"), noise(96 << 20));
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("TMPDIR");

    let mut child = modgate_command()
        .args([
            "publish",
            &source.display().to_string(),
            "--version",
            "v1.0.0",
            "--store",
        ])
        .arg(&store)
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning modgate publish");
    let staging = store.join(".modgate-staging");
    let staged = poll_fast(Duration::from_secs(120), || {
        !files_below(&staging).is_empty() || matches!(child.try_wait(), Ok(Some(_)))
    });
    assert!(staged, "the publish never reached the staging area");
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "the publish finished before it could be killed"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaping");
    assert_eq!(
        version_files(&store, module, "v1.0.0"),
        Vec::<String>::new(),
        "the kill did not land while staging"
    );
    assert!(
        !files_below(&staging).is_empty(),
        "no partial upload was left"
    );

    // Again, with other bytes: the leftovers trip nothing.
    std::fs::remove_file(source.join("data.bin")).expect("removing the large file");
    write_file(&source.join("big.go"), "package big\n");
    let output = publish_command(
        &[
            &source.display().to_string(),
            "--version",
            "v1.0.0",
            "--store",
            &store.display().to_string(),
        ],
        &tmp,
    );
    assert!(published_by(&output).created);
    assert_verify_clean(&store);
}

#[test]
fn staging_leftovers_older_than_an_hour_are_removed_at_start() {
    let dir = temp_dir();
    let store = dir.path().join("store");
    let staging = store.join(".modgate-staging");
    for name in ["old#1", "old-finished", "fresh#1"] {
        write_file(&staging.join(name), b"partial upload");
    }
    for name in ["old#1", "old-finished"] {
        let status = Command::new("touch")
            .args(["-d", "2 hours ago"])
            .arg(staging.join(name))
            .status()
            .expect("running touch");
        assert!(status.success());
    }
    let _server = Modgate::start(&store, None, None);
    let cleaned = wait_until(Duration::from_secs(10), || {
        files_below(&staging) == ["fresh#1"]
    });
    assert!(cleaned, "left: {:?}", files_below(&staging));
}

#[test]
fn an_invisible_zip_is_taken_over_only_once_abandoned() {
    let api = Api::start();
    let module = "corp.example/orphan";
    let go_mod = "module corp.example/orphan\n";
    // What a publish that died between the zip and the .info leaves.
    let orphan = module_zip(
        module,
        "v1.0.0",
        &[("go.mod", go_mod), ("o.go", "package a\n")],
    );
    let zip_path = TreeBuilder::new(&api.store).file(module, "v1.0.0", "zip");
    write_file(&zip_path, &orphan);
    let ours = module_zip(
        module,
        "v1.0.0",
        &[("go.mod", go_mod), ("o.go", "package b\n")],
    );

    // Young: maybe another replica's publish in progress, so this one loses.
    let line = api
        .put(module, "v1.0.0", ours.clone(), api.ci())
        .assert_error(409, "a young invisible zip");
    assert!(line.contains("try again"), "{line}");
    assert_eq!(std::fs::read(&zip_path).ok(), Some(orphan.clone()));

    // Old: abandoned, replaced.
    let status = Command::new("touch")
        .args(["-d", "5 minutes ago"])
        .arg(&zip_path)
        .status()
        .expect("running touch");
    assert!(status.success());
    assert!(api.publish(module, "v1.0.0", ours.clone()).created);
    assert_eq!(std::fs::read(&zip_path).ok(), Some(ours));

    // Same bytes as the orphan: adopted at once, whatever its age.
    let same = module_zip(module, "v1.1.0", &[("go.mod", go_mod)]);
    write_file(
        &TreeBuilder::new(&api.store).file(module, "v1.1.0", "zip"),
        &same,
    );
    assert!(api.publish(module, "v1.1.0", same).created);
    assert_verify_clean(&api.store);
}

#[test]
fn import_checks_rehashes_and_skips_and_verify_reports_disagreements() {
    let dir = temp_dir();
    let source = dir.path().join("cache/download");
    let tree = support::public_tree(&source);
    // A zip with a directory entry, as `zip -r` makes: valid to the go command (its h1 covers
    // the entry), so an import keeps it as it is.
    let dir_entry = zip_of(&[
        ("example.com/dirs@v1.0.0/", b""),
        (
            "example.com/dirs@v1.0.0/go.mod",
            b"module example.com/dirs\n",
        ),
    ]);
    let files = |module: &str, version: &str, zip: &[u8], go_mod: &str| {
        write_file(&tree.file(module, version, "zip"), zip);
        write_file(&tree.file(module, version, "mod"), go_mod);
        write_file(
            &tree.file(module, version, "info"),
            format!(r#"{{"Version":"{version}","Time":"2024-01-01T00:00:00Z"}}"#),
        );
    };
    files(
        "example.com/dirs",
        "v1.0.0",
        &dir_entry,
        "module example.com/dirs\n",
    );
    // Three that must be rejected, each for its own reason.
    files(
        "example.com/badmod",
        "v1.0.0",
        &module_zip(
            "example.com/badmod",
            "v1.0.0",
            &[("go.mod", "module example.com/badmod\n")],
        ),
        "module example.com/something-else\n",
    );
    files(
        "example.com/notzip",
        "v1.0.0",
        b"not a zip",
        "module example.com/notzip\n",
    );
    write_file(
        &tree.file("example.com/modonly", "v1.0.0", "info"),
        r#"{"Version":"v1.0.0"}"#,
    );
    write_file(
        &tree.file("example.com/modonly", "v1.0.0", "mod"),
        "module example.com/modonly\n",
    );

    let store = dir.path().join("store");
    let import = || {
        modgate_command()
            .args(["import"])
            .arg(dir.path())
            .arg("--store")
            .arg(&store)
            .output()
            .expect("running modgate import")
    };
    let output = import();
    assert!(!output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // public_tree has 10 versions; with dirs, 11 good ones.
    assert!(
        stdout.contains("imported 11, skipped 0 (already there), rejected 3"),
        "{}",
        describe(&output)
    );
    for reason in [
        "rejected example.com/badmod@v1.0.0: example.com/badmod@v1.0.0: the .mod file differs from the zip's go.mod",
        "rejected example.com/notzip@v1.0.0: ",
        "rejected example.com/modonly@v1.0.0: no .zip",
    ] {
        assert!(stdout.contains(reason), "{reason}: {}", describe(&output));
    }
    let stdout_before = stdout.into_owned();
    // Hashes recomputed, the source's .info time kept.
    let stored = TreeBuilder::new(&store);
    assert_eq!(
        std::fs::read_to_string(stored.file("example.com/dirs", "v1.0.0", "ziphash")).ok(),
        Some(format!("{}\n", h1_of(&dir_entry)))
    );
    assert_eq!(
        std::fs::read(stored.file("example.com/hello", "v1.1.0", "info")).ok(),
        std::fs::read(tree.file("example.com/hello", "v1.1.0", "info")).ok()
    );

    // Again: everything good is already there.
    let output = import();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("imported 0, skipped 11 (already there), rejected 3"),
        "{}\n(first run: {stdout_before})",
        describe(&output)
    );
    assert_verify_clean(&store);

    // verify: each kind of disagreement is reported, by version.
    let corrupt = [
        (
            "example.com/hello",
            "v1.0.0",
            "ziphash",
            b"h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n".to_vec(),
        ),
        (
            "example.com/hello",
            "v1.1.0",
            "mod",
            b"module example.com/hello\n\ngo 1.21\n".to_vec(),
        ),
        (
            "example.com/hello",
            "v1.2.0",
            "zip",
            b"not a zip any more".to_vec(),
        ),
    ];
    for (module, version, extension, bytes) in &corrupt {
        write_file(&stored.file(module, version, extension), bytes);
    }
    let output = modgate_command()
        .args(["verify", "--store"])
        .arg(&store)
        .output()
        .expect("running modgate verify");
    assert!(!output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("3 with problems"), "{}", describe(&output));
    for needle in [
        "example.com/hello@v1.0.0: .ziphash says",
        "example.com/hello@v1.1.0: .mod differs",
        "example.com/hello@v1.2.0: ",
    ] {
        assert!(stdout.contains(needle), "{needle}: {}", describe(&output));
    }
}
