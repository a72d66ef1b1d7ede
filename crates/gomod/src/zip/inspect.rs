//! Checking, hashing and reading the go.mod of a module zip in one pass over it.
//!
//! A proxy that accepts a zip (an upload, or a download from upstream) needs three things from
//! it: that it obeys the module zip rules ([`check_zip`](super::check_zip) or
//! [`check_zip_strict`](super::check_zip_strict)), its `h1:` ([`hash_zip`](crate::hash_zip)),
//! and its go.mod ([`read_go_mod`](super::read_go_mod)) to serve as the `.mod` file. Called one
//! after the other, they open the zip three times, find and parse its central directory three
//! times and read the go.mod twice, and the caller must be able to reopen the zip each time.
//! [`inspect_zip`] takes the reader once: it parses the central directory once, checks it by
//! the same code as `check_zip`, then reads each entry once, hashing it and keeping the
//! go.mod's bytes as they go by. A 500 MiB upload is read once, start to end, plus the last
//! KiB where the search for the end of the central directory starts.
//!
//! Not in x/mod, whose `CheckZip` and `dirhash.HashZip` are separate; the rules and the hash are
//! theirs, through the same code as the separate functions here.

use std::io::{Read, Seek};

use super::check::{open_valid, root_go_mod};
use super::{CheckedFiles, ZipError, ZipErrorKind, ZipStrictness};
use crate::dirhash::{ArchiveHashError, hash_archive, newline_error};

/// What [`inspect_zip`] learned about a valid module zip.
#[derive(Debug)]
#[non_exhaustive]
pub struct InspectedZip {
    /// The report of the check, as [`check_zip`](super::check_zip) returns it.
    pub checked: CheckedFiles,
    /// The root go.mod's contents (at most [`MAX_GO_MOD`](super::MAX_GO_MOD) bytes), `None` when
    /// the zip has none.
    pub go_mod: Option<Vec<u8>>,
    /// The go.sum hash of the zip, as [`hash_zip`](crate::hash_zip) gives it.
    pub h1: String,
}

/// Checks a module zip, hashes it and reads its go.mod, opening and reading it once: the same
/// as [`check_zip`](super::check_zip) (or [`check_zip_strict`](super::check_zip_strict) for
/// [`ZipStrictness::Strict`]), then [`read_go_mod`](super::read_go_mod), then
/// [`hash_zip`](crate::hash_zip), with the same answers and errors.
///
/// `Err` with the check's error when the zip breaks the rules (nothing is read but the central
/// directory then), or with [`ZipErrorKind::Read`] naming the entry when an entry cannot be
/// read: its data is not what the zip declares (longer or shorter than its size, another
/// CRC-32: a zip bomb that lies about its sizes stops here, at the declared size), or the
/// reader failed. [`ZipError::is_io`] tells the reader's failures from the zip's.
///
/// ```
/// use std::io::Cursor;
/// use gomod::{MemFile, ZipStrictness};
///
/// let files = [
///     MemFile::new("go.mod", b"module example.com/hello\n\ngo 1.19\n".to_vec()),
///     MemFile::new("hello.go", b"package hello\n\nfunc Hello() string { return \"hello\" }\n".to_vec()),
/// ];
/// let mut zip = Cursor::new(Vec::new());
/// gomod::create(&mut zip, "example.com/hello", "v1.0.0", &files)?;
/// zip.set_position(0);
///
/// let inspected =
///     gomod::inspect_zip(zip, "example.com/hello", "v1.0.0", ZipStrictness::Strict)?;
/// assert_eq!(inspected.h1, "h1:YdH98tGxleleSc0AoVVCSWC4I2WDc1g0KPMQj//W6lY=");
/// assert_eq!(inspected.go_mod.as_deref(), Some(&b"module example.com/hello\n\ngo 1.19\n"[..]));
/// assert_eq!(inspected.checked.valid.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn inspect_zip<R: Read + Seek>(
    zip: R,
    module: &str,
    version: &str,
    strictness: ZipStrictness,
) -> Result<InspectedZip, ZipError> {
    let (mut archive, checked) = open_valid(zip, module, version, strictness)?;
    // The check refused a second go.mod and one over MAX_GO_MOD, so what is kept is bounded.
    let go_mod_name = root_go_mod(module, version);
    let (h1, go_mod) = hash_archive(&mut archive, Some(go_mod_name.as_bytes())).map_err(|e| {
        let kind = match e {
            ArchiveHashError::Entry { name, source } => ZipErrorKind::Read {
                name: String::from_utf8_lossy(&name).into_owned(),
                source,
            },
            // The check refused every name that is not a valid file path, newlines included.
            ArchiveHashError::Newline => ZipErrorKind::Archive(newline_error()),
        };
        ZipError::new(module, version, kind)
    })?;
    Ok(InspectedZip {
        checked,
        go_mod,
        h1,
    })
}

