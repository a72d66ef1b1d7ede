//! Headless Chromium driven over WebDriver: Debian's `chromedriver` on a loopback port (stopped
//! by PID when dropped), a fantoccini session with a fresh profile and a fresh `HOME`, and
//! blocking helpers for the tests (which are plain `#[test]` functions, like the rest of the
//! e2e suite).
//!
//! - The binaries are `$MODGATE_TEST_CHROMEDRIVER` and `$MODGATE_TEST_CHROMIUM`, else
//!   `/usr/bin/chromedriver` and `/usr/bin/chromium` (Debian's `chromium-driver` and
//!   `chromium`, which `scripts/test.sh` installs). Missing, a test panics with how to install
//!   them, so a misconfigured CI fails instead of passing vacuously (as with `MODGATE_TEST_GO`).
//! - TLS: `acceptInsecureCerts` is false. A test CA is trusted the way Chromium on Linux trusts
//!   a user's CA: imported with `certutil` (Debian's `libnss3-tools`) into the NSS database of
//!   the browser's own fresh `HOME` (`~/.pki/nssdb`), so a certificate it did not sign is still
//!   refused.
//! - Chromium runs with its background networking off (updates, sync, safe browsing, QUIC), so
//!   on a closed network it only ever connects where a test sends it.
//! - Screenshots go to `target/ui-screenshots/<test>/<page>.png` (or
//!   `$MODGATE_TEST_SCREENSHOTS/<test>/`), kept after the run; each path is printed.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::error::CmdError;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// How long an element may take to appear after a navigation or a click.
const WAIT: Duration = Duration::from_secs(15);

/// The arguments every session's Chromium gets (plus `--user-data-dir`).
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,OptimizationHints,MediaRouter,HttpsUpgrades",
    "--window-size=1280,900",
];

