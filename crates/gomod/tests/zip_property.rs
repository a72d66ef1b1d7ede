//! Properties of module zips over random file trees, from a fixed-seed PRNG so a failure
//! reproduces: whatever `create` accepts, `check_zip` accepts with the same files, and
//! `hash_zip` gives the `h1:` of those files whatever the order they came in, the same as the
//! extracted tree and as `create_from_dir` on the same tree. And no corruption of a zip makes
//! the readers panic.

use std::fs;
use std::io::Cursor;
use std::path::Path;

use gomod::{FileKind, MemFile};

mod common;
use common::{TempDir, hash_dir};

/// xorshift64*: small, deterministic, good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Path elements chosen to hit the rules: case folding (`A`/`a`, the Kelvin sign), nested
/// modules (`GO.MOD`), vendoring, `.hg_archival.txt`, VCS directories and invalid names.
const ELEMENTS: &[&str] = &[
    "a",
    "b",
    "A",
    "c.go",
    "C.GO",
    "go.mod",
    "GO.MOD",
    "vendor",
    "sub",
    "cmd",
    "é",
    "É",
    "k",
    "\u{212a}",
    "LICENSE",
    ".hg_archival.txt",
    "modules.txt",
    ".git",
    "x y",
    "bad'",
    "con",
    "..",
    "-dash",
];

fn random_tree(rng: &mut Rng) -> Vec<MemFile> {
    let count = rng.below(12);
    (0..count)
        .map(|_| {
            let depth = 1 + rng.below(3);
            let path: Vec<&str> = (0..depth).map(|_| *rng.pick(ELEMENTS)).collect();
            let len = *rng.pick(&[0, 1, 10, 100, 5000]);
            let compressible = rng.chance(50);
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    if compressible {
                        (i % 7) as u8
                    } else {
                        rng.next() as u8
                    }
                })
                .collect();
            let kind = if rng.chance(10) {
                FileKind::Symlink
            } else {
                FileKind::Regular
            };
            MemFile::with_kind(path.join("/"), kind, data)
        })
        .collect()
}

const MODULES: &[(&str, &str)] = &[
    ("example.com/m", "v1.0.0"),
    ("example.com/m/v2", "v2.3.4-pre.1"),
    ("example.com/Upper", "v0.0.0-20200101000000-abcdefabcdef"),
];

fn hash_zip(zip: &[u8]) -> String {
    gomod::hash_zip(Cursor::new(zip)).unwrap()
}