#[cfg(test)]
mod tests {
    use std::io::{self, Cursor, SeekFrom, Write};

    use super::*;
    use crate::zip::noise;

    const M: &str = "example.com/m";
    const V: &str = "v1.0.0";

    /// A zip of (name, contents) entries, stored; a name ending in `/` makes a directory entry.
    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Stored);
        for (name, data) in files {
            match name.strip_suffix('/') {
                Some(dir) => zip.add_directory(dir, options).expect("directory entry"),
                None => {
                    zip.start_file(*name, options).expect("file entry");
                    zip.write_all(data).expect("contents");
                }
            }
        }
        zip.finish().expect("zip").into_inner()
    }

    /// A reader over `data` that counts how often each byte is read, and fails with
    /// `ErrorKind::Other` on a read that would include the byte at `fail_at`.
    struct Counting<'a> {
        data: Cursor<&'a [u8]>,
        hits: Vec<u32>,
        fail_at: u64,
    }

    impl<'a> Counting<'a> {
        fn new(data: &'a [u8]) -> Self {
            Self {
                data: Cursor::new(data),
                hits: vec![0; data.len()],
                fail_at: u64::MAX,
            }
        }

        fn total(&self) -> u64 {
            self.hits.iter().map(|&n| u64::from(n)).sum()
        }
    }

    impl Read for Counting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let at = self.data.position();
            let n = self.data.read(buf)?;
            if (at..at + n as u64).contains(&self.fail_at) {
                return Err(io::Error::other("disk on fire"));
            }
            for hit in &mut self.hits[at as usize..at as usize + n] {
                *hit += 1;
            }
            Ok(n)
        }
    }

    impl Seek for Counting<'_> {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.data.seek(pos)
        }
    }

    #[test]
    fn reads_the_zip_once() {
        let big = noise(4 << 20, 0x9E37_79B9_7F4A_7C15);
        let names: Vec<String> = (0..200).map(|i| format!("{M}@{V}/f{i}.go")).collect();
        let mut files: Vec<(&str, &[u8])> = vec![
            ("example.com/m@v1.0.0/go.mod", b"module example.com/m\n"),
            ("example.com/m@v1.0.0/big.bin", &big),
        ];
        files.extend(names.iter().map(|n| (n.as_str(), &b"package m\n"[..])));
        let zip = zip_of(&files);

        let mut reader = Counting::new(&zip);
        let inspected = inspect_zip(&mut reader, M, V, ZipStrictness::Strict).expect("valid");
        // No byte read twice, but in the last KiB, where the search for the end of the central
        // directory starts before the directory is read. Names and extra fields in the local
        // headers are skipped: the central directory gave them.
        let tail = zip.len() - 1024;
        let twice = reader.hits[..tail].iter().position(|&n| n > 1);
        assert_eq!(twice, None, "a byte before the last KiB read twice");
        assert!(reader.hits[tail..].iter().all(|&n| n <= 2));
        assert!(reader.total() >= big.len() as u64);

        // The same answers as the separate calls, which open the zip three times and read its
        // central directory three times and its go.mod twice.
        let mut r = Counting::new(&zip);
        crate::check_zip_strict(&mut r, M, V).expect("valid");
        let mut total = r.total();
        let mut r = Counting::new(&zip);
        let go_mod = crate::read_go_mod(&mut r, M, V).expect("go.mod");
        total += r.total();
        let mut r = Counting::new(&zip);
        let h1 = crate::hash_zip(&mut r).expect("hash");
        total += r.total();
        assert_eq!(inspected.go_mod, go_mod);
        assert_eq!(
            inspected.go_mod.as_deref(),
            Some(&b"module example.com/m\n"[..])
        );
        assert_eq!(inspected.h1, h1);
        assert!(total > reader.total(), "{total} <= {}", reader.total());
    }

    #[test]
    fn directory_entries_by_strictness() {
        let zip = zip_of(&[
            ("example.com/m@v1.0.0/", b""),
            ("example.com/m@v1.0.0/go.mod", b"module example.com/m\n"),
            ("example.com/m@v1.0.0/sub/", b""),
            ("example.com/m@v1.0.0/sub/s.go", b"package sub\n"),
        ]);
        let lenient = inspect_zip(Cursor::new(&zip), M, V, ZipStrictness::Lenient).expect("valid");
        // The directory entries count in the hash, as in hash_zip.
        assert_eq!(
            lenient.h1,
            crate::hash_zip(Cursor::new(&zip)).expect("hash")
        );
        assert_eq!(
            lenient.checked.valid,
            [
                "example.com/m@v1.0.0/go.mod",
                "example.com/m@v1.0.0/sub/s.go"
            ]
        );
        let err = inspect_zip(Cursor::new(&zip), M, V, ZipStrictness::Strict).unwrap_err();
        let strict = crate::check_zip_strict(Cursor::new(&zip), M, V).unwrap_err();
        assert_eq!(err.to_string(), strict.to_string());
        assert_eq!(err.checked_files().map(|c| c.invalid.len()), Some(2));
        assert!(!err.is_io());
    }

    #[test]
    fn io_errors_are_told_from_invalid_zips() {
        let data = noise(64 << 10, 0x9E37_79B9_7F4A_7C15);
        let zip = zip_of(&[
            ("example.com/m@v1.0.0/go.mod", b"module example.com/m\n"),
            ("example.com/m@v1.0.0/data.bin", &data),
        ]);
        // The reader fails in the middle of an entry's data.
        let mut reader = Counting::new(&zip);
        reader.fail_at = 32 << 10;
        let err = inspect_zip(reader, M, V, ZipStrictness::Strict).unwrap_err();
        assert!(err.is_io(), "{err}");
        assert!(matches!(err.kind, ZipErrorKind::Read { .. }), "{err:?}");
        assert!(err.to_string().contains("disk on fire"), "{err}");

        // The reader fails while the central directory is read.
        let mut reader = Counting::new(&zip);
        reader.fail_at = zip.len() as u64 - 1;
        let err = inspect_zip(reader, M, V, ZipStrictness::Strict).unwrap_err();
        assert!(err.is_io(), "{err}");
        assert!(matches!(err.kind, ZipErrorKind::Archive(_)), "{err:?}");

        // A zip cut short is the zip's fault.
        let err = inspect_zip(
            Cursor::new(&zip[..zip.len() - 10]),
            M,
            V,
            ZipStrictness::Strict,
        )
        .unwrap_err();
        assert!(!err.is_io(), "{err}");
        assert_eq!(
            err.to_string(),
            "example.com/m@v1.0.0: reading zip: not a valid zip file"
        );

        // An entry whose data does not match its CRC-32.
        let mut corrupt = zip.clone();
        let at = find(&corrupt, &data[1000..1016]).expect("the data, stored");
        corrupt[at] ^= 0xFF;
        let err = inspect_zip(Cursor::new(&corrupt), M, V, ZipStrictness::Strict).unwrap_err();
        assert!(!err.is_io(), "{err}");
        assert_eq!(
            err.to_string(),
            r#"example.com/m@v1.0.0: reading "example.com/m@v1.0.0/data.bin": checksum error"#
        );
    }

    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }
}
