//! One GOPROXY for everything: private prefixes from the store, the rest fetched once from an
//! upstream proxy (SECOND, which can be told to misbehave), stored, and served from then on.

use std::time::Duration;

use crate::support::{
    Fault, Gateway, GoEnv, Modgate, TreeBuilder, file_url, go_clients, write_file,
};

/// A program using a private module (and, through it, another) and a public one (and,
/// through it, another).
const MAIN_GO: &str = r#"package main

import (
	"corp.example/a/util"
	"example.com/greet"
)

func main() { println(util.Twice("c"), greet.Greet()) }
"#;

#[test]
#[ignore = "needs go"]
fn one_gateway_builds_private_and_public_modules_and_keeps_them() {
    for go in go_clients() {
        let mut gateway = Gateway::start("timeout_secs = 5", "");
        let mut env = GoEnv::new(&go, &gateway.server.url());
        // The database's key but not its address: go checks public modules through modgate.
        env.set("GOSUMDB", &gateway.sumdb.verifier_key());
        env.set("GONOSUMDB", "corp.example");
        let app = env.app(&[("main.go", MAIN_GO)]);
        env.run(Some(&app), &["build", "-o", "app", "."]).success();
        let verified = gateway.sumdb.requests();
        assert!(
            verified
                .iter()
                .any(|r| r.contains("lookup/example.com/greet@v1.0.0")),
            "{}: {verified:?}",
            go.version
        );
        assert!(
            verified.iter().all(|r| !r.contains("corp.example")),
            "{verified:?}"
        );

        // What the go command recorded is what the upstream tree hashes to.
        let go_sum = std::fs::read_to_string(app.join("go.sum")).expect("go.sum");
        let want = GoEnv::new(&go, &file_url(gateway.upstream.root()))
            .download(&["example.com/greet@v1.0.0", "example.com/words@v1.1.0"]);
        for module in &want {
            let line = format!("{} {} {}", module.path, module.version, module.sum);
            assert!(
                go_sum.contains(&line),
                "{}: go.sum lacks {line}:\n{go_sum}",
                go.version
            );
        }
        let seen = gateway.second().take_requests();
        assert!(
            seen.iter().all(|p| !p.contains("corp.example")),
            "{}: a private name reached upstream: {seen:?}",
            go.version
        );
        assert!(gateway.stored("example.com/greet", "v1.0.0", "zip"));
        assert!(gateway.stored("example.com/words", "v1.1.0", "zip"));

        // Upstream gone: a clean module cache builds the same program from modgate alone.
        drop(gateway.second.take());
        let mut again = GoEnv::new(&go, &gateway.server.url());
        again.set("GONOSUMDB", "corp.example");
        let app_again = again.app(&[("main.go", MAIN_GO)]);
        for file in ["go.mod", "go.sum"] {
            std::fs::copy(app.join(file), app_again.join(file)).expect("copying the app");
        }
        again
            .run(Some(&app_again), &["build", "-o", "app", "."])
            .success();

        // And the store is a proxy tree the go command reads as it is.
        let mut from_file = GoEnv::new(&go, &file_url(&gateway.store));
        from_file.set("GOFLAGS", "-mod=readonly -modcacherw");
        let app_file = from_file.app(&[("main.go", MAIN_GO)]);
        for file in ["go.mod", "go.sum"] {
            std::fs::copy(app.join(file), app_file.join(file)).expect("copying the app");
        }
        from_file
            .run(Some(&app_file), &["build", "-o", "app", "."])
            .success();
    }
}

