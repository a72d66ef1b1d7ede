//! The public checksum database with no route to it (issue 16): a connected modgate writes the
//! proofs of some versions (`modgate sumdb proofs`), an offline one stores them
//! (`modgate sumdb store-proofs`) and answers `/sumdb/<name>/…` from its store, and the same
//! files laid out as a `GOPROXY=file://` tree verify too; the real go commands judge.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{
    GoEnv, Modgate, TestSumdb, TreeBuilder, file_url, go_clients, public_tree, temp_dir, write_file,
};

const NAME: &str = "sumdb.test";

/// The versions of the first proofs: in leaf tiles 0, 1 and 2 (partial) of a tree of 601.
const FIRST: [&str; 3] = [
    "example.com/hello@v1.1.0",
    "example.com/late@v1.0.0",
    "example.com/later@v1.0.0",
];
/// Proven too, then tampered with in the offline modgate's store: the zip, and the record.
const TAMPERED_ZIP: &str = "example.com/hello@v1.0.0";
const TAMPERED_RECORD: &str = "example.com/hello@v1.2.0";
/// The version of the second proofs, made over a tree of 1200 since the first: in leaf tile 4,
/// so that its own proof does not read the tiles proving the first tree in the second.
const SECOND: &str = "example.com/newest@v1.0.0";

/// The public side: module files, and a test database holding their hashes among fillers.
struct Public {
    tree: TreeBuilder,
    sumdb: TestSumdb,
    dir: tempfile::TempDir,
}

impl Public {
    fn new() -> Public {
        let dir = temp_dir();
        let tree = public_tree(&dir.path().join("upstream"));
        let sumdb = TestSumdb::new(NAME);
        sumdb.add_tree(tree.root());
        let public = Public { tree, sumdb, dir };
        public.fill(300);
        public.add("example.com/late@v1.0.0");
        public.fill(600);
        public.add("example.com/later@v1.0.0");
        assert_eq!(public.sumdb.size(), 601);
        public
    }

    /// A new module version in the tree and in the database.
    fn add(&self, spec: &str) {
        let (module, version) = spec.split_once('@').expect("module@version");
        self.tree.add(
            module,
            version,
            "2024-01-01T00:00:00Z",
            &[
                ("go.mod", &format!("module {module}\n\ngo 1.19\n")),
                ("x.go", "package x\n"),
            ],
        );
        let zip = std::fs::File::open(self.tree.file(module, version, "zip")).expect("zip");
        let go_mod = std::fs::read(self.tree.file(module, version, "mod")).expect("go.mod");
        let zip_h1 = gomod::hash_zip(zip).expect("hashing the zip");
        self.sumdb
            .add(module, version, &zip_h1, &gomod::hash_go_mod(&go_mod));
    }

    /// Records of other modules up to `size`.
    fn fill(&self, size: u64) {
        for i in self.sumdb.size()..size {
            self.sumdb
                .add(&format!("example.org/filler{i}"), "v1.0.0", "h1:z", "h1:m");
        }
    }

    /// A config naming the database and a store; offline with an upstream route, or not.
    fn config(&self, file: &str, store: &Path, offline: bool) -> PathBuf {
        let path = self.dir.path().join(file);
        let routes = if offline {
            "[upstream]\nproxies = \"http://127.0.0.1:9\"\noffline = true\n\n[[route]]\nprefix = \"*\"\nsource = \"upstream\"\n"
        } else {
            ""
        };
        write_file(
            &path,
            format!(
                "[storage]\npath = \"{}\"\n\n[sumdb]\nname = \"{NAME}\"\nkey = \"{}\"\nurl = \"{}\"\n\n{routes}",
                store.display(),
                self.sumdb.verifier_key(),
                self.sumdb.url()
            ),
        );
        path
    }

    /// Copies the module files of `specs` into a `cache/download` tree at `to`.
    fn copy_versions(&self, specs: &[&str], to: &Path) {
        let target = TreeBuilder::new(to);
        for spec in specs {
            let (module, version) = spec.split_once('@').expect("module@version");
            for extension in ["info", "mod", "zip"] {
                let data = std::fs::read(self.tree.file(module, version, extension)).expect("file");
                write_file(&target.file(module, version, extension), data);
            }
        }
    }
}

fn modgate(args: &[&str]) -> Output {
    crate::support::modgate_command()
        .args(args)
        .output()
        .expect("running modgate")
}

fn succeeded(output: Output) -> String {
    let text = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    text
}

/// `modgate sumdb proofs` of `specs` into `out`, with the versions' module files beside them.
fn write_proofs(public: &Public, config: &Path, out: &Path, specs: &[&str], since: Option<&Path>) {
    let mut args = vec![
        "sumdb",
        "proofs",
        "--config",
        path_str(config),
        "--out",
        path_str(out),
    ];
    if let Some(since) = since {
        args.extend(["--since", path_str(since)]);
    }
    args.extend_from_slice(specs);
    succeeded(modgate(&args));
    public.copy_versions(specs, out);
}