/// The chromedriver binary: `$MODGATE_TEST_CHROMEDRIVER`, else Debian's.
pub fn chromedriver_bin() -> PathBuf {
    binary("MODGATE_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
}

/// The Chromium binary: `$MODGATE_TEST_CHROMIUM`, else Debian's.
pub fn chromium_bin() -> PathBuf {
    binary("MODGATE_TEST_CHROMIUM", "/usr/bin/chromium")
}

fn binary(variable: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(variable)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    assert!(
        path.is_file(),
        "{} not found: set {variable}, or install Debian's chromium and chromium-driver \
         (apt-get install chromium chromium-driver libnss3-tools; scripts/test.sh does)",
        path.display()
    );
    path
}

/// One headless Chromium session and the chromedriver behind it.
pub struct Browser {
    runtime: tokio::runtime::Runtime,
    client: Option<Client>,
    driver: Child,
    shots: PathBuf,
    /// The browser's HOME (its NSS database) and profile, and chromedriver's log.
    dir: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a session for the test named `test` (the screenshots' folder),
    /// trusting the CA certificate `ca` (PEM) if given.
    pub fn start(test: &str, ca: Option<&Path>) -> Browser {
        let driver_bin = chromedriver_bin();
        let chromium = chromium_bin();
        let dir = crate::temp_dir();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("creating the browser's HOME");
        if let Some(ca) = ca {
            trust_ca(&home, ca);
        }
        let shots = screenshot_dir(test);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for fantoccini");
        let mut last_error = String::new();
        // The port is picked by binding :0 and released before chromedriver binds it: a few
        // retries make the race with another process harmless.
        for _ in 0..3 {
            let port = free_port();
            let mut driver = spawn_driver(&driver_bin, port, &home, dir.path());
            match runtime.block_on(connect(port, &chromium, dir.path(), &mut driver)) {
                Ok(client) => {
                    return Browser {
                        runtime,
                        client: Some(client),
                        driver,
                        shots,
                        dir,
                    };
                }
                Err(e) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    last_error = e;
                }
            }
        }
        let log = std::fs::read_to_string(dir.path().join("chromedriver.log")).unwrap_or_default();
        panic!("headless Chromium did not start: {last_error}\nchromedriver log:\n{log}");
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    fn run<T>(&self, what: &str, f: impl AsyncFnOnce(&Client) -> Result<T, CmdError>) -> T {
        self.runtime
            .block_on(f(self.client()))
            .unwrap_or_else(|e| panic!("browser: {what}: {e}"))
    }

    /// Opens `url` and waits for it to load.
    pub fn goto(&self, url: &str) {
        self.run(&format!("opening {url}"), async |c| c.goto(url).await);
    }

    /// The address shown now.
    pub fn current_url(&self) -> String {
        self.run("reading the URL", async |c| c.current_url().await)
            .to_string()
    }

    /// The visible text of the whole page.
    pub fn page_text(&self) -> String {
        self.text("body")
    }

    /// Waits (up to 15 s) for an element matching `css`.
    pub fn wait_for(&self, css: &str) {
        let start = Instant::now();
        while !self.exists(css) {
            assert!(
                start.elapsed() < WAIT,
                "browser: no {css} within {WAIT:?} on {}; page text:\n{}",
                self.current_url(),
                self.page_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Whether an element matches `css` now.
    pub fn exists(&self, css: &str) -> bool {
        self.count(css) > 0
    }

    /// How many elements match `css` now.
    pub fn count(&self, css: &str) -> usize {
        self.run(&format!("finding {css}"), async |c| {
            c.find_all(Locator::Css(css)).await
        })
        .len()
    }

    /// The visible text of the first element matching `css` (waited for).
    pub fn text(&self, css: &str) -> String {
        self.wait_for(css);
        self.run(&format!("text of {css}"), async |c| {
            c.find(Locator::Css(css)).await?.text().await
        })
    }

    /// The visible texts of every element matching `css`, in document order.
    pub fn texts(&self, css: &str) -> Vec<String> {
        self.run(&format!("texts of {css}"), async |c| {
            let mut texts = Vec::new();
            for element in c.find_all(Locator::Css(css)).await? {
                texts.push(element.text().await?);
            }
            Ok(texts)
        })
    }

    /// An attribute of the first element matching `css` (waited for).
    pub fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css);
        self.run(&format!("{name} of {css}"), async |c| {
            c.find(Locator::Css(css)).await?.attr(name).await
        })
    }

    /// An attribute of every element matching `css`.
    pub fn attrs(&self, css: &str, name: &str) -> Vec<Option<String>> {
        self.run(&format!("{name} of every {css}"), async |c| {
            let mut values = Vec::new();
            for element in c.find_all(Locator::Css(css)).await? {
                values.push(element.attr(name).await?);
            }
            Ok(values)
        })
    }

    /// Types `value` into the field matching `css` (waited for), after clearing it.
    pub fn fill(&self, css: &str, value: &str) {
        self.wait_for(css);
        self.run(&format!("typing into {css}"), async |c| {
            let field = c.find(Locator::Css(css)).await?;
            field.clear().await?;
            field.send_keys(value).await
        });
    }

    /// Clicks the element matching `css` (waited for), as a user would: a submit button sends
    /// its form, and the page it leads to has loaded when this returns.
    pub fn click(&self, css: &str) {
        self.wait_for(css);
        self.run(&format!("clicking {css}"), async |c| {
            c.find(Locator::Css(css)).await?.click().await
        });
    }

    /// Presses Enter in the field matching `css`, which sends its form.
    pub fn press_enter(&self, css: &str) {
        self.wait_for(css);
        self.run(&format!("pressing Enter in {css}"), async |c| {
            c.find(Locator::Css(css)).await?.send_keys("\u{E007}").await
        });
    }

    /// Clicks `target` (CSS) inside the first `row` (CSS) whose `cell` (CSS) reads `text`: a
    /// button of one table row. Panics when no row matches.
    pub fn click_in_row(&self, row: &str, cell: &str, text: &str, target: &str) {
        let clicked = self.run(
            &format!("clicking {target} in the {row} of {text:?}"),
            async |c| {
                for element in c.find_all(Locator::Css(row)).await? {
                    let Ok(found) = element.find(Locator::Css(cell)).await else {
                        continue;
                    };
                    if found.text().await?.trim() == text {
                        element.find(Locator::Css(target)).await?.click().await?;
                        return Ok(true);
                    }
                }
                Ok(false)
            },
        );
        assert!(
            clicked,
            "browser: no {row} whose {cell} reads {text:?} on {}; page text:\n{}",
            self.current_url(),
            self.page_text()
        );
    }

    /// Runs `script` in the page (its `arguments` are `args`) and returns its value.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.run("running a script", async |c| c.execute(script, args).await)
    }

    /// Runs `script` in the page, whose last argument is the callback that ends it.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.run("running an async script", async |c| {
            c.execute_async(script, args).await
        })
    }

    /// A Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`).
    pub fn cdp(&self, command: &str, params: Value) -> Value {
        let cmd = Cdp {
            command: command.to_owned(),
            params,
        };
        self.run(&format!("CDP {command}"), async |c| c.issue_cmd(cmd).await)
    }

    /// Lets pages of `origin` read and write the clipboard without asking (headless Chromium
    /// has a clipboard of its own, in memory).
    pub fn grant_clipboard(&self, origin: &str) {
        self.cdp(
            "Browser.grantPermissions",
            json!({
                "origin": origin,
                "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"],
            }),
        );
    }

    /// What the clipboard holds, read by the page with `navigator.clipboard.readText()`.
    pub fn read_clipboard(&self) -> String {
        let value = self.execute_async(
            "const done = arguments[arguments.length - 1];\
             navigator.clipboard.readText().then(t => done({text: t}), e => done({error: String(e)}));",
            vec![],
        );
        match value.get("text").and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => panic!("browser: reading the clipboard: {value}"),
        }
    }

    /// The cookies the browser holds for the page shown, as (name, value, secure, http_only).
    pub fn cookies(&self) -> Vec<(String, String, bool, bool)> {
        self.run("reading cookies", async |c| c.get_all_cookies().await)
            .into_iter()
            .map(|c| {
                (
                    c.name().to_owned(),
                    c.value().to_owned(),
                    c.secure().unwrap_or(false),
                    c.http_only().unwrap_or(false),
                )
            })
            .collect()
    }

    /// Forgets every cookie (signs out without the form).
    pub fn clear_cookies(&self) {
        self.run("deleting cookies", async |c| c.delete_all_cookies().await);
    }

    /// Saves a PNG of the page as `<screenshot dir>/<page>.png` and prints where.
    pub fn screenshot(&self, page: &str) -> PathBuf {
        let png = self.run(&format!("screenshot {page}"), async |c| {
            c.screenshot().await
        });
        let path = self.shots.join(format!("{page}.png"));
        crate::write_file(&path, png);
        eprintln!("screenshot: {}", path.display());
        path
    }

    /// chromedriver's PID.
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    /// chromedriver's log so far (Chromium's console messages are in it).
    pub fn driver_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("chromedriver.log")).unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the session ends Chromium; then chromedriver, by its PID.
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), client.close()).await
            });
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where a test's screenshots go: `$MODGATE_TEST_SCREENSHOTS/<test>`, else
/// `<target dir>/ui-screenshots/<test>` (the test binary is `<target>/<profile>/deps/NAME`).
/// Emptied first, so what is there is this run's.
pub fn screenshot_dir(test: &str) -> PathBuf {
    let root = match std::env::var_os("MODGATE_TEST_SCREENSHOTS").filter(|p| !p.is_empty()) {
        Some(root) => PathBuf::from(root),
        None => {
            let exe = std::env::current_exe().expect("the test binary's path");
            exe.ancestors()
                .nth(3)
                .map(|target| target.join("ui-screenshots"))
                .unwrap_or_else(|| std::env::temp_dir().join("modgate-ui-screenshots"))
        }
    };
    let dir = root.join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the screenshot directory");
    dir
}

