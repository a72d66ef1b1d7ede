// Ported from golang.org/x/mod (zip/zip_test.go) and golang.org/x/tools (txtar/archive.go). Copyright 2018, 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod's own module zip test vectors, run against gomod as `zip/zip_test.go` runs them.
//!
//! The vectors are x/mod 0.7.0's `zip/testdata`, with the vendor cases of v0.22.0 (which run
//! both vendor rules: `…_go123` and `…_go124`), copied into `crates/gomod/testdata/zip` (see
//! the README there), one txtar file per case, one directory per function: `create`,
//! `create_from_dir`, `unzip`, `check_files`, `check_dir` and `check_zip`. A header of
//! `key=value` lines gives the module `path=` and `version=`, and either `wantErr=` (a substring
//! of the error) or `hash=` (the exact `h1:` of the result); the `check_*` cases hold a `want`
//! file with the report.
//!
//! x/mod's other zip tests (special directories, size limits, zip bombs) are in
//! `zip_special.rs`.
//!
//! Each directory is one test that runs every case and then fails naming every case that
//! failed. Three vectors use a module path that is not UTF-8 (`invalid_utf8_mod_path`), which
//! gomod cannot even be called with, since it takes `&str`: for those the test checks that the
//! vector expects x/mod's "invalid UTF-8" and that the lossy form of the path is refused.

use std::fmt::Write as _;
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use gomod::{CheckedFiles, MemFile, ZipError, ZipStrictness};

mod common;
use common::{TempDir, hash_dir};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/zip");

// ---------------------------------------------------------------------------------------------
// The runners, one per vector directory.

#[test]
fn create() {
    run_dir("create", |case| {
        let files: Vec<MemFile> = case
            .files
            .iter()
            .map(|f| MemFile::new(f.name_str(), f.data.clone()))
            .collect();
        let (module, version) = case.module_version()?;
        let mut zip = Cursor::new(Vec::new());
        let result = gomod::create(&mut zip, module, version, &files);
        let created = result.is_ok();
        let zip = zip.into_inner();
        case.check_result(result.map(drop), || hash_zip_bytes(zip.clone()))?;
        if created {
            inspect_like_separate_calls(&zip, module, version)?;
        }
        Ok(())
    });
}

#[test]
fn create_from_dir() {
    run_dir("create_from_dir", |case| {
        let dir = TempDir::new();
        case.extract_to(dir.path(), &[])?;
        let (module, version) = case.module_version()?;
        // A real file, as x/mod's test uses: create_from_dir must work on any Write + Seek.
        let zip_path = TempDir::new();
        let zip_file = zip_path.path().join("out.zip");
        let out = fs::File::create(&zip_file).map_err(|e| e.to_string())?;
        let result = gomod::create_from_dir(out, module, version, dir.path());
        case.check_result(result.map(drop), || {
            let zip = fs::File::open(&zip_file).map_err(|e| e.to_string())?;
            gomod::hash_zip(zip).map_err(|e| e.to_string())
        })
    });
}

#[test]
fn unzip() {
    run_dir("unzip", |case| {
        let zip = write_stored_zip(&case.files);
        let (module, version) = case.module_version()?;
        inspect_like_separate_calls(&zip, module, version)?;
        let zip = Cursor::new(zip);
        let dir = TempDir::new();
        // x/mod's test extracts into an existing, empty directory; so does this.
        let target = dir.path().join("out");
        fs::create_dir(&target).map_err(|e| e.to_string())?;
        let result = gomod::unzip(&target, module, version, zip);
        case.check_result(result, || hash_dir(&target, &format!("{module}@{version}")))
    });
}

#[test]
fn check_files() {
    run_dir("check_files", |case| {
        let files: Vec<MemFile> = case
            .files
            .iter()
            .filter(|f| f.name != b"want")
            .map(|f| MemFile::new(f.name_str(), f.data.clone()))
            .collect();
        check_report(case, gomod::check_files(&files), None)
    });
}

#[test]
fn check_dir() {
    run_dir("check_dir", |case| {
        let dir = TempDir::new();
        case.extract_to(dir.path(), &[b"want"])?;
        check_report(case, gomod::check_dir(dir.path()), Some(dir.path()))
    });
}