fn store_proofs(config: &Path, dir: &Path) -> Output {
    modgate(&[
        "sumdb",
        "store-proofs",
        "--config",
        path_str(config),
        path_str(dir),
    ])
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn latest(dir: &Path) -> PathBuf {
    dir.join("sumdb").join(NAME).join("latest")
}

fn lookup(dir: &Path, spec: &str) -> PathBuf {
    dir.join("sumdb").join(NAME).join("lookup").join(spec)
}

/// A go environment that knows the database's key and reaches it only through `goproxy`.
fn go(client: &crate::support::GoClient, goproxy: &str, key: &str) -> GoEnv {
    let mut env = GoEnv::new(client, goproxy);
    env.set("GOSUMDB", key);
    env
}

#[test]
#[ignore = "needs go"]
fn offline_proofs_verify_through_modgate_and_file_trees() {
    let public = Public::new();
    let key = public.sumdb.verifier_key();
    let work = temp_dir();
    let connected = public.config("connected.toml", &work.path().join("connected"), false);
    let out = work.path().join("first");
    let all = [&FIRST[..], &[TAMPERED_ZIP, TAMPERED_RECORD]].concat();
    write_proofs(&public, &connected, &out, &all, None);

    // An offline modgate holding the versions and their proofs; the database is down, so
    // anything asked of it would fail.
    let store = work.path().join("offline");
    public.copy_versions(&all, &store);
    let offline = public.config("offline.toml", &store, true);
    succeeded(store_proofs(&offline, &out));
    tamper_store(&store);
    public.sumdb.set_down(true);
    public.sumdb.take_requests();
    let server = Modgate::start(&store, Some(&offline), None);

    // Tampered proofs are refused whole, naming the file.
    let tampered = work.path().join("tampered");
    crate::support::copy_tree(&out, &tampered);
    tamper(&lookup(&tampered, "example.com/late@v1.0.0"));
    let refused = store_proofs(&offline, &tampered);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success()
            && stderr.contains(&format!("sumdb/{NAME}/lookup/example.com/late@v1.0.0: ")),
        "{stderr}"
    );

    let clients = go_clients();
    let mut saw_first = Vec::new();
    for client in &clients {
        let env = go(client, &server.url(), &key);
        env.download(&FIRST);
        let file_env = go(client, &file_url(&out), &key);
        file_env.download(&FIRST);
        let bad = go(client, &file_url(&tampered), &key);
        let failed = bad
            .run(None, &["mod", "download", "-json", FIRST[1]])
            .failure();
        assert!(
            failed.stdout.contains("example.com/late@v1.0.0: verifying"),
            "{}",
            failed.stdout
        );
        tampered_store_fails(&env);
        saw_first.push((env, file_env));
    }
    assert_eq!(public.sumdb.take_requests(), Vec::<String>::new());

    second_set_since_the_first(&public, work.path(), &mut saw_first);
}

/// Later, a second set over a bigger tree, since the first (in `work/first`, stored in
/// `work/offline` and served from there): clients that saw the first tree accept the second,
/// through modgate and through the file tree.
fn second_set_since_the_first(public: &Public, work: &Path, saw_first: &mut [(GoEnv, GoEnv)]) {
    let (out, store) = (work.join("first"), work.join("offline"));
    let connected = public.dir.path().join("connected.toml");
    let offline = public.dir.path().join("offline.toml");
    public.sumdb.set_down(false);
    public.fill(1100);
    public.add(SECOND);
    public.fill(1200);
    let second = work.join("second");
    write_proofs(public, &connected, &second, &[SECOND], Some(&latest(&out)));
    public.copy_versions(&[SECOND], &store);
    succeeded(store_proofs(&offline, &second));
    crate::support::copy_tree(&second, &out);
    public.sumdb.set_down(true);
    public.sumdb.take_requests();
    for (env, file_env) in saw_first {
        env.download(&[SECOND]);
        file_env.download(&[SECOND]);
        // A first-set version, its lookup in the first tree, for a client now at the second.
        let fresh = file_env.path().join("fresh-cache");
        file_env.set("GOMODCACHE", path_str(&fresh));
        file_env.download(&[FIRST[2]]);
    }
    assert_eq!(public.sumdb.take_requests(), Vec::<String>::new());
    assert_eq!(
        std::fs::read(latest(&store)).ok(),
        std::fs::read(latest(&second)).ok()
    );
}

/// In the offline store: another zip for `TAMPERED_ZIP` (a valid one, other bytes), and
/// another `h1:` in `TAMPERED_RECORD`'s record.
fn tamper_store(store: &Path) {
    let dir = temp_dir();
    let other = TreeBuilder::new(dir.path());
    let (module, version) = TAMPERED_ZIP.split_once('@').expect("module@version");
    other.add(
        module,
        version,
        "2023-01-01T00:00:00Z",
        &[
            ("go.mod", "module example.com/hello\n\ngo 1.19\n"),
            (
                "hello.go",
                "package hello\n\nfunc Hello() string { return \"evil\" }\n",
            ),
        ],
    );
    let zip = std::fs::read(other.file(module, version, "zip")).expect("the other zip");
    write_file(&TreeBuilder::new(store).file(module, version, "zip"), zip);
    tamper(&lookup(store, TAMPERED_RECORD));
}

/// Both tampered versions fail through the offline modgate: the zip at the go command, the
/// record already at modgate, which proves what it serves (a failure, not a 404).
fn tampered_store_fails(env: &GoEnv) {
    for (spec, says) in [
        (TAMPERED_ZIP, "SECURITY ERROR"),
        (TAMPERED_RECORD, "502 Bad Gateway"),
    ] {
        let failed = env.run(None, &["mod", "download", "-json", spec]).failure();
        assert!(failed.stdout.contains(says), "{spec}: {}", failed.stdout);
    }
}

/// Changes the zip `h1:` in a lookup's record.
fn tamper(file: &Path) {
    let text = std::fs::read_to_string(file).expect("a lookup");
    let (first, rest) = text.split_once(" h1:").expect("a record line");
    write_file(file, format!("{first} h1:AAAA{}", &rest[4..]));
}
