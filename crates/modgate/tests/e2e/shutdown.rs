//! SIGTERM (how service managers stop a server) lets downloads in flight finish before the
//! process exits 0: a `go build` in CI must not see a truncated zip because of a deploy.

use std::time::{Duration, Instant};

use crate::support::{Modgate, TreeBuilder, noise, temp_dir};

/// Large enough that most of it is still on the server's side when the signal arrives, even
/// with generous socket buffers.
const ZIP_PAYLOAD: usize = 20 << 20;
/// Read before the signal.
const HEAD_START: usize = 1 << 20;
/// The pace after it: the rest takes a couple of seconds, well inside the default 30 s drain.
const SLOW_READ_BYTES_PER_SEC: f64 = 8.0 * 1024.0 * 1024.0;

#[test]
fn sigterm_lets_a_download_in_flight_finish() {
    let dir = temp_dir();
    let tree = TreeBuilder::new(dir.path().join("store"));
    tree.add_large("example.com/big", "v1.0.0", "blob.bin", &noise(ZIP_PAYLOAD));
    let want = std::fs::read(tree.file("example.com/big", "v1.0.0", "zip")).expect("the zip");

    let mut server = Modgate::start(tree.root(), None, None);
    let http = server.http();
    let url = format!("{}/example.com/big/@v/v1.0.0.zip", http.base());
    let got = http.runtime().block_on(async {
        let mut response = http.client().get(&url).send().await.expect("GET the zip");
        assert_eq!(response.status(), 200);
        assert_eq!(response.content_length(), Some(want.len() as u64));
        let mut body = Vec::with_capacity(want.len());
        while body.len() < HEAD_START {
            let chunk = response
                .chunk()
                .await
                .expect("reading")
                .expect("ended early");
            body.extend_from_slice(&chunk);
        }

        server.terminate();

        let (resumed_at, started) = (body.len(), Instant::now());
        while let Some(chunk) = response
            .chunk()
            .await
            .expect("the download broke off after SIGTERM")
        {
            body.extend_from_slice(&chunk);
            let due = (body.len() - resumed_at) as f64 / SLOW_READ_BYTES_PER_SEC;
            if let Some(wait) = Duration::from_secs_f64(due).checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
        body
    });
    assert_eq!(got.len(), want.len(), "the download was cut short");
    assert!(got == want, "the download arrived corrupted");

    let status = server
        .wait_exit(Duration::from_secs(40))
        .unwrap_or_else(|| panic!("still running after SIGTERM:\n{}", server.stderr()));
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
}
