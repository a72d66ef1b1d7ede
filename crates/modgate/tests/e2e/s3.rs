//! The S3 store (issue #5) against a real S3-compatible server on loopback (SeaweedFS's
//! `weed mini`, see `support/s3.rs`): create-only writes as SeaweedFS does them, two modgate
//! replicas on one bucket, an outage and the recovery after it, a module with more versions
//! than one listing page holds, and `modgate import`/`export` between a directory and a bucket.
//!
//! The go-driven core and publishing tests run on S3 too: the `_on_s3` tests in `goproxy.rs`
//! and `publish.rs`. Everything here needs weed (and some need go), so it is ignored by
//! default; CI runs it with `--include-ignored`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use crate::support::{
    GoEnv, Http, Modgate, Reply, Token, Weed, api_path, describe, digest_tree, go_clients,
    modgate_command, module_zip, new_token, parse_published, public_tree, publishing_config,
    temp_dir, wait_until, write_htpasswd,
};
use bytes::Bytes;
use futures::StreamExt;
use object_store::path::Path as Key;
use object_store::{
    ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RenameOptions, RenameTargetMode,
};

/// A config directory for servers publishing to `prefix`: the config file and the token.
struct Publishing {
    _dir: tempfile::TempDir,
    config: std::path::PathBuf,
    ci: Token,
}

impl Publishing {
    fn new(weed: &Weed, prefix: &str) -> Publishing {
        let dir = temp_dir();
        let ci = new_token("ci");
        write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
        let config = weed.write_config(
            &dir.path().join("modgate.toml"),
            prefix,
            // example.com is public too.
            &publishing_config(
                &ci,
                &["ci"],
                "\n[[route]]\nprefix = \"example.com\"\nanonymous = true\n",
            ),
        );
        Publishing {
            _dir: dir,
            config,
            ci,
        }
    }

    fn serve(&self, weed: &Weed) -> Modgate {
        Modgate::start_configured(&self.config, None, &weed.env())
    }

    fn put(&self, http: &Http, module: &str, version: &str, zip: Vec<u8>) -> Reply {
        let authorization = format!("Bearer {}", self.ci.secret);
        http.send_body(
            "PUT",
            &api_path(module, version),
            &[("authorization", &authorization)],
            Some(zip),
        )
    }
}

/// SeaweedFS 4.48 does what the store relies on: a create-only PUT (`If-None-Match: *`) of a
/// key that exists fails, and so does the create-only rename the store does for zips (a
/// multipart copy completed with `If-None-Match: *`); nothing is overwritten either way.
#[test]
#[ignore = "needs weed"]
fn create_only_writes_never_overwrite() {
    let weed = Weed::start();
    let store = weed.client();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let create = || PutOptions {
            mode: PutMode::Create,
            ..PutOptions::default()
        };
        let key = Key::from("create-only/x.info");
        store
            .put_opts(&key, PutPayload::from_static(b"first"), create())
            .await
            .expect("creating a new key");
        let again = store
            .put_opts(&key, PutPayload::from_static(b"second"), create())
            .await;
        assert!(
            matches!(again, Err(object_store::Error::AlreadyExists { .. })),
            "create-only PUT over an existing key: {again:?}"
        );
        let read = store
            .get(&key)
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(read, Bytes::from_static(b"first"));

        let rename = |from: &'static str, to: &'static str| {
            let store = &store;
            async move {
                store
                    .rename_opts(
                        &Key::from(from),
                        &Key::from(to),
                        RenameOptions {
                            target_mode: RenameTargetMode::Create,
                            ..RenameOptions::default()
                        },
                    )
                    .await
            }
        };
        store
            .put(
                &Key::from("create-only/staged-1"),
                PutPayload::from_static(b"zip one"),
            )
            .await
            .expect("staging");
        rename("create-only/staged-1", "create-only/x.zip")
            .await
            .expect("renaming onto a new key");
        store
            .put(
                &Key::from("create-only/staged-2"),
                PutPayload::from_static(b"zip two"),
            )
            .await
            .expect("staging");
        let again = rename("create-only/staged-2", "create-only/x.zip").await;
        assert!(
            matches!(again, Err(object_store::Error::AlreadyExists { .. })),
            "create-only rename over an existing key: {again:?}"
        );
        let read = store
            .get(&Key::from("create-only/x.zip"))
            .await
            .expect("get")
            .bytes()
            .await
            .expect("bytes");
        assert_eq!(read, Bytes::from_static(b"zip one"));
    });
}

