//! `modgate publish --git`: a tag published from a repository hashes as `go mod download`
//! in direct mode hashes the same tag.

use super::*;

/// The repository of `tag_publish_hashes_like_go_direct_mode`: a root module and a module in
/// `sub/`, and each thing the go command treats specially when it zips a tag.
fn module_repo(dir: &Path) -> GitRepo {
    let repo = GitRepo::init(dir, "main");
    repo.write(&[
        ("go.mod", "module corp.example/Repo.git\n\ngo 1.19\n"),
        ("LICENSE", "Copyright 2024 Corp\n"),
        ("repo.go", "package repo\n\nconst Name = \"root\"\n"),
        ("Internal/Upper.go", "package internal\n"),
        (
            ".gitattributes",
            "ignored.txt export-ignore\nsubst.txt export-subst\n\
             *.bat text eol=crlf\nid.txt ident\nLICENSE text eol=crlf\n",
        ),
        // export-ignore is off in the go command's archives, so this stays in the zip.
        ("ignored.txt", "in the zip all the same\n"),
        // And export-subst is off: the placeholder stays as it is.
        ("subst.txt", "commit $Format:%H$\n"),
        // Conversions stay on: CRLF line endings and an expanded $Id$ in the zip.
        ("run.bat", "echo one\necho two\n"),
        ("id.txt", "$Id$\n"),
        // vendor/modules.txt and files directly in vendor/ stay; vendored packages go.
        (
            "vendor/modules.txt",
            "# example.org/dep v1.0.0\n## explicit\nexample.org/dep\n",
        ),
        ("vendor/example.org/dep/dep.go", "package dep\n"),
        // Below any other vendor directory, everything goes (the kept x/mod bug).
        ("inner/vendor/x.go", "package x\n"),
        ("inner/inner.go", "package inner\n"),
        // A nested module, never published: left out of the root's zip.
        (
            "nested/go.mod",
            "module corp.example/Repo.git/nested\n\ngo 1.19\n",
        ),
        ("nested/n.go", "package nested\n"),
        // The module of the sub/ tags: left out of the root's zip, and has no LICENSE of its
        // own, so the root's is copied into its zip.
        (
            "sub/go.mod",
            "module corp.example/Repo.git/sub\n\ngo 1.19\n",
        ),
        ("sub/sub.go", "package sub\n"),
        (
            "sub/deeper/go.mod",
            "module corp.example/Repo.git/sub/deeper\n",
        ),
        ("sub/deeper/d.go", "package deeper\n"),
        // A major-version directory: tag v2.0.0 means this module, which gets the root's
        // LICENSE too (as stored, so with LF line endings where the root zip has CRLF).
        ("v2/go.mod", "module corp.example/Repo.git/v2\n\ngo 1.19\n"),
        ("v2/v2.go", "package repo\n"),
    ]);
    repo.symlink("link.go", "repo.go");
    repo.commit("first", "2024-03-01T10:00:00Z");
    repo.tag("v1.0.0").tag("sub/v1.0.0").tag("v2.0.0");
    repo.write(&[("repo.go", "package repo\n\nconst Name = \"root v1.1\"\n")]);
    repo.commit("second", "2024-04-02T11:30:00Z");
    repo.tag("v1.1.0");
    repo
}