#[test]
fn fifty_concurrent_requests_for_one_zip_fetch_it_once() {
    let gateway = Gateway::start("timeout_secs = 10", "");
    // Slow enough that every request arrives while the first fetch is under way.
    gateway
        .second()
        .set_fault(Fault::Slow(Duration::from_millis(300)));
    let http = gateway.server.http();
    let path = "/example.com/greet/@v/v1.0.0.zip";
    let url = format!("{}{path}", http.base());
    let bodies = http
        .runtime()
        .block_on(futures::future::join_all((0..50).map(|_| {
            let (client, url) = (http.client().clone(), url.clone());
            async move {
                let response = client.get(&url).send().await.expect("a response");
                assert_eq!(response.status(), 200);
                response.bytes().await.expect("the body")
            }
        })));
    let want = std::fs::read(gateway.upstream.file("example.com/greet", "v1.0.0", "zip"))
        .expect("the upstream zip");
    assert!(bodies.iter().all(|b| b[..] == want[..]));
    let second = gateway.second();
    assert_eq!(second.count(path), 1, "{:?}", second.requests());
    assert_eq!(second.count("/example.com/greet/@v/v1.0.0.info"), 1);
    assert_eq!(second.count("/example.com/greet/@v/v1.0.0.mod"), 1);
}

/// Each file missing from the store costs one upstream request, and a stored one none: the go
/// command asks `.mod` of every module in the graph long before it asks a zip, so a zip miss
/// usually finds `.info` and `.mod` stored already.
#[test]
fn an_upstream_miss_asks_once_per_missing_file() {
    let gateway = Gateway::start("timeout_secs = 10", "");
    let http = gateway.server.http();
    let second = gateway.second();
    let base = "/example.com/words/@v/v1.1.0";
    assert_eq!(http.get(&format!("{base}.mod")).status, 200);
    assert_eq!(second.count(&format!("{base}.info")), 1);
    assert_eq!(second.count(&format!("{base}.mod")), 1);
    // A go.mod read for the build graph fetches no zip: most of those are never asked for.
    assert_eq!(second.count(&format!("{base}.zip")), 0);
    // The zip: one request, for the zip; its .info and .mod come from the store.
    assert_eq!(http.get(&format!("{base}.zip")).status, 200);
    let mut asked: Vec<String> = second
        .take_requests()
        .into_iter()
        .filter(|p| p.starts_with(base))
        .collect();
    // .info and .mod are asked at once, in either order.
    asked.sort();
    assert_eq!(
        asked,
        [
            format!("{base}.info"),
            format!("{base}.mod"),
            format!("{base}.zip")
        ],
        "one request per missing file"
    );
    // Nothing missing: nothing asked.
    for file in ["info", "mod", "zip"] {
        assert_eq!(http.get(&format!("{base}.{file}")).status, 200);
    }
    // A cold zip: three files missing, three requests.
    let cold = "/example.com/greet/@v/v1.0.0";
    assert_eq!(http.get(&format!("{cold}.zip")).status, 200);
    let asked = second.take_requests();
    assert!(asked.iter().all(|p| p.starts_with(cold)), "{asked:?}");
    for file in ["info", "mod", "zip"] {
        assert_eq!(
            asked
                .iter()
                .filter(|p| **p == format!("{cold}.{file}"))
                .count(),
            1,
            "{file}: {asked:?}"
        );
    }
    assert_eq!(asked.len(), 3, "{asked:?}");
}

