//! Publishing from the tests' side: zips written entry by entry (so a test can build any bad
//! zip it wants), multipart bodies, the JSON answer, tokens from `modgate token new`, and the
//! `modgate publish` command.

use std::io::{Cursor, Write};
use std::path::Path;
use std::process::Output;

use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use super::{Reply, escape, modgate_command, write_file};

/// The JSON answer of the API and of `modgate publish`.
/// What the publishing API and `modgate publish` answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Published {
    pub module: String,
    pub version: String,
    pub h1: String,
    pub gomod_h1: String,
    /// False when the same bytes were already published: nothing changed.
    pub created: bool,
}

/// The answer of a successful API call, which must be 201 (`created`) or 200.
#[track_caller]
pub fn parse_published(reply: &Reply, what: &str) -> Published {
    assert!(
        reply.status == 200 || reply.status == 201,
        "{what}: status {}: {}",
        reply.status,
        reply.text()
    );
    assert_eq!(
        reply.header("content-type"),
        Some("application/json"),
        "{what}"
    );
    let published: Published = serde_json::from_slice(&reply.body)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", reply.text()));
    assert_eq!(published.created, reply.status == 201, "{what}");
    published
}

/// A zip with these entries, deflated, in this order. Names are used as given: one ending in
/// `/` is a directory entry, and nothing stops `../` or duplicates.
pub fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    zip_with(entries, CompressionMethod::Deflated)
}

/// Like `zip_of`, with a choice of compression (stored is fast for large test files).
pub fn zip_with(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(
            entries
                .iter()
                .any(|(_, c)| c.len() as u64 >= u32::MAX as u64),
        );
    for (name, contents) in entries {
        if let Some(dir) = name.strip_suffix('/') {
            zip.add_directory(dir, options)
                .expect("zip directory entry");
        } else {
            zip.start_file(*name, options).expect("zip entry");
            zip.write_all(contents).expect("zip contents");
        }
    }
    zip.finish().expect("finishing the zip").into_inner()
}

/// A well-formed module zip: each file under `module@version/`, files only.
pub fn module_zip(module: &str, version: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let names: Vec<String> = files
        .iter()
        .map(|(name, _)| format!("{module}@{version}/{name}"))
        .collect();
    let entries: Vec<(&str, &[u8])> = names
        .iter()
        .zip(files)
        .map(|(name, (_, contents))| (name.as_str(), contents.as_bytes()))
        .collect();
    zip_of(&entries)
}

/// `/api/v1/<escaped module>/@v/<escaped version>.zip`.
pub fn api_path(module: &str, version: &str) -> String {
    format!("/api/v1/{}/@v/{}.zip", escape(module), escape(version))
}

/// A `multipart/form-data` body with a `zip` file part and, if given, an `info` part; returns
/// the content type (with its boundary) and the body.
pub fn multipart(zip: &[u8], info: Option<&str>) -> (String, Vec<u8>) {
    let boundary = "modgate-test-boundary-7d1e0c";
    let mut body = Vec::new();
    if let Some(info) = info {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"info\"\r\n\
                 Content-Type: application/json\r\n\r\n{info}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"zip\"; filename=\"m.zip\"\r\n\
             Content-Type: application/zip\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(zip);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A token made by `modgate token new`: the secret it prints once, and the config lines it
/// prints for modgate.toml.
/// A config in which the users of `htpasswd` (next to the config) and the token `ci` exist,
/// `writers` may publish to corp.example, which anyone may read (the go command sends no
/// credentials over http); `more` is appended as it is (more routes, say).
pub fn publishing_config(ci: &Token, writers: &[&str], more: &str) -> String {
    format!(
        r#"
[auth]
htpasswd = "htpasswd"

{}
[[route]]
prefix = "corp.example"
anonymous = true
write_users = {writers:?}
{more}"#,
        ci.config
    )
}

pub struct Token {
    pub secret: String,
    pub config: String,
}

pub fn new_token(name: &str) -> Token {
    let output = modgate_command()
        .args(["token", "new", "--name", name])
        .output()
        .expect("running modgate token new");
    assert!(output.status.success(), "{}", describe(&output));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let secret = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("mg_"))
        .unwrap_or_else(|| panic!("no token in {stdout:?}"))
        .to_owned();
    let config: String = stdout
        .lines()
        .map(str::trim)
        .skip_while(|l| *l != "[[auth.token]]")
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        config.contains(&format!("name = \"{name}\"")) && config.contains("sha256 = \""),
        "unexpected config lines in {stdout:?}"
    );
    assert!(
        !config.contains(&secret),
        "the config lines hold the token in clear"
    );
    Token { secret, config }
}

/// `modgate publish ARGS…`, with `TMPDIR` set to `tmp` so that whatever it leaves behind goes
/// away with the test.
pub fn publish_command(args: &[&str], tmp: &Path) -> Output {
    std::fs::create_dir_all(tmp).expect("creating TMPDIR");
    modgate_command()
        .arg("publish")
        .args(args)
        .env("TMPDIR", tmp)
        .output()
        .expect("running modgate publish")
}

/// What `modgate publish` printed on success.
#[track_caller]
pub fn published_by(output: &Output) -> Published {
    assert!(output.status.success(), "{}", describe(output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", describe(output)))
}

pub fn describe(output: &Output) -> String {
    format!(
        "exited with {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes a module source directory.
pub fn write_module(dir: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        write_file(&dir.join(name), contents);
    }
}

/// Every file below `dir`, relative and sorted: to show nothing was written, or nothing left.
pub fn files_below(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(
                    path.strip_prefix(dir)
                        .expect("below dir")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    found.sort();
    found
}

/// The `h1:` hash of a zip held in memory.
pub fn h1_of(zip: &[u8]) -> String {
    gomod::hash_zip(Cursor::new(zip)).expect("hashing a test zip")
}

/// Deterministic bytes that deflate does not shrink, so a zip is as large as its contents.
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
