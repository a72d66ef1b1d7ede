//! Publishing under races and crashes (issue #3): racing publishes of one version leave exactly
//! one, and a server or CLI killed in the middle of a publish leaves no version and nothing
//! half-written; what such a crash leaves is cleaned up or taken over later.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use zip::CompressionMethod;

use crate::support::{
    Api, Modgate, Reply, TreeBuilder, api_path, assert_verify_clean, describe, escape, files_below,
    h1_of, modgate_command, module_zip, noise, parse_published, publish_command, published_by,
    raw_upload, read_status, start_server, temp_dir, wait_until, write_file, write_module,
    zip_with,
};

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
                    let http = crate::support::Http::new(&api.server.url(), None);
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
            let http = crate::support::Http::new(&api2.server.url(), None);
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
            let output = publish_dir(&dir, version, &store, &tmp);
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

#[test]
fn versions_published_at_once_through_two_servers_are_all_listed() {
    let api = Api::start();
    // A second server on the same store: another replica, or the old one in a rolling restart.
    let other = start_server(&api.store, &api.config, &api.tmp);
    let urls = [api.server.url(), other.url()];
    let auth = format!("Bearer {}", api.ci.secret);
    // Each round a burst of versions of a new module, half through each server.
    for round in 0..3 {
        let module = format!("corp.example/many{round}");
        let versions: Vec<String> = (0..24).map(|i| format!("v1.{i}.0")).collect();
        let barrier = Arc::new(Barrier::new(versions.len()));
        let threads: Vec<_> = versions
            .iter()
            .enumerate()
            .map(|(i, version)| {
                let go_mod = format!("module {module}\n");
                let zip = module_zip(&module, version, &[("go.mod", &go_mod)]);
                let (url, path) = (urls[i % 2].clone(), api_path(&module, version));
                let (auth, barrier) = (auth.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let http = crate::support::Http::new(&url, None);
                    let headers = [
                        ("content-type", "application/zip"),
                        ("authorization", &auth),
                    ];
                    barrier.wait();
                    http.send_body("PUT", &path, &headers, Some(zip)).status
                })
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().expect("a publishing thread"), 201);
        }
        // `list` is what `file://` users of the tree read: it must name every version.
        let list = TreeBuilder::new(&api.store)
            .version_dir(&module)
            .join("list");
        let list = std::fs::read(list).unwrap_or_default();
        let mut listed: Vec<&str> = std::str::from_utf8(&list).expect("utf-8").lines().collect();
        listed.sort_unstable();
        let mut want: Vec<&str> = versions.iter().map(String::as_str).collect();
        want.sort_unstable();
        assert_eq!(listed, want, "{module}");
    }
}

/// `modgate publish DIR --version VERSION --store STORE`, with TMPDIR `tmp`.
fn publish_dir(dir: &Path, version: &str, store: &Path, tmp: &Path) -> Output {
    let (dir, store) = (dir.display().to_string(), store.display().to_string());
    publish_command(&[&dir, "--version", version, "--store", &store], tmp)
}

/// `modgate publish DIR --store` builds the zip; to send the same bytes through the API, build
/// it the same way into a scratch store and take it from there.
fn build_zip(dir: &Path, module: &str, version: &str, scratch: &Path) -> Vec<u8> {
    let store = scratch.join("store");
    published_by(&publish_dir(dir, version, &store, &scratch.join("tmp")));
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
    // The store has nothing of it; the spooled half stays in the killed server's TMPDIR.
    assert_eq!(
        version_files(&api.store, module, "v1.0.0"),
        Vec::<String>::new()
    );
    let spooled = files_below(&api.tmp);
    assert!(
        spooled.iter().all(|f| f.starts_with(".modgate-spool-")),
        "{spooled:?}"
    );
    // Once it is old enough that no upload can still be writing it, the next server removes it.
    for file in &spooled {
        backdate(&api.tmp.join(file));
    }

    // A server on the same store: no such version, and other bytes publish normally.
    api.server = start_server(&api.store, &api.config, &api.tmp);
    let cleaned = wait_until(Duration::from_secs(10), || files_below(&api.tmp).is_empty());
    assert!(cleaned, "left in TMPDIR: {:?}", files_below(&api.tmp));
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
    assert!(published_by(&publish_dir(&source, "v1.0.0", &store, &tmp)).created);
    assert_verify_clean(&store);
}

/// Makes `path` look last written two hours ago: left by a crash, past any upload's hour.
fn backdate(path: &Path) {
    let status = Command::new("touch")
        .args(["-d", "2 hours ago"])
        .arg(path)
        .status()
        .expect("running touch");
    assert!(status.success(), "touch {}", path.display());
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
        backdate(&staging.join(name));
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
