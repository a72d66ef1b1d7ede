//! A gateway for the upstream tests: modgate with `corp.example` private from its store and
//! everything else from SECOND (a file server that can misbehave), checked against a test
//! checksum database holding SECOND's hashes.

use std::path::{Path, PathBuf};

use super::{
    Modgate, Second, TestSumdb, TreeBuilder, private_tree, public_tree, temp_dir, write_file,
};

/// Public modules with dependencies of their own: greet needs words v1.1.0, and words has an
/// older release that minimal version selection must pass over.
pub fn upstream_tree(root: &Path) -> TreeBuilder {
    let tree = public_tree(root);
    for (version, time) in [
        ("v1.0.0", "2023-01-01T00:00:00Z"),
        ("v1.1.0", "2023-02-01T00:00:00Z"),
    ] {
        tree.add(
            "example.com/words",
            version,
            time,
            &[
                ("go.mod", "module example.com/words\n\ngo 1.19\n"),
                (
                    "words.go",
                    &format!(
                        "package words\n\nfunc Hello() string {{ return \"hello {version}\" }}\n"
                    ),
                ),
            ],
        );
    }
    tree.add(
        "example.com/greet",
        "v1.0.0",
        "2023-03-01T00:00:00Z",
        &[
            (
                "go.mod",
                "module example.com/greet\n\ngo 1.19\n\nrequire example.com/words v1.1.0\n",
            ),
            (
                "greet.go",
                "package greet\n\nimport \"example.com/words\"\n\nfunc Greet() string { return words.Hello() + \"!\" }\n",
            ),
        ],
    );
    tree
}

/// The public side of a gateway: `upstream_tree` served by SECOND, and a test checksum
/// database (`sumdb.test`) holding its hashes.
pub struct PublicSide {
    pub second: Second,
    pub sumdb: TestSumdb,
    pub upstream: TreeBuilder,
}

impl PublicSide {
    /// Writes the upstream tree at `root` and serves it.
    pub fn start(root: &Path) -> PublicSide {
        let upstream = upstream_tree(root);
        let second = Second::start(upstream.root());
        let sumdb = TestSumdb::new("sumdb.test");
        sumdb.add_tree(upstream.root());
        PublicSide {
            second,
            sumdb,
            upstream,
        }
    }

    /// The `[upstream]` section (with `upstream_keys` beside `proxies`) and the `[sumdb]`
    /// section that point modgate at SECOND and at the database.
    pub fn config(&self, upstream_keys: &str) -> String {
        format!(
            r#"
[upstream]
proxies = "{}"
{upstream_keys}

[sumdb]
name = "{}"
key = "{}"
url = "{}"
"#,
            self.second.url(),
            self.sumdb.name(),
            self.sumdb.verifier_key(),
            self.sumdb.url()
        )
    }
}

/// modgate in front of SECOND: `corp.example` private from the store, everything else from
/// upstream, checked against a test checksum database that holds the upstream tree's hashes.
pub struct Gateway {
    pub server: Modgate,
    pub second: Option<Second>,
    pub sumdb: TestSumdb,
    pub upstream: TreeBuilder,
    pub store: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Gateway {
    /// `upstream_keys` go into `[upstream]` (beside `proxies`); `extra` after the routes.
    pub fn start(upstream_keys: &str, extra: &str) -> Gateway {
        let dir = temp_dir();
        let public = PublicSide::start(&dir.path().join("upstream"));
        let store = private_tree(&dir.path().join("store")).root().to_owned();
        let config = dir.path().join("modgate.toml");
        write_file(
            &config,
            format!(
                r#"{}
[[route]]
prefix = "corp.example"
private = true

[[route]]
prefix = "*"
source = "upstream"
{extra}
"#,
                public.config(upstream_keys),
            ),
        );
        let server = Modgate::start(&store, Some(&config), None);
        Gateway {
            server,
            second: Some(public.second),
            sumdb: public.sumdb,
            upstream: public.upstream,
            store,
            dir,
        }
    }

    pub fn second(&self) -> &Second {
        self.second.as_ref().expect("SECOND is running")
    }

    /// Whether the store holds `module@version`'s file with this extension.
    pub fn stored(&self, module: &str, version: &str, extension: &str) -> bool {
        TreeBuilder::new(&self.store)
            .file(module, version, extension)
            .exists()
    }
}
