//! Go toolchains through the gateway (`GOTOOLCHAIN=go1.X.Y`): the go command downloads the
//! module `golang.org/toolchain@v0.0.1-go1.X.Y.<goos>-<goarch>` from GOPROXY, verifies it
//! against the checksum database, unpacks it and runs its `bin/go`.
//!
//! The toolchains here are fake, made by the test: a zip of the module whose only file,
//! `bin/go`, is a shell script printing a known line. The stand-in upstream (SECOND) serves
//! them, and the test checksum database holds their hashes as sum.golang.org holds the real
//! ones; so they take the same path through modgate (upstream fetch, zip check, checksum
//! database, store) and through the go command (download, verification, unpacking, exec) as a
//! real 70 MB toolchain would, in kilobytes.

use std::io::Cursor;

use crate::support::{
    Fault, GoEnv, Modgate, PublicSide, TreeBuilder, describe, go_clients, modgate_command,
    temp_dir, write_file,
};

const TOOLCHAIN: &str = "golang.org/toolchain";

/// Adds a fake toolchain `go` (e.g. `go1.99.1`) for linux-amd64 to `tree`; its module version.
/// Besides `bin/go`, what the go command makes executable after unpacking must be there
/// (`bin/gofmt`, `pkg/tool`, `lib`).
fn fake_toolchain(tree: &TreeBuilder, go: &str) -> String {
    let version = format!("v0.0.1-{go}.linux-amd64");
    let script = format!("#!/bin/sh\necho \"fake toolchain {go}: $*\"\n");
    tree.add(
        TOOLCHAIN,
        &version,
        "2024-01-01T00:00:00Z",
        &[
            ("bin/go", &script),
            ("bin/gofmt", "#!/bin/sh\n"),
            ("pkg/tool/linux_amd64/vet", "#!/bin/sh\n"),
            ("lib/README", "fake\n"),
        ],
    );
    version
}

fn hashes(tree: &TreeBuilder, version: &str) -> (String, String) {
    let zip = std::fs::read(tree.file(TOOLCHAIN, version, "zip")).expect("zip");
    let go_mod = std::fs::read(tree.file(TOOLCHAIN, version, "mod")).expect("mod");
    (
        gomod::hash_zip(Cursor::new(zip)).expect("h1"),
        gomod::hash_go_mod(&go_mod),
    )
}

struct Setup {
    public: PublicSide,
    server: Modgate,
    config: std::path::PathBuf,
    dir: tempfile::TempDir,
}

/// A gateway in front of SECOND with toolchains go1.99.1 and go1.99.3 signed into the
/// database, and go1.99.2 whose database record disagrees with its zip. `[sumdb] skip` names
/// `golang.org`: toolchains are verified all the same.
fn start() -> Setup {
    let dir = temp_dir();
    let public = PublicSide::start(&dir.path().join("upstream"));
    for go in ["go1.99.1", "go1.99.3"] {
        let version = fake_toolchain(&public.upstream, go);
        let (zip_h1, go_mod_h1) = hashes(&public.upstream, &version);
        public.sumdb.add(TOOLCHAIN, &version, &zip_h1, &go_mod_h1);
    }
    let forged = fake_toolchain(&public.upstream, "go1.99.2");
    let (_, go_mod_h1) = hashes(&public.upstream, &forged);
    let other_h1 = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    public.sumdb.add(TOOLCHAIN, &forged, other_h1, &go_mod_h1);
    let config = dir.path().join("modgate.toml");
    write_file(
        &config,
        format!(
            "{}skip = [\"golang.org\"]\n\n[[route]]\nprefix = \"*\"\nsource = \"upstream\"\n",
            public.config("")
        ),
    );
    let server = Modgate::start(&dir.path().join("store"), Some(&config), None);
    Setup {
        public,
        server,
        config,
        dir,
    }
}

#[test]
fn toolchain_zips_are_verified_whatever_sumdb_skip_says() {
    let setup = start();
    let forged = "/golang.org/toolchain/@v/v0.0.1-go1.99.2.linux-amd64.zip";
    let reason = setup.server.http().get(forged).assert_error(502, forged);
    assert!(reason.contains("h1:"), "{reason}");
    let good = "/golang.org/toolchain/@v/v0.0.1-go1.99.1.linux-amd64.zip";
    let reply = setup.server.http().get(good);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let stored = TreeBuilder::new(setup.dir.path().join("store"));
    assert!(
        stored
            .file(TOOLCHAIN, "v0.0.1-go1.99.1.linux-amd64", "zip")
            .exists()
    );
    assert!(
        !stored
            .file(TOOLCHAIN, "v0.0.1-go1.99.2.linux-amd64", "zip")
            .exists()
    );
}

#[test]
fn prefetch_takes_toolchains() {
    let setup = start();
    let store = setup.dir.path().join("prefetched");
    let out = modgate_command()
        .args(["prefetch", "--config"])
        .arg(&setup.config)
        .arg("--store")
        .arg(&store)
        .args([
            "go1.99.3.linux-amd64",
            "golang.org/toolchain@v0.0.1-go1.99.2.linux-amd64",
        ])
        .output()
        .expect("running modgate prefetch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "the forged one fails: {}",
        describe(&out)
    );
    assert!(
        stdout.contains("prefetched 1 versions, 1 failed")
            && stdout.contains("failed golang.org/toolchain@v0.0.1-go1.99.2.linux-amd64"),
        "{}",
        describe(&out)
    );
    let stored = TreeBuilder::new(&store);
    assert!(
        stored
            .file(TOOLCHAIN, "v0.0.1-go1.99.3.linux-amd64", "zip")
            .exists()
    );
}

/// Every go command that can switch toolchains (Go 1.21's; Go 1.19 has none), each with a fresh
/// module cache, through the gateway and verifying with the test checksum database.
fn switching_clients(setup: &Setup) -> Vec<GoEnv> {
    go_clients()
        .iter()
        .filter(|go| go.minor() >= 21)
        .map(|go| {
            let mut env = GoEnv::new(go, &setup.server.url());
            env.set("GOSUMDB", &setup.public.sumdb.verifier_key());
            env
        })
        .collect()
}

#[test]
#[ignore = "needs go"]
fn the_current_go_switches_to_a_toolchain_through_the_gateway() {
    let setup = start();
    for mut env in switching_clients(&setup) {
        env.set("GOTOOLCHAIN", "go1.99.1");
        let out = env.run(None, &["version"]).success();
        assert!(
            out.stdout.contains("fake toolchain go1.99.1: version"),
            "{}",
            out.describe()
        );
        // The forged one is refused by the gateway; the go command says so and runs nothing.
        env.set("GOTOOLCHAIN", "go1.99.2");
        let out = env.run(None, &["version"]).failure();
        assert!(
            !out.stdout.contains("fake toolchain") && out.stderr.contains("502"),
            "{}",
            out.describe()
        );
    }
    // Kept: with upstream failing, a machine with an empty module cache still gets it.
    setup.public.second.set_fault(Fault::Fail);
    for mut env in switching_clients(&setup) {
        env.set("GOTOOLCHAIN", "go1.99.1");
        let out = env.run(None, &["version"]).success();
        assert!(
            out.stdout.contains("fake toolchain go1.99.1"),
            "{}",
            out.describe()
        );
    }
}
