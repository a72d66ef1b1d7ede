//! Retention of upstream-cached versions with the real go commands: versions filled through an
//! upstream route, some used again, `modgate gc` evicting by last use and within `max_bytes`,
//! never a published private version, and a later download fetching an evicted one again.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use object_store::path::Path as Key;
use object_store::{ObjectStoreExt, PutPayload};

use crate::support::{
    Gateway, GoClient, GoEnv, Modgate, PublicSide, TreeBuilder, Weed, describe, go_clients,
    modgate_command, publish_command, published_by, temp_dir, wait_until, write_file, write_module,
};

const WORDS_OLD: (&str, &str) = ("example.com/words", "v1.0.0");
const WORDS_NEW: (&str, &str) = ("example.com/words", "v1.1.0");
const GREET: (&str, &str) = ("example.com/greet", "v1.0.0");
const PRIVATE: (&str, &str) = ("corp.example/kept", "v1.0.0");
const GONE: (&str, &str) = ("example.com/gone", "v1.0.0");

#[test]
#[ignore = "needs go"]
fn gc_evicts_upstream_versions_by_last_use_and_a_later_download_fetches_them_again() {
    let clients = go_clients();
    let mut gateway = Gateway::start("timeout_secs = 10", "");
    let store = gateway.store.clone();
    let specs = [WORDS_OLD, WORDS_NEW, GREET].map(|(m, v)| format!("{m}@{v}"));
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    go(&gateway, &clients[0]).download(&specs);
    publish_private(&gateway);

    // Stopped, the server writes the uses it marked.
    restart(&mut gateway, |store| {
        for version in [WORDS_OLD, WORDS_NEW, GREET] {
            assert!(
                last_use(store, version).exists(),
                "{version:?}: no last use"
            );
        }
        assert!(
            !last_use(store, PRIVATE).exists(),
            "a published version's use"
        );
        // Uses are written once a day, so "used earlier" is made by dating the records back.
        set_last_use(store, GREET, 30);
        set_last_use(store, WORDS_NEW, 10);
        set_last_use(store, WORDS_OLD, 20);
        // A use recorded for a version evicted meanwhile (another process answered it from
        // memory): gc removes the stale record.
        set_last_use(store, GONE, 1);
    });
    // The oldest version by fetch time is used again, through kept answers too.
    go(&gateway, &clients[0]).download(&[&format!("{}@{}", WORDS_OLD.0, WORDS_OLD.1)]);
    go(&gateway, &clients[0]).download(&[&format!("{}@{}", WORDS_OLD.0, WORDS_OLD.1)]);
    restart(&mut gateway, |_| {});

    // Over 15 days unused: greet; then least recently used until the zips fit one: words v1.1.0.
    let one_zip = zip_size(&store, WORDS_OLD);
    let limits = format!("max_bytes = {one_zip}\nunused_days = 15");
    assert_dry_run_lists_greet_and_words_new(&gateway, &limits);
    assert!(
        last_use(&store, GONE).exists(),
        "the dry run removed a record"
    );
    // Offline, nothing evicted could be fetched again: gc evicts nothing.
    let offline = gc_with(&gateway, &limits, false, &[("MODGATE_OFFLINE", "1")]);
    assert!(offline.contains("evicted 0 of 3 "), "{offline}");
    let evicted = gc(&gateway, &limits, false);
    assert!(evicted.contains("evicted 2 of 3 "), "{evicted}");
    assert!(!last_use(&store, GONE).exists(), "a stale last use stayed");
    for version in [WORDS_NEW, GREET] {
        assert_gone(&store, version);
    }
    for version in [WORDS_OLD, PRIVATE] {
        assert!(stored(&store, version, "zip"), "{version:?} evicted");
    }
    let words = TreeBuilder::new(&store)
        .version_dir(WORDS_OLD.0)
        .join("list");
    let words = std::fs::read_to_string(words).expect("words' list");
    assert_eq!(words, "v1.0.0\n");
    // Nothing at all allowed: every upstream-cached version goes, the published one stays.
    let evicted = gc(&gateway, "max_bytes = 0", false);
    assert!(evicted.contains("evicted 1 of 1 "), "{evicted}");
    assert_gone(&store, WORDS_OLD);
    assert!(stored(&store, PRIVATE, "zip") && stored(&store, PRIVATE, "info"));

    // Evicted versions come back from upstream on the next download.
    let before = gateway.second().count("/example.com/greet/@v/v1.0.0.zip");
    let client = clients.last().expect("a go client");
    go(&gateway, client).download(&specs);
    let after = gateway.second().count("/example.com/greet/@v/v1.0.0.zip");
    assert_eq!(after, before + 1, "greet's zip was not fetched again");
    for version in [WORDS_OLD, WORDS_NEW, GREET] {
        assert!(stored(&store, version, "zip") && stored(&store, version, "info"));
        assert!(origin(&store, version).exists(), "{version:?}: no origin");
    }
}

