//! The git source, with the go command in direct mode as the reference: the repositories of
//! testkit's fixture, served by the real `git http-backend` behind basic auth, read by modgate
//! with its own credentials (no `git` binary), and asked for by both go clients over TLS as a
//! user. For every module and query the fixture lists, what a client gets through modgate (the
//! version list, each version, its time, go.mod and hashes, or an error) is what it gets from
//! the repositories directly.

use std::path::Path;

use testkit::fixture::{self, CASES, KNOWN_DIFFERENCES, USER};
use testkit::go::{Downloaded, GoClient, GoEnv, go_clients};

use crate::support::{Modgate, TestCa, temp_dir, tls_config, write_file, write_htpasswd};

/// A git route for the fixture's host, found by go-import discovery as the go command finds
/// it; the fixture's server speaks plain http, hence `insecure_http`.
const ROUTES: &str = r#"
[[route]]
prefix = "git.corp.example"
source = "git"

[route.git]
url = "http://git.corp.example/{repo}.git"
discovery = "http://{path}?go-get=1"
username = "modgate"
password_file = "git-password"
insecure_http = true
"#;

/// modgate in front of the fixture's git server, over TLS with the user `alice`.
pub struct GitProxy {
    pub server: Modgate,
    pub ca: TestCa,
    pub fixture: fixture::Fixture,
    pub dir: tempfile::TempDir,
}

impl GitProxy {
    pub fn start(git_password: &str) -> GitProxy {
        let fixture = fixture::build();
        let dir = temp_dir();
        let ca = TestCa::create(dir.path());
        write_htpasswd(&dir.path().join("htpasswd"), &[("alice", "s3cret")]);
        write_file(&dir.path().join("git-password"), git_password);
        let config = dir.path().join("modgate.toml");
        write_file(&config, tls_config(&[], ROUTES));
        let proxy = fixture.server.proxy_url();
        let server = Modgate::start_with_env(
            &dir.path().join("store"),
            Some(&config),
            Some(&ca.ca),
            &[],
            &[
                ("HTTP_PROXY", Path::new(&proxy)),
                ("http_proxy", Path::new(&proxy)),
            ],
        );
        GitProxy {
            server,
            ca,
            fixture,
            dir,
        }
    }

    /// A go client of modgate, trusting the test CA, as alice.
    pub fn go(&self, client: &GoClient) -> GoEnv {
        self.server.go_as(client, &self.ca.ca, "alice", "s3cret")
    }

    /// A go client of the repositories themselves.
    pub fn direct(&self, client: &GoClient) -> GoEnv {
        GoEnv::direct(
            client,
            &self.fixture.server.proxy_url(),
            USER,
            fixture::PASSWORD,
        )
    }
}

/// Versions the go command downloads in direct mode but modgate refuses, as it refuses them
/// from any source: a tag whose go.mod names another module of the same major version
/// (`findDir` in cmd/go checks only the major). No build can use one: the go command stops at
/// "module declares its path as … but was required as …" when it loads the go.mod.
const REFUSED_BY_MODGATE: &[&str] = &["git.corp.example/team/renamed@v1.1.0"];

/// What a client learnt of one `module@query`: comparable across module caches.
#[derive(Debug, PartialEq)]
enum Learnt {
    Version {
        version: String,
        time: String,
        go_mod: String,
        sum: String,
        go_mod_sum: String,
    },
    Error,
}

fn learnt(d: &Downloaded) -> Learnt {
    if d.error.is_some() {
        return Learnt::Error;
    }
    let (version, time) = d.info();
    Learnt::Version {
        version,
        time,
        go_mod: String::from_utf8_lossy(&d.go_mod_bytes()).into_owned(),
        sum: d.sum.clone(),
        go_mod_sum: d.go_mod_sum.clone(),
    }
}

