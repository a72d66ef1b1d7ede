// Ported from golang.org/x/mod (zip/zip_test.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod's zip tests that are not vector files, as `zip/zip_test.go` has them: special
//! directories (empty, a symlink, a `vendor` directory as the module root), the size limits of
//! `create`, `check_files` and `unzip` (the full 500 MiB ones ignored by default: slow), and a
//! zip bomb whose headers lie about its sizes, which `inspect_zip` must refuse too.

use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use gomod::{FileInfo, FileKind, ModuleFile, ZipErrorKind, ZipStrictness};

mod common;
use common::TempDir;

const EMPTY_HASH: &str = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/// x/mod's `TestCreateFromDirSpecial`.
#[test]
fn create_from_dir_special() {
    let dir = TempDir::new();
    fs::create_dir(dir.path().join("empty")).unwrap();
    assert_eq!(
        create_from_dir_hash(dir.path()),
        EMPTY_HASH,
        "ignore_empty_dir"
    );

    #[cfg(unix)]
    {
        let dir = TempDir::new();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("link")).unwrap();
        assert_eq!(
            create_from_dir_hash(dir.path()),
            EMPTY_HASH,
            "ignore_symlink"
        );
    }

    let dir = TempDir::new();
    let vendor = dir.path().join("vendor");
    fs::create_dir(&vendor).unwrap();
    fs::write(vendor.join("go.mod"), "module example.com/m\n\ngo 1.13\n").unwrap();
    assert_eq!(
        create_from_dir_hash(&vendor),
        "h1:XduFAgX/GaspZa8Jv4pfzoGEzNaU/r88PiCunijw5ok=",
        "dir_is_vendor"
    );
}

fn create_from_dir_hash(dir: &Path) -> String {
    let mut zip = Cursor::new(Vec::new());
    gomod::create_from_dir(&mut zip, "example.com/m", "v1.0.0", dir).unwrap();
    gomod::hash_zip(Cursor::new(zip.into_inner())).unwrap()
}

/// A file whose declared size is not its real size: x/mod's `fakeFile`, with zeros for data
/// unless given.
struct FakeFile {
    name: &'static str,
    size: u64,
    data: Option<&'static [u8]>,
}

impl ModuleFile for FakeFile {
    fn path(&self) -> &str {
        self.name
    }
    fn info(&self) -> std::io::Result<FileInfo> {
        Ok(FileInfo {
            kind: FileKind::Regular,
            size: self.size,
        })
    }
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        match self.data {
            Some(data) => Ok(Box::new(data)),
            None => Ok(Box::new(std::io::repeat(0).take(self.size))),
        }
    }
}

/// x/mod's `TestCreateSizeLimits`, for the cases that need not write 500 MiB (those are in
/// `create_size_limits_full`).
#[test]
fn create_size_limits() {
    const MAX: u64 = gomod::MAX_ZIP_FILE;
    let fake = |name, size| FakeFile {
        name,
        size,
        data: None,
    };
    // (description, files, error from check_files and create, or "")
    let cases: Vec<(&str, Vec<FakeFile>, &str)> = vec![
        (
            "one_too_large",
            vec![fake("large.go", MAX + 1)],
            "module source tree too large",
        ),
        (
            "total_too_large",
            vec![fake("small.go", 10), fake("large.go", MAX - 9)],
            "module source tree too large",
        ),
        (
            "too_large_gomod",
            vec![fake("go.mod", gomod::MAX_GO_MOD + 1)],
            "go.mod file too large",
        ),
        (
            "too_large_license",
            vec![fake("LICENSE", gomod::MAX_LICENSE + 1)],
            "LICENSE file too large",
        ),
        (
            "negative",
            vec![fake("neg.go", 0x8000_0000_0000_0000)],
            "module source tree too large",
        ),
    ];
    for (desc, files, want) in &cases {
        let err = gomod::check_files(files).unwrap_err();
        assert!(err.to_string().contains(want), "{desc}: check_files: {err}");
        let err = gomod::create(
            Cursor::new(Vec::new()),
            "example.com/large",
            "v1.0.0",
            files,
        )
        .unwrap_err();
        assert!(err.to_string().contains(want), "{desc}: create: {err}");
    }
    // Sizes at the limits are fine for the checks.
    for files in [
        vec![fake("large.go", MAX)],
        vec![fake("small.go", 10), fake("large.go", MAX - 10)],
        vec![fake("go.mod", gomod::MAX_GO_MOD)],
        vec![fake("LICENSE", gomod::MAX_LICENSE)],
    ] {
        gomod::check_files(&files).unwrap();
    }
    // size_is_a_lie: create reads the file and finds more than it declared.
    let lie = [FakeFile {
        name: "lie.go",
        size: 1,
        data: Some(b"package large"),
    }];
    gomod::check_files(&lie).unwrap();
    let err =
        gomod::create(Cursor::new(Vec::new()), "example.com/large", "v1.0.0", &lie).unwrap_err();
    assert!(
        err.to_string().contains("larger than declared size"),
        "{err}"
    );
}

