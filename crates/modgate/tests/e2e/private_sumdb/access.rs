//! Who reads the log (the modules' sign-in, data tiles for admins) and the signing key's file.

use super::*;

#[test]
fn the_log_is_read_behind_the_modules_sign_in() {
    let corp = Corp::new(None);
    let server = corp.serve();
    let published = publish(&server, LIB, "v1.0.0");
    let record = record_text(LIB, "v1.0.0", &published.h1, &published.gomod_h1);
    let path = |rest: &str| format!("/sumdb/{NAME}/{rest}");
    let lookup = lookup_path(LIB, "v1.0.0");
    let (supported, latest) = (path("supported"), path("latest"));
    let (hash_tile, data_tile) = (path("tile/8/0/000.p/1"), path("tile/8/data/000.p/1"));

    // Every route needs a user: nothing of the log for the anonymous, not even that it exists.
    for p in [&supported, &latest, &hash_tile, &lookup, &data_tile] {
        let reply = get_as(&server, None, p);
        reply.assert_error(401, p);
        assert!(reply.header("www-authenticate").is_some(), "{p}");
    }
    // carol reads the public routes only: the heads and hash tiles, which name no module, but
    // neither a private module's lookup nor a data tile, which lists every module.
    for p in [&supported, &latest, &hash_tile] {
        let reply = get_as(&server, Some("carol"), p);
        assert_eq!(reply.status, 200, "{p}: {}", reply.text());
    }
    get_as(&server, Some("carol"), &lookup).assert_error(403, "carol's lookup");
    get_as(&server, Some("carol"), &data_tile).assert_error(403, "carol's data tile");
    // bob reads corp.example, but is no admin.
    let lines = lookup_lines(&get_as(&server, Some("bob"), &lookup));
    assert_eq!(format!("{}\n", lines.join("\n")), record);
    get_as(&server, Some("bob"), &data_tile).assert_error(403, "bob's data tile");
    let tile = get_as(&server, Some("alice"), &data_tile);
    assert_eq!((tile.status, tile.text()), (200, format!("{record}\n")));

    // What is not there is refused, never a 404: not even for a path next to a module the route
    // holds, which a download answers with a 404 for the go command's import resolution (that
    // never looks anything up). A malformed lookup is routed by its module as a GOPROXY
    // request is: the route's refusal first, then, for a reader of the route, what is wrong.
    for (user, module, version, want) in [
        (Some("bob"), "corp.example/nothing", "v1.0.0", 403),
        (Some("bob"), LIB, "v1.9.9", 403),
        (Some("bob"), "corp.example/lib/sub", "v1.0.0", 403),
        (Some("bob"), "corp.example", "v1.0.0", 403),
        (Some("carol"), "corp.example/nothing", "v1.0.0", 403),
        (Some("carol"), LIB, "v9.9.9", 403),
        (None, "corp.example/nothing", "v1.0.0", 401),
        (None, LIB, "v9.9.9", 401),
        (Some("bob"), LIB, "v9.9.9", 404),
    ] {
        let what = format!("{user:?}'s lookup of {module}@{version}");
        let line = get_as(&server, user, &lookup_path(module, version)).assert_error(want, &what);
        if want == 404 {
            assert!(line.contains("invalid version"), "{what}: {line}");
        }
    }
}

#[test]
fn sumdb_init_writes_a_key_only_its_owner_reads_and_never_overwrites_it() {
    use std::os::unix::fs::PermissionsExt;

    let dir = temp_dir();
    let key_file = dir.path().join("sumdb.key");
    // The printed key is what every go client of this file's other tests checks the log with;
    // tiles_and_tree_hashes_are_what_x_mod_computes opens a head with it in x/mod's note.
    let vkey = sumdb_init(&key_file);
    let verifier = gomod::note::Verifier::new(&vkey).expect("a verifier key");
    assert_eq!(verifier.name(), NAME);
    let mode = std::fs::metadata(&key_file)
        .expect("the key file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let key = std::fs::read_to_string(&key_file).expect("the key");
    assert!(
        key.starts_with(&format!("PRIVATE+KEY+{NAME}+")),
        "not a signer key for {NAME}"
    );
    assert!(!vkey.contains("PRIVATE"), "the private key was printed");

    let again = init_command(NAME, &key_file);
    assert!(
        !again.status.success()
            && String::from_utf8_lossy(&again.stderr).contains("never overwritten"),
        "{}",
        describe(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("the key"),
        key,
        "the key was overwritten"
    );
    let bad = init_command("not a name", &dir.path().join("other.key"));
    assert!(!bad.status.success(), "{}", describe(&bad));
    assert!(!dir.path().join("other.key").exists());
}