#[test]
fn the_server_evicts_on_its_own_and_fetches_an_evicted_version_again() {
    let gateway = Gateway::start(
        "timeout_secs = 10",
        "[retention]\nmax_bytes = 0\ninterval_secs = 1\n",
    );
    let path = "/example.com/greet/@v/v1.0.0.zip";
    let want = std::fs::read(gateway.upstream.file(GREET.0, GREET.1, "zip")).expect("the zip");
    let first = gateway.server.http().get(path);
    assert_eq!((first.status, &first.body[..]), (200, &want[..]));
    // Nothing may stay: the server's next run evicts it, and says so in the audit.
    let evicted = wait_until(Duration::from_secs(60), || {
        let stderr = gateway.server.stderr();
        stderr.contains("gc.evict") && stderr.contains("example.com/greet@v1.0.0")
    });
    assert!(evicted, "no audit event:\n{}", gateway.server.stderr());
    for extension in ["info", "zip", "mod", "ziphash"] {
        assert!(
            !stored(&gateway.store, GREET, extension),
            "{extension} left"
        );
    }
    assert!(!origin(&gateway.store, GREET).exists());
    // The answer kept in memory is not served any more: the zip comes from upstream again.
    let again = gateway.server.http().get(path);
    assert_eq!((again.status, &again.body[..]), (200, &want[..]));
    assert_eq!(
        gateway.second().count(path),
        2,
        "{:?}",
        gateway.second().requests()
    );
}

/// `modgate gc --dry-run` lists greet (unused too long), then words v1.1.0 (the least
/// recently used of the rest), and the totals; and removes nothing.
fn assert_dry_run_lists_greet_and_words_new(gateway: &Gateway, limits: &str) {
    let store = &gateway.store;
    let dry = gc(gateway, limits, true);
    let listed: Vec<&str> = dry
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(
        listed,
        [
            "example.com/greet@v1.0.0",
            "example.com/words@v1.1.0",
            listed[2]
        ],
        "{dry}"
    );
    assert!(listed[2].starts_with("would evict 2 of 3 "), "{dry}");
    for version in [WORDS_OLD, WORDS_NEW, GREET, PRIVATE] {
        assert!(
            stored(store, version, "info"),
            "dry run removed {version:?}"
        );
    }
}

/// A go client through the gateway, checking public modules with the test checksum database.
fn go(gateway: &Gateway, client: &GoClient) -> GoEnv {
    let mut env = GoEnv::new(client, &gateway.server.url());
    env.set("GOSUMDB", &gateway.sumdb.verifier_key());
    env.set("GONOSUMDB", "corp.example");
    env
}

/// `modgate publish DIR --store` of a private version, beside the cached ones.
fn publish_private(gateway: &Gateway) {
    let src = gateway.dir.path().join("src");
    write_module(
        &src,
        &[
            ("go.mod", "module corp.example/kept\n\ngo 1.19\n"),
            ("kept.go", "package kept\n"),
        ],
    );
    let store = gateway.store.display().to_string();
    let args = [
        src.to_str().expect("utf-8"),
        "--version",
        PRIVATE.1,
        "--store",
        &store,
    ];
    published_by(&publish_command(&args, &gateway.dir.path().join("tmp")));
}

/// Stops the server (SIGTERM), runs `between` on the store, and starts it again.
fn restart(gateway: &mut Gateway, between: impl FnOnce(&Path)) {
    gateway.server.terminate();
    let status = gateway.server.wait_exit(Duration::from_secs(30));
    assert!(
        status.is_some_and(|s| s.success()),
        "{}",
        gateway.server.stderr()
    );
    between(&gateway.store);
    let config = gateway.dir.path().join("modgate.toml");
    gateway.server = Modgate::start(&gateway.store, Some(&config), None);
}

/// `modgate gc [--dry-run]` with the gateway's config and `[retention]` set to `limits`; its
/// stdout.
fn gc(gateway: &Gateway, limits: &str, dry_run: bool) -> String {
    gc_with(gateway, limits, dry_run, &[])
}

/// As [`gc`], with more environment.
fn gc_with(gateway: &Gateway, limits: &str, dry_run: bool, env: &[(&str, &str)]) -> String {
    let config = gateway.dir.path().join("modgate.toml");
    let text = std::fs::read_to_string(&config).expect("the config");
    let gc_config = gateway.dir.path().join("gc.toml");
    write_file(&gc_config, format!("{text}\n[retention]\n{limits}\n"));
    let mut command = modgate_command();
    command
        .arg("gc")
        .arg("--config")
        .arg(&gc_config)
        .arg("--store")
        .arg(&gateway.store);
    if dry_run {
        command.arg("--dry-run");
    }
    command.envs(env.iter().copied());
    let output: Output = command.output().expect("running modgate gc");
    assert!(output.status.success(), "{}", describe(&output));
    String::from_utf8(output.stdout).expect("utf-8")
}

