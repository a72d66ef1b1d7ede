//! A loopback HTTP server for git repositories: smart HTTP through the real
//! `git http-backend` (CGI, one process per request, waited for), behind basic auth;
//! go-import pages for `?go-get=1`; and an HTTP proxy for [`CORP_HOST`], so that
//! `HTTP_PROXY=http://127.0.0.1:PORT` sends the go command, git and codehost to it for
//! `http://git.corp.example/…` (absolute-form request URIs). `CONNECT` is refused: there is
//! no TLS here, and the go command falls back to plain HTTP for a `GOINSECURE` host.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The host name the test repositories live at.
pub const CORP_HOST: &str = "git.corp.example";

/// A go-import answer: every import path below `prefix` is in the repository at
/// `repo` (a path below the served directory, e.g. `team/alpha.git`), in `subdir` if set
/// (the Go 1.25 fourth field).
#[derive(Debug, Clone)]
pub struct Route {
    pub prefix: String,
    pub repo: String,
    pub subdir: Option<String>,
}

impl Route {
    pub fn new(prefix: &str, repo: &str) -> Route {
        Route {
            prefix: prefix.to_owned(),
            repo: repo.to_owned(),
            subdir: None,
        }
    }

    pub fn subdir(mut self, subdir: &str) -> Route {
        self.subdir = Some(subdir.to_owned());
        self
    }
}

struct Shared {
    root: PathBuf,
    user: String,
    password: String,
    routes: Vec<Route>,
    log: Mutex<Vec<String>>,
}

/// The server; stopped when dropped.
pub struct GitServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

impl GitServer {
    /// Serves the bare repositories below `root`; git requests need `user:password`.
    pub fn start(root: &Path, user: &str, password: &str, routes: Vec<Route>) -> GitServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
        let addr = listener.local_addr().expect("local address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            user: user.to_owned(),
            password: password.to_owned(),
            routes,
            log: Mutex::new(Vec::new()),
        });
        let accept = {
            let stop = stop.clone();
            let shared = shared.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let shared = shared.clone();
                            std::thread::spawn(move || {
                                let _ = serve(stream, &shared);
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        GitServer {
            addr,
            stop,
            accept: Some(accept),
            shared,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// What to put in `HTTP_PROXY`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A repository's URL on the loopback address, no proxy needed.
    pub fn direct_url(&self, repo: &str) -> String {
        format!("http://{}/{repo}", self.addr)
    }

    /// One line per request: `METHOD host path-and-query`.
    pub fn log(&self) -> Vec<String> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.accept.take() {
            let _ = handle.join();
        }
    }
}

struct Request {
    method: String,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Request> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let (host, path_query) = match target.strip_prefix("http://") {
        Some(rest) => {
            let slash = rest.find('/').unwrap_or(rest.len());
            (rest[..slash].to_owned(), rest[slash..].to_owned())
        }
        None => (get("host").unwrap_or_default(), target.clone()),
    };
    let (path, query) = match path_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (path_query, String::new()),
    };
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                let mut end = String::new();
                reader.read_line(&mut end)?;
                break;
            }
            let mut chunk = vec![0; size];
            reader.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk);
            let mut crlf = [0; 2];
            reader.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = get("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Request {
        method,
        host,
        path,
        query,
        headers,
        body,
    })
}

fn respond(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

fn serve(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    let request = read_request(&mut reader)?;
    if let Ok(mut log) = shared.log.lock() {
        log.push(format!(
            "{} {} {}?{}",
            request.method, request.host, request.path, request.query
        ));
    }
    let host = request.host.split(':').next().unwrap_or("");
    if request.method == "CONNECT" || !(host == CORP_HOST || host == "127.0.0.1") {
        return respond(
            &mut stream,
            502,
            &[],
            b"this proxy serves only http://git.corp.example\n",
        );
    }
    if request.query.split('&').any(|kv| kv == "go-get=1") {
        return go_import(&mut stream, shared, &request);
    }
    if !authorized(shared, &request) {
        return respond(
            &mut stream,
            401,
            &[("WWW-Authenticate".into(), "Basic realm=\"git\"".into())],
            b"authentication required\n",
        );
    }
    http_backend(&mut stream, shared, &request)
}

fn go_import(stream: &mut TcpStream, shared: &Shared, request: &Request) -> std::io::Result<()> {
    let import_path = format!("{CORP_HOST}{}", request.path.trim_end_matches('/'));
    let route = shared
        .routes
        .iter()
        .find(|r| import_path == r.prefix || import_path.starts_with(&format!("{}/", r.prefix)));
    let Some(route) = route else {
        return respond(stream, 404, &[], b"no such repository\n");
    };
    let subdir = route
        .subdir
        .as_deref()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let page = format!(
        "<!DOCTYPE html>\n<html><head>\n<meta name=\"go-import\" content=\"{} git http://{CORP_HOST}/{}{subdir}\">\n</head><body>go get {}</body></html>\n",
        route.prefix, route.repo, route.prefix
    );
    respond(
        stream,
        200,
        &[("Content-Type".into(), "text/html; charset=utf-8".into())],
        page.as_bytes(),
    )
}

fn authorized(shared: &Shared, request: &Request) -> bool {
    let Some(auth) = request.header("authorization") else {
        return false;
    };
    let Some(encoded) = auth.strip_prefix("Basic ") else {
        return false;
    };
    decode_base64(encoded.trim())
        .is_some_and(|d| d == format!("{}:{}", shared.user, shared.password).into_bytes())
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let s = s.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn http_backend(stream: &mut TcpStream, shared: &Shared, request: &Request) -> std::io::Result<()> {
    let exec_path = Command::new("git").arg("--exec-path").output()?;
    let exec_path = String::from_utf8_lossy(&exec_path.stdout).trim().to_owned();
    let mut command = Command::new(Path::new(&exec_path).join("git-http-backend"));
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", &shared.root)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PROJECT_ROOT", &shared.root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", &request.path)
        .env("QUERY_STRING", &request.query)
        .env("REQUEST_METHOD", &request.method)
        .env("REMOTE_USER", &shared.user)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("CONTENT_LENGTH", request.body.len().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (header, var) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(v) = request.header(header) {
            command.env(var, v);
        }
    }
    let mut child = command.spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let body = request.body.clone();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&body);
    });
    let output = child.wait_with_output()?;
    let _ = writer.join();
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, sep)) = split else {
        return respond(stream, 500, &[], b"git http-backend failed\n");
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("status") {
                status = v
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(500);
            } else {
                headers.push((k.to_owned(), v.to_owned()));
            }
        }
    }
    respond(stream, status, &headers, &out[end + sep..])
}
