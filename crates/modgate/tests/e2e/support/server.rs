//! The real `modgate` binary on a loopback port, a test CA, and htpasswd files.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use super::http::Http;
use super::{GoClient, GoEnv, temp_dir, wait_until};

/// How long a debug build may take to answer /healthz after spawning.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running `modgate serve`, killed by PID when dropped so no test leaves it behind.
pub struct Modgate {
    child: Child,
    port: u16,
    tls: bool,
    stderr_path: PathBuf,
    /// Holds the stderr file and the working directory, which has no `modgate.toml`.
    _dir: tempfile::TempDir,
    http: Http,
}

impl Modgate {
    /// Serves `store` with `config` (if any). `ca` is set for a TLS config: the harness needs
    /// it to reach /healthz.
    pub fn start(store: &Path, config: Option<&Path>, ca: Option<&Path>) -> Modgate {
        Self::start_with_args(store, config, ca, &[])
    }

    pub fn start_with_args(
        store: &Path,
        config: Option<&Path>,
        ca: Option<&Path>,
        args: &[&str],
    ) -> Modgate {
        Self::start_with_env(store, config, ca, args, &[])
    }

    /// Like `start_with_args`, with extra environment variables (say `TMPDIR`, so that what a
    /// killed server leaves in its temp directory is removed with the test's directory).
    pub fn start_with_env(
        store: &Path,
        config: Option<&Path>,
        ca: Option<&Path>,
        args: &[&str],
        env: &[(&str, &Path)],
    ) -> Modgate {
        let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
        Self::start_retrying(Some(store), config, ca, args, &env)
    }

    /// Serves the store `config`'s `[storage]` names (no `--store`), with `env` (say the
    /// credentials of a bucket) added to the empty environment.
    pub fn start_configured(config: &Path, ca: Option<&Path>, env: &[(&str, &str)]) -> Modgate {
        let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, OsStr::new(*v))).collect();
        Self::start_retrying(None, Some(config), ca, &[], &env)
    }

    fn start_retrying(
        store: Option<&Path>,
        config: Option<&Path>,
        ca: Option<&Path>,
        args: &[&str],
        env: &[(&str, &OsStr)],
    ) -> Modgate {
        // The port is picked by binding :0 and released before modgate binds it, so another
        // process can take it in between; a few retries make that race harmless.
        let mut last_error = String::new();
        for _ in 0..3 {
            match Self::try_start(store, config, ca, args, env) {
                Ok(server) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("modgate did not start:\n{last_error}");
    }

    fn try_start(
        store: Option<&Path>,
        config: Option<&Path>,
        ca: Option<&Path>,
        args: &[&str],
        env: &[(&str, &OsStr)],
    ) -> Result<Modgate, String> {
        let port = free_port();
        let dir = temp_dir();
        let stderr_path = dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("creating the stderr log");
        let mut command = modgate_command();
        command
            .current_dir(dir.path())
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(stderr);
        if let Some(store) = store {
            command.arg("--store").arg(store);
        }
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        let child = command.spawn().expect("spawning modgate");
        let tls = ca.is_some();
        let scheme = if tls { "https" } else { "http" };
        let http = Http::new(&format!("{scheme}://127.0.0.1:{port}"), ca);
        let mut server = Modgate {
            child,
            port,
            tls,
            stderr_path,
            _dir: dir,
            http,
        };
        let mut exited = None;
        let up = wait_until(START_LIMIT, || {
            if let Ok(Some(status)) = server.child.try_wait() {
                exited = Some(status);
                return true;
            }
            server.http.healthy()
        });
        if let Some(status) = exited {
            return Err(format!("exited with {status}: {}", server.stderr()));
        }
        if !up {
            return Err(format!(
                "no /healthz within {START_LIMIT:?}: {}",
                server.stderr()
            ));
        }
        Ok(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `http://127.0.0.1:PORT` or `https://…`.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The URL with credentials in it, the way GOPROXY can carry them.
    pub fn url_with(&self, user: &str, password: &str) -> String {
        assert!(self.tls, "the go command refuses credentials over http");
        format!("https://{user}:{password}@127.0.0.1:{}", self.port)
    }

    /// A go client of this server over TLS as `user` (see `sign_in`).
    pub fn go_as(&self, client: &GoClient, ca: &Path, user: &str, password: &str) -> GoEnv {
        let mut env = GoEnv::new(client, &self.url());
        self.sign_in(&mut env, ca, user, password);
        env
    }

    /// Points `env` at this server over TLS as `user`: GOPROXY, the test CA `ca` trusted, and
    /// the credentials in its netrc (the go command sends them over https only).
    pub fn sign_in(&self, env: &mut GoEnv, ca: &Path, user: &str, password: &str) {
        assert!(self.tls, "the go command sends no credentials over http");
        env.set("GOPROXY", &self.url())
            .set("SSL_CERT_FILE", &ca.display().to_string())
            .netrc("127.0.0.1", self.port, user, password);
    }

    /// A client for this server (trusting the test CA when it serves TLS).
    pub fn http(&self) -> &Http {
        &self.http
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// SIGTERM, the way a service manager stops it. libc is not a dependency; kill(1) is.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// SIGKILL (std's `Child::kill`), the crash no code of ours gets to react to, and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().expect("killing modgate");
        self.child.wait().expect("reaping modgate");
    }

    /// Waits for the process to end by itself.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let mut status = None;
        wait_until(limit, || {
            status = self.child.try_wait().ok().flatten();
            status.is_some()
        });
        status
    }
}

impl Drop for Modgate {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `modgate` with an empty environment, so a developer's `MODGATE_*` or proxy variables cannot
/// change what a test sees.
pub fn modgate_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_modgate"));
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("RUST_LOG", "info");
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a free port")
        .port()
}

/// A CA and a server certificate for IP 127.0.0.1 signed by it, as PEM files.
pub struct TestCa {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    pub fn create(dir: &Path) -> TestCa {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "modgate test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).expect("self-signing the CA");
        let issuer = Issuer::new(ca_params, ca_key);

        let key = KeyPair::generate().expect("server key");
        // Go 1.15+ ignores the common name: the IP SAN is what makes 127.0.0.1 valid.
        let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
        params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &issuer)
            .expect("signing the server cert");

        let files = TestCa {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        super::write_file(&files.ca, ca_cert.pem());
        super::write_file(&files.cert, cert.pem());
        super::write_file(&files.key, key.serialize_pem());
        files
    }
}

/// An htpasswd file with bcrypt hashes at the lowest cost, so tests stay fast.
pub fn write_htpasswd(path: &Path, users: &[(&str, &str)]) {
    let text: String = users
        .iter()
        .map(|(user, password)| {
            let hash = bcrypt::hash(password, 4).expect("bcrypt");
            format!("{user}:{hash}\n")
        })
        .collect();
    super::write_file(path, text);
}

/// A config for a server over TLS with the files `TestCa::create` writes and the users of an
/// `htpasswd` file, both beside the config; `admins` are named in `[auth]`, and `rest` (more
/// tables: the routes) follows.
pub fn tls_config(admins: &[&str], rest: &str) -> String {
    let admins: Vec<String> = admins.iter().map(|name| format!("\"{name}\"")).collect();
    let admins = if admins.is_empty() {
        String::new()
    } else {
        format!("admins = [{}]\n", admins.join(", "))
    };
    format!(
        r#"
[tls]
cert = "cert.pem"
key = "key.pem"

[auth]
htpasswd = "htpasswd"
{admins}{rest}"#
    )
}
