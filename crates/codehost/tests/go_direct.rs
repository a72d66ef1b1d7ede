//! codehost against the real go command in direct mode (`GOPROXY=direct`): for each module
//! and query of the fixture, the version, time, go.mod bytes and zip `h1:` must be what
//! `go mod download -json` gives, and the version list what `go list -m -versions` gives, for
//! every go client (Go 1.19 and a current Go). These need `go`, so they are ignored by
//! default; CI runs them with `--include-ignored`.

mod fixture;
mod support;

use std::io::Cursor;
use std::path::Path;

use codehost::{CodeRepo, Credentials, Mirror, Network, ProxySettings, Remote};
use support::{CORP_HOST, GoEnv, go_clients};

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

/// The modules and queries compared, and the oldest Go that understands the case.
const CASES: &[(&str, &[&str], u32)] = &[
    (
        "git.corp.example/team/alpha",
        &[
            "v1.0.0",
            "v1.0.1",
            "v1.1.0",
            "v1.2.0-rc.1",
            "latest",
            "main",
            "feature",
            "V1.0.0",
            "release-2024",
            "HEAD",
            "FEATURE_HASH",
            "C3_SHORT",
            "v2.0.0",
            "v9.9.9",
        ],
        0,
    ),
    (
        "git.corp.example/team/alpha/sub",
        &["v0.1.0", "v0.2.0", "latest", "main", "C3_SHORT", "feature"],
        0,
    ),
    (
        "git.corp.example/team/alpha/v2",
        &["v2.0.0", "latest", "main"],
        0,
    ),
    (
        "git.corp.example/team/majors",
        &["v1.0.0", "latest", "v2.0.0"],
        0,
    ),
    (
        "git.corp.example/team/majors/v2",
        &["v2.0.0", "v2.1.0", "latest", "main", "v1.0.0"],
        0,
    ),
    (
        "git.corp.example/team/renamed",
        &["v1.0.0", "v1.1.0", "v1.2.0", "latest"],
        0,
    ),
    (
        "git.corp.example/legacy",
        &[
            "v1.0.0",
            "v2.0.0",
            "v2.0.0+incompatible",
            "v3.1.0+incompatible",
            "latest",
            "main",
        ],
        0,
    ),
    (
        "git.corp.example/pre",
        &["latest", "v0.1.0-alpha", "main"],
        0,
    ),
    ("git.corp.example/untagged", &["latest", "trunk", "HEAD"], 0),
    ("git.corp.example/group/sub/deep", &["v1.0.0", "latest"], 0),
    ("git.corp.example/mono", &["v1.0.0", "latest"], 25),
    ("git.corp.example/modern", &["v1.0.0"], 0),
];

/// Answers known to differ, with the Go minor versions that differ and why: reported, not
/// failed. When one becomes equal the test says so, and the entry should go.
const KNOWN_DIFFERENCES: &[(&str, std::ops::Range<u32>, &str)] = &[(
    "git.corp.example/modern@v1.0.0",
    0..24,
    "gomod::create zips a go >= 1.24 module by Go 1.24's vendor rule, which keeps \
     pkg/vendor/x.go and drops vendor/modules.txt; older Go (x/mod before v0.22.0) zips it by \
     the old one, so its h1: differs",
)];

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
    let feature_hash = fx.alpha_feature.clone();
    let c3_short = fx.alpha_c3[..12].to_owned();
    let resolve = |q: &str| match q {
        "FEATURE_HASH" => feature_hash.clone(),
        "C3_SHORT" => c3_short.clone(),
        q => q.to_owned(),
    };

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
            let env = GoEnv::new(client, &proxy, fixture::USER, fixture::PASSWORD);
            let go_versions = env.versions(module);
            match (&go_versions, &our_versions) {
                (Ok(g), Ok(o)) if g == o => {}
                (Err(_), Err(_)) => {}
                (g, o) => mismatches.push(format!(
                    "[{}] {module} versions: go {g:?}, ours {o:?}",
                    client.version
                )),
            }
            let downloaded = env.download(&specs);
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
