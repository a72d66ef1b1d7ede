//! Issue 2: a renewed TLS certificate is picked up without a restart, on SIGHUP and when the
//! files change on disk, and a broken renewal keeps the previous certificate in service.

use std::process::Command;
use std::time::Duration;

use crate::support::{Http, Modgate, TestCa, temp_dir, wait_until, write_file};

/// Longer than one `reload_check_secs` poll, with room for a loaded machine.
const RELOAD_LIMIT: Duration = Duration::from_secs(15);

#[test]
fn certificate_reloads_on_sighup_on_change_and_survives_a_broken_renewal() {
    let dir = temp_dir();
    let first = TestCa::create(&dir.path().join("first"));
    let second = TestCa::create(&dir.path().join("second"));
    let served_cert = dir.path().join("cert.pem");
    let served_key = dir.path().join("key.pem");
    let install = |ca: &TestCa| {
        std::fs::copy(&ca.cert, &served_cert).expect("copying cert");
        std::fs::copy(&ca.key, &served_key).expect("copying key");
    };
    install(&first);
    let config = dir.path().join("modgate.toml");
    write_file(
        &config,
        "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\nreload_check_secs = 1\n",
    );
    let store = dir.path().join("store");
    std::fs::create_dir_all(&store).expect("store");
    let server = Modgate::start(&store, Some(&config), Some(&first.ca));
    let trusting = |ca: &TestCa| Http::new(&server.url(), Some(&ca.ca));

    assert!(trusting(&first).healthy());
    assert!(
        !trusting(&second).healthy(),
        "the second CA must not verify the first certificate"
    );

    // SIGHUP, the operator's explicit reload (the poll may notice too; the next step checks
    // the poll alone).
    install(&second);
    hang_up(&server);
    assert!(
        wait_until(RELOAD_LIMIT, || trusting(&second).healthy()),
        "the renewed certificate was not served after SIGHUP: {}",
        server.stderr()
    );

    // A file change alone, no signal.
    install(&first);
    assert!(
        wait_until(RELOAD_LIMIT, || trusting(&first).healthy()),
        "the changed files were not picked up: {}",
        server.stderr()
    );

    // A half-written renewal: the old certificate stays in service.
    write_file(&served_cert, "-----BEGIN CERTIFICATE-----\ntruncated\n");
    hang_up(&server);
    assert!(
        wait_until(RELOAD_LIMIT, || server
            .stderr()
            .contains("TLS reload failed")),
        "a broken certificate file was not reported: {}",
        server.stderr()
    );
    assert!(
        trusting(&first).healthy(),
        "the previous certificate must stay in service"
    );
}

/// SIGHUP: the operator's "reload the certificate now".
fn hang_up(server: &Modgate) {
    let hup = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(hup.success());
}
