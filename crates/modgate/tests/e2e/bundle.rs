//! `modgate bundle`: a connected gateway bundles a go.mod's build list and a toolchain; an
//! offline modgate imports the bundle and serves it, checksum database included, to the real
//! current go command, which also verifies the unpacked bundle as a `GOPROXY=file://` tree; a
//! tampered bundle is refused whole.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::support::{
    GoClient, GoEnv, Modgate, PublicSide, digest_tree, file_url, go_clients, modgate_command,
    temp_dir, write_file,
};

/// A toolchain version no real Go has: only the fake can answer for it.
const TOOLCHAIN: &str = "go1.99.1";
const TOOLCHAIN_VERSION: &str = "v0.0.1-go1.99.1.linux-amd64";
/// What the fake toolchain's `bin/go` prints, whatever it is asked.
const FAKE_LINE: &str = "fake toolchain go1.99.1 from a bundle";

const APP_GO_MOD: &str = "module example.com/app\n\ngo 1.19\n\nrequire (\n\texample.com/greet v1.0.0\n\texample.com/old v1.0.0\n)\n";

/// The newest go command the tests drive: the one that switches toolchains (Go 1.21+).
fn current_go() -> GoClient {
    go_clients()
        .into_iter()
        .filter(|go| go.minor() >= 21)
        .max_by_key(GoClient::minor)
        .expect("a go command of 1.21 or later in MODGATE_TEST_GO")
}

/// The public side with two more versions, each served by SECOND and with its hashes appended
/// to the test checksum database (`TestSumdb::add`, signed with the database's test key):
///
/// - the fake toolchain: a module zip of `golang.org/toolchain` whose `bin/go` is a shell
///   script, so it goes through exactly the paths and sums a real toolchain does;
/// - `example.com/old`, which requires words v1.0.0: a version the build graph reads the go.mod
///   of, which minimal version selection passes over (the bundle holds only its go.mod).
fn public_side(root: &Path) -> PublicSide {
    let public = PublicSide::start(root);
    let script = format!("#!/bin/sh\necho '{FAKE_LINE}'\n");
    add_signed(
        &public,
        "golang.org/toolchain",
        TOOLCHAIN_VERSION,
        &[
            ("go.mod", "module golang.org/toolchain\n"),
            ("bin/go", &script),
            // The go command sets the execute bits of these when bin/go lacks them (as
            // unzipped from a module zip), so a toolchain must have them all.
            ("bin/gofmt", "#!/bin/sh\n"),
            ("pkg/tool/README", "no tools in a fake toolchain\n"),
            ("lib/README", "nothing here either\n"),
        ],
    );
    add_signed(
        &public,
        "example.com/old",
        "v1.0.0",
        &[
            (
                "go.mod",
                "module example.com/old\n\ngo 1.19\n\nrequire example.com/words v1.0.0\n",
            ),
            ("old.go", "package old\n"),
        ],
    );
    public
}

/// Adds a version to SECOND's tree and its record to the test checksum database.
fn add_signed(public: &PublicSide, module: &str, version: &str, files: &[(&str, &str)]) {
    public
        .upstream
        .add(module, version, "2026-01-01T00:00:00Z", files);
    let file = |ext| public.upstream.file(module, version, ext);
    let zip = std::fs::File::open(file("zip")).expect("the zip");
    let go_mod = std::fs::read(file("mod")).expect("the go.mod");
    public.sumdb.add(
        module,
        version,
        &gomod::hash_zip(zip).expect("hashing the zip"),
        &gomod::hash_go_mod(&go_mod),
    );
}

fn run_modgate(args: &[&str]) -> std::process::Output {
    modgate_command()
        .args(args)
        .output()
        .expect("running modgate")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The config of a modgate whose `*` route caches `public`; offline when `offline`. Its audit
/// file is `<name>.audit`.
fn config(dir: &Path, name: &str, public: &PublicSide, offline: bool) -> PathBuf {
    let path = dir.join(name);
    let upstream = format!("offline = {offline}");
    let audit = dir.join(format!("{name}.audit"));
    write_file(
        &path,
        format!(
            "{}\n[audit]\nfile = {:?}\n\n[[route]]\nprefix = \"*\"\nsource = \"upstream\"\n",
            public.config(&upstream),
            path_str(&audit)
        ),
    );
    path
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("a UTF-8 path").to_owned()
}

/// The `bundle.import` events' outcomes in a config's audit file.
fn import_outcomes(config: &Path) -> Vec<String> {
    let audit = config.with_file_name(format!(
        "{}.audit",
        config.file_name().and_then(|n| n.to_str()).expect("a name")
    ));
    let text = std::fs::read_to_string(&audit).expect("the audit file");
    text.lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("a JSON line"))
        .filter(|event| event["action"] == "bundle.import")
        .map(|event| event["outcome"].as_str().expect("an outcome").to_owned())
        .collect()
}

