//! Publishing, checked with the real `go` command (issue #3), with every client `go_clients()`
//! finds (Go 1.19 and a current Go in CI): `go mod download -json` must report exactly the
//! `h1:` hashes a publish announced and a program importing the published modules must build;
//! a tag published with `modgate publish --git` must hash as `go mod download` in direct mode
//! hashes the same repository; retractions in the newest go.mod must hide versions from
//! `go list -m -versions` and from `@latest`; and an imported module cache must serve the
//! hashes it was downloaded with. These need `go`, so they are ignored by default; CI runs
//! them with `--include-ignored`.
//!
//! The checks that need no go command are in `publish_api.rs`.

mod git_tag;

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::{
    Backend, GitDaemon, GitRepo, GoEnv, Modgate, Published, Storage, Token, api_path, describe,
    escape, file_url, go_clients, modgate_command, module_zip, multipart, new_token,
    parse_published, public_tree, publish_command, published_by, publishing_config, temp_dir,
    write_file, write_htpasswd, write_module,
};

/// A server on a new store (a directory, or a prefix in a bucket), and the token that may
/// publish to it.
struct Setup {
    // Field order is drop order: modgate before the S3 server it uses.
    server: Modgate,
    backend: Backend,
    dir: tempfile::TempDir,
    ci: Token,
}

impl Setup {
    fn start() -> Setup {
        Setup::start_on(Storage::Dir, "")
    }

    fn start_on(storage: Storage, prefix: &str) -> Setup {
        let backend = Backend::new(storage, prefix);
        let dir = temp_dir();
        let ci = new_token("ci");
        write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
        let server = backend.serve(
            &dir.path().join("store"),
            &dir.path().join("modgate.toml"),
            &publishing_config(&ci, &["ci", "alice"], ""),
            None,
        );
        Setup {
            server,
            backend,
            dir,
            ci,
        }
    }

    /// The directory store (for S3, only the staging tree `publish_direct` imports from).
    fn store(&self) -> std::path::PathBuf {
        self.dir.path().join("store")
    }

    /// `modgate publish ARGS… --store DIR`, straight into the store the server is serving: for
    /// S3, into a directory that `modgate import` then puts into the bucket.
    fn publish_direct(&self, args: &[&str]) -> Published {
        let store = self.store().display().to_string();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--store", &store]);
        let published = published_by(&publish_command(&all, &self.tmp()));
        self.backend
            .import(&self.store(), &self.dir.path().join("modgate.toml"));
        published
    }

    fn tmp(&self) -> std::path::PathBuf {
        self.dir.path().join("tmp")
    }

    /// `PUT` of a zip, or a multipart `POST` with an info part, through the API.
    fn upload(&self, module: &str, version: &str, zip: Vec<u8>, info: Option<&str>) -> Published {
        let authorization = format!("Bearer {}", self.ci.secret);
        let path = api_path(module, version);
        let reply = match info {
            None => self.server.http().send_body(
                "PUT",
                &path,
                &[("authorization", &authorization)],
                Some(zip),
            ),
            Some(info) => {
                let (content_type, body) = multipart(&zip, Some(info));
                self.server.http().send_body(
                    "POST",
                    &path,
                    &[
                        ("authorization", &authorization),
                        ("content-type", &content_type),
                    ],
                    Some(body),
                )
            }
        };
        let published = parse_published(&reply, &format!("{module}@{version}"));
        assert!(published.created, "{module}@{version} existed");
        published
    }

    /// `modgate publish ARGS… --server URL` with the CI token.
    fn publish_cli(&self, args: &[&str]) -> Published {
        let url = self.server.url();
        let mut all = args.to_vec();
        all.extend_from_slice(&["--server", &url, "--token", &self.ci.secret]);
        published_by(&publish_command(&all, &self.tmp()))
    }
}

/// `.info` Time of a version in a go environment's module cache.
fn cached_time(env: &GoEnv, module: &str, version: &str) -> String {
    let path = env
        .download_cache()
        .join(escape(module))
        .join("@v")
        .join(format!("{}.info", escape(version)));
    let info = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: serde_json::Value = serde_json::from_slice(&info).expect(".info JSON");
    value["Time"].as_str().expect("Time").to_owned()
}

