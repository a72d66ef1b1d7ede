//! Mirrors against a real git server (`git http-backend` behind basic auth): incremental
//! fetches, pruning, refs that survive a restart, the refresh age, concurrent fetches, and
//! failures that say what went wrong (wrong credentials, a missing repository, a host that
//! is down or silent). These need the `git` binary, not `go`.

use std::net::TcpListener;
use std::time::Duration;

use codehost::{CodeRepo, Credentials, ErrorKind, Mirror, Network, ProxySettings, Remote};
use testkit::git::{GitRepo, git};
use testkit::git_server::{GitServer, Route};
use testkit::temp_dir;

const USER: &str = "modgate";
const PASSWORD: &str = "hunter2-token";

struct Setup {
    dir: tempfile::TempDir,
    work: GitRepo,
    server: GitServer,
}

impl Setup {
    /// One repository, `team/lib.git`, with a tag, served on loopback.
    fn new() -> Setup {
        let dir = temp_dir();
        let work = GitRepo::init(&dir.path().join("work"), "main");
        work.write(&[
            ("go.mod", "module git.corp.example/team/lib\n\ngo 1.19\n"),
            ("lib.go", "package lib\n"),
        ]);
        work.commit("one", "2024-01-01T00:00:00Z");
        work.tag("v1.0.0");
        let served = dir.path().join("served");
        work.publish(&served.join("team/lib.git"));
        let server = GitServer::start(
            &served,
            USER,
            PASSWORD,
            vec![Route::new("git.corp.example/team/lib", "team/lib.git")],
        );
        Setup { dir, work, server }
    }

    fn remote(&self, repo: &str, password: Option<&str>) -> Remote {
        Remote::new(self.server.direct_url(repo))
            .expect("a remote")
            .with_credentials(password.map(|p| Credentials {
                username: USER.into(),
                password: p.into(),
            }))
            .allow_plain_http_credentials(true)
            .with_network(Network {
                proxy: ProxySettings::Direct,
                ..Network::default()
            })
    }

    fn cache(&self) -> std::path::PathBuf {
        self.dir.path().join("cache")
    }

    /// Pushes the work tree's branches and tags to the served repository.
    fn push(&self) {
        let served = self.dir.path().join("served/team/lib.git");
        git(
            self.work.dir(),
            &[
                "push",
                "--quiet",
                "--force",
                "--prune",
                &served.display().to_string(),
                "refs/heads/*:refs/heads/*",
                "refs/tags/*:refs/tags/*",
            ],
        );
    }
}

#[test]
fn fetches_incrementally_prunes_and_reloads_from_disk() {
    let s = Setup::new();
    let remote = s.remote("team/lib.git", Some(PASSWORD));
    let mirror = Mirror::open(&s.cache(), &remote).expect("opening");
    assert_eq!(mirror.refs().tag_count(), 0, "a new mirror knows no refs");
    assert!(mirror.fetched_at().is_none());

    let refs = mirror.fetch().expect("first fetch");
    assert!(refs.tag("v1.0.0").is_some());
    assert_eq!(refs.head_branch(), Some("main"));

    // New commits and tags, one tag deleted.
    s.work.write(&[("lib.go", "package lib\n\nconst V = 2\n")]);
    s.work.commit("two", "2024-02-01T00:00:00Z");
    s.work.tag("v1.1.0").light_tag("doomed");
    s.push();
    let refs = mirror.fetch().expect("second fetch");
    assert!(refs.tag("v1.1.0").is_some() && refs.tag("doomed").is_some());
    git(s.work.dir(), &["tag", "-d", "doomed"]);
    s.push();
    let refs = mirror.fetch().expect("third fetch");
    assert!(refs.tag("doomed").is_none(), "deleted tags are pruned");

    let repo = CodeRepo::new(
        &mirror,
        "git.corp.example/team/lib",
        "git.corp.example/team/lib",
        "",
    )
    .expect("a code repo");
    assert_eq!(repo.versions().expect("versions"), ["v1.0.0", "v1.1.0"]);
    assert_eq!(repo.latest().expect("latest").version, "v1.1.0");

    // A restart reads the same refs from disk, without the network.
    let again = Mirror::open(&s.cache(), &remote).expect("reopening");
    assert_eq!(*again.refs(), *refs);
    let requests = s.server.log().len();
    again
        .fetch_if_older(Duration::from_secs(3600))
        .expect("fresh enough");
    assert_eq!(
        s.server.log().len(),
        requests,
        "a fresh mirror is not fetched"
    );
    again.fetch_if_older(Duration::ZERO).expect("stale");
    assert!(s.server.log().len() > requests, "a stale mirror is fetched");
}