fn stored(store: &Path, (module, version): (&str, &str), extension: &str) -> bool {
    TreeBuilder::new(store)
        .file(module, version, extension)
        .exists()
}

#[track_caller]
fn assert_gone(store: &Path, version: (&str, &str)) {
    for extension in ["info", "zip", "mod", "ziphash"] {
        assert!(
            !stored(store, version, extension),
            "{version:?}.{extension}"
        );
    }
    assert!(!origin(store, version).exists(), "{version:?}: origin left");
    assert!(
        !last_use(store, version).exists(),
        "{version:?}: last use left"
    );
}

fn zip_size(store: &Path, (module, version): (&str, &str)) -> u64 {
    let zip = TreeBuilder::new(store).file(module, version, "zip");
    std::fs::metadata(zip).expect("the zip").len()
}

/// The store's files of modgate's own for a version (module paths here need no escaping).
fn reserved(store: &Path, area: &str, (module, version): (&str, &str)) -> PathBuf {
    store.join(format!(".modgate/{area}/{module}@{version}.json"))
}

fn origin(store: &Path, version: (&str, &str)) -> PathBuf {
    reserved(store, "origin", version)
}

fn last_use(store: &Path, version: (&str, &str)) -> PathBuf {
    reserved(store, "lastuse", version)
}

fn set_last_use(store: &Path, version: (&str, &str), days_ago: i64) {
    let at = OffsetDateTime::now_utc() - time::Duration::days(days_ago);
    let at = at.format(&Rfc3339).expect("formatting a time");
    write_file(&last_use(store, version), format!("{{\"at\":\"{at}\"}}"));
}

#[test]
#[ignore = "needs go and weed"]
fn gc_evicts_by_last_use_on_s3_and_a_later_download_fetches_again() {
    let weed = Weed::start();
    let dir = temp_dir();
    let public = PublicSide::start(&dir.path().join("upstream"));
    let s3 = weed.client();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let bucket_key = |key: &str| Key::parse(format!("retention/{key}")).expect("a key");
    let size = |key: &str| {
        let meta = runtime.block_on(s3.head(&bucket_key(key)));
        meta.ok().map(|meta| meta.size)
    };
    let exists = |key: String| size(&key).is_some();
    let zip_key = |(m, v): (&str, &str)| format!("{m}/@v/{v}.zip");
    let routes = "[[route]]\nprefix = \"*\"\nsource = \"upstream\"\n";
    let config = |limits: &str| {
        let text = format!(
            "{}\n{routes}\n[retention]\n{limits}\n",
            public.config("timeout_secs = 10")
        );
        weed.write_config(&dir.path().join("modgate.toml"), "retention", &text)
    };
    let serve = |config: &Path| Modgate::start_configured(config, None, &weed.env());
    let client = &go_clients()[0];
    let specs = [WORDS_OLD, WORDS_NEW, GREET].map(|(m, v)| format!("{m}@{v}"));
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let mut server = serve(&config("unused_days = 15"));
    let mut env = GoEnv::new(client, &server.url());
    env.set("GOSUMDB", &public.sumdb.verifier_key());
    env.download(&specs);
    server.terminate();
    assert!(
        server
            .wait_exit(Duration::from_secs(30))
            .is_some_and(|s| s.success())
    );
    let last_use_key = |(m, v): (&str, &str)| format!(".modgate/lastuse/{m}@{v}.json");
    for version in [WORDS_OLD, WORDS_NEW, GREET] {
        assert!(exists(last_use_key(version)), "{version:?}: no last use");
    }
    for (version, days_ago) in [(GREET, 30), (WORDS_NEW, 10), (WORDS_OLD, 0)] {
        let at = OffsetDateTime::now_utc() - time::Duration::days(days_ago);
        let record = format!("{{\"at\":\"{}\"}}", at.format(&Rfc3339).expect("a time"));
        let key = bucket_key(&last_use_key(version));
        runtime
            .block_on(s3.put(&key, PutPayload::from(record)))
            .expect("writing a last use");
    }
    let one_zip = size(&zip_key(WORDS_OLD)).expect("words' zip");
    let limits = format!("max_bytes = {one_zip}\nunused_days = 15");
    let config = config(&limits);
    let output = modgate_command()
        .args(["gc", "--config"])
        .arg(&config)
        .envs(weed.env())
        .output()
        .expect("running modgate gc");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", describe(&output));
    assert!(stdout.contains("evicted 2 of 3 "), "{stdout}");
    for version in [GREET, WORDS_NEW] {
        for key in [zip_key(version), last_use_key(version)] {
            assert!(!exists(key.clone()), "{key} left");
        }
    }
    assert!(exists(zip_key(WORDS_OLD)));

    let server = serve(&config);
    let mut env = GoEnv::new(client, &server.url());
    env.set("GOSUMDB", &public.sumdb.verifier_key());
    env.download(&specs);
    assert_eq!(public.second.count("/example.com/greet/@v/v1.0.0.zip"), 2);
    assert!(exists(zip_key(GREET)));
}
