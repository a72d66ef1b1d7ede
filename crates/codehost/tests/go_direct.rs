//! codehost against the real go command in direct mode (`GOPROXY=direct`): for each module
//! and query of the fixture, the version, time, go.mod bytes and zip `h1:` must be what
//! `go mod download -json` gives, and the version list what `go list -m -versions` gives, for
//! every go client (Go 1.19 and a current Go). These need `go`, so they are ignored by
//! default; CI runs them with `--include-ignored`.

use std::io::Cursor;
use std::path::Path;

use codehost::{CodeRepo, Credentials, Mirror, Network, ProxySettings, Remote};
use testkit::fixture::{self, CASES, KNOWN_DIFFERENCES};
use testkit::git_server::CORP_HOST;
use testkit::go::{GoEnv, go_clients};

/// Network settings that send everything through the test server as a proxy.
fn network(proxy: &str) -> Network {
    Network {
        proxy: ProxySettings::Fixed {
            url: proxy.to_owned(),
            no_proxy: None,
        },
        ..Network::default()
    }
}

fn credentials() -> Option<Credentials> {
    Some(Credentials {
        username: fixture::USER.into(),
        password: fixture::PASSWORD.into(),
    })
}

/// A module's repository, found as the go command finds it: go-import discovery.
struct Found {
    mirror: Mirror,
    root: String,
    subdir: String,
}

fn find(module: &str, proxy: &str, cache: &Path) -> Found {
    let net = network(proxy);
    let import = codehost::discover(&net, None, "http://{path}?go-get=1", module)
        .unwrap_or_else(|e| panic!("discovering {module}: {e}"));
    assert_eq!(import.vcs, "git");
    let remote = Remote::new(&import.repo_url)
        .expect("a remote")
        .with_credentials(credentials())
        .allow_plain_http_credentials(true)
        .with_network(net);
    let mirror = Mirror::open(cache, &remote).expect("opening a mirror");
    mirror
        .fetch()
        .unwrap_or_else(|e| panic!("fetching {module}: {e:?}"));
    Found {
        mirror,
        root: import.prefix,
        subdir: import.subdir,
    }
}

/// What one side said about `module@query`.
#[derive(Debug, PartialEq)]
enum Answer {
    Ok {
        version: String,
        time: String,
        go_mod: String,
        sum: String,
    },
    Err,
}

fn ours(repo: &CodeRepo<'_>, query: &str) -> (Answer, String) {
    let info = if query == "latest" {
        repo.latest()
    } else {
        repo.stat(query)
    };
    let info = match info {
        Ok(info) => info,
        Err(e) => return (Answer::Err, e.to_string()),
    };
    let go_mod = match repo.go_mod(&info.version) {
        Ok(m) => m,
        Err(e) => return (Answer::Err, e.to_string()),
    };
    let mut zip = Cursor::new(Vec::new());
    if let Err(e) = repo.zip(&info.version, &mut zip) {
        return (Answer::Err, e.to_string());
    }
    let zip = zip.into_inner();
    if let Ok(dir) = std::env::var("CODEHOST_DEBUG_ZIPS") {
        let name = format!("{}@{}", repo.module_path(), info.version).replace('/', "_");
        let _ = std::fs::write(Path::new(&dir).join(format!("{name}.ours.zip")), &zip);
    }
    let sum = gomod::hash_zip(Cursor::new(zip)).expect("hashing our zip");
    (
        Answer::Ok {
            version: info.version.clone(),
            time: info.time_rfc3339(),
            go_mod: String::from_utf8_lossy(&go_mod).into_owned(),
            sum,
        },
        String::new(),
    )
}

#[test]
#[ignore = "needs go"]
fn direct_mode_matches_the_go_command() {
    let clients = go_clients();
    let fx = fixture::build();
    let proxy = fx.server.proxy_url();
    let cache = fx.path().join("mirrors");
    let resolve = |q: &str| fx.query(q);

    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (module, queries, min_minor) in CASES {
        let found = find(module, &proxy, &cache);
        let repo =
            CodeRepo::new(&found.mirror, module, &found.root, &found.subdir).expect("a code repo");
        let our_versions = repo.versions().map_err(|e| e.to_string());
        let specs: Vec<String> = queries
            .iter()
            .map(|q| format!("{module}@{}", resolve(q)))
            .collect();
        let our_answers: Vec<(Answer, String)> =
            queries.iter().map(|q| ours(&repo, &resolve(q))).collect();
        for client in &clients {
            if client.minor() < *min_minor {
                eprintln!(
                    "{module}: skipped for {} (needs Go 1.{min_minor})",
                    client.version
                );
                continue;
            }
            let env = GoEnv::direct(client, &proxy, fixture::USER, fixture::PASSWORD);
            let go_versions = env.versions(module);
            match (&go_versions, &our_versions) {
                (Ok(g), Ok(o)) if g == o => {}
                (Err(_), Err(_)) => {}
                (g, o) => mismatches.push(format!(
                    "[{}] {module} versions: go {g:?}, ours {o:?}",
                    client.version
                )),
            }
            let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
            let downloaded = env.download_each(&specs);
            for ((d, (our, our_err)), spec) in downloaded.iter().zip(&our_answers).zip(&specs) {
                compared += 1;
                let theirs = match &d.error {
                    Some(_) => Answer::Err,
                    None => {
                        let (version, time) = d.info();
                        Answer::Ok {
                            version,
                            time,
                            go_mod: String::from_utf8_lossy(&d.go_mod_bytes()).into_owned(),
                            sum: d.sum.clone(),
                        }
                    }
                };
                if let (Ok(dir), Answer::Ok { version, .. }) =
                    (std::env::var("CODEHOST_DEBUG_ZIPS"), &theirs)
                {
                    let name = format!("{module}@{version}").replace('/', "_");
                    let _ = std::fs::copy(&d.zip, Path::new(&dir).join(format!("{name}.go.zip")));
                }
                let known = KNOWN_DIFFERENCES
                    .iter()
                    .find(|(s, minors, _)| s == spec && minors.contains(&client.minor()));
                if let Some((_, _, why)) = known {
                    if &theirs == our {
                        eprintln!(
                            "[{}] {spec}: now equal, remove it from KNOWN_DIFFERENCES",
                            client.version
                        );
                    } else {
                        eprintln!(
                            "[{}] {spec}: known difference ({why}):\n   go:   {theirs:?}\n   ours: {our:?}",
                            client.version
                        );
                    }
                } else if &theirs != our {
                    mismatches.push(format!(
                        "[{}] {spec}:\n   go:   {theirs:?} {}\n   ours: {our:?} {our_err}",
                        client.version,
                        d.error.as_deref().unwrap_or("")
                    ));
                } else if let Answer::Err = our {
                    eprintln!(
                        "[{}] {spec}: both refuse\n   go:   {}\n   ours: {our_err}",
                        client.version,
                        d.error.as_deref().unwrap_or("")
                    );
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} answers differ from the go command's:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!("{compared} answers equal to the go command's ({CORP_HOST})");
}
