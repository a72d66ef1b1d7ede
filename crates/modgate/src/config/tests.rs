//! The config's validation, key by key.
use super::*;

pub(super) fn from_text(text: &str) -> Result<Config, ConfigError> {
    Config::for_test(text, Path::new("."), None)
}

#[test]
fn empty_config_has_loopback_defaults_and_one_catch_all_route() {
    let config = from_text("").expect("valid");
    assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
    assert_eq!(config.routes.len(), 1);
    assert_eq!(config.routes[0].prefix, "");
    assert_eq!(config.routes[0].if_absent, IfAbsent::NotFound);
    assert!(config.tls.is_none());
}

#[test]
fn unknown_key_is_named() {
    let err = from_text("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n").unwrap_err();
    let text = err.to_string();
    assert!(text.contains("lisen"), "{text}");
    assert!(!text.contains('\n'), "{text}");
}

#[test]
fn bad_values_name_their_key() {
    let cases = [
        ("[server]\nlisten = \"nowhere\"", "server.listen"),
        ("[server]\nlog_format = \"xml\"", "server.log_format"),
        ("[server]\nrequest_log = \"sample 0\"", "server.request_log"),
        ("[server]\nallow = [\"10.0.0.0/33\"]", "server.allow"),
        ("[[route]]\nprefix = \"corp.example/\"", "route[0].prefix"),
        ("[[route]]\nprefix = \"Corp.example\"", "route[0].prefix"),
        ("[[route]]\nprivate = true", "route[0].prefix"),
        (
            "[[route]]\nprefix = \"a.example\"\nmissing = \"maybe\"",
            "route[0].missing",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nusers = [\"alice\"]",
            "route[0].users",
        ),
        (
            "[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"",
            "tls.cert",
        ),
        ("[tls]\ncert = \"/nonexistent/cert.pem\"", "tls.key"),
        (
            "[auth]\nhtpasswd = \"/nonexistent/htpasswd\"",
            "auth.htpasswd",
        ),
        (
            "[[auth.token]]\nname = \"ci\"\nsha256 = \"mg_secret\"",
            "auth.token[0].sha256",
        ),
        ("[[auth.token]]\nsha256 = \"00\"", "auth.token[0].name"),
        ("[upstream]\nproxies = \"direct\"", "upstream.proxies"),
        ("[upstream]\nlist_ttl_secs = 0", "upstream.list_ttl_secs"),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"svn\"",
            "route[0].source",
        ),
        // A git route: its section and keys.
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"",
            "route[0].git.url",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\n[route.git]\nurl = \"https://a.example/{repo}\"",
            "route[0].git",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/x.git\"",
            "route[0].git.url",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://bot:pw@a.example/{repo}\"",
            "route[0].git.url",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"ftp://a.example/{repo}\"",
            "route[0].git.url",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/{repo}\"\nroot_depth = 0",
            "route[0].git.root_depth",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/{repo}\"\ndiscovery = \"https://a.example/go-get\"",
            "route[0].git.discovery",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/{repo}\"\nusername = \"bot\"",
            "route[0].git.password_file",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/{repo}\"\npassword_file = \"/nonexistent/pw\"",
            "route[0].git.password_file",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nsource = \"git\"\n[route.git]\nurl = \"https://a.example/{repo}\"\nrefresh_secs = 0",
            "route[0].git.refresh_secs",
        ),
        (
            "[network]\nca_file = \"/nonexistent/ca.pem\"",
            "network.ca_file",
        ),
        ("[git]\ncache = \"x\"", "cache"),
        ("[[filter]]\nreason = \"no\"", "filter[0].module"),
        ("[[filter]]\nmodule = \"a.example/[\"", "filter[0].module"),
        (
            "[[filter]]\nmodule = \"a.example\"\nversions = \"~v1\"",
            "filter[0].versions",
        ),
        (
            "[[filter]]\nmodule = \"a.example\"\naction = \"maybe\"",
            "filter[0].action",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\nwrite_users = [\"ci\"]",
            "route[0].write_users",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\ngroups = [\"nobody\"]",
            "route[0].groups",
        ),
        ("[storage]\nkind = \"tape\"", "storage.kind"),
        ("[storage]\nkind = \"s3\"", "storage.bucket"),
        (
            "[storage]\nkind = \"s3\"\nbucket = \"b\"\npath = \"x\"",
            "storage.path",
        ),
        ("[storage]\nbucket = \"b\"", "storage.bucket"),
        (
            "[storage]\nkind = \"gcs\"\nbucket = \"b\"\nendpoint = \"http://x\"",
            "storage.endpoint",
        ),
        (
            "[storage]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"127.0.0.1:9000\"",
            "storage.endpoint",
        ),
        (
            "[[route]]\nprefix = \"a.example\"\n[[route]]\nprefix = \"a.example\"",
            "route.prefix",
        ),
    ];
    for (text, key) in cases {
        let err = from_text(text).expect_err(text).to_string();
        assert!(err.contains(key), "{text:?}: {err}");
    }
}

#[test]
fn private_routes_refuse_by_default_and_may_opt_out() {
    let config = from_text(
        "[[route]]\nprefix = \"corp.example\"\nprivate = true\n\
         [[route]]\nprefix = \"team.example\"\nprivate = true\nmissing = \"not-found\"\n",
    )
    .expect("valid");
    assert_eq!(config.routes[0].if_absent, IfAbsent::Refuse);
    assert_eq!(config.routes[1].if_absent, IfAbsent::NotFound);
}

#[test]
fn overrides_win_over_the_file() {
    let raw = RawConfig::parse("[server]\nlisten = \"127.0.0.1:1\"", Path::new("t")).expect("toml");
    let over = Overrides {
        listen: Some("127.0.0.1:2".into()),
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, over, Path::new(".")).expect("valid");
    assert_eq!(config.listen.port(), 2);
}

#[test]
fn the_request_log_is_on_by_default_and_can_be_sampled_or_turned_off() {
    assert_eq!(from_text("").expect("valid").request_log, RequestLog::All);
    let config = from_text("[server]\nrequest_log = \"sample 100\"").expect("valid");
    assert!(matches!(config.request_log, RequestLog::Sample(n) if n.get() == 100));
    // MODGATE_REQUEST_LOG wins over the file.
    let raw = RawConfig::parse("[server]\nrequest_log = \"all\"", Path::new("t")).expect("toml");
    let over = Overrides {
        request_log: Some("off".into()),
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, over, Path::new(".")).expect("valid");
    assert_eq!(config.request_log, RequestLog::Off);
}

#[test]
fn upstream_routes_and_filters_have_defaults() {
    let config = from_text(
        "[[route]]\nprefix = \"*\"\nsource = \"upstream\"\n\n[[filter]]\nmodule = \"example.com/bad\"\n",
    )
    .expect("valid");
    assert!(matches!(config.routes[0].source, SourceKind::Upstream));
    assert_eq!(config.upstream.proxies.len(), 1);
    assert_eq!(config.upstream.proxies[0].url, "https://proxy.golang.org");
    assert!(!config.upstream.offline);
    assert!(!config.filters[0].allow);
    assert!(!config.filters[0].reason.is_empty());

    let raw = RawConfig::parse(
        "[upstream]\nproxies = \"https://a.example\"",
        Path::new("t"),
    )
    .expect("parses");
    let overrides = Overrides {
        upstream: Some("https://b.example|https://c.example".to_owned()),
        offline: Some(true),
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, overrides, Path::new(".")).expect("valid");
    assert_eq!(config.upstream.proxies.len(), 2);
    assert!(config.upstream.offline);
}

#[test]
fn sumdb_defaults_to_the_public_database() {
    let sumdb = from_text("").expect("valid").sumdb;
    assert_eq!(sumdb.name, "sum.golang.org");
    assert_eq!(sumdb.key, sumdb::DEFAULT_SUMDB_KEY);
    assert_eq!(sumdb.url, "https://sum.golang.org");
    assert!(sumdb.verify && sumdb.proxy && sumdb.skip.is_empty());
    assert_eq!(sumdb.timeout, Duration::from_secs(30));
}

#[test]
fn sumdb_takes_another_database() {
    let (_, key) = gomod::note::generate_key("sumdb.test", &[1; 32]).expect("key");
    let sumdb = from_text(&format!(
        "[sumdb]\nname = \"sumdb.test\"\nkey = \"{key}\"\nurl = \"http://127.0.0.1:9/sumdb/sumdb.test/\"\n\
         verify = false\nproxy = false\nskip = [\"corp.example\", \"*.internal/\"]\ntimeout_secs = 5\n"
    ))
    .expect("valid")
    .sumdb;
    assert_eq!(sumdb.url, "http://127.0.0.1:9/sumdb/sumdb.test");
    assert!(!sumdb.verify && !sumdb.proxy);
    assert_eq!(sumdb.skip, ["corp.example", "*.internal/"]);
    assert_eq!(sumdb.timeout, Duration::from_secs(5));
}

#[test]
fn sumdb_bad_values_name_their_key() {
    let (_, key) = gomod::note::generate_key("sumdb.test", &[1; 32]).expect("key");
    let cases = [
        ("name = \"sumdb.test\"", "sumdb.key"),
        ("name = \"../etc\"", "sumdb.name"),
        ("name = \"a b\"", "sumdb.name"),
        ("key = \"sum.golang.org+033de0ae+AAAA\"", "sumdb.key"),
        (&format!("key = \"{key}\""), "sumdb.key"),
        ("url = \"ftp://sum.golang.org\"", "sumdb.url"),
        ("url = \"not a url\"", "sumdb.url"),
        ("skip = [\"\"]", "sumdb.skip"),
        ("skip = [\"corp[\"]", "sumdb.skip"),
        ("timeout_secs = 0", "sumdb.timeout_secs"),
        ("verifi = true", "verifi"),
    ];
    for (line, key) in cases {
        let text = format!("[sumdb]\n{line}\n");
        let err = from_text(&text).expect_err(&text).to_string();
        assert!(err.contains(key), "{text:?}: {err}");
    }
}

#[test]
fn the_private_sumdb_reads_its_key_and_never_shows_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (skey, _) = gomod::note::generate_key("sum.corp.example", &[1; 32]).expect("key");
    let (other, _) = gomod::note::generate_key("sum.other.example", &[1; 32]).expect("key");
    std::fs::write(dir.path().join("sumdb.key"), format!("{skey}\n")).expect("key file");
    std::fs::write(dir.path().join("other.key"), &other).expect("key file");
    std::fs::write(dir.path().join("junk.key"), "PRIVATE+KEY+junk").expect("key file");
    let load = |section: &str| {
        let text = format!("[private_sumdb]\n{section}\n");
        let raw = RawConfig::parse(&text, Path::new("test.toml"))?;
        Config::from_raw(raw, Overrides::default(), dir.path())
    };
    let settings = load("name = \"sum.corp.example\"\nkey_file = \"sumdb.key\"")
        .expect("valid")
        .private_sumdb
        .expect("configured");
    assert_eq!(settings.name, "sum.corp.example");
    assert_eq!(settings.signer_key.expose(), skey);
    assert!(
        !format!("{settings:?}").contains(&skey[20..]),
        "{settings:?}"
    );
    for (section, says) in [
        ("key_file = \"sumdb.key\"", "private_sumdb.name"),
        ("name = \"sum.corp.example\"", "modgate sumdb init"),
        (
            "name = \"sum.golang.org\"\nkey_file = \"sumdb.key\"",
            "other than sumdb.name",
        ),
        (
            "name = \"../x\"\nkey_file = \"sumdb.key\"",
            "private_sumdb.name",
        ),
        (
            "name = \"sum.corp.example\"\nkey_file = \"none.key\"",
            "none.key",
        ),
        (
            "name = \"sum.corp.example\"\nkey_file = \"other.key\"",
            "not \"sum.corp.example\"",
        ),
        (
            "name = \"sum.corp.example\"\nkey_file = \"junk.key\"",
            "not a signer key",
        ),
        ("name = \"sum.corp.example\"\nkey = \"x\"", "key"),
    ] {
        let err = load(section).expect_err(section).to_string();
        assert!(err.contains(says), "{section:?}: {err}");
        assert!(
            !err.contains(&other[20..]) && !err.contains(&skey[20..]),
            "{err}"
        );
    }
}

