//! doctor's checks, case by case: settings in, the findings' first words out.
use super::*;

const SERVER: &str = "https://modgate.corp.example:8443";

/// A developer machine set up as the README says, talking to `SERVER` with Go 1.27.
fn good_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GOVERSION", "go1.27.3"),
        ("GOPROXY", SERVER),
        ("GONOPROXY", "none"),
        ("GOPRIVATE", "corp.example"),
        ("GONOSUMDB", "corp.example"),
        ("GOSUMDB", "sum.golang.org"),
        ("GOAUTH", "netrc"),
    ]
}

const GOOD_NETRC: &str = "machine modgate.corp.example:8443 login alice password pw\n\
                          machine modgate.corp.example login alice password pw\n";

fn ok(status: u16) -> Reach {
    Reach::Answered(status, String::new())
}

fn good_probes() -> Probes {
    Probes {
        health: ok(200),
        access: Some(("corp.example/@v/list".to_owned(), ok(404))),
        sumdb: Some(("sum.golang.org".to_owned(), ok(200))),
    }
}

struct Case {
    what: &'static str,
    /// Variables changed from `good_env` ("" to unset).
    env: &'static [(&'static str, &'static str)],
    netrc: &'static str,
    probes: fn(&mut Probes),
    /// A word each finding's problem contains, in order; empty: all is well.
    expect: &'static [&'static str],
}

fn same(_: &mut Probes) {}

fn run(case: &Case) -> Vec<Finding> {
    let mut vars: BTreeMap<String, String> = good_env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for (k, v) in case.env {
        match v.is_empty() {
            true => vars.remove(*k),
            false => vars.insert((*k).to_owned(), (*v).to_owned()),
        };
    }
    let go = GoSettings(vars);
    let machines = parse_netrc(case.netrc);
    let server = server_from_goproxy(&go)
        .unwrap_or_else(|| ProxyUrl::parse(SERVER).expect("the server's URL"));
    let mut probes = good_probes();
    (case.probes)(&mut probes);
    check(&Inputs {
        go: &go,
        netrc: ("~/.netrc", &machines),
        server: &server,
        probes: Some(&probes),
    })
}