/// x/mod's `TestCreateSizeLimits` and `TestUnzipSizeLimits` at full size: writes and reads
/// zips of up to 500 MiB. The zips for the unzip side are deflated at the fastest level, to
/// keep a debug build's run short; `create` itself runs once, at exactly the limit.
#[test]
#[ignore = "slow: writes 500 MiB zips"]
fn size_limits_full() {
    const MAX: u64 = gomod::MAX_ZIP_FILE;
    let fake = |name, size| FakeFile {
        name,
        size,
        data: None,
    };

    let tmp = TempDir::new();
    let zip_path = tmp.path().join("created.zip");
    let out = std::io::BufWriter::new(fs::File::create(&zip_path).unwrap());
    let files = [fake("small.go", 10), fake("large.go", MAX - 10)];
    gomod::create(out, "example.com/large", "v1.0.0", &files).unwrap();
    gomod::check_zip(
        fs::File::open(&zip_path).unwrap(),
        "example.com/large",
        "v1.0.0",
    )
    .unwrap();
    drop(tmp);

    // (files, error from check_zip and unzip, or "")
    let cases: Vec<(Vec<FakeFile>, &str)> = vec![
        (vec![fake("large.go", MAX)], ""),
        (
            vec![fake("large.go", MAX + 1)],
            "total uncompressed size of module contents too large",
        ),
        (vec![fake("small.go", 10), fake("large.go", MAX - 10)], ""),
        (
            vec![fake("small.go", 10), fake("large.go", MAX - 9)],
            "total uncompressed size of module contents too large",
        ),
        (vec![fake("go.mod", gomod::MAX_GO_MOD)], ""),
        (
            vec![fake("go.mod", gomod::MAX_GO_MOD + 1)],
            "go.mod file too large",
        ),
        (vec![fake("LICENSE", gomod::MAX_LICENSE)], ""),
        (
            vec![fake("LICENSE", gomod::MAX_LICENSE + 1)],
            "LICENSE file too large",
        ),
    ];
    for (files, want) in &cases {
        let tmp = TempDir::new();
        let zip_path = tmp.path().join("big.zip");
        // As x/mod's test does, with a plain zip writer: create refuses some of these.
        let out = fs::File::create(&zip_path).unwrap();
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(out));
        for f in files {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .compression_level(Some(1));
            zip.start_file(format!("example.com/large@v1.0.0/{}", f.name), options)
                .unwrap();
            std::io::copy(&mut f.open().unwrap(), &mut zip).unwrap();
        }
        zip.finish().unwrap();
        let open = || fs::File::open(&zip_path).unwrap();
        let check = gomod::check_zip(open(), "example.com/large", "v1.0.0");
        let unzip = gomod::unzip(
            &tmp.path().join("out"),
            "example.com/large",
            "v1.0.0",
            open(),
        );
        if want.is_empty() {
            check.unwrap();
            unzip.unwrap();
        } else {
            assert!(check.unwrap_err().to_string().contains(want));
            assert!(unzip.unwrap_err().to_string().contains(want));
        }
    }
}