const MAIN_GO: &str = r#"package main

import (
	greet "corp.example/greet"
	greet2 "corp.example/greet/v2"
	"corp.example/Upper/Lib"
	"corp.example/direct"
	"corp.example/legacy"
	"corp.example/pseudo"
	"corp.example/stamp"
)

func main() {
	println(greet.Hello(), greet2.Hello(), lib.Name, direct.Direct, legacy.Old, pseudo.P, stamp.S)
}
"#;

#[test]
#[ignore = "needs go"]
fn published_versions_download_with_the_announced_hashes_and_build() {
    published_versions_download_with_the_announced_hashes_and_build_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn published_versions_download_with_the_announced_hashes_and_build_on_s3() {
    published_versions_download_with_the_announced_hashes_and_build_with(Storage::S3);
}

fn published_versions_download_with_the_announced_hashes_and_build_with(storage: Storage) {
    let setup = Setup::start_on(storage, "publish-announced");
    let sources = temp_dir();
    let src = |name: &str| sources.path().join(name);
    let mut published: BTreeMap<String, Published> = BTreeMap::new();
    let mut remember = |p: Published| {
        published.insert(format!("{}@{}", p.module, p.version), p);
    };

    // The CLI from a directory with a token: what create_from_dir leaves out must not count.
    write_module(
        &src("greet"),
        &[
            ("go.mod", "module corp.example/greet\n\ngo 1.19\n"),
            (
                "greet.go",
                "package greet\n\nfunc Hello() string { return \"hello\" }\n",
            ),
            ("vendor/modules.txt", "# corp.example/dep v1.0.0\n"),
            ("vendor/corp.example/dep/dep.go", "package dep\n"),
            ("tools/go.mod", "module corp.example/greet/tools\n"),
            ("tools/tools.go", "package tools\n"),
            (".git/HEAD", "ref: refs/heads/main\n"),
        ],
    );
    remember(setup.publish_cli(&[
        &src("greet").display().to_string(),
        "--version",
        "v1.0.0",
        "--time",
        "2024-02-03T04:05:06Z",
    ]));
    // The CLI with a user's password, and --module.
    write_module(
        &src("greet2"),
        &[
            ("go.mod", "module corp.example/greet/v2\n\ngo 1.19\n"),
            (
                "greet.go",
                "package greet\n\nfunc Hello() string { return \"hello v2\" }\n",
            ),
        ],
    );
    let url = setup.server.url();
    remember(published_by(&publish_command(
        &[
            &src("greet2").display().to_string(),
            "--module",
            "corp.example/greet/v2",
            "--version",
            "v2.1.0",
            "--server",
            &url,
            "--user",
            "alice:s3cret",
        ],
        &setup.tmp(),
    )));
    // The API: a raw zip with upper case in path and version, a form with a time, a version
    // without go.mod, a pseudo-version.
    let upper = "corp.example/Upper/Lib";
    remember(setup.upload(
        upper,
        "v1.0.0-RC1",
        module_zip(
            upper,
            "v1.0.0-RC1",
            &[
                ("go.mod", "module corp.example/Upper/Lib\n\ngo 1.19\n"),
                ("lib.go", "package lib\n\nconst Name = \"Upper\"\n"),
            ],
        ),
        None,
    ));
    remember(setup.upload(
        "corp.example/stamp",
        "v0.3.0",
        module_zip(
            "corp.example/stamp",
            "v0.3.0",
            &[
                ("go.mod", "module corp.example/stamp\n\ngo 1.19\n"),
                ("s.go", "package stamp\n\nconst S = \"stamp\"\n"),
            ],
        ),
        Some(r#"{"Time":"2023-09-08T07:06:05Z"}"#),
    ));
    remember(setup.upload(
        "corp.example/legacy",
        "v2.0.0+incompatible",
        module_zip(
            "corp.example/legacy",
            "v2.0.0+incompatible",
            &[("legacy.go", "package legacy\n\nconst Old = \"old\"\n")],
        ),
        None,
    ));
    let pseudo = "v0.0.0-20240101120000-abcdef123456";
    remember(setup.upload(
        "corp.example/pseudo",
        pseudo,
        module_zip(
            "corp.example/pseudo",
            pseudo,
            &[
                ("go.mod", "module corp.example/pseudo\n\ngo 1.19\n"),
                ("p.go", "package pseudo\n\nconst P = \"pseudo\"\n"),
            ],
        ),
        None,
    ));
    // The CLI straight into the store the server is serving.
    write_module(
        &src("direct"),
        &[
            ("go.mod", "module corp.example/direct\n\ngo 1.19\n"),
            ("d.go", "package direct\n\nconst Direct = \"direct\"\n"),
        ],
    );
    remember(setup.publish_direct(&[&src("direct").display().to_string(), "--version", "v0.1.0"]));

    let specs: Vec<&String> = published.keys().collect();
    let specs: Vec<&str> = specs.iter().map(|s| s.as_str()).collect();
    let requires: String = published
        .values()
        .map(|p| format!("\t{} {}\n", p.module, p.version))
        .collect();
    for go in go_clients() {
        let env = GoEnv::new(&go, &setup.server.url());
        for downloaded in env.download(&specs) {
            let p = &published[&format!("{}@{}", downloaded.path, downloaded.version)];
            assert_eq!(
                (&downloaded.sum, &downloaded.go_mod_sum),
                (&p.h1, &p.gomod_h1),
                "{}: {}@{}",
                go.version,
                p.module,
                p.version
            );
        }
        // Times from --time, from the info part, and from the pseudo-version's own commit.
        assert_eq!(
            cached_time(&env, "corp.example/greet", "v1.0.0"),
            "2024-02-03T04:05:06Z"
        );
        assert_eq!(
            cached_time(&env, "corp.example/stamp", "v0.3.0"),
            "2023-09-08T07:06:05Z"
        );

        let app = env.app(&[("main.go", MAIN_GO)]);
        write_file(
            &app.join("go.mod"),
            format!("module example.com/app\n\ngo 1.19\n\nrequire (\n{requires})\n"),
        );
        env.run(Some(&app), &["build", "-o", "app", "."]).success();
        let output = std::process::Command::new(app.join("app"))
            .output()
            .expect("running the app");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr).trim(),
            "hello hello v2 Upper direct old pseudo stamp",
            "{}",
            go.version
        );
        // go.sum holds what the publishes announced.
        let go_sum = std::fs::read_to_string(app.join("go.sum")).expect("go.sum");
        for p in published.values() {
            assert!(
                go_sum.contains(&format!("{} {} {}\n", p.module, p.version, p.h1)),
                "{}: go.sum lacks {}@{}:\n{go_sum}",
                go.version,
                p.module,
                p.version
            );
        }
    }
}