#[test]
#[ignore = "needs go and weed"]
fn two_replicas_on_one_bucket_serve_what_either_published() {
    let weed = Weed::start();
    let publishing = Publishing::new(&weed, "replicas-serve");
    let a = publishing.serve(&weed);
    let b = publishing.serve(&weed);
    let module = "corp.example/shared";
    let mut published = Vec::new();
    for version in ["v1.0.0", "v1.1.0"] {
        let zip = module_zip(
            module,
            version,
            &[
                ("go.mod", "module corp.example/shared\n\ngo 1.19\n"),
                ("s.go", "package shared\n\nconst S = \"shared\"\n"),
            ],
        );
        let reply = publishing.put(a.http(), module, version, zip);
        let p = parse_published(&reply, &format!("{module}@{version} on A"));
        assert!(p.created);
        published.push(p);
    }
    // B never saw the publish: it answers from the bucket.
    assert_eq!(
        b.http().get(&format!("/{module}/@v/list")).text(),
        "v1.0.0\nv1.1.0\n"
    );
    for go in go_clients() {
        let env = GoEnv::new(&go, &b.url());
        let downloaded =
            env.download(&["corp.example/shared@v1.0.0", "corp.example/shared@v1.1.0"]);
        for (d, p) in downloaded.iter().zip(&published) {
            assert_eq!(
                (&d.path, &d.version, &d.sum, &d.go_mod_sum),
                (&p.module, &p.version, &p.h1, &p.gomod_h1),
                "{}",
                go.version
            );
        }
        let app = env.app(&[]);
        let out = env
            .run(Some(&app), &["list", "-m", "-versions", module])
            .success();
        assert_eq!(
            out.stdout.trim(),
            "corp.example/shared v1.0.0 v1.1.0",
            "{}",
            out.describe()
        );
    }
}

