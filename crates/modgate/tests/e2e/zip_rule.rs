//! Go 1.24's module zip rule: for a module whose go.mod says `go 1.24` or later,
//! `vendor/modules.txt` is left out of the zip and `pkg/vendor/x.go` is kept (x/mod v0.22,
//! `isVendoredPackage`); older modules keep the old rule. `modgate publish` of a directory must
//! give the `h1:` the current go command computes for the same module fetched in direct mode
//! from the test git server, under both rules.

use testkit::fixture::{PASSWORD, USER};
use testkit::git_server::{GitServer, Route};

use crate::support::{
    GitRepo, GoEnv, go_clients, publish_command, published_by, temp_dir, write_module,
};

/// A module with every kind of file the two rules treat differently.
fn files(module: &str, go: &str) -> Vec<(&'static str, String)> {
    vec![
        ("go.mod", format!("module {module}\n\ngo {go}\n")),
        ("x.go", "package x\n".to_owned()),
        (
            "vendor/modules.txt",
            "# example.com/dep v1.0.0\n## explicit\nexample.com/dep\n".to_owned(),
        ),
        ("vendor/example.com/dep/dep.go", "package dep\n".to_owned()),
        ("pkg/vendor/x.go", "package vendor\n".to_owned()),
        ("pkg/vendor/sub/y.go", "package sub\n".to_owned()),
        ("pkg/vendor/modules.txt", "not a vendor list\n".to_owned()),
    ]
}

#[test]
#[ignore = "needs go"]
fn publishing_a_directory_hashes_as_the_go_command_under_both_zip_rules() {
    // Go 1.24 and later know both rules; older clients compute the old rule for every module.
    let clients: Vec<_> = go_clients()
        .into_iter()
        .filter(|go| go.minor() >= 24)
        .collect();
    assert!(!clients.is_empty(), "no go command of 1.24 or later");
    for (name, go) in [("vend124", "1.24"), ("vend123", "1.23")] {
        let dir = temp_dir();
        let module = format!("git.corp.example/team/{name}");
        let files = files(&module, go);
        let files: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();

        let repo = GitRepo::init(&dir.path().join("work"), "main");
        repo.write(&files);
        repo.commit("one", "2024-01-01T00:00:00Z");
        repo.tag("v1.0.0");
        let served = dir.path().join("served");
        let bare = format!("team/{name}.git");
        repo.publish(&served.join(&bare));
        let git = GitServer::start(&served, USER, PASSWORD, vec![Route::new(&module, &bare)]);

        let source = dir.path().join("source");
        write_module(&source, &files);
        let store = dir.path().join("store");
        let published = published_by(&publish_command(
            &[
                source.to_str().expect("UTF-8"),
                "--version",
                "v1.0.0",
                "--store",
                store.to_str().expect("UTF-8"),
            ],
            &dir.path().join("tmp"),
        ));
        for client in &clients {
            let env = GoEnv::direct(client, &git.proxy_url(), USER, PASSWORD);
            let downloaded = env.download(&[&format!("{module}@v1.0.0")]);
            assert_eq!(
                published.h1, downloaded[0].sum,
                "{module} (go {go}) with {}",
                client.version
            );
        }
    }
}
