//! Two modgate processes appending to one S3 bucket at once end with one log.

use super::*;

#[test]
#[ignore = "needs go and weed"]
fn two_replicas_on_one_bucket_append_one_log() {
    let weed = Weed::start();
    let corp = Corp::on_s3(&weed, "private-sumdb");
    let replicas = [corp.serve(), corp.serve()];
    // Ten versions, five through each replica, and one version through both, all at once.
    let mut sends: Vec<(usize, &str, String)> =
        (0..10).map(|i| (i % 2, LIB, format!("v1.0.{i}"))).collect();
    sends.push((0, "corp.example/both", "v1.0.0".to_owned()));
    sends.push((1, "corp.example/both", "v1.0.0".to_owned()));
    let distinct = 11;
    let barrier = Arc::new(Barrier::new(sends.len()));
    let threads: Vec<_> = sends
        .iter()
        .map(|(replica, module, version)| {
            let (url, ca) = (replicas[*replica].url(), corp.ca.ca.clone());
            let (module, version, barrier) = (module.to_string(), version.clone(), barrier.clone());
            std::thread::spawn(move || {
                let http = Http::new(&url, Some(&ca));
                barrier.wait();
                let reply = publish_on(&http, &module, &version);
                parse_published(&reply, &format!("{module}@{version} on {url}"))
            })
        })
        .collect();
    let published: Vec<Published> = threads
        .into_iter()
        .map(|t| t.join().expect("a publishing thread"))
        .collect();
    // The version sent twice is created once; the other send finds the same bytes stored.
    let created = published.iter().filter(|p| p.created).count();
    assert_eq!(created, distinct, "{published:?}");

    // One log: every version once, in a tree both replicas serve (each looks for a newer
    // head than its own a second after it last looked).
    for server in &replicas {
        assert!(
            wait_until(BACKGROUND_LIMIT, || signed_size(&corp, server)
                == distinct as u64),
            "{} signs {} records",
            server.url(),
            signed_size(&corp, server)
        );
    }
    let want: BTreeSet<String> = published
        .iter()
        .map(|p| record_text(&p.module, &p.version, &p.h1, &p.gomod_h1))
        .collect();
    let records = all_records(&replicas[1], distinct as u64);
    assert_eq!(
        records.iter().cloned().collect::<BTreeSet<_>>(),
        want,
        "{records:?}"
    );
    let report = corp.assert_audit_clean();
    assert!(
        report.contains(&format!(
            "{distinct} records signed, 0 written beyond the newest head, 0 problems; \
             0 stored versions not logged yet"
        )),
        "{report}"
    );

    let specs: Vec<String> = published
        .iter()
        .map(|p| format!("{}@{}", p.module, p.version))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    for client in go_clients() {
        for server in &replicas {
            let downloaded = corp.go(&client, server).download(&specs);
            for d in downloaded {
                let logged = record_text(&d.path, &d.version, &d.sum, &d.go_mod_sum);
                assert!(want.contains(&logged), "[{}] {d:?}", client.version);
            }
        }
    }
}