#[test]
#[ignore = "needs go"]
fn every_case_answers_as_the_repositories_do_in_direct_mode() {
    let proxy = GitProxy::start(fixture::PASSWORD);
    let mut differences = Vec::new();
    let mut compared = 0;
    for client in go_clients() {
        let (direct, via) = (proxy.direct(&client), proxy.go(&client));
        for (module, queries, min_minor) in CASES {
            if client.minor() < *min_minor {
                continue;
            }
            let (want, got) = (direct.versions(module), via.versions(module));
            if want.is_ok() != got.is_ok() || (want.is_ok() && want != got) {
                differences.push(format!(
                    "[{}] {module} versions: direct {want:?}, modgate {got:?}",
                    client.version
                ));
            }
            let specs: Vec<String> = queries
                .iter()
                .map(|q| format!("{module}@{}", proxy.fixture.query(q)))
                .collect();
            let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
            let want = direct.download_each(&specs);
            let got = via.download_each(&specs);
            for ((spec, want), got) in specs.iter().zip(&want).zip(&got) {
                let known = KNOWN_DIFFERENCES
                    .iter()
                    .any(|(s, minors, _)| s == spec && minors.contains(&client.minor()))
                    || REFUSED_BY_MODGATE.contains(spec);
                compared += 1;
                let (want, got) = (learnt(want), learnt(got));
                if want != got && !known {
                    differences.push(format!(
                        "[{}] {spec}:\n   direct:  {want:?}\n   modgate: {got:?}",
                        client.version
                    ));
                }
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{} of {compared} answers differ from direct mode:\n{}\nmodgate's log:\n{}",
        differences.len(),
        differences.join("\n"),
        proxy.server.stderr()
    );
}

/// modgate's credentials are its own: refused ones answer by the route's no-leak rules (a
/// refusal, never a 404 that would send the go command elsewhere), and nothing is stored.
/// `alice:s3cret`, as Basic credentials.
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";

#[test]
fn refused_credentials_and_missing_repositories_are_refusals() {
    let proxy = GitProxy::start("wrong-password");
    let http = proxy.server.http();
    for path in [
        "/git.corp.example/team/alpha/@v/list",
        "/git.corp.example/team/alpha/@v/v1.0.0.info",
        "/git.corp.example/nothere/@v/v1.0.0.info",
    ] {
        let reply = http.send("GET", path, &[("authorization", ALICE)]);
        assert_eq!(reply.status, 403, "{path}: {}", reply.text());
        assert!(
            reply.text().contains("not asking elsewhere"),
            "{path}: {}",
            reply.text()
        );
    }
    assert!(
        !proxy.dir.path().join("store/git.corp.example").exists(),
        "nothing may be stored"
    );
    assert!(
        !proxy.server.stderr().contains("wrong-password"),
        "the password in a log line"
    );
}

/// A config for one small repository, `team/mover`, on the test git server: found by depth,
/// refreshed only by push webhooks (the mirror is trusted for an hour).
fn mover_config(url: &str) -> String {
    format!(
        r#"
[[route]]
prefix = "git.corp.example"
source = "git"

[route.git]
url = "{url}"
root_depth = 3
username = "modgate"
password_file = "git-password"
insecure_http = true
refresh_secs = 3600
webhook_secret_file = "webhook-secret"
"#
    )
}

/// `team/mover`: v1.0.0 on its first commit, a second commit not tagged yet.
struct Mover {
    server: Modgate,
    git: testkit::git_server::GitServer,
    bare: std::path::PathBuf,
    second: String,
    dir: tempfile::TempDir,
}

impl Mover {
    fn start(url_template: Option<&str>) -> Mover {
        let dir = temp_dir();
        let repo = testkit::git::GitRepo::init(&dir.path().join("work"), "main");
        repo.write(&[
            ("go.mod", "module git.corp.example/team/mover\n\ngo 1.19\n"),
            ("m.go", "package mover\n\nconst V = 1\n"),
        ]);
        repo.commit("one", "2024-01-01T00:00:00Z");
        repo.tag("v1.0.0");
        repo.write(&[("m.go", "package mover\n\nconst V = 2\n")]);
        let second = repo.commit("two", "2024-02-01T00:00:00Z");
        let served = dir.path().join("served");
        let bare = served.join("team/mover.git");
        repo.publish(&bare);
        let git = testkit::git_server::GitServer::start(&served, USER, fixture::PASSWORD, vec![]);
        write_file(&dir.path().join("git-password"), fixture::PASSWORD);
        write_file(&dir.path().join("webhook-secret"), "hook-s3cret");
        let config = dir.path().join("modgate.toml");
        let url = url_template.unwrap_or("http://git.corp.example/{repo}.git");
        write_file(&config, mover_config(url));
        // The test server is the proxy for git.corp.example; another URL goes where it says.
        let proxy = git.proxy_url();
        let env = [
            ("HTTP_PROXY", Path::new(&proxy)),
            ("http_proxy", Path::new(&proxy)),
        ];
        let env: &[(&str, &Path)] = if url_template.is_some() { &[] } else { &env };
        let server =
            Modgate::start_with_env(&dir.path().join("store"), Some(&config), None, &[], env);
        Mover {
            server,
            git,
            bare,
            second,
            dir,
        }
    }

    /// Runs git in the served bare repository, as a push would change it.
    fn push(&self, args: &[&str]) {
        testkit::git::git(&self.bare, args);
    }

    fn hook(&self, token: &str) -> crate::support::Reply {
        let body = br#"{"object_kind":"push","project":{"git_http_url":"http://git.corp.example/team/mover.git"}}"#;
        self.server.http().send_body(
            "POST",
            "/api/v1/hooks/git",
            &[
                ("x-gitlab-token", token),
                ("content-type", "application/json"),
            ],
            Some(body.to_vec()),
        )
    }
}

/// A tag moved after its version was served changes nothing that was served: the version stays
/// as built, and the move is logged and counted.
#[test]
fn a_moved_tag_leaves_the_served_version_as_it_was() {
    let mover = Mover::start(None);
    let http = mover.server.http();
    let zip = "/git.corp.example/team/mover/@v/v1.0.0.zip";
    let before = http.get(zip);
    assert_eq!(before.status, 200, "{}", before.text());
    mover.push(&["tag", "-f", "v1.0.0", &mover.second]);
    assert_eq!(mover.hook("hook-s3cret").status, 202);
    assert!(
        crate::support::wait_until(std::time::Duration::from_secs(10), || {
            mover.server.stderr().contains("a git tag was moved")
        }),
        "the move was not logged:\n{}",
        mover.server.stderr()
    );
    let after = http.get(zip);
    assert_eq!(after.status, 200);
    assert!(after.body == before.body, "a served version changed");
    let metrics = http.get("/metrics").text();
    assert!(
        metrics.contains("modgate_git_tags_changed_total{change=\"moved\"} 1"),
        "{metrics}"
    );
}

/// A push webhook refreshes the mirror at once: a new tag is listed without waiting for
/// `refresh_secs`. A wrong secret is refused and refreshes nothing.
#[test]
fn a_signed_push_webhook_refreshes_the_mirror() {
    let mover = Mover::start(None);
    let http = mover.server.http();
    let list = "/git.corp.example/team/mover/@v/list";
    assert_eq!(http.get(list).text(), "v1.0.0\n");
    mover.push(&["tag", "v1.1.0", &mover.second]);
    let refused = mover.hook("wrong");
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert_eq!(
        http.get(list).text(),
        "v1.0.0\n",
        "refreshed by a wrong secret"
    );
    let accepted = mover.hook("hook-s3cret");
    assert_eq!(accepted.status, 202, "{}", accepted.text());
    assert!(
        accepted.text().contains("team/mover.git"),
        "{}",
        accepted.text()
    );
    assert!(
        crate::support::wait_until(std::time::Duration::from_secs(10), || {
            http.get(list).text() == "v1.0.0\nv1.1.0\n"
        }),
        "the new tag is not listed: {}",
        http.get(list).text()
    );
    let unsigned = http.send_body("POST", "/api/v1/hooks/git", &[], Some(b"{}".to_vec()));
    assert_eq!(unsigned.status, 401, "{}", unsigned.text());
}

/// A git host that cannot be reached is a gateway error, never "not found".
#[test]
fn an_unreachable_git_host_is_a_502() {
    let mover = Mover::start(Some("http://127.0.0.1:9/{repo}.git"));
    for path in [
        "/git.corp.example/team/mover/@v/list",
        "/git.corp.example/team/mover/@v/v1.0.0.info",
    ] {
        let reply = mover.server.http().get(path);
        assert_eq!(reply.status, 502, "{path}: {}", reply.text());
    }
}

/// `modgate prefetch` builds git versions as requests would.
#[test]
fn prefetch_builds_git_versions() {
    let mover = Mover::start(None);
    let config = mover.dir.path().join("modgate.toml");
    let proxy = mover.git.proxy_url();
    let out = crate::support::modgate_command()
        .args(["prefetch", "--config"])
        .arg(&config)
        .arg("--store")
        .arg(mover.dir.path().join("store"))
        .arg("git.corp.example/team/mover@v1.0.0")
        .env("HTTP_PROXY", &proxy)
        .env("http_proxy", &proxy)
        .output()
        .expect("running modgate prefetch");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("prefetched 1 versions, 0 failed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let zip = mover
        .dir
        .path()
        .join("store/git.corp.example/team/mover/@v/v1.0.0.zip");
    assert!(zip.is_file());
}
