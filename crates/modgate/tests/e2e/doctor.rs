//! `modgate doctor` against a running modgate over TLS, with the real go commands' settings:
//! `go env -json` reflects the environment doctor runs in, so each case sets it as a developer's
//! shell would.

use std::path::Path;

use crate::support::{
    GoClient, Modgate, TestCa, go_clients, modgate_command, private_tree, temp_dir, tls_config,
    write_file, write_htpasswd,
};

/// One private route; users from htpasswd over TLS (`tls_config`).
const ROUTES: &str = r#"
[[route]]
prefix = "corp.example"
private = true
"#;

struct Setup {
    server: Modgate,
    ca: TestCa,
    dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = temp_dir();
    let ca = TestCa::create(dir.path());
    write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
    let config = dir.path().join("modgate.toml");
    write_file(&config, tls_config(&[], ROUTES));
    private_tree(&dir.path().join("store"));
    let server = Modgate::start(&dir.path().join("store"), Some(&config), Some(&ca.ca));
    Setup { server, ca, dir }
}

impl Setup {
    /// The environment of a developer set up as the README says.
    fn good_env(&self) -> Vec<(String, String)> {
        let home = self.dir.path().join("home");
        std::fs::create_dir_all(&home).expect("a home");
        let netrc = self.netrc(&format!(
            "machine 127.0.0.1:{port} login alice password s3cret\n\
             machine 127.0.0.1 login alice password s3cret\n",
            port = self.server.port()
        ));
        let path = |p: &Path| p.display().to_string();
        [
            ("PATH", "/usr/bin:/bin".to_owned()),
            ("HOME", path(&home)),
            ("GOENV", "off".to_owned()),
            ("GOTOOLCHAIN", "local".to_owned()),
            ("GOPATH", path(&self.dir.path().join("gopath"))),
            ("GOCACHE", path(&self.dir.path().join("cache"))),
            ("GOPROXY", self.server.url()),
            ("GONOPROXY", "none".to_owned()),
            ("GONOSUMDB", "corp.example".to_owned()),
            ("SSL_CERT_FILE", path(&self.ca.ca)),
            ("NETRC", netrc),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    fn netrc(&self, text: &str) -> String {
        let path = self.dir.path().join(format!("netrc-{:x}", text.len()));
        write_file(&path, text);
        path.display().to_string()
    }

    /// `modgate doctor --go GO` with `good_env` changed by `changes` ("" removes a variable).
    fn doctor(&self, go: &GoClient, changes: &[(&str, &str)]) -> (Option<i32>, String) {
        let mut env = self.good_env();
        for (key, value) in changes {
            env.retain(|(k, _)| k != key);
            if !value.is_empty() {
                env.push(((*key).to_owned(), (*value).to_owned()));
            }
        }
        let out = modgate_command()
            .env_clear()
            .envs(env)
            .arg("doctor")
            .arg("--go")
            .arg(&go.bin)
            .output()
            .expect("running modgate doctor");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }
}

/// What is changed, how, and what doctor must say.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);

#[test]
#[ignore = "needs go"]
fn doctor_passes_a_good_setup_and_names_what_is_wrong() {
    let setup = setup();
    let port = setup.server.port();
    for go in go_clients() {
        let (code, text) = setup.doctor(&go, &[]);
        assert_eq!(code, Some(0), "{}: {text}", go.version);
        assert!(text.contains("all well"), "{}: {text}", go.version);
    }
    let current = go_clients()
        .into_iter()
        .max_by_key(GoClient::minor)
        .expect("a go client");
    let host_only = setup.netrc("machine 127.0.0.1 login alice password s3cret\n");
    let wrong = setup.netrc(&format!(
        "machine 127.0.0.1:{port} login alice password wrong\n"
    ));
    let public_first = format!("https://proxy.golang.org,{}", setup.server.url());
    let cases: [Case<'_>; 5] = [
        (
            "no CA",
            vec![("SSL_CERT_FILE", "")],
            &["does not trust", "SSL_CERT_FILE"],
        ),
        (
            ".netrc without the port",
            vec![("NETRC", &host_only)],
            &[
                &format!("looks for `machine 127.0.0.1:{port}`"),
                "has none for",
            ],
        ),
        (
            "a wrong password",
            vec![("NETRC", &wrong)],
            &["refused alice's credentials"],
        ),
        (
            "GOPRIVATE alone",
            vec![("GONOPROXY", ""), ("GOPRIVATE", "corp.example")],
            &["GONOPROXY=\"corp.example\"", "go env -w GONOPROXY=none"],
        ),
        (
            "a public proxy first",
            vec![("GOPROXY", &public_first)],
            &["public proxy"],
        ),
    ];
    for (what, changes, says) in cases {
        let (code, text) = setup.doctor(&current, &changes);
        assert_eq!(code, Some(1), "{what}: {text}");
        for needle in says {
            assert!(text.contains(needle), "{what}: {needle:?} not in:\n{text}");
        }
        assert!(
            text.contains("problem: ") && text.contains("change: "),
            "{what}: {text}"
        );
        assert!(
            !text.contains("s3cret"),
            "{what}: a password shown:\n{text}"
        );
    }
    // Go 1.19 matches the host name alone.
    if let Some(old) = go_clients().into_iter().find(|c| c.minor() < 24) {
        let port_only = setup.netrc(&format!(
            "machine 127.0.0.1:{port} login alice password s3cret\n"
        ));
        let (code, text) = setup.doctor(&old, &[("NETRC", &port_only)]);
        assert_eq!(code, Some(1), "{text}");
        assert!(text.contains("matches the host name alone"), "{text}");
    }
}
