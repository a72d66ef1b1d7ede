//! "SECOND": a static file server standing in for a public proxy after modgate in GOPROXY
//! (spec 6.4). It logs every path it is asked for, which is how the tests show that a private
//! module's name never reached it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

pub struct Second {
    /// Owns the server task; dropping it stops the server.
    runtime: tokio::runtime::Runtime,
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct Shared {
    root: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
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
        let app = Router::new().fallback(serve_file).with_state(Shared {
            root: root.to_owned(),
            log: log.clone(),
        });
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Second { runtime, port, log }
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
    let relative = path.trim_start_matches('/');
    if relative
        .split('/')
        .any(|e| e.is_empty() || e == "." || e == "..")
    {
        return (StatusCode::NOT_FOUND, "bad path\n").into_response();
    }
    match tokio::fs::read(shared.root.join(relative)).await {
        Ok(bytes) => bytes.into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}