/// A `.info` miss is how `go mod download` starts on a version, its zip asked right after: the
/// zip is fetched beside the `.info` and `.mod` (issue 17), stored without any client asking,
/// and the zip request that follows costs no second upstream request.
#[test]
fn an_info_miss_fetches_and_stores_the_zip_beside_it() {
    let gateway = Gateway::start("timeout_secs = 10", "");
    let http = gateway.server.http();
    let second = gateway.second();
    let (module, version) = ("example.com/greet", "v1.0.0");
    let base = "/example.com/greet/@v/v1.0.0";
    assert_eq!(http.get(&format!("{base}.info")).status, 200);
    // Nothing else asks for the zip, yet it arrives in the store (a bound, not a timing); its
    // .ziphash is written last.
    for _ in 0..200 {
        if gateway.stored(module, version, "ziphash") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        gateway.stored(module, version, "ziphash"),
        "{:?}",
        second.requests()
    );
    assert!(gateway.stored(module, version, "zip"));
    for file in ["mod", "zip"] {
        assert_eq!(http.get(&format!("{base}.{file}")).status, 200, "{file}");
    }
    let want = std::fs::read(gateway.upstream.file(module, version, "zip")).expect("zip");
    assert_eq!(http.get(&format!("{base}.zip")).body, want);
    let asked = second.take_requests();
    for file in ["info", "mod", "zip"] {
        let path = format!("{base}.{file}");
        assert_eq!(asked.iter().filter(|p| **p == path).count(), 1, "{asked:?}");
    }
    assert_eq!(asked.len(), 3, "{asked:?}");

    // The go command's order, at once: the zip request joins the download under way (or finds
    // it stored), and is never a second request.
    let words = "/example.com/words/@v/v1.1.0";
    for file in ["info", "mod", "zip"] {
        assert_eq!(http.get(&format!("{words}.{file}")).status, 200, "{file}");
    }
    assert_eq!(second.count(&format!("{words}.zip")), 1);

    // A zip fetched beside its .info that upstream damages is stored by no one and is a
    // gateway error when asked for, never a 404; a good one later is stored and served.
    second.set_fault(Fault::CorruptZip);
    let hello = "/example.com/hello/@v/v1.0.0";
    assert_eq!(http.get(&format!("{hello}.info")).status, 200);
    http.get(&format!("{hello}.zip"))
        .assert_error(502, "corrupt zip");
    assert!(!gateway.stored("example.com/hello", "v1.0.0", "zip"));
    second.set_fault(Fault::None);
    assert_eq!(http.get(&format!("{hello}.zip")).status, 200);
    assert!(gateway.stored("example.com/hello", "v1.0.0", "zip"));
}

#[test]
fn upstream_failures_are_gateway_errors_and_store_nothing() {
    let gateway = Gateway::start("timeout_secs = 1", "");
    let http = gateway.server.http();
    let second = gateway.second();
    let (module, version) = ("example.com/greet", "v1.0.0");
    let info = "/example.com/greet/@v/v1.0.0.info";

    second.set_fault(Fault::Fail);
    let reason = http.get(info).assert_error(502, "upstream 500");
    assert!(
        reason.contains("500") && reason.contains("injected failure"),
        "{reason}"
    );
    let reason = http
        .get("/example.com/greet/@v/list")
        .assert_error(502, "list");
    assert!(reason.contains("example.com/greet/@v/list"), "{reason}");
    http.get("/example.com/greet/@latest")
        .assert_error(502, "latest");
    assert!(!gateway.stored(module, version, "info"));

    second.set_fault(Fault::Hang);
    let reason = http.get(info).assert_error(504, "upstream hangs");
    assert!(
        reason.contains("example.com/greet/@v/v1.0.0.info"),
        "{reason}"
    );
    assert!(!gateway.stored(module, version, "info"));

    second.set_fault(Fault::CorruptZip);
    let zip = "/example.com/greet/@v/v1.0.0.zip";
    let reason = http.get(zip).assert_error(502, "corrupt zip");
    assert!(reason.contains("v1.0.0.zip"), "{reason}");
    assert!(!gateway.stored(module, version, "zip"));
    assert!(!gateway.stored(module, version, "ziphash"));

    // A later good answer is stored and served.
    second.set_fault(Fault::None);
    let reply = http.get(zip);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(gateway.stored(module, version, "zip"));
    let want = std::fs::read(gateway.upstream.file(module, version, "zip")).expect("zip");
    assert_eq!(reply.body, want);

    // Upstream's "not found" stays a 404, so the go command may ask the next proxy.
    http.get("/example.com/nothing/@v/v1.0.0.info")
        .assert_error(404, "unknown upstream");
    http.get("/example.com/nothing/@v/list")
        .assert_error(404, "unknown upstream list");
}

