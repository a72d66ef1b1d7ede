//! Module trees in the `$GOPATH/pkg/mod/cache/download` layout, written the way spec 6.3 does
//! by hand, so that what modgate serves can be compared with `GOPROXY=file://` on the same tree.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use testkit::write_file;
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

/// Writes versions into a tree rooted at one directory.
pub struct TreeBuilder {
    root: PathBuf,
}

impl TreeBuilder {
    pub fn new(root: impl Into<PathBuf>) -> TreeBuilder {
        let root = root.into();
        std::fs::create_dir_all(&root).expect("creating the tree root");
        TreeBuilder { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// One version: `files` are (path inside the module, contents). The `.mod` is the
    /// module's `go.mod` if it has one, else the `module M` line the go command synthesises.
    pub fn add(&self, module: &str, version: &str, time: &str, files: &[(&str, &str)]) -> &Self {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (*n, c.as_bytes())).collect();
        self.write_version(module, version, time, &files, CompressionMethod::Deflated)
    }

    /// One version with a single large file, stored uncompressed: deflating tens of MiB in a
    /// debug build would dominate the test's run time, and the go command accepts both.
    pub fn add_large(&self, module: &str, version: &str, name: &str, contents: &[u8]) -> &Self {
        let go_mod = format!("module {module}\n");
        let files = [("go.mod", go_mod.as_bytes()), (name, contents)];
        self.write_version(
            module,
            version,
            "2024-01-01T00:00:00Z",
            &files,
            CompressionMethod::Stored,
        )
    }

    /// The directory holding a module's files.
    pub fn version_dir(&self, module: &str) -> PathBuf {
        self.root.join(escape(module)).join("@v")
    }

    /// The path of one stored file, e.g. `file(M, V, "zip")`.
    pub fn file(&self, module: &str, version: &str, extension: &str) -> PathBuf {
        self.version_dir(module)
            .join(format!("{}.{extension}", escape(version)))
    }

    fn write_version(
        &self,
        module: &str,
        version: &str,
        time: &str,
        files: &[(&str, &[u8])],
        method: CompressionMethod,
    ) -> &Self {
        let dir = self.version_dir(module);
        std::fs::create_dir_all(&dir).expect("creating the version directory");

        // Only file entries, named with the real case: directory entries would change the h1
        // (spec 6.7 #1), and escaped names are for URLs and disk paths only.
        let zip_file = std::fs::File::create(self.file(module, version, "zip")).expect("zip");
        let mut zip = zip::ZipWriter::new(zip_file);
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, contents) in files {
            zip.start_file(format!("{module}@{version}/{name}"), options)
                .expect("zip entry");
            zip.write_all(contents).expect("zip contents");
        }
        zip.finish().expect("finishing the zip");

        let go_mod = files
            .iter()
            .find(|(name, _)| *name == "go.mod")
            .map_or_else(
                || format!("module {module}\n").into_bytes(),
                |(_, c)| c.to_vec(),
            );
        std::fs::write(self.file(module, version, "mod"), go_mod).expect("writing .mod");
        std::fs::write(
            self.file(module, version, "info"),
            format!(r#"{{"Version":"{version}","Time":"{time}"}}"#),
        )
        .expect("writing .info");

        // `list` holds tagged versions only; a pseudo-version-only module gets an empty one,
        // which is how a module cache and the protocol both say "known, no releases".
        let list = dir.join("list");
        let mut text = std::fs::read_to_string(&list).unwrap_or_default();
        if !is_pseudo_version(version) {
            text.push_str(version);
            text.push('\n');
        }
        std::fs::write(&list, text).expect("writing list");
        self
    }
}

/// `!` + lower case for every capital, as module paths and versions are escaped on disk.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_uppercase() {
            escaped.push('!');
            escaped.push(c.to_ascii_lowercase());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

/// `vX.Y.Z-[pre.]yyyymmddhhmmss-abcdef123456`, enough to keep test pseudo-versions out of `list`.
fn is_pseudo_version(version: &str) -> bool {
    let Some((rest, hash)) = version.rsplit_once('-') else {
        return false;
    };
    let stamp = rest.rsplit(['-', '.']).next().unwrap_or_default();
    hash.len() == 12
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit())
}

