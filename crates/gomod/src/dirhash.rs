// Ported from golang.org/x/mod (sumdb/dirhash/hash.go). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! `h1:` hashes (x/mod `sumdb/dirhash`), the hashes go.sum files and the checksum database hold.
//!
//! `Hash1` is `sha256sum` over a sorted file list, hashed again:
//!
//! 1. sort the names by bytes (Go's `sort.Strings`, so `LICENSE` < `a.go`);
//! 2. for each, add the line `<hex sha256 of the content>  <name>\n` (two spaces) to a summary;
//! 3. the hash is `h1:` and the standard, padded base64 of the summary's sha256.
//!
//! A name holding a newline would let one file's line pass for two, so it is refused.
//!
//! Which names go in is the caller's business: for a module zip, every entry's full name,
//! `path@version/` prefix included ([`hash_zip`]); for a go.mod, the one name `go.mod`
//! ([`hash_go_mod`]).

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};

use base64::Engine as _;
use sha2::digest::Output;
use sha2::{Digest, Sha256};

use crate::archive::Archive;

/// `dirhash.Hash1` over (name, contents) pairs; names must not contain newlines.
///
/// Pairs with the same name are hashed in the order given. x/mod's `HashZip` looks contents up
/// by name, so for a zip with duplicate entries it hashes the last entry's contents under each;
/// a caller that must agree with it passes those.
pub fn hash1<R: Read>(files: impl IntoIterator<Item = (String, R)>) -> io::Result<String> {
    let mut files: Vec<(String, R)> = files.into_iter().collect();
    if files.iter().any(|(name, _)| name.contains('\n')) {
        return Err(newline_error());
    }
    files.sort_by(|(a, _), (b, _)| a.cmp(b));
    let mut summary = Sha256::new();
    for (name, mut contents) in files {
        let mut file = Sha256::new();
        io::copy(&mut contents, &mut file)?;
        add_line(&mut summary, &file.finalize(), name.as_bytes());
    }
    Ok(finish(summary))
}

/// `dirhash.HashZip` with `Hash1`: the go.sum hash of a module zip, over every entry's full name
/// and contents. Timestamps, compression and the order of entries do not matter.
///
/// Entries are streamed one at a time, so memory does not grow with their size. Every entry
/// counts, directories included (with empty contents), and names are hashed as the bytes the
/// zip holds. Each entry is held to the size the zip declares for it, and to its CRC-32, so an
/// error here on a zip that [`check_zip`](crate::check_zip) accepted means the zip lies about
/// its contents. x/mod looks contents up by name, so when names repeat, each copy of a name is
/// hashed with the last entry's contents; `check_zip` rejects such zips anyway.
///
/// To check a zip, hash it and read its go.mod in one pass, use
/// [`inspect_zip`](crate::inspect_zip).
pub fn hash_zip<R: Read + Seek>(mut zip: R) -> io::Result<String> {
    let size = zip.seek(SeekFrom::End(0))?;
    let mut archive = Archive::new(zip, size)?;
    match hash_archive(&mut archive, None) {
        Ok((h1, _)) => Ok(h1),
        Err(ArchiveHashError::Newline) => Err(newline_error()),
        // The entry's name in the error: "not a valid zip file" alone does not say which one
        // lies about its size or CRC-32.
        Err(ArchiveHashError::Entry { name, source }) => {
            let name = crate::error::quote(&String::from_utf8_lossy(&name));
            Err(io::Error::new(
                source.kind(),
                format!("reading {name}: {source}"),
            ))
        }
    }
}

/// Why [`hash_archive`] failed.
#[derive(Debug)]
pub(crate) enum ArchiveHashError {
    /// An entry's name holds a newline, which `Hash1` cannot tell from two lines.
    Newline,
    /// An entry could not be read: the reader failed, or the entry's data is not what the zip
    /// declares for it (longer, shorter, another CRC-32, an unknown compression method).
    Entry {
        /// The entry's name, as the zip holds it.
        name: Vec<u8>,
        /// The cause, as the archive reader gave it.
        source: io::Error,
    },
}

/// The core of [`hash_zip`] and [`inspect_zip`](crate::inspect_zip): `Hash1` over every entry
/// of an open archive, and the contents hashed for the name `keep`, if asked for and present.
///
/// Each entry is read at most once, in the order of the sorted names: when names repeat, the
/// last entry's digest stands for each copy (x/mod looks contents up by name), and the earlier
/// entries are not read at all.
pub(crate) fn hash_archive<R: Read + Seek>(
    archive: &mut Archive<R>,
    keep: Option<&[u8]>,
) -> Result<(String, Option<Vec<u8>>), ArchiveHashError> {
    let entries = archive.entries();
    if entries.iter().any(|e| e.name.contains(&b'\n')) {
        return Err(ArchiveHashError::Newline);
    }
    let last: HashMap<&[u8], usize> = entries
        .iter()
        .enumerate()
        .map(|(index, e)| (e.name.as_slice(), index))
        .collect();
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| entries[a].name.cmp(&entries[b].name));
    // The entry whose contents each sorted name gets; entries hold a name equal to their own.
    let sources: Vec<usize> = order
        .iter()
        .map(|&i| last.get(entries[i].name.as_slice()).copied().unwrap_or(i))
        .collect();
    let keep = keep.and_then(|name| last.get(name).copied());
    let mut kept = None;
    // Copies of a name sort together and share a source: one digest of memory is enough.
    let mut previous: Option<(usize, Output<Sha256>)> = None;
    let mut summary = Sha256::new();
    for index in sources {
        let name = archive.entries()[index].name.clone();
        let digest = match previous {
            Some((source, digest)) if source == index => digest,
            _ => {
                let mut copy = (keep == Some(index)).then(Vec::new);
                let mut sink = Tee {
                    hash: Sha256::new(),
                    copy: copy.as_mut(),
                };
                archive
                    .open(index)
                    .and_then(|mut entry| io::copy(&mut entry, &mut sink))
                    .map_err(|source| ArchiveHashError::Entry {
                        name: name.clone(),
                        source,
                    })?;
                let digest = sink.hash.finalize();
                previous = Some((index, digest));
                if copy.is_some() {
                    kept = copy;
                }
                digest
            }
        };
        add_line(&mut summary, &digest, &name);
    }
    Ok((finish(summary), kept))
}

