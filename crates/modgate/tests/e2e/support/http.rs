//! HTTP from the tests' side: reqwest for ordinary requests, a raw socket for request lines
//! that a URL parser would rewrite (`..` and `.` segments are resolved away by reqwest).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// A blocking facade over an async reqwest client: the tests are plain `#[test]` functions,
/// because the go-driven ones run subprocesses and gain nothing from async.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
}

/// A response, read in full.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Lower-case names, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Http {
    /// `base` is `http://127.0.0.1:PORT` or `https://…`; `ca` is trusted in addition to nothing
    /// else, so a test can never reach a real server by mistake.
    pub fn new(base: &str, ca: Option<&Path>) -> Http {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for reqwest");
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .tls_built_in_root_certs(false);
        if let Some(ca) = ca {
            let pem = std::fs::read(ca).expect("reading the CA");
            builder =
                builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA PEM"));
        }
        Http {
            runtime,
            client: builder.build().expect("building the HTTP client"),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.runtime
    }

    pub fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[])
    }

    /// One request; `path` starts with `/`.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
        self.send_body(method, path, headers, None)
    }

    /// One request with a body (an upload); `path` starts with `/`.
    pub fn send_body(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let url = format!("{}{path}", self.base);
        self.runtime.block_on(async {
            let mut request = self.client.request(method, &url);
            for (name, value) in headers {
                request = request.header(*name, *value);
            }
            if let Some(body) = body {
                request = request.body(body);
            }
            let response = request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{url}: {e:?}"));
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let body = response
                .bytes()
                .await
                .unwrap_or_else(|e| panic!("{url}: reading the body: {e:?}"))
                .to_vec();
            Reply {
                status,
                headers,
                body,
            }
        })
    }

    /// Whether /healthz answers 200 right now.
    pub fn healthy(&self) -> bool {
        let url = format!("{}/healthz", self.base);
        self.runtime.block_on(async {
            let request = self.client.get(&url).timeout(Duration::from_secs(2));
            matches!(request.send().await, Ok(r) if r.status() == reqwest::StatusCode::OK)
        })
    }
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// DESIGN.md's error shape, which the go command shows to the user (spec 1.5): the status,
    /// `text/plain` in UTF-8, and exactly one non-empty line. Returns the line.
    pub fn assert_error(&self, status: u16, what: &str) -> String {
        assert_eq!(
            self.status,
            status,
            "{what}: status; body {:?}",
            self.text()
        );
        let content_type = self.header("content-type").unwrap_or_default();
        assert_eq!(
            content_type, "text/plain; charset=utf-8",
            "{what}: content type"
        );
        let text = self.text();
        let line = text
            .strip_suffix('\n')
            .unwrap_or_else(|| panic!("{what}: body {text:?} does not end in a newline"));
        assert!(
            !line.trim().is_empty() && !line.contains('\n') && !line.chars().any(char::is_control),
            "{what}: body {text:?} is not one printable line"
        );
        assert!(line.len() <= 648, "{what}: body longer than go shows");
        line.to_owned()
    }
}

/// Sends `request_head` (request line and headers, without the final blank line) as it is,
/// with `Connection: close`, and reads the response.
pub fn raw_request(port: u16, request_head: &str) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    let head = format!(
        "{}\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n",
        request_head.trim_end()
    );
    stream
        .write_all(head.as_bytes())
        .expect("writing the request");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("{request_head}: reading the response: {e}"));
    parse_response(&raw).unwrap_or_else(|| {
        panic!(
            "{request_head}: unparsable response {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

fn parse_response(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let rest = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// An upload begun on a raw socket with `head` (request line, headers and any body bytes):
/// tests send bodies that lie about their length, or stop half-way.
pub fn raw_upload(port: u16, head: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("read timeout");
    stream.write_all(head.as_bytes()).expect("sending the head");
    stream
}

/// The status of the answer on `stream`, once the server has closed it.
pub fn read_status(stream: &mut TcpStream) -> Option<u16> {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    text.split(' ').nth(1)?.parse().ok()
}