fn go_env(go: &GoClient, goproxy: &str, public: &PublicSide) -> GoEnv {
    let mut env = GoEnv::new(go, goproxy);
    env.set("GOSUMDB", &public.sumdb.verifier_key());
    env
}

#[test]
#[ignore = "needs the go command (MODGATE_TEST_GO)"]
fn bundle_carries_a_build_list_and_a_toolchain_to_an_offline_modgate() {
    let dir = temp_dir();
    let public = public_side(&dir.path().join("upstream"));
    let app = dir.path().join("app/go.mod");
    write_file(&app, APP_GO_MOD);
    let online = config(dir.path(), "online.toml", &public, false);
    let bundle = dir.path().join("site.tar.zst");
    let out = run_modgate(&[
        "bundle",
        "create",
        path(&bundle),
        "--modules",
        path(&app),
        "--toolchains",
        TOOLCHAIN,
        "--config",
        path(&online),
        "--store",
        path(&dir.path().join("online-store")),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let manifest = read_manifest(&bundle);
    assert_eq!(
        bundled(&manifest),
        [
            ("example.com/greet@v1.0.0".to_owned(), true),
            ("example.com/old@v1.0.0".to_owned(), true),
            ("example.com/words@v1.0.0".to_owned(), false),
            ("example.com/words@v1.1.0".to_owned(), true),
            (format!("golang.org/toolchain@{TOOLCHAIN_VERSION}"), true),
        ],
        "the build list by MVS (only the go.mod of words v1.0.0, which is passed over), and the toolchain"
    );
    assert_eq!(manifest["sumdb"]["name"], "sumdb.test");

    // The site: no route to SECOND or the checksum database.
    public.sumdb.set_down(true);
    public.sumdb.take_requests();
    let site_store = dir.path().join("site-store");
    let offline = config(dir.path(), "offline.toml", &public, true);
    let out = import(&bundle, &offline, &site_store);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("imported 5 versions"),
        "{}",
        text(&out)
    );
    let site = Modgate::start(&site_store, Some(&offline), None);
    let go = current_go();

    // GOTOOLCHAIN switches to the fake toolchain, downloaded and verified through the site.
    assert_switches_toolchain(&go, &site.url(), &public);

    // The build list downloads and verifies through the offline site, with every go client.
    for client in go_clients() {
        assert_downloads(&go_env(&client, &site.url(), &public), &manifest);
    }

    // And through the unpacked bundle, as a file:// tree at home.
    let unpacked = dir.path().join("unpacked");
    unpack(&bundle, &unpacked);
    for client in go_clients() {
        assert_downloads(&go_env(&client, &file_url(&unpacked), &public), &manifest);
    }
    assert_switches_toolchain(&go, &file_url(&unpacked), &public);
    assert!(
        public.sumdb.requests().is_empty(),
        "nothing asked the checksum database: {:?}",
        public.sumdb.requests()
    );
    tampered_bundles_are_refused(dir.path(), &unpacked, &offline);
    let outcomes = import_outcomes(&offline);
    assert_eq!(outcomes.len(), 4, "every import is audited: {outcomes:?}");
    assert_eq!(outcomes[0], "ok: 5 imported, 0 already there");
    assert!(
        outcomes[1..].iter().all(|o| o.starts_with("refused: ")),
        "{outcomes:?}"
    );
}

/// `module@version` and whether the bundle holds its zip, for every version of a manifest.
fn bundled(manifest: &Value) -> Vec<(String, bool)> {
    let versions = manifest["versions"].as_array().expect("versions");
    let name = |v: &Value, key: &str| v[key].as_str().unwrap_or("").to_owned();
    versions
        .iter()
        .map(|v| {
            let spec = format!("{}@{}", name(v, "module"), name(v, "version"));
            (spec, v["h1"].is_string())
        })
        .collect()
}

/// `modgate bundle import`, which must succeed.
fn import(bundle: &Path, config: &Path, store: &Path) -> std::process::Output {
    let out = run_modgate(&[
        "bundle",
        "import",
        path(bundle),
        "--config",
        path(config),
        "--store",
        path(store),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    out
}

/// `tar --zstd -xf bundle -C into`, as a person at home would unpack it.
fn unpack(bundle: &Path, into: &Path) {
    std::fs::create_dir_all(into).expect("a directory");
    let tar = std::process::Command::new("tar")
        .args(["--zstd", "-xf", path(bundle), "-C", path(into)])
        .output()
        .expect("running tar");
    assert!(tar.status.success(), "{}", text(&tar));
}

/// `GOTOOLCHAIN=go1.99.1 go version` through `goproxy` runs the fake toolchain, which the go
/// command downloaded and verified against the checksum database.
fn assert_switches_toolchain(go: &GoClient, goproxy: &str, public: &PublicSide) {
    let mut env = go_env(go, goproxy, public);
    env.set("GOTOOLCHAIN", TOOLCHAIN);
    let version = env.run(None, &["version"]).success();
    assert!(version.stdout.contains(FAKE_LINE), "{}", version.describe());
}

/// `go mod download` of the build list in a fresh module cache: every version verified against
/// the checksum database (GOSUMDB, no go.sum), with the bundle's hashes.
fn assert_downloads(env: &GoEnv, manifest: &Value) {
    let app = env.app(&[]);
    write_file(&app.join("go.mod"), APP_GO_MOD);
    let out = env.run(
        Some(&app),
        &[
            "mod",
            "download",
            "-json",
            "example.com/greet",
            "example.com/old",
            "example.com/words",
        ],
    );
    let out = out.success();
    let downloaded = testkit::go::parse_download_json(&out);
    assert_eq!(downloaded.len(), 3, "{}", out.describe());
    for d in &downloaded {
        let entry = manifest["versions"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|v| v["module"] == d.path.as_str() && v["version"] == d.version.as_str())
            })
            .unwrap_or_else(|| panic!("{} not in the bundle", d.path));
        assert_eq!(entry["h1"], d.sum.as_str(), "{}", out.describe());
    }
}

/// A bundle with a changed zip, one with a forged checksum record (its manifest made to
/// agree), and a good one into a store that holds one of its versions with other bytes, are
/// refused with one line per problem, and the store is left as it was.
fn tampered_bundles_are_refused(dir: &Path, unpacked: &Path, offline: &Path) {
    let store = dir.join("tampered-store");
    std::fs::create_dir_all(&store).expect("a directory");
    let zip = "example.com/greet/@v/v1.0.0.zip";
    let changed = dir.join("changed-zip");
    crate::support::copy_tree(unpacked, &changed);
    let mut bytes = std::fs::read(changed.join(zip)).expect("the zip");
    bytes.extend_from_slice(b"tail");
    write_file(&changed.join(zip), bytes);
    let lookup = "sumdb/sumdb.test/lookup/example.com/words@v1.1.0".to_owned();
    let forged = dir.join("forged-record");
    crate::support::copy_tree(unpacked, &forged);
    let record = std::fs::read_to_string(forged.join(&lookup)).expect("a lookup");
    let record = record.replacen("h1:", "h1:AAAA", 1);
    write_file(&forged.join(&lookup), &record);
    agree_manifest(&forged, &lookup);
    let other_store = dir.join("other-store");
    crate::support::TreeBuilder::new(&other_store).add(
        "example.com/greet",
        "v1.0.0",
        "2023-03-01T00:00:00Z",
        &[
            ("go.mod", "module example.com/greet\n"),
            ("other.go", "package greet\n"),
        ],
    );
    let cases = [
        (&changed, &store, zip),
        (&forged, &store, lookup.as_str()),
        (
            &unpacked.to_path_buf(),
            &other_store,
            "example.com/greet@v1.0.0: the store holds",
        ),
    ];
    for (tree, store, line) in cases {
        let before = digest_tree(store);
        let out = run_modgate(&[
            "bundle",
            "import",
            path(tree),
            "--config",
            path(offline),
            "--store",
            path(store),
        ]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.lines().any(|l| l.starts_with(line)),
            "a line for {line}: {}",
            text(&out)
        );
        assert!(stderr.contains("bundle refused"), "{}", text(&out));
        assert_eq!(
            digest_tree(store),
            before,
            "nothing written: {}",
            text(&out)
        );
    }
}

/// Rewrites the manifest's size and sha256 of `file` to what it now holds.
fn agree_manifest(tree: &Path, file: &str) {
    let manifest_path = tree.join(".modgate-bundle.json");
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("JSON");
    let bytes = std::fs::read(tree.join(file)).expect("the file");
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for entry in manifest["files"].as_array_mut().expect("files") {
        if entry["path"] == file {
            entry["size"] = bytes.len().into();
            entry["sha256"] = sha.clone().into();
        }
    }
    write_file(&manifest_path, serde_json::to_vec(&manifest).expect("JSON"));
}

fn read_manifest(bundle: &Path) -> Value {
    let file = std::fs::File::open(bundle).expect("the bundle");
    let decoder = zstd::stream::read::Decoder::new(file).expect("zstd");
    let mut archive = tar::Archive::new(decoder);
    let mut first = archive
        .entries()
        .expect("entries")
        .next()
        .expect("an entry")
        .expect("read");
    assert_eq!(
        first.path().expect("a path").to_str(),
        Some(".modgate-bundle.json")
    );
    serde_json::from_reader(&mut first).expect("the manifest")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 test paths")
}

/// A second bundle made `--since` the first holds only the new version and a newer tree head;
/// imported after the first, or unpacked over it, both versions verify.
#[test]
#[ignore = "needs the go command (MODGATE_TEST_GO)"]
fn a_bundle_since_an_earlier_one_holds_only_what_changed() {
    let dir = temp_dir();
    let public = PublicSide::start(&dir.path().join("upstream"));
    let online = config(dir.path(), "online.toml", &public, false);
    let store = dir.path().join("online-store");
    let create = |out: &Path, list: &str, since: Option<&Path>| {
        let list_file = dir.path().join(format!("{}.txt", out.display()));
        write_file(&list_file, list);
        let mut args = vec!["bundle", "create", path(out), "--modules", path(&list_file)];
        args.extend(["--config", path(&online), "--store", path(&store)]);
        if let Some(since) = since {
            args.extend(["--since", path(since)]);
        }
        let out = run_modgate(&args);
        assert!(out.status.success(), "{}", text(&out));
    };
    let first = dir.path().join("first.tar.zst");
    create(&first, "example.com/hello@v1.0.0\n", None);
    // The database grows between the two bundles, as the real one does.
    public
        .sumdb
        .add("example.com/elsewhere", "v1.0.0", "h1:AAAA", "h1:BBBB");
    let second = dir.path().join("second.tar.zst");
    create(
        &second,
        "example.com/hello@v1.0.0\nexample.com/hello@v1.1.0\n",
        Some(&first),
    );
    let (old, new) = (read_manifest(&first), read_manifest(&second));
    let names = |m: &Value| -> Vec<String> {
        let all = m["versions"].as_array().expect("versions");
        all.iter()
            .map(|v| v["version"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(names(&new), ["v1.1.0"], "only what changed");
    let size = |m: &Value| m["sumdb"]["tree_size"].as_u64().expect("a tree size");
    assert!(size(&new) > size(&old), "{old} {new}");

    public.sumdb.set_down(true);
    let site_store = dir.path().join("site-store");
    let offline = config(dir.path(), "offline.toml", &public, true);
    let unpacked = dir.path().join("unpacked");
    for bundle in [&first, &second] {
        import(bundle, &offline, &site_store);
        unpack(bundle, &unpacked);
    }
    let site = Modgate::start(&site_store, Some(&offline), None);
    let go = current_go();
    for goproxy in [site.url(), file_url(&unpacked)] {
        let env = go_env(&go, &goproxy, &public);
        let downloaded = env.download(&["example.com/hello@v1.0.0", "example.com/hello@v1.1.0"]);
        assert_eq!(downloaded.len(), 2, "through {goproxy}");
    }
}

/// A private module goes into a bundle without proofs, and its name never reaches the public
/// checksum database; the site serves it from the import.
#[test]
#[ignore = "needs the go command (MODGATE_TEST_GO)"]
fn private_modules_are_bundled_without_asking_the_checksum_database() {
    let dir = temp_dir();
    let public = PublicSide::start(&dir.path().join("upstream"));
    let store = crate::support::private_tree(&dir.path().join("store"))
        .root()
        .to_owned();
    let routes = "[[route]]\nprefix = \"corp.example\"\nprivate = true\n\n\
                  [[route]]\nprefix = \"*\"\nsource = \"upstream\"\n";
    let online = dir.path().join("online.toml");
    write_file(&online, format!("{}\n{routes}", public.config("")));
    let list = dir.path().join("modules.txt");
    write_file(&list, "corp.example/a@v1.0.0\ncorp.example/b@v1.0.0\n");
    let bundle = dir.path().join("private.tar.zst");
    let out = run_modgate(&[
        "bundle",
        "create",
        path(&bundle),
        "--modules",
        path(&list),
        "--config",
        path(&online),
        "--store",
        path(&store),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let manifest = read_manifest(&bundle);
    assert_eq!(
        manifest["sumdb"],
        Value::Null,
        "no public version, no proofs"
    );
    assert!(
        public
            .sumdb
            .requests()
            .iter()
            .all(|r| !r.contains("corp.example")),
        "{:?}",
        public.sumdb.requests()
    );
    let offline = dir.path().join("offline.toml");
    write_file(
        &offline,
        format!("{}\n{routes}", public.config("offline = true")),
    );
    let site_store = dir.path().join("site-store");
    import(&bundle, &offline, &site_store);
    let site = Modgate::start(&site_store, Some(&offline), None);
    let mut env = go_env(&current_go(), &site.url(), &public);
    env.set("GONOSUMDB", "corp.example");
    let downloaded = env.download(&["corp.example/a@v1.0.0", "corp.example/b@v1.0.0"]);
    assert_eq!(bundled(&manifest).len(), downloaded.len());
}