#[test]
fn concurrent_fetches_of_one_mirror_wait_for_each_other() {
    let s = Setup::new();
    let remote = s.remote("team/lib.git", Some(PASSWORD));
    let cache = s.cache();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let remote = remote.clone();
                let cache = cache.clone();
                // Separate instances, as two processes would have.
                scope.spawn(move || {
                    let mirror = Mirror::open(&cache, &remote)?;
                    mirror.fetch().map(|refs| refs.tag_count())
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("no panic").expect("fetch"), 1);
        }
    });
}

#[test]
fn wrong_or_missing_credentials_are_auth_failures() {
    let s = Setup::new();
    for password in [Some("wrong-password"), None] {
        let mirror = Mirror::open(&s.cache(), &s.remote("team/lib.git", password)).expect("open");
        let err = mirror.fetch().expect_err("refused");
        assert!(err.is_auth_failed(), "{password:?}: {err:?}");
        assert!(!err.is_not_found() && !err.is_unreachable(), "{err:?}");
        assert!(!format!("{err:?}").contains("wrong-password"), "{err:?}");
    }
}

#[test]
fn a_missing_repository_is_not_found() {
    let s = Setup::new();
    let mirror =
        Mirror::open(&s.cache(), &s.remote("team/nope.git", Some(PASSWORD))).expect("open");
    let err = mirror.fetch().expect_err("missing");
    assert!(err.is_repo_not_found() && err.is_not_found(), "{err:?}");
}

#[test]
fn a_host_that_is_down_is_unreachable() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let dir = temp_dir();
    let remote = Remote::new(format!("http://127.0.0.1:{port}/team/lib.git"))
        .expect("remote")
        .with_network(Network {
            proxy: ProxySettings::Direct,
            ..Network::default()
        });
    let err = Mirror::open(dir.path(), &remote)
        .expect("open")
        .fetch()
        .expect_err("down");
    assert!(err.is_unreachable(), "{err:?}");
    assert!(!err.is_not_found(), "{err:?}");
}

#[test]
fn a_proxy_that_refuses_the_host_is_unreachable() {
    let s = Setup::new();
    let remote = Remote::new("http://elsewhere.example/team/lib.git")
        .expect("remote")
        .with_network(Network {
            proxy: ProxySettings::Fixed {
                url: s.server.proxy_url(),
                no_proxy: None,
            },
            ..Network::default()
        });
    let err = Mirror::open(&s.cache(), &remote)
        .expect("open")
        .fetch()
        .expect_err("refused by the proxy");
    assert!(err.is_unreachable(), "{err:?}");
}

#[test]
fn a_silent_host_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    // Accepts connections and never answers; ends with the test.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().take(8).flatten() {
            held.push(stream);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let dir = temp_dir();
    let remote = Remote::new(format!("http://127.0.0.1:{port}/team/lib.git"))
        .expect("remote")
        .with_network(Network {
            proxy: ProxySettings::Direct,
            request_timeout: Duration::from_millis(500),
            fetch_timeout: Duration::from_millis(500),
            ..Network::default()
        });
    let err = Mirror::open(dir.path(), &remote)
        .expect("open")
        .fetch()
        .expect_err("silent");
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn credentials_never_go_over_plain_http_unless_allowed() {
    let s = Setup::new();
    let remote = s
        .remote("team/lib.git", Some(PASSWORD))
        .allow_plain_http_credentials(false);
    let err = Mirror::open(&s.cache(), &remote)
        .expect("open")
        .fetch()
        .expect_err("refused locally");
    assert_eq!(err.kind(), &ErrorKind::Config, "{err:?}");
    assert!(
        s.server.log().is_empty(),
        "nothing was sent: {:?}",
        s.server.log()
    );
}

#[test]
fn discovery_finds_roots_through_the_proxy() {
    let s = Setup::new();
    let network = Network {
        proxy: ProxySettings::Fixed {
            url: s.server.proxy_url(),
            no_proxy: None,
        },
        ..Network::default()
    };
    let found = codehost::discover(
        &network,
        None,
        "http://{path}?go-get=1",
        "git.corp.example/team/lib/sub/pkg",
    )
    .expect("discovered");
    assert_eq!(found.prefix, "git.corp.example/team/lib");
    assert_eq!(found.repo_url, "http://git.corp.example/team/lib.git");
    let err = codehost::discover(
        &network,
        None,
        "http://{path}?go-get=1",
        "git.corp.example/x/y",
    )
    .expect_err("no such repository");
    assert!(err.is_repo_not_found(), "{err:?}");
}