#[test]
fn a_git_route_is_private_and_its_secrets_come_from_files() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("token"), "glpat-123\n").expect("token");
    let text = "[[route]]\nprefix = \"git.corp.example\"\nsource = \"git\"\n\
        [route.git]\nurl = \"https://git.corp.example/{repo}.git\"\nroot_depth = 3\n\
        token_file = \"token\"\n";
    let raw = RawConfig::parse(text, Path::new("test.toml")).expect("parses");
    let config = Config::from_raw(raw, Overrides::default(), dir.path()).expect("valid");
    let route = &config.routes[0];
    assert!(route.private);
    assert_eq!(route.if_absent, IfAbsent::Refuse);
    let SourceKind::Git(git) = &route.source else {
        panic!("not a git route: {:?}", route.source);
    };
    assert_eq!(git.locate, crate::source::Locate::RootDepth(3));
    let credentials = git.credentials.as_ref().expect("credentials");
    assert_eq!(
        (credentials.username.as_str(), credentials.password.as_str()),
        ("oauth2", "glpat-123")
    );
    assert_eq!(config.git_cache_dir, dir.path().join("./data/.modgate/git"));
    // MODGATE_GIT_PASSWORD wins over the file.
    let raw = RawConfig::parse(text, Path::new("test.toml")).expect("parses");
    let overrides = Overrides {
        git_password: Some("from-env".to_owned()),
        ..Overrides::default()
    };
    let config = Config::from_raw(raw, overrides, dir.path()).expect("valid");
    let SourceKind::Git(git) = &config.routes[0].source else {
        panic!("not a git route");
    };
    assert_eq!(
        git.credentials.as_ref().map(|c| c.password.as_str()),
        Some("from-env")
    );
    assert!(!format!("{:?}", git.credentials).contains("from-env"));
}