#[test]
fn create_check_hash_agree() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused, mut from_dir) = (0, 0, 0);
    for round in 0..400 {
        let files = random_tree(&mut rng);
        let &(module, version) = rng.pick(MODULES);
        let context = format!(
            "round {round}: {module}@{version} {:?}",
            files.iter().map(|f| &f.path).collect::<Vec<_>>()
        );
        let mut zip = Cursor::new(Vec::new());
        let created = gomod::create(&mut zip, module, version, &files);
        let checked_files = gomod::check_files(&files);

        // Shuffled, the same files give the same verdict and the same hash.
        let mut shuffled: Vec<&MemFile> = files.iter().collect();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, rng.below(i + 1));
        }
        let mut zip2 = Cursor::new(Vec::new());
        let created2 = gomod::create(&mut zip2, module, version, &shuffled);
        assert_eq!(created.is_ok(), created2.is_ok(), "{context}");

        let checked = match created {
            Err(err) => {
                refused += 1;
                let report = err
                    .checked_files()
                    .unwrap_or_else(|| panic!("{context}: {err}"));
                let same = checked_files
                    .as_ref()
                    .err()
                    .and_then(|e| e.checked_files())
                    .expect("check_files agrees");
                assert_eq!(report.valid, same.valid, "{context}");
                assert!(!report.is_valid());
                continue;
            }
            Ok(checked) => checked,
        };
        accepted += 1;
        assert_eq!(checked.valid, checked_files.unwrap().valid, "{context}");
        let zip = zip.into_inner();

        // check_zip accepts what create wrote, with the same files.
        let from_zip = gomod::check_zip(Cursor::new(&zip), module, version)
            .unwrap_or_else(|e| panic!("{context}: {e}"));
        let prefixed: Vec<String> = checked
            .valid
            .iter()
            .map(|p| format!("{module}@{version}/{p}"))
            .collect();
        assert_eq!(from_zip.valid, prefixed, "{context}");

        // hash_zip is Hash1 over the valid files, and does not depend on their order.
        let h1 = hash_zip(&zip);
        let by_path = |p: &str| {
            files
                .iter()
                .rfind(|f| f.path == p)
                .expect("a valid file")
                .data
                .as_slice()
        };
        let want = gomod::hash1(
            checked
                .valid
                .iter()
                .map(|p| (format!("{module}@{version}/{p}"), by_path(p))),
        )
        .unwrap();
        assert_eq!(h1, want, "{context}");
        assert_eq!(hash_zip(&zip2.into_inner()), h1, "{context}: shuffled");
        // Same files, same bytes.
        let mut again = Cursor::new(Vec::new());
        gomod::create(&mut again, module, version, &files).unwrap();
        assert_eq!(
            again.into_inner(),
            zip,
            "{context}: create is deterministic"
        );

        // Extracting and hashing the tree gives the same h1.
        let tmp = TempDir::new();
        let out = tmp.path().join("out");
        gomod::unzip(&out, module, version, Cursor::new(&zip))
            .unwrap_or_else(|e| panic!("{context}: {e}"));
        assert_eq!(
            hash_dir(&out, &format!("{module}@{version}")).unwrap(),
            h1,
            "{context}: unzipped"
        );
        assert_eq!(
            gomod::read_go_mod(Cursor::new(&zip), module, version)
                .unwrap()
                .as_deref(),
            files
                .iter()
                .rfind(|f| f.path == "go.mod" && checked.valid.iter().any(|v| v == "go.mod"))
                .map(|f| f.data.as_slice()),
            "{context}: go.mod"
        );

        // The same tree on disk gives the same zip through create_from_dir, when it can be
        // written (no name both a file and a directory) and has nothing create_from_dir
        // treats differently by design (VCS directories, symbolic links).
        let regular: Vec<&MemFile> = files
            .iter()
            .filter(|f| f.kind == FileKind::Regular)
            .collect();
        if regular.len() == files.len()
            && !files.iter().any(|f| f.path.split('/').any(|e| e == ".git"))
        {
            let tree = TempDir::new();
            if write_tree(tree.path(), &files).is_ok() {
                let mut dir_zip = Cursor::new(Vec::new());
                gomod::create_from_dir(&mut dir_zip, module, version, tree.path())
                    .unwrap_or_else(|e| panic!("{context}: {e}"));
                assert_eq!(
                    hash_zip(&dir_zip.into_inner()),
                    h1,
                    "{context}: create_from_dir"
                );
                from_dir += 1;
            }
        }
    }
    eprintln!("{accepted} trees accepted ({from_dir} also from a directory), {refused} refused");
    assert!(
        accepted > 50 && refused > 50,
        "the generator should hit both outcomes"
    );
}

/// Corrupted and truncated zips give errors, never panics, from every reader.
#[test]
fn corrupt_zips_do_not_panic() {
    let files = [
        MemFile::new("go.mod", b"module example.com/m\n\ngo 1.19\n".to_vec()),
        MemFile::new(
            "m.go",
            b"package m\n\nfunc F() int { return 42 }\n".repeat(20),
        ),
        MemFile::new("sub/x.go", vec![7u8; 3000]),
    ];
    let mut zip = Cursor::new(Vec::new());
    gomod::create(&mut zip, "example.com/m", "v1.0.0", &files).unwrap();
    let zip = zip.into_inner();
    let mut rng = Rng(42);
    let tmp = TempDir::new();
    for round in 0..3000 {
        let mut bad = zip.clone();
        match rng.below(3) {
            0 => bad.truncate(rng.below(zip.len())),
            _ => {
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(bad.len());
                    bad[i] = rng.next() as u8;
                }
            }
        }
        let _ = gomod::check_zip(Cursor::new(&bad), "example.com/m", "v1.0.0");
        let _ = gomod::hash_zip(Cursor::new(&bad));
        let _ = gomod::read_go_mod(Cursor::new(&bad), "example.com/m", "v1.0.0");
        let _ = gomod::unzip(
            &tmp.path().join(round.to_string()),
            "example.com/m",
            "v1.0.0",
            Cursor::new(&bad),
        );
    }
}

fn write_tree(dir: &Path, files: &[MemFile]) -> std::io::Result<()> {
    for f in files {
        let path = dir.join(&f.path);
        fs::create_dir_all(path.parent().unwrap_or(dir))?;
        // A name that is already a directory, or a path through a file, cannot be written.
        if path.exists() {
            return Err(std::io::ErrorKind::AlreadyExists.into());
        }
        fs::write(&path, &f.data)?;
    }
    Ok(())
}