/// Imports `ca` as a trusted CA into a new NSS database under `home/.pki/nssdb`, where Chromium
/// on Linux looks for the user's certificates.
fn trust_ca(home: &Path, ca: &Path) {
    let certutil = std::env::var_os("MODGATE_TEST_CERTUTIL")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/certutil"));
    assert!(
        certutil.is_file(),
        "{} not found: install Debian's libnss3-tools (scripts/test.sh does), or set \
         MODGATE_TEST_CERTUTIL",
        certutil.display()
    );
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).expect("creating the NSS database directory");
    let db_arg = format!("sql:{}", db.display());
    let steps: [Vec<&std::ffi::OsStr>; 2] = [
        ["-N", "-d", &db_arg, "--empty-password"]
            .map(std::ffi::OsStr::new)
            .to_vec(),
        vec![
            "-A".as_ref(),
            "-d".as_ref(),
            db_arg.as_ref(),
            "-n".as_ref(),
            "modgate test CA".as_ref(),
            "-t".as_ref(),
            "C,,".as_ref(),
            "-i".as_ref(),
            ca.as_os_str(),
        ],
    ];
    for args in steps {
        let output = Command::new(&certutil)
            .args(&args)
            .env("HOME", home)
            .output()
            .expect("running certutil");
        assert!(
            output.status.success(),
            "certutil {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn spawn_driver(bin: &Path, port: u16, home: &Path, dir: &Path) -> Child {
    // An empty environment but for HOME (the NSS database) and PATH: no proxy variables, no
    // DISPLAY, nothing of the developer's profile.
    Command::new(bin)
        .arg(format!("--port={port}"))
        .arg(format!(
            "--log-path={}",
            dir.join("chromedriver.log").display()
        ))
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .env("TMPDIR", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning {}: {e}", bin.display()))
}

async fn connect(
    port: u16,
    chromium: &Path,
    dir: &Path,
    driver: &mut Child,
) -> Result<Client, String> {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("chromedriver exited with {status}"));
        }
        if start.elapsed() > WAIT {
            return Err(format!(
                "chromedriver not listening on {port} within {WAIT:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let profile = dir.join("profile");
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| (*a).to_owned()).collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    let capabilities = json!({
        "browserName": "chrome",
        "acceptInsecureCerts": false,
        "pageLoadStrategy": "normal",
        "goog:chromeOptions": {
            "binary": chromium.display().to_string(),
            "args": args,
        },
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!("an object")
    };
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| format!("new session: {e}"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a free port")
        .port()
}

/// chromedriver's `POST /session/{id}/goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    command: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}