#[test]
#[ignore = "needs weed"]
fn concurrent_publishes_across_replicas_store_one_version() {
    let weed = Weed::start();
    let publishing = Arc::new(Publishing::new(&weed, "replicas-race"));
    let servers = [publishing.serve(&weed), publishing.serve(&weed)];
    let module = "corp.example/race";
    let contents = |version: &str, tag: &str| {
        module_zip(
            module,
            version,
            &[
                ("go.mod", "module corp.example/race\n"),
                ("r.go", &format!("package race\n\nconst Tag = {tag:?}\n")),
                // Enough bytes that the writes overlap.
                ("pad.txt", &tag.repeat(1 << 18)),
            ],
        )
    };
    let versions = ["v1.0.0", "v1.0.1", "v1.0.2"];
    let mut winners = BTreeMap::new();
    for version in versions {
        let a = contents(version, "a");
        let b = contents(version, "b");
        let barrier = Arc::new(Barrier::new(4));
        // Same bytes on A and on B, other bytes on A and on B.
        let sends = [(0, &a), (1, &a), (0, &b), (1, &b)];
        let threads: Vec<_> = sends
            .iter()
            .map(|(server, zip)| {
                let url = servers[*server].url();
                let (publishing, barrier) = (publishing.clone(), barrier.clone());
                let zip = (*zip).clone();
                std::thread::spawn(move || {
                    let http = Http::new(&url, None);
                    barrier.wait();
                    publishing.put(&http, module, version, zip)
                })
            })
            .collect();
        let replies: Vec<Reply> = threads
            .into_iter()
            .map(|t| t.join().expect("a publishing thread"))
            .collect();
        let outcomes: Vec<u16> = replies.iter().map(|r| r.status).collect();
        let created: Vec<usize> = (0..4).filter(|i| replies[*i].status == 201).collect();
        assert_eq!(
            created.len(),
            1,
            "{version}: one publish creates: {outcomes:?}"
        );
        // The winner's twin (the same bytes) succeeds too; the other two conflict.
        let winner = created[0];
        let twin = winner ^ 1;
        assert_eq!(replies[twin].status, 200, "{version}: {outcomes:?}");
        for loser in (0..4).filter(|i| *i != winner && *i != twin) {
            let line = replies[loser].assert_error(409, &format!("{version}: a loser"));
            assert!(!line.is_empty());
        }
        let p = parse_published(&replies[winner], version);
        let twin_p = parse_published(&replies[twin], version);
        assert_eq!((&p.h1, &p.gomod_h1), (&twin_p.h1, &twin_p.gomod_h1));
        winners.insert(version, (sends[winner].1.clone(), p));
    }

    // What the bucket holds: one version each, the winner's bytes, consistent, and no staged
    // upload left behind.
    let export = temp_dir();
    crate::support::s3::export(&weed, &publishing.config, export.path());
    let dir = export.path().join("corp.example/race/@v");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("the exported module")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut want: BTreeSet<String> = versions
        .iter()
        .flat_map(|v| ["info", "mod", "zip", "ziphash"].map(|ext| format!("{v}.{ext}")))
        .collect();
    // The go command's module cache has a `list` too; modgate lists the keys instead.
    want.insert("list".to_owned());
    assert_eq!(names.into_iter().collect::<BTreeSet<_>>(), want);
    for (version, (zip, _)) in &winners {
        let stored = std::fs::read(dir.join(format!("{version}.zip"))).expect("the zip");
        assert!(
            stored == *zip,
            "{version}: the stored zip is not the winner's"
        );
    }
    let verify = modgate_command()
        .arg("verify")
        .arg("--store")
        .arg(export.path())
        .output()
        .expect("running modgate verify");
    assert!(
        verify.status.success()
            && String::from_utf8_lossy(&verify.stdout)
                .contains("checked 3 versions, 0 with problems"),
        "{}",
        describe(&verify)
    );
    let staged = list_keys(&weed, "replicas-race/.modgate-staging");
    assert!(staged.is_empty(), "staged uploads left: {staged:?}");
    // Both replicas serve the winner.
    for server in &servers {
        for (version, (_, p)) in &winners {
            let reply = server.http().get(&format!("/{module}/@v/{version}.zip"));
            assert_eq!(reply.status, 200);
            assert!(
                reply.body == winners[version].0,
                "{version} from {}",
                server.url()
            );
            assert_eq!(p.version, *version);
        }
    }
}

/// The GOPROXY requests an outage is checked with: list, the three files of a version,
/// @latest, and a module the store does not hold (which must not become 404 either).
const OUTAGE_PATHS: &[&str] = &[
    "/example.com/hello/@v/list",
    "/example.com/hello/@v/v1.1.0.info",
    "/example.com/hello/@v/v1.1.0.mod",
    "/example.com/hello/@v/v1.1.0.zip",
    "/example.com/hello/@latest",
    "/example.com/hello/v2/@v/v2.0.0.zip",
    "/example.com/absent/@v/list",
    "/example.com/absent/@v/v1.0.0.info",
];