#[test]
fn check_zip() {
    run_dir("check_zip", |case| {
        let files: Vec<TxtarFile> = case
            .files
            .iter()
            .filter(|f| f.name != b"want")
            .cloned()
            .collect();
        let zip = write_stored_zip(&files);
        let (module, version) = case.module_version()?;
        inspect_like_separate_calls(&zip, module, version)?;
        check_report(
            case,
            gomod::check_zip(Cursor::new(zip), module, version),
            None,
        )
    });
}

/// What a proxy learns from a zip: its `h1:`, its go.mod and its valid files, or the error text.
type Learned = Result<(String, Option<Vec<u8>>, Vec<String>), String>;

/// Checks that `inspect_zip` answers as `check_zip` (or `check_zip_strict`), `read_go_mod` and
/// `hash_zip` called one after the other do, with the same error text as a caller that prefixes
/// hash_zip's error with `module@version: `, at both strictness levels.
fn inspect_like_separate_calls(zip: &[u8], module: &str, version: &str) -> Result<(), String> {
    for strictness in [ZipStrictness::Lenient, ZipStrictness::Strict] {
        let separate = || -> Learned {
            let checked = match strictness {
                ZipStrictness::Strict => gomod::check_zip_strict(Cursor::new(zip), module, version),
                _ => gomod::check_zip(Cursor::new(zip), module, version),
            }
            .map_err(|e| e.to_string())?;
            let go_mod =
                gomod::read_go_mod(Cursor::new(zip), module, version).map_err(|e| e.to_string())?;
            let h1 = gomod::hash_zip(Cursor::new(zip))
                .map_err(|e| format!("{module}@{version}: {e}"))?;
            Ok((h1, go_mod, checked.valid))
        };
        let inspected = gomod::inspect_zip(Cursor::new(zip), module, version, strictness);
        if let Err(e) = &inspected
            && e.is_io()
        {
            return Err(format!(
                "inspect_zip ({strictness:?}): an I/O error from memory: {e}"
            ));
        }
        let inspected: Learned = inspected
            .map(|i| (i.h1, i.go_mod, i.checked.valid))
            .map_err(|e| e.to_string());
        let separate = separate();
        if inspected != separate {
            return Err(format!(
                "inspect_zip ({strictness:?}) gives {inspected:?}, the separate calls {separate:?}"
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Running a directory of cases.

/// Runs `run` on every `.txt` case in `dir`, prints the tally, and fails naming every case
/// that failed.
fn run_dir(dir: &str, run: impl Fn(&Case) -> Result<(), String>) {
    let path = Path::new(TESTDATA).join(dir);
    let entries = match fs::read_dir(&path) {
        Ok(entries) => entries,
        Err(e) => panic!(
            "the x/mod zip test vectors are missing ({}: {e})",
            path.display()
        ),
    };
    let mut names: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no vectors in {}", path.display());
    let mut failures = Vec::new();
    let mut not_utf8 = 0;
    for file in &names {
        let case = Case::read(file);
        match run(&case) {
            Ok(()) => {}
            Err(e) if e == SKIP_NOT_UTF8 => not_utf8 += 1,
            Err(e) => failures.push(format!("{dir}/{}: {e}", case.name)),
        }
    }
    eprintln!(
        "x/mod zip vectors {dir}: {} of {} passed ({not_utf8} of them by refusing a non-UTF-8 path)",
        names.len() - failures.len(),
        names.len()
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A test case: the header (x/mod's `testParams`) and the files.
struct Case {
    name: String,
    path: Vec<u8>,
    version: Vec<u8>,
    want_err: String,
    hash: String,
    files: Vec<TxtarFile>,
}

impl Case {
    /// x/mod's `readTest`.
    fn read(file: &Path) -> Self {
        let data = fs::read(file).unwrap();
        let archive = parse_txtar(&data);
        let mut case = Case {
            name: file.file_stem().unwrap().to_string_lossy().into_owned(),
            path: Vec::new(),
            version: Vec::new(),
            want_err: String::new(),
            hash: String::new(),
            files: archive.files,
        };
        for (n, line) in archive.comment.split(|&b| b == b'\n').enumerate() {
            let line = match line.iter().position(|&b| b == b'#') {
                Some(i) => &line[..i],
                None => line,
            };
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let eq = line
                .iter()
                .position(|&b| b == b'=')
                .unwrap_or_else(|| panic!("{}:{}: missing = separator", file.display(), n + 1));
            let (key, value) = (
                line[..eq].trim_ascii(),
                line[eq + 1..].trim_ascii().to_vec(),
            );
            let text = || String::from_utf8(value.clone()).unwrap();
            match key {
                b"path" => case.path = value,
                b"version" => case.version = value,
                b"wantErr" => case.want_err = text(),
                b"hash" => case.hash = text(),
                _ => panic!(
                    "{}:{}: unknown key {:?}",
                    file.display(),
                    n + 1,
                    String::from_utf8_lossy(key)
                ),
            }
        }
        case
    }

    /// The module path and version as `&str`. A path that is not UTF-8 cannot be passed to
    /// gomod at all; the vector must then expect x/mod's "invalid UTF-8", and gomod must refuse
    /// the path's lossy form, which is as close as it can be asked. That ends the case.
    fn module_version(&self) -> Result<(&str, &str), String> {
        let version = std::str::from_utf8(&self.version).map_err(|e| e.to_string())?;
        match std::str::from_utf8(&self.path) {
            Ok(path) => Ok((path, version)),
            Err(_) => {
                let lossy = String::from_utf8_lossy(&self.path);
                if !self.want_err.contains("invalid UTF-8") {
                    return Err(format!(
                        "non-UTF-8 path, but wantErr is {:?}",
                        self.want_err
                    ));
                }
                if gomod::check(&lossy, version).is_ok() {
                    return Err(format!("{lossy:?} accepted"));
                }
                Err(SKIP_NOT_UTF8.to_owned())
            }
        }
    }

    /// zip_test.go's check of an operation's outcome: the error must contain `wantErr`, or the
    /// result must hash to `hash`.
    fn check_result(
        &self,
        result: Result<(), ZipError>,
        hash: impl FnOnce() -> Result<String, String>,
    ) -> Result<(), String> {
        match result {
            Err(e) if self.want_err.is_empty() => Err(format!("unexpected error: {e}")),
            Err(e) if !e.to_string().contains(&self.want_err) => Err(format!(
                "got error {:?}; want error containing {:?}",
                e.to_string(),
                self.want_err
            )),
            Err(_) => Ok(()),
            Ok(()) if !self.want_err.is_empty() => Err(format!(
                "unexpected success; want error containing {:?}",
                self.want_err
            )),
            Ok(()) => {
                let got = hash()?;
                if got == self.hash {
                    Ok(())
                } else {
                    Err(format!("got hash {got:?}, want {:?}", self.hash))
                }
            }
        }
    }

    /// x/mod's `extractTxtarToTempDir`, leaving out the files named in `skip`.
    fn extract_to(&self, dir: &Path, skip: &[&[u8]]) -> Result<(), String> {
        for f in self
            .files
            .iter()
            .filter(|f| !skip.contains(&f.name.as_slice()))
        {
            let path = dir.join(f.name_str());
            fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
            fs::write(&path, &f.data).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// What `module_version` returns for a case that ends at the type system; `run_dir` counts it
/// as passed.
const SKIP_NOT_UTF8: &str = "<not UTF-8>";

/// Compares a check's report with the case's `want` file (x/mod's `formatCheckedFiles`), and
/// checks that the error, if any, is the list of invalid files and nothing else.
fn check_report(
    case: &Case,
    result: Result<CheckedFiles, ZipError>,
    dir: Option<&Path>,
) -> Result<(), String> {
    let checked = match result {
        Ok(checked) => checked,
        Err(e) => {
            // The report's part of the message; the whole error adds `module@version: `.
            let message = e.kind.to_string();
            let checked = e
                .into_checked_files()
                .ok_or_else(|| format!("error without a report: {message}"))?;
            let want_message: Vec<String> =
                checked.invalid.iter().map(ToString::to_string).collect();
            if checked.size_error.is_some() || message != want_message.join("; ") {
                return Err(format!("error is not the list of invalid files: {message}"));
            }
            checked
        }
    };
    let mut got = String::from("valid:\n");
    for path in &checked.valid {
        writeln!(got, "{path}").unwrap();
    }
    got.push_str("\nomitted:\n");
    for e in &checked.omitted {
        writeln!(got, "{}: {}", e.path, e.kind).unwrap();
    }
    got.push_str("\ninvalid:\n");
    for e in &checked.invalid {
        writeln!(got, "{}: {}", e.path, e.kind).unwrap();
    }
    if let Some(dir) = dir {
        got = got.replace(&dir.display().to_string(), "$work");
    }
    let want = case
        .files
        .iter()
        .find(|f| f.name == b"want")
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .ok_or("no want file")?;
    if got == want {
        Ok(())
    } else {
        Err(format!("got:\n{got}\nwant:\n{want}"))
    }
}

// ---------------------------------------------------------------------------------------------
// txtar (golang.org/x/tools/txtar), zips, hashes and temporary directories.

#[derive(Clone)]
struct TxtarFile {
    name: Vec<u8>,
    data: Vec<u8>,
}

impl TxtarFile {
    fn name_str(&self) -> String {
        String::from_utf8(self.name.clone()).expect("a UTF-8 file name")
    }
}

struct Txtar {
    comment: Vec<u8>,
    files: Vec<TxtarFile>,
}

/// `txtar.Parse`: a comment, then files each introduced by a `-- name --` line. A file's data
/// runs to the next marker line; a final newline is added if missing.
fn parse_txtar(data: &[u8]) -> Txtar {
    let (comment, mut name, mut rest) = find_file_marker(data);
    let mut files = Vec::new();
    while let Some(n) = name {
        let (data, next, after) = find_file_marker(rest);
        files.push(TxtarFile { name: n, data });
        name = next;
        rest = after;
    }
    Txtar { comment, files }
}

/// txtar's `findFileMarker`: the data before the next marker line, that marker's name, and the
/// data after it.
fn find_file_marker(data: &[u8]) -> (Vec<u8>, Option<Vec<u8>>, &[u8]) {
    let mut i = 0;
    loop {
        if let Some((name, after)) = is_marker(&data[i..]) {
            return (data[..i].to_vec(), Some(name), after);
        }
        match find(&data[i..], b"\n-- ") {
            Some(j) => i += j + 1,
            None => {
                let mut before = data.to_vec();
                if !before.is_empty() && !before.ends_with(b"\n") {
                    before.push(b'\n');
                }
                return (before, None, &[]);
            }
        }
    }
}

/// txtar's `isMarker`: whether `data` starts with a `-- name --` line.
fn is_marker(data: &[u8]) -> Option<(Vec<u8>, &[u8])> {
    if !data.starts_with(b"-- ") {
        return None;
    }
    let (line, after) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &data[data.len()..]),
    };
    if !(line.ends_with(b" --") && line.len() >= 6) {
        return None;
    }
    Some((line[3..line.len() - 3].trim_ascii().to_vec(), after))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A zip of stored entries with exactly the given names, duplicates and all, as x/mod's
/// `extractTxtarToTempZip` makes (it deflates; the hash does not care).
fn write_stored_zip(files: &[TxtarFile]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for f in files {
        let offset = out.len() as u32;
        let crc = crc32(&f.data);
        let size = f.data.len() as u32;
        let utf8_flag: u16 = if f.name.is_ascii() { 0 } else { 0x800 };
        let name_len = f.name.len() as u16;
        // Local header: signature, version 2.0, flags, stored, 1980-01-01, CRC, sizes, lengths.
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        for v in [20u16, utf8_flag, 0, 0, 0x21] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&f.name);
        out.extend_from_slice(&f.data);
        // Central directory header.
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        for v in [20u16, 20, utf8_flag, 0, 0, 0x21] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, size, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&f.name);
    }
    let directory_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    let count = files.len() as u16;
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn hash_zip_bytes(zip: Vec<u8>) -> Result<String, String> {
    gomod::hash_zip(Cursor::new(zip)).map_err(|e| e.to_string())
}