/// Directory store only: it reads the stored zips from disk.
#[test]
#[ignore = "needs go"]
fn tag_publish_hashes_like_go_direct_mode() {
    let dir = temp_dir();
    let repo = module_repo(&dir.path().join("work"));
    // What a git server holds, served by git daemon; the go command reaches it through a URL
    // rewrite, since a module path cannot name a loopback address.
    repo.publish(&dir.path().join("served/Repo.git"));
    let daemon = GitDaemon::start(&dir.path().join("served"));
    let git_config = dir.path().join("gitconfig");
    daemon.rewrite_config("corp.example", &git_config);

    // modgate publish --git: the root module's tags through the API, the sub/ tag straight
    // into a store. No go binary involved.
    let setup = Setup::start();
    let work = repo.dir().display().to_string();
    let mut published = Vec::new();
    for tag in ["v1.0.0", "v1.1.0", "v2.0.0"] {
        published.push((tag, setup.publish_cli(&["--git", &work, "--tag", tag])));
    }
    let store = setup.store().display().to_string();
    let sub = published_by(&publish_command(
        &["--git", &work, "--tag", "sub/v1.0.0", "--store", &store],
        &setup.tmp(),
    ));
    assert_eq!(
        (sub.module.as_str(), sub.version.as_str()),
        ("corp.example/Repo.git/sub", "v1.0.0")
    );
    published.push(("sub/v1.0.0", sub));

    // The root zip holds what the go command's would: export-ignored and export-subst files
    // as they are, no nested modules, vendored packages or symlinks.
    let zip = std::fs::read(crate::support::TreeBuilder::new(setup.store()).file(
        "corp.example/Repo.git",
        "v1.0.0",
        "zip",
    ))
    .expect("the root zip");
    let mut names = zip_names(&zip);
    names.sort();
    let prefix = "corp.example/Repo.git@v1.0.0/";
    assert_eq!(
        names,
        [
            ".gitattributes",
            "Internal/Upper.go",
            "LICENSE",
            "go.mod",
            "id.txt",
            "ignored.txt",
            "inner/inner.go",
            "repo.go",
            "run.bat",
            "subst.txt",
            "vendor/modules.txt",
        ]
        .map(|n| format!("{prefix}{n}"))
    );
    assert_eq!(
        zip_file(&zip, &format!("{prefix}run.bat")),
        "echo one\r\necho two\r\n"
    );
    assert!(zip_file(&zip, &format!("{prefix}id.txt")).starts_with("$Id: "));
    assert_eq!(
        zip_file(&zip, &format!("{prefix}LICENSE")),
        "Copyright 2024 Corp\r\n"
    );
    assert_eq!(
        zip_file(&zip, &format!("{prefix}subst.txt")),
        "commit $Format:%H$\n"
    );
    let sub_zip = std::fs::read(crate::support::TreeBuilder::new(setup.store()).file(
        "corp.example/Repo.git/sub",
        "v1.0.0",
        "zip",
    ))
    .expect("the sub zip");
    let mut names = zip_names(&sub_zip);
    names.sort();
    let prefix = "corp.example/Repo.git/sub@v1.0.0/";
    assert_eq!(
        names,
        ["LICENSE", "go.mod", "sub.go"].map(|n| format!("{prefix}{n}"))
    );
    assert_eq!(
        zip_file(&sub_zip, &format!("{prefix}LICENSE")),
        "Copyright 2024 Corp\n"
    );

    for go in go_clients() {
        let mut env = GoEnv::new(&go, "direct");
        env.set("GOPRIVATE", "corp.example")
            .set("GONOSUMDB", "corp.example")
            .set("GONOPROXY", "corp.example")
            .set("GIT_CONFIG_GLOBAL", &git_config.display().to_string())
            .set("GIT_CONFIG_NOSYSTEM", "1");
        let specs: Vec<String> = published
            .iter()
            .map(|(_, p)| format!("{}@{}", p.module, p.version))
            .collect();
        let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
        let downloaded = env.download(&specs);
        for ((tag, p), d) in published.iter().zip(&downloaded) {
            assert_eq!(
                (&d.path, &d.version),
                (&p.module, &p.version),
                "{}",
                go.version
            );
            assert_eq!(
                (&d.sum, &d.go_mod_sum),
                (&p.h1, &p.gomod_h1),
                "{}: tag {tag}: direct mode and modgate publish --git disagree",
                go.version
            );
        }
        // The version's time is the tag's commit time, as in direct mode.
        assert_eq!(
            cached_time(&env, "corp.example/Repo.git", "v1.1.0"),
            "2024-04-02T11:30:00Z"
        );
        let served = setup
            .server
            .http()
            .get("/corp.example/!repo.git/@v/v1.1.0.info");
        assert_eq!(
            served.text(),
            r#"{"Version":"v1.1.0","Time":"2024-04-02T11:30:00Z"}"#
        );
    }
}

fn zip_names(zip: &[u8]) -> Vec<String> {
    let archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    archive.file_names().map(str::to_owned).collect()
}

fn zip_file(zip: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip");
    let mut text = String::new();
    std::io::Read::read_to_string(&mut archive.by_name(name).expect(name), &mut text)
        .expect("reading a zip entry");
    text
}