#[test]
#[ignore = "needs weed"]
fn an_outage_answers_503_and_service_resumes_by_itself() {
    let mut weed = Weed::start();
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let publishing = Publishing::new(&weed, "outage");
    crate::support::s3::import(&weed, tree.root(), &publishing.config);
    let server = publishing.serve(&weed);
    let http = server.http();
    assert_eq!(
        http.get("/readyz").status,
        200,
        "{}",
        http.get("/readyz").text()
    );
    let before: Vec<(u16, Vec<u8>)> = OUTAGE_PATHS
        .iter()
        .map(|path| {
            let reply = http.get(path);
            (reply.status, reply.body)
        })
        .collect();
    let statuses: Vec<u16> = before.iter().map(|(status, _)| *status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 404, 404]);
    let zip = module_zip(
        "corp.example/during",
        "v1.0.0",
        &[("go.mod", "module corp.example/during\n")],
    );

    weed.stop();
    // A 404 is kept for a second; past it, what was absent is not known to be absent any more.
    std::thread::sleep(Duration::from_millis(1100));
    // The paths asked before may be answered from memory (.info, .mod and small zips of a
    // visible version never change; a held module's listing for some seconds, as it was);
    // everything else is 503 with a reason. Nothing is 404.
    let fresh = [
        "/example.com/hello/@v/v1.0.0.info",
        "/example.com/hello/@v/v1.0.0.mod",
        "/example.com/hello/@v/v1.0.0.zip",
        "/example.com/!corp/!lib/@v/list",
    ];
    for (path, asked_before) in OUTAGE_PATHS
        .iter()
        .map(|p| (p, true))
        .chain(fresh.iter().map(|p| (p, false)))
    {
        let reply = http.get(path);
        let immutable = [".info", ".mod", ".zip"].iter().any(|e| path.ends_with(e));
        if asked_before && immutable && reply.status == 200 {
            continue;
        }
        let held_list = path.starts_with("/example.com/hello/") && !immutable;
        if asked_before && held_list && reply.status == 200 {
            let (_, body) = &before[OUTAGE_PATHS.iter().position(|p| p == path).expect("asked")];
            assert_eq!(&reply.body, body, "{path}: a listing kept, as it was");
            continue;
        }
        let line = reply.assert_error(503, path);
        assert!(line.contains("storage unavailable"), "{path}: {line}");
    }
    let reply = publishing.put(http, "corp.example/during", "v1.0.0", zip.clone());
    let line = reply.assert_error(503, "a publish during the outage");
    assert!(line.contains("unavailable"), "{line}");
    let ready = http.get("/readyz");
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert!(
        ready.text().contains("s3 bucket modgate"),
        "/readyz does not name the bucket: {}",
        ready.text()
    );
    // A server started during the outage starts all the same and says why it is not ready.
    let late = publishing.serve(&weed);
    let ready = late.http().get("/readyz");
    assert_eq!(ready.status, 503, "{}", ready.text());
    assert!(
        ready.text().contains("s3 bucket modgate"),
        "{}",
        ready.text()
    );

    weed.start_again();
    for server in [&server, &late] {
        assert!(
            wait_until(Duration::from_secs(20), || server
                .http()
                .get("/readyz")
                .status
                == 200),
            "not ready again after the store came back: {}",
            server.stderr()
        );
        // Ready means the bucket answers; a read may still meet a store catching up (a 503,
        // retried by the client), but never a 404, and each answer soon is what it was.
        for (path, (status, body)) in OUTAGE_PATHS.iter().zip(&before) {
            let mut last = None;
            let back = wait_until(Duration::from_secs(10), || {
                let reply = server.http().get(path);
                let same = (reply.status, &reply.body) == (*status, body);
                if !same {
                    reply.assert_error(503, path);
                }
                last = Some(reply);
                same
            });
            let last = last.map(|reply| (reply.status, reply.text()));
            assert!(back, "{path} after the outage: {last:?}, was {status}");
        }
    }
    let reply = publishing.put(late.http(), "corp.example/during", "v1.0.0", zip);
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(http.get("/corp.example/during/@v/list").text(), "v1.0.0\n");
}

