//! The publishing API and CLI without the go command (issue #3): what a publish writes, who may
//! publish, and `modgate import` / `modgate verify`.
//!
//! What a publish refuses is in `publish_refusals.rs`; racing publishes and crashes in the middle
//! are in `publish_safety.rs`; the go-driven half (hashes as `go mod download` sees them, builds,
//! direct mode from git, retractions) is in `publish.rs`.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zip::CompressionMethod;

use crate::support::{
    Api, Auth, GO_MOD, M_GO, Published, TreeBuilder, api_path, assert_verify_clean, describe,
    digest_tree, escape, h1_of, modgate_command, module_zip, multipart, noise, parse_published,
    temp_dir, write_file, zip_of, zip_with,
};

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

#[test]
fn import_checks_rehashes_and_skips_and_verify_reports_disagreements() {
    let dir = temp_dir();
    let source = dir.path().join("cache/download");
    let tree = crate::support::public_tree(&source);
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