#[test]
fn a_fetch_outlasting_the_request_timeout_is_a_504_that_says_so() {
    // The upstream's own timeouts (30 s) are far longer than the server's request timeout.
    let gateway = Gateway::start("", "[server]\nrequest_timeout_secs = 2");
    let http = gateway.server.http();
    gateway.second().set_fault(Fault::Hang);
    for path in [
        "/example.com/greet/@v/v1.0.0.info",
        "/example.com/greet/@v/v1.0.0.zip",
    ] {
        let reason = http.get(path).assert_error(504, path);
        assert!(reason.contains("still fetching"), "{path}: {reason}");
    }
}

#[test]
#[ignore = "needs go"]
fn the_go_command_shows_the_gateway_error() {
    let cases = [
        (Fault::Fail, "502 Bad Gateway", "injected failure"),
        (Fault::Hang, "504 Gateway Timeout", "v1.0.0.info"),
        (Fault::CorruptZip, "502 Bad Gateway", "v1.0.0.zip"),
    ];
    for go in go_clients() {
        // A gateway of its own: what one client's download stored (the .info and .mod of the
        // corrupt zip's case) would change where the next one's fails.
        let gateway = Gateway::start("timeout_secs = 1", "");
        for (fault, status, reason) in cases {
            gateway.second().set_fault(fault);
            let env = GoEnv::new(&go, &gateway.server.url());
            let out = env
                .run(None, &["mod", "download", "example.com/greet@v1.0.0"])
                .failure();
            assert!(
                out.stderr.contains(status) && out.stderr.contains(reason),
                "{fault:?}: {}",
                out.describe()
            );
            assert!(!gateway.stored("example.com/greet", "v1.0.0", "zip"));
        }
    }
}

/// Past the 2 s lists and "not found"s are remembered for in that test.
const STALE_AFTER: Duration = Duration::from_millis(2100);

#[test]
fn lists_are_remembered_served_stale_and_refreshed() {
    // Two seconds of freshness: long enough that a busy machine's pause between two requests
    // does not expire an answer the test expects still fresh.
    let gateway = Gateway::start("list_ttl_secs = 2\nnot_found_ttl_secs = 2", "");
    let http = gateway.server.http();
    let list = "/example.com/words/@v/list";
    assert_eq!(http.get(list).text(), "v1.0.0\nv1.1.0\n");

    // A new upstream release is not seen while the answer is fresh…
    gateway.upstream.add(
        "example.com/words",
        "v1.2.0",
        "2023-04-01T00:00:00Z",
        &[("go.mod", "module example.com/words\n\ngo 1.19\n")],
    );
    assert_eq!(http.get(list).text(), "v1.0.0\nv1.1.0\n");
    // …then the stale answer is served once more while it is refreshed in the background.
    std::thread::sleep(STALE_AFTER);
    let second = gateway.second();
    let asked = second.count(list);
    assert_eq!(http.get(list).text(), "v1.0.0\nv1.1.0\n");
    assert!(crate::support::wait_until(
        Duration::from_secs(5),
        || second.count(list) > asked
    ));
    assert!(crate::support::wait_until(Duration::from_secs(5), || http
        .get(list)
        .text()
        == "v1.0.0\nv1.1.0\nv1.2.0\n"));

    // Upstream down: the remembered list keeps being served, even once stale.
    second.set_fault(Fault::Fail);
    std::thread::sleep(STALE_AFTER);
    assert_eq!(http.get(list).text(), "v1.0.0\nv1.1.0\nv1.2.0\n");
    second.set_fault(Fault::None);

    // "Not found" is remembered briefly.
    let missing = "/example.com/later/@v/list";
    http.get(missing).assert_error(404, "not yet upstream");
    let later = TreeBuilder::new(gateway.upstream.root());
    later.add(
        "example.com/later",
        "v0.1.0",
        "2023-05-01T00:00:00Z",
        &[("go.mod", "module example.com/later\n")],
    );
    http.get(missing).assert_error(404, "remembered not found");
    std::thread::sleep(STALE_AFTER);
    assert_eq!(http.get(missing).text(), "v0.1.0\n");
}

