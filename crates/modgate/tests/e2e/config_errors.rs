//! A config that cannot be used stops `modgate serve` at once with exit code 2 and a message
//! that names what is wrong: the key, the file, the line. An operator reads it in a unit's
//! journal, so it has to say where to look.

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use crate::support::{modgate_command, temp_dir, wait_until, write_file, write_htpasswd};

/// Validation is synchronous and local; anything slower means the server started serving.
const EXIT_LIMIT: Duration = Duration::from_secs(10);

/// Writes `config` to `dir/modgate.toml` and runs `modgate serve` with it until it exits.
fn serve(dir: &Path, config: &str) -> (ExitStatus, String) {
    let config_path = dir.join("modgate.toml");
    write_file(&config_path, config);
    let stderr_path = dir.join("stderr.log");
    let mut child = modgate_command()
        .current_dir(dir)
        .arg("serve")
        .arg("--config")
        .arg(&config_path)
        .args(["--listen", "127.0.0.1:0", "--store"])
        .arg(dir.join("store"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("spawning modgate");
    let mut status = None;
    wait_until(EXIT_LIMIT, || {
        status = child.try_wait().expect("waiting for modgate");
        status.is_some()
    });
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("modgate still running after {EXIT_LIMIT:?} with a bad config:\n{stderr}");
    };
    (status, stderr)
}

#[track_caller]
fn assert_config_error(status: ExitStatus, stderr: &str, needles: &[&str]) {
    assert_eq!(status.code(), Some(2), "exit status; stderr:\n{stderr}");
    for needle in needles {
        assert!(
            stderr.contains(needle),
            "{needle:?} not in stderr:\n{stderr}"
        );
    }
}

#[test]
fn an_unknown_key_is_named() {
    let dir = temp_dir();
    let (status, stderr) = serve(dir.path(), "[server]\nlisen = \"127.0.0.1:9\"\n");
    assert_config_error(status, &stderr, &["unknown field `lisen`", "modgate.toml"]);
}

#[test]
fn a_route_prefix_that_is_not_a_module_path_is_named() {
    let dir = temp_dir();
    let config = "[[route]]\nprefix = \"corp.example\"\n\n[[route]]\nprefix = \"corp.example/\"\nprivate = true\n";
    let (status, stderr) = serve(dir.path(), config);
    assert_config_error(status, &stderr, &["route[1].prefix", "corp.example/"]);
}

#[test]
fn a_missing_tls_file_is_named() {
    let dir = temp_dir();
    write_file(&dir.path().join("key.pem"), "not used\n");
    let config = "[tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n";
    let (status, stderr) = serve(dir.path(), config);
    let missing = dir.path().join("cert.pem").display().to_string();
    assert_config_error(status, &stderr, &["tls.cert", &missing]);
}

#[test]
fn an_unsupported_htpasswd_hash_is_named_with_its_line() {
    let dir = temp_dir();
    let htpasswd = dir.path().join("htpasswd");
    write_htpasswd(&htpasswd, &[("alice", "s3cret")]);
    let mut text = std::fs::read_to_string(&htpasswd).expect("htpasswd");
    // What `htpasswd` writes without -B: Apache's MD5 scheme.
    text.push_str("bob:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n");
    write_file(&htpasswd, text);
    let (status, stderr) = serve(dir.path(), "[auth]\nhtpasswd = \"htpasswd\"\n");
    let path = htpasswd.display().to_string();
    assert_config_error(status, &stderr, &[&path, "line 2", "$apr1$"]);
}

/// Every subcommand that reads a config stops with 2 on a bad one, as `serve` does: a script
/// running `modgate import` in a pipeline tells "fix the config" from "a version was rejected".
#[test]
fn every_subcommand_exits_2_on_a_bad_config() {
    let dir = temp_dir();
    let config = dir.path().join("modgate.toml");
    write_file(&config, "[storage]\nkind = \"tape\"\n");
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(&tree).expect("a tree");
    let runs: [&[&str]; 5] = [
        &["import", tree.to_str().expect("UTF-8")],
        &["export", tree.to_str().expect("UTF-8")],
        &["prefetch", "example.com/m@v1.0.0"],
        &[
            "bundle",
            "create",
            "b.tar.zst",
            "--modules",
            "example.com/m@v1.0.0",
        ],
        &["bundle", "import", tree.to_str().expect("UTF-8")],
    ];
    for args in runs {
        let out = modgate_command()
            .current_dir(dir.path())
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("running modgate");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_config_error(out.status, &stderr, &["storage.kind", "tape"]);
    }
}
