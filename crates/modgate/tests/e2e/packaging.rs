//! What ships around the server: `--version` with the commit, completions and the manual page
//! generated from the CLI, `check-config` on every example config in `packaging/examples`,
//! `healthcheck` (the container's HEALTHCHECK), and the progress lines of long commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::{
    Modgate, TestCa, modgate_command, public_tree, temp_dir, write_file, write_htpasswd,
};

fn run(args: &[&str]) -> Output {
    modgate_command()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("running modgate")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn version_names_the_commit() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("modgate {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    // Built from a git checkout (as tests are), it is that checkout's commit.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|h| h.status.success());
    if let Some(head) = head {
        let head = text(&head.stdout);
        assert!(version.contains(head.trim()), "{version} vs HEAD {head}");
    }
}

#[test]
fn completions_and_the_manual_page_come_from_the_cli() {
    let bash = run(&["completions", "bash"]);
    assert!(bash.status.success());
    let bash = text(&bash.stdout);
    for subcommand in ["serve", "publish", "import", "doctor", "check-config"] {
        assert!(
            bash.contains(subcommand),
            "{subcommand} not in bash completions"
        );
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]);
        assert!(
            out.status.success() && text(&out.stdout).contains("prefetch"),
            "{shell}"
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));

    let man = run(&["man"]);
    assert!(man.status.success());
    let man = text(&man.stdout);
    // clap_mangen's two-line string preamble, then the title.
    let title = man
        .lines()
        .find(|l| l.starts_with(".TH"))
        .expect("a .TH line");
    assert!(title.starts_with(".TH modgate 1"), "{title}");
    assert!(man.lines().take(3).any(|l| l.starts_with(".TH")), "{man}");
    for section in [
        ".SH \"MODGATE SERVE\"",
        ".SH \"MODGATE DOCTOR\"",
        ".SS \"MODGATE SUMDB INIT\"",
    ] {
        assert!(man.contains(section), "{section} not in the manual page");
    }
    assert!(
        man.contains("\\-\\-tls\\-cert") || man.contains("--tls-cert"),
        "serve's flags"
    );
}

/// Each example, with its absolute paths moved into a temp directory holding the files they
/// name (a real TLS pair, an htpasswd file, a signing key), loads as `serve` would load it.
#[test]
fn every_example_config_loads() {
    let examples = repository_root().join("packaging/examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).expect("packaging/examples") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let dir = temp_dir();
        let config = relocate(&path, dir.path());
        let out = run(&["check-config", "--config", config.to_str().expect("UTF-8")]);
        assert!(
            out.status.success() && text(&out.stdout).starts_with("config OK"),
            "{}: {}{}",
            path.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
        checked += 1;
    }
    assert_eq!(checked, 3, "three example configs");

    let dir = temp_dir();
    let bad = dir.path().join("modgate.toml");
    write_file(&bad, "[storage]\nkind = \"tape\"\n");
    let out = run(&["check-config", "--config", bad.to_str().expect("UTF-8")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("storage.kind"));
}

/// Copies the example to `dir`, its `/etc/modgate` and `/var/lib/modgate` moved below `dir`,
/// with the files it names there.
fn relocate(example: &Path, dir: &Path) -> PathBuf {
    let etc = dir.join("etc");
    let original = std::fs::read_to_string(example).expect("reading the example");
    let relocated = original
        .replace("/etc/modgate/", &format!("{}/", etc.display()))
        .replace(
            "/var/lib/modgate/",
            &format!("{}/", dir.join("var").display()),
        );
    std::fs::create_dir_all(etc.join("tls")).expect("etc/tls");
    TestCa::create(&etc.join("tls"));
    write_htpasswd(
        &etc.join("htpasswd"),
        &[("alice", "a"), ("bob", "b"), ("ci-publisher", "c")],
    );
    let key = run(&[
        "sumdb",
        "init",
        "--name",
        "sum.corp.example",
        "--key-file",
        etc.join("sumdb.key").to_str().expect("UTF-8"),
    ]);
    assert!(key.status.success(), "{}", text(&key.stderr));
    let config = dir.join(example.file_name().expect("a file name"));
    write_file(&config, relocated);
    config
}

#[test]
fn healthcheck_asks_the_configured_listener() {
    let dir = temp_dir();
    let ca = TestCa::create(dir.path());
    let config = dir.path().join("modgate.toml");
    let tls = format!(
        "[tls]\ncert = \"{}\"\nkey = \"{}\"\n",
        ca.cert.display(),
        ca.key.display()
    );
    write_file(&config, &tls);
    let server = Modgate::start(&dir.path().join("store"), Some(&config), Some(&ca.ca));
    // The config as the container has it: the listener's address, its TLS.
    write_file(
        &config,
        format!("[server]\nlisten = \"0.0.0.0:{}\"\n{tls}", server.port()),
    );
    let out = run(&["healthcheck", "--config", config.to_str().expect("UTF-8")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains(&format!("https://127.0.0.1:{}/healthz: 200", server.port()))
    );

    let url = server.url();
    drop(server);
    let out = run(&["healthcheck", "--url", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
}

/// With stderr not a terminal, `import` and `verify` print plain progress lines and a summary;
/// on a terminal (`script`), a bar instead of the lines, and the same summary.
#[test]
fn long_commands_print_plain_progress_lines_unless_on_a_terminal() {
    let dir = temp_dir();
    let tree = public_tree(&dir.path().join("tree"));
    let versions = crate::support::files_below(tree.root())
        .iter()
        .filter(|f| f.ends_with(".info"))
        .count();
    let store = dir.path().join("store");
    let tree_arg = tree.root().to_str().expect("UTF-8");
    let out = run(&[
        "import",
        tree_arg,
        "--store",
        store.to_str().expect("UTF-8"),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("import: 1/"), "{stderr}");
    let summary = format!("import: {versions}/{versions} in ");
    assert!(
        stderr
            .lines()
            .last()
            .is_some_and(|l| l.starts_with(&summary)),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no escape sequences in plain lines: {stderr}"
    );

    let out = run(&["verify", "--store", store.to_str().expect("UTF-8")]);
    assert!(text(&out.stderr).contains(&format!("verify: {versions}/{versions} in ")));

    let script = Command::new("script").arg("--version").output();
    if script.is_err() {
        eprintln!("no script(1): the terminal case is not checked");
        return;
    }
    let command = format!(
        "{} import {tree_arg} --store {}",
        env!("CARGO_BIN_EXE_modgate"),
        dir.path().join("store2").display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("running script");
    let both = text(&out.stdout);
    assert!(out.status.success(), "{both}");
    assert!(both.contains(&summary), "{both}");
    assert!(
        !both.contains("import: 1/"),
        "plain lines on a terminal: {both}"
    );
}