#[test]
#[ignore = "needs go"]
fn retractions_in_the_newest_go_mod_hide_versions() {
    retractions_in_the_newest_go_mod_hide_versions_with(Storage::Dir);
}

#[test]
#[ignore = "needs go and weed"]
fn retractions_in_the_newest_go_mod_hide_versions_on_s3() {
    retractions_in_the_newest_go_mod_hide_versions_with(Storage::S3);
}

fn retractions_in_the_newest_go_mod_hide_versions_with(storage: Storage) {
    let setup = Setup::start_on(storage, "publish-retractions");
    // v1.2.0 retracts v1.1.0; in the second module the highest version retracts itself.
    let versions = [
        ("corp.example/retract", "v1.0.0", ""),
        ("corp.example/retract", "v1.1.0", ""),
        (
            "corp.example/retract",
            "v1.2.0",
            "retract v1.1.0 // broken\n",
        ),
        ("corp.example/oops", "v1.0.0", ""),
        (
            "corp.example/oops",
            "v1.1.0",
            "retract v1.1.0 // published by mistake\n",
        ),
    ];
    for (module, version, retract) in versions {
        let go_mod = format!("module {module}\n\ngo 1.19\n\n{retract}");
        let name = module.rsplit('/').next().expect("a last element");
        let source = format!("package {name}\n\nconst V = \"{version}\"\n");
        setup.upload(
            module,
            version,
            module_zip(module, version, &[("go.mod", &go_mod), ("v.go", &source)]),
            None,
        );
    }
    // modgate's own @latest honours them.
    for (module, want) in [
        ("corp.example/retract", "v1.2.0"),
        ("corp.example/oops", "v1.0.0"),
    ] {
        let reply = setup.server.http().get(&format!("/{module}/@latest"));
        let info: serde_json::Value = serde_json::from_slice(&reply.body).expect("JSON");
        assert_eq!(info["Version"], want, "{module}/@latest");
    }

    for go in go_clients() {
        let env = GoEnv::new(&go, &setup.server.url());
        let app = env.app(&[]);
        let list = |args: &[&str]| {
            let mut all = vec!["list", "-m"];
            all.extend_from_slice(args);
            env.run(Some(&app), &all).success().stdout.trim().to_owned()
        };
        assert_eq!(
            list(&["-versions", "corp.example/retract"]),
            "corp.example/retract v1.0.0 v1.2.0",
            "{}",
            go.version
        );
        assert_eq!(
            list(&["-retracted", "-versions", "corp.example/retract"]),
            "corp.example/retract v1.0.0 v1.1.0 v1.2.0",
            "{}",
            go.version
        );
        assert_eq!(
            list(&["-versions", "corp.example/oops"]),
            "corp.example/oops v1.0.0",
            "{}",
            go.version
        );

        env.run(Some(&app), &["get", "corp.example/retract@latest"])
            .success();
        env.run(Some(&app), &["get", "corp.example/oops@latest"])
            .success();
        assert_eq!(
            list(&["corp.example/retract", "corp.example/oops"]),
            "corp.example/retract v1.2.0\ncorp.example/oops v1.0.0",
            "{}",
            go.version
        );
        // A retracted version can still be had on purpose, with the rationale as a warning.
        let out = env
            .run(Some(&app), &["get", "corp.example/retract@v1.1.0"])
            .success();
        assert!(
            out.stderr.contains("retracted by module author: broken"),
            "{}",
            out.describe()
        );
    }
}