/// Hashes what is written, and keeps a copy when asked to.
struct Tee<'a> {
    hash: Sha256,
    copy: Option<&'a mut Vec<u8>>,
}

impl io::Write for Tee<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hash.update(buf);
        if let Some(copy) = &mut self.copy {
            copy.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) fn newline_error() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "dirhash: filenames with newlines are not supported",
    )
}

/// The go.sum `/go.mod` hash: `Hash1` of one file named `go.mod`.
pub fn hash_go_mod(go_mod: &[u8]) -> String {
    let mut summary = Sha256::new();
    add_line(&mut summary, &Sha256::digest(go_mod), b"go.mod");
    finish(summary)
}

/// Go's `fmt.Fprintf(h, "%x  %s\n", sum, name)`, the name as bytes since Go's strings are.
fn add_line(summary: &mut Sha256, sum: &Output<Sha256>, name: &[u8]) {
    summary.update(format!("{sum:x}  "));
    summary.update(name);
    summary.update(b"\n");
}

fn finish(summary: Sha256) -> String {
    let digest = summary.finalize();
    format!(
        "h1:{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(files: &[(&str, &str)]) -> io::Result<String> {
        hash1(
            files
                .iter()
                .map(|&(name, data)| (name.to_owned(), data.as_bytes())),
        )
    }

    /// (files as (name, contents), expected hash): computed by x/mod 0.7.0 and, for the modules,
    /// by the go command (spec 4.3).
    const CASES: &[(&[(&str, &str)], &str)] = &[
        // x/mod TestHash1.
        (
            &[("xyz", "data for xyz"), ("abc", "data for abc")],
            "h1:EP6WfDoQTSk9klnxcjriWJOGztueJUywHNmWeq+efB8=",
        ),
        (&[], "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
        // Byte order: upper case and '_' sort before lower case, and UTF-8 last.
        (
            &[
                ("é", "E"),
                ("a.go", "A"),
                ("_x", "X"),
                ("Z/b", "B"),
                ("LICENSE", "L"),
            ],
            "h1:PrnBKqANhys0b/zCCe1zXuAppG3FxJ6dFK4ktlIiIOw=",
        ),
        (
            &[
                (
                    "example.com/hello@v1.0.0/hello.go",
                    "package hello\n\nfunc Hello() string { return \"hello\" }\n",
                ),
                (
                    "example.com/hello@v1.0.0/go.mod",
                    "module example.com/hello\n\ngo 1.19\n",
                ),
            ],
            "h1:YdH98tGxleleSc0AoVVCSWC4I2WDc1g0KPMQj//W6lY=",
        ),
        (
            &[
                (
                    "example.com/Upper@v0.1.0-RC1/go.mod",
                    "module example.com/Upper\n\ngo 1.19\n",
                ),
                (
                    "example.com/Upper@v0.1.0-RC1/up.go",
                    "package upper\n\nconst X = 1\n",
                ),
            ],
            "h1:zLE9WG+uMitpL1BPnd04al6wH8oOl6JThY4cIX0u1bY=",
        ),
    ];

    #[test]
    fn hash1_cases() {
        for &(files, want) in CASES {
            assert_eq!(hash(files).unwrap(), want, "{files:?}");
        }
    }

    #[test]
    fn hash1_rejects_newlines() {
        let err = hash(&[("xyz", ""), ("a\nbc", "")]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn hash1_passes_read_errors_on() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let err = hash1([("go.mod".to_owned(), Broken)]).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }

    /// (go.mod contents, expected go.sum `/go.mod` hash).
    const GO_MOD_CASES: &[(&str, &str)] = &[
        (
            "module example.com/legacy\n",
            "h1:pS2KLshur9YBlehNARWQ3af1njEt+NcOfNS6ku9j6Ng=",
        ),
        (
            "module example.com/hello\n\ngo 1.19\n",
            "h1:RslnPMa/nR3RpskRbvoDBlr6/b2RhFS0EEnq72RQTo0=",
        ),
        (
            "module example.com/Upper\n\ngo 1.19\n",
            "h1:2EKJevWVzD4CK2o4ZnSRQNCKG54jwPiV6ofBZGJgBi0=",
        ),
        // The go command drops go.sum lines with this hash: never serve an empty .mod.
        ("", "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="),
    ];

    #[test]
    fn hash_go_mod_cases() {
        for &(go_mod, want) in GO_MOD_CASES {
            assert_eq!(hash_go_mod(go_mod.as_bytes()), want, "{go_mod:?}");
            assert_eq!(hash(&[("go.mod", go_mod)]).unwrap(), want, "{go_mod:?}");
        }
    }
}