/// The tree most tests serve: every shape of path and version the protocol cares about.
pub fn public_tree(root: &Path) -> TreeBuilder {
    let tree = TreeBuilder::new(root);
    tree.add(
        "example.com/Corp/Lib",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
        &[
            ("go.mod", "module example.com/Corp/Lib\n\ngo 1.19\n"),
            (
                "lib.go",
                "package lib\n\nfunc Name() string { return \"Corp/Lib\" }\n",
            ),
        ],
    );
    for (version, time) in [
        ("v1.0.0", "2023-01-01T00:00:00Z"),
        ("v1.1.0", "2023-02-01T00:00:00Z"),
        ("v1.2.0", "2023-03-01T00:00:00Z"),
        ("v1.3.0-rc.1", "2023-04-01T00:00:00Z"),
    ] {
        let source =
            format!("package hello\n\nfunc Hello() string {{ return \"hello {version}\" }}\n");
        tree.add(
            "example.com/hello",
            version,
            time,
            &[
                ("go.mod", "module example.com/hello\n\ngo 1.19\n"),
                ("hello.go", &source),
            ],
        );
    }
    tree.add(
        "example.com/hello/v2",
        "v2.0.0",
        "2023-05-01T00:00:00Z",
        &[
            ("go.mod", "module example.com/hello/v2\n\ngo 1.19\n"),
            (
                "hello.go",
                "package hello\n\nfunc Hello() string { return \"hello v2\" }\n",
            ),
        ],
    );
    tree.add(
        "example.com/legacy",
        "v2.0.0+incompatible",
        "2023-06-01T00:00:00Z",
        &[
            (
                "legacy.go",
                "package legacy\n\nfunc Old() string { return \"old\" }\n",
            ),
            ("README", "no go.mod here\n"),
        ],
    );
    tree.add(
        "example.com/Upper",
        "v0.1.0-RC1",
        "2023-07-01T00:00:00Z",
        &[
            ("go.mod", "module example.com/Upper\n\ngo 1.19\n"),
            ("upper.go", "package upper\n\nconst Shout = \"RC1\"\n"),
        ],
    );
    for (version, time) in [
        ("v0.0.0-20230601120000-abcdef123456", "2023-06-01T12:00:00Z"),
        ("v0.0.0-20230701120000-0123456789ab", "2023-07-01T12:00:00Z"),
    ] {
        tree.add(
            "example.com/nover",
            version,
            time,
            &[
                ("go.mod", "module example.com/nover\n\ngo 1.19\n"),
                ("nover.go", "package nover\n\nconst Tagged = false\n"),
            ],
        );
    }
    tree
}

/// Two private modules, `a` importing `b`, and `a` with a package in a subdirectory.
pub fn private_tree(root: &Path) -> TreeBuilder {
    let tree = TreeBuilder::new(root);
    tree.add(
        "corp.example/b",
        "v1.0.0",
        "2024-01-01T00:00:00Z",
        &[
            ("go.mod", "module corp.example/b\n\ngo 1.19\n"),
            ("b.go", "package b\n\nfunc B() string { return \"b\" }\n"),
        ],
    );
    tree.add(
        "corp.example/a",
        "v1.0.0",
        "2024-01-02T00:00:00Z",
        &[
            (
                "go.mod",
                "module corp.example/a\n\ngo 1.19\n\nrequire corp.example/b v1.0.0\n",
            ),
            (
                "a.go",
                "package a\n\nimport \"corp.example/b\"\n\nfunc A() string { return \"a+\" + b.B() }\n",
            ),
            // A package below the module root: importing it makes `go` probe
            // `corp.example/a/util` as a module path, a descendant of a held module.
            (
                "util/util.go",
                "package util\n\nimport \"corp.example/a\"\n\nfunc Twice(s string) string { return a.A() + s + s }\n",
            ),
        ],
    );
    tree
}

/// Relative path → SHA-256 of every file under `root`, to show a tree was not touched.
pub fn digest_tree(root: &Path) -> BTreeMap<String, String> {
    let mut digests = BTreeMap::new();
    walk(root, &mut |path| {
        let bytes = std::fs::read(path).expect("reading a tree file");
        let relative = path.strip_prefix(root).expect("under root");
        let hex: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        digests.insert(relative.display().to_string(), hex);
    });
    digests
}

/// Copies files and directories (not permissions: the module cache may be read-only).
pub fn copy_tree(from: &Path, to: &Path) {
    walk(from, &mut |path| {
        let target = to.join(path.strip_prefix(from).expect("under root"));
        write_file(
            &target,
            std::fs::read(path).expect("reading a file to copy"),
        );
    });
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}