/// Directory store only: `modgate import` into a bucket is in `s3.rs`.
#[test]
#[ignore = "needs go"]
fn an_imported_module_cache_serves_the_hashes_it_was_downloaded_with() {
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let specs = [
        "example.com/Corp/Lib@v1.0.0",
        "example.com/hello/v2@v2.0.0",
        "example.com/legacy@v2.0.0+incompatible",
        "example.com/hello@v1.3.0-rc.1",
        "example.com/Upper@v0.1.0-RC1",
        "example.com/nover@v0.0.0-20230601120000-abcdef123456",
    ];
    for go in go_clients() {
        // A developer's module cache, filled by the go command from a file:// proxy.
        let first = GoEnv::new(&go, &file_url(tree.root()));
        let want = first.download(&specs);
        let store = dir
            .path()
            .join(format!("store-{}", go.version.replace(' ', "_")));
        let import = || {
            modgate_command()
                .arg("import")
                .arg(first.path().join("gopath/pkg/mod"))
                .arg("--store")
                .arg(&store)
                .output()
                .expect("running modgate import")
        };
        let output = import();
        assert!(output.status.success(), "{}", describe(&output));
        let summary = format!(
            "imported {}, skipped 0 (already there), rejected 0",
            specs.len()
        );
        assert!(
            String::from_utf8_lossy(&output.stdout).contains(&summary),
            "{}",
            describe(&output)
        );
        // The `list` files, for file:// users of the store, hold the tagged versions imported
        // (written once per module, not once per version).
        for (module, version) in [
            ("example.com/!corp/!lib", "v1.0.0"),
            ("example.com/hello", "v1.3.0-rc.1"),
            ("example.com/legacy", "v2.0.0+incompatible"),
        ] {
            let list =
                std::fs::read_to_string(store.join(module).join("@v/list")).unwrap_or_default();
            assert_eq!(list, format!("{version}\n"), "{module}");
        }
        let again = import();
        let summary = format!("imported 0, skipped {}", specs.len());
        assert!(
            String::from_utf8_lossy(&again.stdout).contains(&summary),
            "{}",
            describe(&again)
        );

        let server = Modgate::start(&store, None, None);
        let got = GoEnv::new(&go, &server.url()).download(&specs);
        assert_eq!(got, want, "{}", go.version);
    }
}