/// x/mod's `TestUnzipSizeLimitsSpecial`.
#[test]
fn unzip_size_limits_special() {
    let m = ("example.com/m", "v1.0.0");
    // large_zip / too_large_zip: the size is checked before the zip is parsed. Sparse files,
    // so nothing is written.
    for (len, want) in [
        (gomod::MAX_ZIP_FILE, "not a valid zip file"),
        (gomod::MAX_ZIP_FILE + 1, "module zip file is too large"),
    ] {
        let tmp = TempDir::new();
        let zip_path = tmp.path().join("sparse.zip");
        fs::File::create(&zip_path).unwrap().set_len(len).unwrap();
        let err = gomod::unzip(
            &tmp.path().join("out"),
            m.0,
            m.1,
            fs::File::open(&zip_path).unwrap(),
        )
        .unwrap_err();
        assert!(err.to_string().contains(want), "{len}: {err}");
    }

    // size_is_a_lie: a deflated go.mod of 0xBAD zero bytes whose sizes say 0xAC. Go 1.19's
    // archive/zip says "not a valid zip file"; so does gomod, from the same check.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        "example.com/m@v1.0.0/go.mod",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    zip.write_all(&[0u8; 0x0BAD]).unwrap();
    let mut data = zip.finish().unwrap().into_inner();
    let replaced = replace_all(&mut data, &[0xAD, 0x0B, 0, 0], &[0xAC, 0x00, 0, 0]);
    assert_eq!(
        replaced, 2,
        "the size is in the local header and the central directory"
    );
    gomod::check_zip(Cursor::new(&data), m.0, m.1).unwrap();
    let tmp = TempDir::new();
    let err = gomod::unzip(&tmp.path().join("out"), m.0, m.1, Cursor::new(&data)).unwrap_err();
    assert!(err.to_string().contains("not a valid zip file"), "{err}");
    let err = gomod::hash_zip(Cursor::new(&data)).unwrap_err();
    assert!(err.to_string().contains("not a valid zip file"), "{err}");
    inspect_refuses_lie(&data, err);
}

/// A zip bomb: 100 MiB of zeros deflate to about 100 KiB, and the central directory says the
/// entry holds 10 bytes. check_zip believes it (the declared total is tiny), and every reader
/// stops at byte 11.
#[test]
fn zip_bomb_that_lies_about_sizes() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("example.com/m@v1.0.0/bomb.go", options)
        .unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..100 {
        zip.write_all(&chunk).unwrap();
    }
    let mut data = zip.finish().unwrap().into_inner();
    assert!(data.len() < 1 << 20);
    let size = (100u32 << 20).to_le_bytes();
    assert_eq!(replace_all(&mut data, &size, &10u32.to_le_bytes()), 2);

    let checked = gomod::check_zip(Cursor::new(&data), "example.com/m", "v1.0.0").unwrap();
    assert_eq!(checked.valid, ["example.com/m@v1.0.0/bomb.go"]);
    let tmp = TempDir::new();
    let err = gomod::unzip(
        &tmp.path().join("out"),
        "example.com/m",
        "v1.0.0",
        Cursor::new(&data),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a valid zip file"), "{err}");
    let written = fs::metadata(tmp.path().join("out/bomb.go")).unwrap().len();
    assert!(written <= 10, "wrote {written} bytes");
    let err = gomod::hash_zip(Cursor::new(&data)).unwrap_err();
    assert!(err.to_string().contains("not a valid zip file"), "{err}");
    inspect_refuses_lie(&data, err);
}

/// `inspect_zip` refuses a zip whose entry holds more than it declares as `hash_zip` does
/// (`hash_err`): the same text after `module@version: `, the same `io::ErrorKind`, and not an
/// I/O error, at both strictness levels.
fn inspect_refuses_lie(data: &[u8], hash_err: std::io::Error) {
    for strictness in [ZipStrictness::Lenient, ZipStrictness::Strict] {
        let err = gomod::inspect_zip(Cursor::new(data), "example.com/m", "v1.0.0", strictness)
            .unwrap_err();
        assert_eq!(err.to_string(), format!("example.com/m@v1.0.0: {hash_err}"));
        assert!(!err.is_io(), "{err}");
        let ZipErrorKind::Read { source, .. } = &err.kind else {
            panic!("not a read error: {err:?}");
        };
        assert_eq!(source.kind(), hash_err.kind());
        assert_eq!(source.kind(), std::io::ErrorKind::InvalidData);
    }
}

fn replace_all(data: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from {
            data[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}