#[test]
fn stored_versions_are_served_when_upstream_is_down() {
    let mut gateway = Gateway::start("timeout_secs = 1", "");
    let http = gateway.server.http();
    assert_eq!(http.get("/example.com/hello/@v/v1.1.0.zip").status, 200);
    drop(gateway.second.take());
    // Restarted, so nothing is remembered in memory: only the store answers.
    let server = Modgate::start(
        &gateway.store,
        Some(&gateway.dir.path().join("modgate.toml")),
        None,
    );
    let http = server.http();
    assert_eq!(http.get("/example.com/hello/@v/v1.1.0.info").status, 200);
    assert_eq!(http.get("/example.com/hello/@v/v1.1.0.zip").status, 200);
    assert_eq!(http.get("/example.com/hello/@v/list").text(), "v1.1.0\n");
    let latest = http.get("/example.com/hello/@latest");
    assert_eq!(latest.status, 200, "{}", latest.text());
    assert!(latest.text().contains("v1.1.0"));
    // Not stored and upstream unreachable: a gateway error, never a 404.
    http.get("/example.com/hello/@v/v1.2.0.info")
        .assert_error(502, "not stored, upstream down");
}

#[test]
fn a_zip_the_checksum_database_disagrees_with_is_refused_and_not_stored() {
    let gateway = Gateway::start("", "");
    let (module, version) = ("example.com/hello", "v1.0.0");
    let go_mod = std::fs::read(gateway.upstream.file(module, version, "mod")).expect(".mod");
    gateway.sumdb.add(
        module,
        version,
        "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        &gomod::hash_go_mod(&go_mod),
    );
    let http = gateway.server.http();
    let reason = http
        .get("/example.com/hello/@v/v1.0.0.zip")
        .assert_error(502, "zip hash disagrees");
    assert!(reason.contains("example.com/hello@v1.0.0"), "{reason}");
    assert!(!gateway.stored(module, version, "zip"));
    assert!(!gateway.stored(module, version, "ziphash"));
    // The go.mod agrees with the database, so that much is kept.
    assert!(gateway.stored(module, version, "mod"));

    // A version the database has never heard of is not stored either.
    gateway.upstream.add(
        "example.com/unlisted",
        "v1.0.0",
        "2023-01-01T00:00:00Z",
        &[("go.mod", "module example.com/unlisted\n")],
    );
    let reason = http
        .get("/example.com/unlisted/@v/v1.0.0.info")
        .assert_error(502, "not in the database");
    assert!(reason.contains("checksum database"), "{reason}");
    assert!(!gateway.stored("example.com/unlisted", "v1.0.0", "info"));
}

#[test]
fn version_queries_follow_upstream_and_are_not_kept_as_immutable() {
    let gateway = Gateway::start("list_ttl_secs = 1", "");
    let http = gateway.server.http();
    // SECOND is a file server: a `master.info` file stands in for a proxy resolving `@master`.
    let query = gateway
        .upstream
        .version_dir("example.com/words")
        .join("master.info");
    write_file(
        &query,
        r#"{"Version":"v1.0.0","Time":"2023-01-01T00:00:00Z"}"#,
    );
    let reply = http.get("/example.com/words/@v/master.info");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.text().contains("v1.0.0"));
    assert_eq!(reply.header("cache-control"), Some("public, max-age=60"));

    write_file(
        &query,
        r#"{"Version":"v1.1.0","Time":"2023-02-01T00:00:00Z"}"#,
    );
    std::thread::sleep(Duration::from_millis(1100));
    let moved = crate::support::wait_until(Duration::from_secs(5), || {
        http.get("/example.com/words/@v/master.info")
            .text()
            .contains("v1.1.0")
    });
    assert!(moved, "the query kept answering the old version");
    // The version it names is fetched like any other.
    assert_eq!(http.get("/example.com/words/@v/v1.1.0.mod").status, 200);
}