#[test]
#[ignore = "needs go and weed"]
fn a_module_with_1100_versions_lists_them_all() {
    let weed = Weed::start();
    let prefix = "many";
    let module = "corp.example/many";
    let versions: Vec<String> = (0..1100).map(|i| format!("v1.{i}.0")).collect();
    // Straight into the bucket, many at once: 3,300 objects through modgate would be slow.
    let client = Arc::new(weed.client());
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let puts = versions.iter().flat_map(|version| {
            let info = format!(r#"{{"Version":"{version}","Time":"2024-01-01T00:00:00Z"}}"#);
            let go_mod = format!("module {module}\n");
            let zip = module_zip(module, version, &[("go.mod", &go_mod)]);
            [
                ("info", info.into_bytes()),
                ("mod", go_mod.into_bytes()),
                ("zip", zip),
            ]
            .map(|(ext, bytes)| {
                let client = client.clone();
                let key = Key::from(format!("{prefix}/{module}/@v/{version}.{ext}"));
                async move { client.put(&key, PutPayload::from(bytes)).await }
            })
        });
        let results: Vec<_> = futures::stream::iter(puts)
            .buffer_unordered(64)
            .collect()
            .await;
        for result in results {
            result.expect("putting an object");
        }
    });
    let dir = temp_dir();
    let config = weed.write_config(&dir.path().join("modgate.toml"), prefix, "");
    let server = Modgate::start_configured(&config, None, &weed.env());
    let list = server.http().get(&format!("/{module}/@v/list"));
    assert_eq!(list.status, 200);
    let got: BTreeSet<&str> = std::str::from_utf8(&list.body)
        .expect("UTF-8")
        .lines()
        .collect();
    let want: BTreeSet<&str> = versions.iter().map(String::as_str).collect();
    assert_eq!(got.len(), 1100, "@v/list has {} lines", got.len());
    assert_eq!(got, want);

    for go in go_clients() {
        let env = GoEnv::new(&go, &server.url());
        let app = env.app(&[]);
        let out = env
            .run(Some(&app), &["list", "-m", "-versions", module])
            .success();
        let words: Vec<&str> = out.stdout.split_whitespace().collect();
        assert_eq!(words.first(), Some(&module), "{}", out.describe());
        // go sorts them by semver: v1.0.0, v1.1.0, … v1.1099.0.
        let want: Vec<&str> = versions.iter().map(String::as_str).collect();
        assert_eq!(words[1..], want[..], "{}", go.version);
    }
}

#[test]
#[ignore = "needs weed"]
fn import_then_export_gives_back_the_same_files() {
    let weed = Weed::start();
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    // Larger than the 8 MiB upload chunk: a multipart upload of several parts, then the
    // create-only multipart copy into place.
    let large: Vec<u8> = (0..(17 << 20))
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    tree.add_large("example.com/large", "v1.0.0", "blob.bin", &large);
    let config = weed.write_config(&dir.path().join("modgate.toml"), "round-trip", "");
    let first = crate::support::s3::import(&weed, tree.root(), &config);
    let imported = versions_in(tree.root());
    assert!(
        String::from_utf8_lossy(&first.stdout).contains(&format!(
            "imported {imported}, skipped 0 (already there), rejected 0"
        )),
        "{}",
        describe(&first)
    );
    let again = crate::support::s3::import(&weed, tree.root(), &config);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("imported 0, skipped {imported}")),
        "{}",
        describe(&again)
    );

    let out = dir.path().join("exported");
    let export = crate::support::s3::export(&weed, &config, &out);
    let version_files = |root: &Path| -> BTreeMap<String, String> {
        digest_tree(root)
            .into_iter()
            .filter(|(name, _)| {
                name.ends_with(".info") || name.ends_with(".mod") || name.ends_with(".zip")
            })
            .collect()
    };
    let want = version_files(tree.root());
    assert_eq!(want.len(), imported * 3);
    assert_eq!(version_files(&out), want, "{}", describe(&export));
    // And modgate serves the large zip from the bucket as it is.
    let server = Modgate::start_configured(&config, None, &weed.env());
    let reply = server.http().get("/example.com/large/@v/v1.0.0.zip");
    assert_eq!(reply.status, 200);
    let want_zip = std::fs::read(tree.file("example.com/large", "v1.0.0", "zip")).expect("zip");
    assert!(reply.body == want_zip, "the large zip differs");
    drop(server);
    // A second export skips what is there.
    let again = crate::support::s3::export(&weed, &config, &out);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("exported 0 files"),
        "{}",
        describe(&again)
    );
}

/// How many versions (`.zip` files) a tree holds.
fn versions_in(root: &Path) -> usize {
    digest_tree(root)
        .keys()
        .filter(|name| name.ends_with(".zip"))
        .count()
}

/// Every key under `prefix` in the bucket.
fn list_keys(weed: &Weed, prefix: &str) -> Vec<String> {
    let client = weed.client();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let prefix = Key::from(prefix);
        client
            .list(Some(&prefix))
            .map(|meta| meta.expect("listing").location.to_string())
            .collect()
            .await
    })
}