#[test]
fn each_misconfiguration_is_named_and_a_good_setup_passes() {
    let cases = [
        Case {
            what: "as the README says",
            env: &[],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &[],
        },
        Case {
            what: "GOPRIVATE alone",
            env: &[("GONOPROXY", "corp.example")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["GONOPROXY=\"corp.example\" (it takes GOPRIVATE"],
        },
        Case {
            what: "no GONOSUMDB, public GOSUMDB",
            env: &[("GONOSUMDB", ""), ("GOPRIVATE", "")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["GONOSUMDB is empty"],
        },
        Case {
            what: "GONOSUMDB misses a GOPRIVATE prefix",
            env: &[("GOPRIVATE", "corp.example,other.example")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["leaves out the private prefixes other.example"],
        },
        Case {
            what: "GOSUMDB off",
            env: &[("GOSUMDB", "off"), ("GONOSUMDB", "")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &[],
        },
        Case {
            what: "modgate's private checksum database",
            env: &[
                ("GOSUMDB", "sum.corp.example+65bc2c87+AAAA"),
                ("GONOSUMDB", ""),
                ("GOPRIVATE", ""),
            ],
            netrc: GOOD_NETRC,
            probes: |p| p.sumdb = Some(("sum.corp.example".to_owned(), ok(200))),
            expect: &[],
        },
        Case {
            what: "a private GOSUMDB modgate does not serve",
            env: &[("GOSUMDB", "sum.other.example+1+A"), ("GONOSUMDB", "")],
            netrc: GOOD_NETRC,
            probes: |p| p.sumdb = Some(("sum.other.example".to_owned(), ok(404))),
            expect: &["does not serve"],
        },
        Case {
            what: "netrc host without port, Go 1.27",
            env: &[],
            netrc: "machine modgate.corp.example login alice password pw\n",
            probes: |p| p.access = Some(("corp.example/@v/list".to_owned(), ok(401))),
            expect: &[
                "looks for `machine modgate.corp.example:8443`",
                "has none for modgate.corp.example:8443",
            ],
        },
        Case {
            what: "netrc host:port only, Go 1.19",
            env: &[("GOVERSION", "go1.19.8"), ("GOAUTH", "")],
            netrc: "machine modgate.corp.example:8443 login alice password pw\n",
            probes: same,
            expect: &["matches the host name alone"],
        },
        Case {
            what: "netrc host alone, Go 1.19",
            env: &[("GOVERSION", "go1.19.8"), ("GOAUTH", "")],
            netrc: "machine modgate.corp.example login alice password pw\n",
            probes: same,
            expect: &[],
        },
        Case {
            what: "GOAUTH=off ignores .netrc",
            env: &[("GOAUTH", "off")],
            netrc: "machine modgate.corp.example login a password b\n",
            probes: |p| p.access = Some(("corp.example/@v/list".to_owned(), ok(401))),
            expect: &["has none"],
        },
        Case {
            what: "wrong password",
            env: &[],
            netrc: GOOD_NETRC,
            probes: |p| {
                p.access = Some((
                    "corp.example/@v/list".to_owned(),
                    Reach::Answered(401, "wrong".to_owned()),
                ))
            },
            expect: &["refused alice's credentials"],
        },
        Case {
            what: "no read right",
            env: &[],
            netrc: GOOD_NETRC,
            probes: |p| {
                p.access = Some((
                    "corp.example/@v/list".to_owned(),
                    Reach::Answered(403, "\"alice\" may not read this module".to_owned()),
                ))
            },
            expect: &["alice may not read"],
        },
        Case {
            what: "untrusted CA",
            env: &[],
            netrc: GOOD_NETRC,
            probes: |p| {
                p.health = Reach::UntrustedCa("UnknownIssuer".to_owned());
                p.access = None;
                p.sumdb = None;
            },
            expect: &["does not trust"],
        },
        Case {
            what: "down",
            env: &[],
            netrc: GOOD_NETRC,
            probes: |p| {
                p.health = Reach::Unreachable("connection refused".to_owned());
                p.access = None;
                p.sumdb = None;
            },
            expect: &["cannot be reached"],
        },
        Case {
            what: "public proxy first",
            env: &[(
                "GOPROXY",
                "https://proxy.golang.org,https://modgate.corp.example:8443",
            )],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["public proxy https://proxy.golang.org before modgate"],
        },
        Case {
            what: "direct first",
            env: &[("GOPROXY", "direct,https://modgate.corp.example:8443")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["`direct` before modgate"],
        },
        Case {
            what: "modgate, then the public proxy",
            env: &[(
                "GOPROXY",
                "https://modgate.corp.example:8443,https://proxy.golang.org,direct",
            )],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &[],
        },
        Case {
            what: "GOPROXY without modgate",
            env: &[("GOPROXY", "https://proxy.golang.org,direct")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["does not name modgate"],
        },
        Case {
            what: "credentials in an http URL",
            env: &[("GOPROXY", "http://alice:pw@modgate.corp.example:8443")],
            netrc: "",
            probes: same,
            expect: &["credentials in the GOPROXY URL"],
        },
        Case {
            what: "http with a .netrc entry",
            env: &[("GOPROXY", "http://modgate.corp.example:8443")],
            netrc: GOOD_NETRC,
            probes: same,
            expect: &["`machine modgate.corp.example:8443` in ~/.netrc"],
        },
        Case {
            what: "credentials in an https URL",
            env: &[("GOPROXY", "https://alice:pw@modgate.corp.example:8443")],
            netrc: "",
            probes: same,
            expect: &[],
        },
    ];
    for case in &cases {
        let findings = run(case);
        let problems: Vec<&str> = findings.iter().map(|f| f.problem.as_str()).collect();
        assert_eq!(
            problems.len(),
            case.expect.len(),
            "{}: {problems:#?}",
            case.what
        );
        for (problem, word) in problems.iter().zip(case.expect) {
            assert!(
                problem.contains(word),
                "{}: {word:?} not in {problem:?}",
                case.what
            );
        }
        assert!(
            findings.iter().all(|f| !f.change.is_empty()),
            "{}",
            case.what
        );
        assert!(
            findings.iter().all(|f| !f.problem.contains("pw")),
            "{}: a password shown",
            case.what
        );
    }
}

#[test]
fn netrc_and_urls_parse_as_the_go_command_reads_them() {
    let machines = parse_netrc(
        "machine a.example login u password p\nmachine B.example:8443\n  login v\n  password q\n\
         macdef init\nmachine not.this\n\ndefault login x password y\nmachine after.default\n",
    );
    let names: Vec<&str> = machines.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["a.example", "b.example:8443"]);
    assert_eq!(
        (machines[1].login.as_str(), machines[1].password.as_str()),
        ("v", "q")
    );

    let url = ProxyUrl::parse("https://u:p@Modgate.Example:8443/base/").expect("a URL");
    assert_eq!(url.user, Some(("u".to_owned(), "p".to_owned())));
    assert_eq!(
        (url.host.as_str(), url.port, url.path.as_str()),
        ("modgate.example", Some(8443), "/base")
    );
    assert_eq!(url.display(), "https://modgate.example:8443/base");
    assert_eq!(
        ProxyUrl::parse("https://m.example:443")
            .expect("URL")
            .host_port(),
        "m.example"
    );
    assert!(ProxyUrl::parse("direct").is_none());
    assert!(ProxyUrl::parse("file:///srv/tree").is_none());
    assert_eq!(
        ProxyUrl::parse("http://[::1]:8080").expect("v6").port,
        Some(8080)
    );

    assert_eq!(parse::sumdb_name(""), Some("sum.golang.org".to_owned()));
    assert_eq!(parse::sumdb_name("off"), None);
    assert_eq!(
        parse::sumdb_name("sum.corp.example+65bc2c87+Ac/T https://x"),
        Some("sum.corp.example".to_owned())
    );
    assert_eq!(parse::goauth("netrc; git /src"), (true, true));
    assert_eq!(parse::goauth("off"), (false, false));
    let go = GoSettings(
        [("GOVERSION", "go1.24rc1")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    assert_eq!(go.minor(), Some(24));
}
