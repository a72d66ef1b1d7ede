//! "SECOND": a static file server standing in for a public proxy, after modgate in GOPROXY
//! (spec 6.4) or as modgate's upstream. It logs every path it is asked for, which is how the
//! tests show that a private module's name never reached it, and it can be told to misbehave.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

pub struct Second {
    /// Owns the server task; dropping it stops the server.
    _runtime: tokio::runtime::Runtime,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    fault: Arc<Mutex<Fault>>,
}

/// How SECOND misbehaves, for every request from the moment it is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Answers after this delay.
    Slow(Duration),
    /// 500 with a one-line reason.
    Fail,
    /// Never answers.
    Hang,
    /// Zips come back with their bytes damaged (other files are served as they are).
    CorruptZip,
    /// Zips come slowly but steadily: 64 KiB, then this pause, and so on (other files are
    /// served as they are). A large zip takes far longer than any time limit in the test,
    /// with no pause anywhere near one.
    Trickle(Duration),
}

#[derive(Clone)]
struct Shared {
    root: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    fault: Arc<Mutex<Fault>>,
}

impl Second {
    pub fn start(root: &Path) -> Second {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for SECOND");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binding SECOND");
        let port = listener.local_addr().expect("SECOND's address").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let fault = Arc::new(Mutex::new(Fault::None));
        let app = Router::new().fallback(serve_file).with_state(Shared {
            root: root.to_owned(),
            log: log.clone(),
            fault: fault.clone(),
        });
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Second {
            _runtime: runtime,
            port,
            log,
            fault,
        }
    }

    pub fn set_fault(&self, fault: Fault) {
        *self.fault.lock().expect("SECOND's fault switch") = fault;
    }

    /// How many requests asked for exactly `path` (decoded, with its leading `/`).
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|p| *p == path).count()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every decoded path asked for so far.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().expect("SECOND's log").clone()
    }

    /// The paths asked for since the last call.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().expect("SECOND's log"))
    }
}

/// Percent-decodes once (the go command sends `!` as `%21`), never turns `+` into a space,
/// and answers 404 for anything that is not a file under the root.
async fn serve_file(State(shared): State<Shared>, uri: Uri) -> Response {
    let Ok(path) = percent_decode_str(uri.path()).decode_utf8() else {
        return (StatusCode::NOT_FOUND, "not UTF-8\n").into_response();
    };
    let path = path.into_owned();
    shared.log.lock().expect("SECOND's log").push(path.clone());
    let fault = *shared.fault.lock().expect("SECOND's fault switch");
    match fault {
        Fault::Slow(delay) => tokio::time::sleep(delay).await,
        Fault::Fail => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "injected failure\n").into_response();
        }
        Fault::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Fault::None | Fault::CorruptZip | Fault::Trickle(_) => {}
    }
    let relative = path.trim_start_matches('/');
    if relative
        .split('/')
        .any(|e| e.is_empty() || e == "." || e == "..")
    {
        return (StatusCode::NOT_FOUND, "bad path\n").into_response();
    }
    match tokio::fs::read(shared.root.join(relative)).await {
        Ok(mut bytes) if fault == Fault::CorruptZip && path.ends_with(".zip") => {
            // Same length, second half scrambled: only reading the zip shows it.
            let middle = bytes.len() / 2;
            for b in bytes.iter_mut().skip(middle) {
                *b ^= 0x5a;
            }
            bytes.into_response()
        }
        Ok(bytes) => match fault {
            Fault::Trickle(pause) if path.ends_with(".zip") => trickle(bytes, pause),
            _ => bytes.into_response(),
        },
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}

/// `bytes` as a body sent 64 KiB at a time, each after `pause`.
fn trickle(bytes: Vec<u8>, pause: Duration) -> Response {
    use futures::StreamExt;
    let chunks: Vec<bytes::Bytes> = bytes
        .chunks(64 * 1024)
        .map(bytes::Bytes::copy_from_slice)
        .collect();
    let stream = futures::stream::iter(chunks).then(move |chunk| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, std::io::Error>(chunk)
    });
    axum::body::Body::from_stream(stream).into_response()
}
