// Ported from Go's archive/zip (archive/zip/reader.go, Go 1.19). Copyright 2010 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! A zip reader that sees what Go's `archive/zip` (Go 1.19) sees, for `zip.rs` and `dirhash.rs`.
//!
//! The `zip` crate writes our zips, but it cannot read them the way the go command does: it
//! keys entries by name, so two entries named `dup.go` come back as one and x/mod's "multiple
//! entries" check could never fire; it decodes names without the UTF-8 flag as CP437 and lets
//! an Info-ZIP Unicode-path extra field replace the name, where Go takes the raw bytes. The
//! module zip rules and the `h1:` hash are defined over Go's view, so this file ports the part
//! of `archive/zip/reader.go` we need:
//!
//! - the end-of-central-directory search (last 1 KiB, then last 65 KiB), zip64 included, and
//!   Go's base offset for archives with a prefix;
//! - every central directory entry, in order, duplicates kept, names as raw bytes;
//! - stored and deflated entries, read through a checksum reader that fails as soon as an entry
//!   yields more than its declared uncompressed size, and at the end on a short entry or a CRC
//!   mismatch. That is what makes a zip bomb that lies about its sizes harmless: nothing reads
//!   past the sizes `check_zip` added up.
//!
//! Errors are `io::Error`s with Go's texts (`not a valid zip file`, `checksum error`,
//! `unsupported compression algorithm`), `InvalidData` for a malformed archive.

use std::io::{self, BufReader, Read, Seek, SeekFrom, Take};

use flate2::read::DeflateDecoder;

const FILE_HEADER_SIGNATURE: u32 = 0x0403_4b50;
const DIRECTORY_HEADER_SIGNATURE: u32 = 0x0201_4b50;
const DIRECTORY_END_SIGNATURE: &[u8] = b"PK\x05\x06";
const DIRECTORY64_LOC_SIGNATURE: u32 = 0x0706_4b50;
const DIRECTORY64_END_SIGNATURE: u32 = 0x0606_4b50;
const DATA_DESCRIPTOR_SIGNATURE: u32 = 0x0807_4b50;
const FILE_HEADER_LEN: usize = 30;
const DIRECTORY_HEADER_LEN: usize = 46;
const DIRECTORY_END_LEN: usize = 22;
const DIRECTORY64_LOC_LEN: usize = 20;
const DIRECTORY64_END_LEN: usize = 56;
const ZIP64_EXTRA_ID: u16 = 0x0001;
const METHOD_STORE: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
const FLAG_DATA_DESCRIPTOR: u16 = 0x8;

/// Go's `zip.ErrFormat`, told apart from other `InvalidData` errors by its type.
#[derive(Debug)]
struct NotAZip;

impl std::fmt::Display for NotAZip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a valid zip file")
    }
}

impl std::error::Error for NotAZip {}

fn format_error() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, NotAZip)
}

fn checksum_error() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "checksum error")
}

/// One central directory entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The name as stored: Go strings are bytes, and so are these.
    pub(crate) name: Vec<u8>,
    pub(crate) uncompressed_size: u64,
    method: u16,
    flags: u16,
    crc32: u32,
    compressed_size: u64,
    header_offset: u64,
}

/// An open archive: its entries, and the reader to fetch their contents from.
pub(crate) struct Archive<R> {
    reader: R,
    size: u64,
    entries: Vec<Entry>,
}

struct DirectoryEnd {
    records: u64,
    directory_size: u64,
    directory_offset: u64,
}

impl<R: Read + Seek> Archive<R> {
    /// Reads the central directory of the `size`-byte archive in `reader` (Go's `zip.NewReader`).
    pub(crate) fn new(mut reader: R, size: u64) -> io::Result<Self> {
        let (end, mut base_offset) = read_directory_end(&mut reader, size)?;
        let mut entries = Vec::new();
        let start =
            |base: i128| u64::try_from(base + i128::from(end.directory_offset)).unwrap_or(u64::MAX);
        reader.seek(SeekFrom::Start(start(base_offset)))?;
        // Bounded by the archive size: a declared record count means nothing until read.
        let mut buf = BufReader::new((&mut reader).take(size));
        let err = loop {
            match read_directory_header(&mut buf) {
                Ok(mut entry) => {
                    // An offset outside the archive fails when the entry is opened, as in Go.
                    entry.header_offset =
                        u64::try_from(i128::from(entry.header_offset) + base_offset)
                            .unwrap_or(u64::MAX);
                    entries.push(entry);
                }
                // Some writers miscount the prefix; Go retries once from offset zero.
                Err(e) if is_format(&e) && base_offset != 0 && entries.is_empty() => {
                    base_offset = 0;
                    drop(buf);
                    reader.seek(SeekFrom::Start(start(0)))?;
                    buf = BufReader::new((&mut reader).take(size));
                }
                Err(e) if is_format(&e) || e.kind() == io::ErrorKind::UnexpectedEof => break e,
                Err(e) => return Err(e),
            }
        };
        drop(buf);
        // The EOCD count is 16 bits in plain zips, so Go compares only those.
        if entries.len() as u16 != end.records as u16 {
            return Err(err);
        }
        Ok(Self {
            reader,
            size,
            entries,
        })
    }

    pub(crate) fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The contents of entry `index`, decompressed and checked (Go's `File.Open`).
    pub(crate) fn open(&mut self, index: usize) -> io::Result<EntryReader<'_, R>> {
        let entry = self.entries.get(index).ok_or_else(format_error)?.clone();
        let mut header = [0u8; FILE_HEADER_LEN];
        self.reader.seek(SeekFrom::Start(entry.header_offset))?;
        self.reader.read_exact(&mut header)?;
        let mut b = Buf(&header);
        if b.u32() != FILE_HEADER_SIGNATURE {
            return Err(format_error());
        }
        b.skip(22);
        let name_len = u64::from(b.u16());
        let extra_len = u64::from(b.u16());
        let body = entry
            .header_offset
            .saturating_add(FILE_HEADER_LEN as u64 + name_len + extra_len);
        self.reader.seek(SeekFrom::Start(body))?;
        let data = (&mut self.reader).take(entry.compressed_size);
        let inner = match entry.method {
            METHOD_STORE => Decompressor::Store(data),
            METHOD_DEFLATE => Decompressor::Deflate(Box::new(DeflateDecoder::new(data))),
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    "unsupported compression algorithm",
                ));
            }
        };
        let descriptor_offset = body.saturating_add(entry.compressed_size);
        Ok(EntryReader {
            inner,
            crc: crc32fast::Hasher::new(),
            read: 0,
            descriptor_offset,
            archive_size: self.size,
            entry,
            done: false,
        })
    }
}

fn is_format(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<NotAZip>())
}

enum Decompressor<'a, R> {
    Store(Take<&'a mut R>),
    Deflate(Box<DeflateDecoder<Take<&'a mut R>>>),
}

/// Go's `checksumReader`: the data of one entry, held to its declared size and CRC-32.
pub(crate) struct EntryReader<'a, R> {
    inner: Decompressor<'a, R>,
    crc: crc32fast::Hasher,
    read: u64,
    descriptor_offset: u64,
    archive_size: u64,
    entry: Entry,
    done: bool,
}

impl<R: Read + Seek> EntryReader<'_, R> {
    fn finish(&mut self) -> io::Result<()> {
        if self.read != self.entry.uncompressed_size {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let sum = self.crc.clone().finalize();
        if self.entry.flags & FLAG_DATA_DESCRIPTOR != 0 {
            self.check_data_descriptor()?;
            if sum != self.entry.crc32 {
                return Err(checksum_error());
            }
        } else if self.entry.crc32 != 0 && sum != self.entry.crc32 {
            // A zero CRC in the header may just mean "not filled in".
            return Err(checksum_error());
        }
        Ok(())
    }

    /// Go's `readDataDescriptor`: its CRC must match the central directory's; its sizes are
    /// ignored, since the central directory already gave them.
    fn check_data_descriptor(&mut self) -> io::Result<()> {
        let reader: &mut R = match &mut self.inner {
            Decompressor::Store(take) => take.get_mut(),
            Decompressor::Deflate(decoder) => decoder.get_mut().get_mut(),
        };
        // Go reads the descriptor through a 16-byte section, so a descriptor cut off by the end
        // of the archive is an unexpected EOF, not a read of whatever follows.
        let available = self
            .archive_size
            .saturating_sub(self.descriptor_offset)
            .min(16) as usize;
        let mut descriptor = [0u8; 16];
        reader.seek(SeekFrom::Start(self.descriptor_offset))?;
        reader.read_exact(&mut descriptor[..available])?;
        let descriptor = &descriptor[..available];
        // The signature is optional (APPNOTE 4.3.9.3): with it the record is 16 bytes, without
        // it 12, and Go insists on the whole record either way.
        let has_signature =
            descriptor.len() >= 4 && Buf(descriptor).u32() == DATA_DESCRIPTOR_SIGNATURE;
        let (crc_at, record_len) = if has_signature { (4, 16) } else { (0, 12) };
        if descriptor.len() < record_len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        if Buf(&descriptor[crc_at..]).u32() != self.entry.crc32 {
            return Err(checksum_error());
        }
        Ok(())
    }
}

impl<R: Read + Seek> Read for EntryReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        let n = match &mut self.inner {
            Decompressor::Store(take) => take.read(buf)?,
            Decompressor::Deflate(decoder) => decoder.read(buf)?,
        };
        self.crc.update(&buf[..n]);
        self.read += n as u64;
        if self.read > self.entry.uncompressed_size {
            return Err(format_error());
        }
        if n == 0 {
            self.done = true;
            self.finish()?;
        }
        Ok(n)
    }
}

/// Go's `readDirectoryEnd`: the end of central directory record, and the offset the archive
/// starts at within the reader (non-zero when something, say a script, was prepended; negative
/// when the record overstates the directory's size, which only the first header read can tell).
fn read_directory_end<R: Read + Seek>(
    reader: &mut R,
    size: u64,
) -> io::Result<(DirectoryEnd, i128)> {
    let mut found = None;
    for (attempt, wanted) in [1024u64, 65 * 1024].into_iter().enumerate() {
        let len = wanted.min(size);
        let mut buf = vec![0u8; len as usize];
        reader.seek(SeekFrom::Start(size - len))?;
        reader.read_exact(&mut buf)?;
        if let Some(p) = find_signature_in_block(&buf) {
            found = Some((buf, p, size - len + p as u64));
            break;
        }
        if attempt == 1 || len == size {
            return Err(format_error());
        }
    }
    let Some((buf, p, mut end_offset)) = found else {
        return Err(format_error());
    };
    let mut b = Buf(&buf[p + 4..]);
    b.skip(4); // disk numbers
    b.skip(2); // records on this disk
    let mut end = DirectoryEnd {
        records: u64::from(b.u16()),
        directory_size: u64::from(b.u32()),
        directory_offset: u64::from(b.u32()),
    };
    if (end.records == 0xffff
        || end.directory_size == 0xffff
        || end.directory_offset == 0xffff_ffff)
        && let Some(p) = find_directory64_end(reader, end_offset)?
    {
        end_offset = p;
        read_directory64_end(reader, p, &mut end)?;
    }
    // Go does this in int64; i128 keeps hostile zip64 values from wrapping.
    let base =
        i128::from(end_offset) - i128::from(end.directory_size) - i128::from(end.directory_offset);
    let directory = base + i128::from(end.directory_offset);
    if directory < 0 || directory >= i128::from(size) {
        return Err(format_error());
    }
    Ok((end, base))
}

/// Go's `findSignatureInBlock`: the last signature whose comment fits in the block.
fn find_signature_in_block(b: &[u8]) -> Option<usize> {
    let last = b.len().checked_sub(DIRECTORY_END_LEN)?;
    (0..=last).rev().find(|&i| {
        b[i..].starts_with(DIRECTORY_END_SIGNATURE) && {
            let comment = usize::from(b[i + DIRECTORY_END_LEN - 2])
                | usize::from(b[i + DIRECTORY_END_LEN - 1]) << 8;
            comment + DIRECTORY_END_LEN + i <= b.len()
        }
    })
}

fn find_directory64_end<R: Read + Seek>(
    reader: &mut R,
    end_offset: u64,
) -> io::Result<Option<u64>> {
    let Some(loc) = end_offset.checked_sub(DIRECTORY64_LOC_LEN as u64) else {
        return Ok(None);
    };
    let mut buf = [0u8; DIRECTORY64_LOC_LEN];
    reader.seek(SeekFrom::Start(loc))?;
    reader.read_exact(&mut buf)?;
    let mut b = Buf(&buf);
    if b.u32() != DIRECTORY64_LOC_SIGNATURE || b.u32() != 0 {
        return Ok(None);
    }
    let p = b.u64();
    if b.u32() != 1 {
        return Ok(None);
    }
    Ok(Some(p))
}

fn read_directory64_end<R: Read + Seek>(
    reader: &mut R,
    offset: u64,
    end: &mut DirectoryEnd,
) -> io::Result<()> {
    let mut buf = [0u8; DIRECTORY64_END_LEN];
    reader.seek(SeekFrom::Start(offset))?;
    reader.read_exact(&mut buf)?;
    let mut b = Buf(&buf);
    if b.u32() != DIRECTORY64_END_SIGNATURE {
        return Err(format_error());
    }
    b.skip(12 + 4 + 4 + 8); // size, versions, disk numbers, records on this disk
    end.records = b.u64();
    end.directory_size = b.u64();
    end.directory_offset = b.u64();
    Ok(())
}

/// Go's `readDirectoryHeader`: `InvalidData` at a missing signature, `UnexpectedEof` when the
/// directory runs out; both end the directory.
fn read_directory_header(r: &mut impl Read) -> io::Result<Entry> {
    let mut fixed = [0u8; DIRECTORY_HEADER_LEN];
    r.read_exact(&mut fixed)?;
    let mut b = Buf(&fixed);
    if b.u32() != DIRECTORY_HEADER_SIGNATURE {
        return Err(format_error());
    }
    b.skip(4); // creator and reader versions
    let flags = b.u16();
    let method = b.u16();
    b.skip(4); // modified time and date
    let crc32 = b.u32();
    let compressed32 = b.u32();
    let uncompressed32 = b.u32();
    let name_len = usize::from(b.u16());
    let extra_len = usize::from(b.u16());
    let comment_len = usize::from(b.u16());
    b.skip(8); // start disk, internal and external attributes
    let offset32 = b.u32();
    let mut variable = vec![0u8; name_len + extra_len + comment_len];
    r.read_exact(&mut variable)?;
    let name = variable[..name_len].to_vec();

    let mut entry = Entry {
        name,
        uncompressed_size: u64::from(uncompressed32),
        method,
        flags,
        crc32,
        compressed_size: u64::from(compressed32),
        header_offset: u64::from(offset32),
    };
    let mut need_uncompressed = uncompressed32 == u32::MAX;
    let mut need_compressed = compressed32 == u32::MAX;
    let mut need_offset = offset32 == u32::MAX;
    let mut extra = Buf(&variable[name_len..name_len + extra_len]);
    while extra.0.len() >= 4 {
        let tag = extra.u16();
        let size = usize::from(extra.u16());
        if extra.0.len() < size {
            break;
        }
        let mut field = extra.sub(size);
        if tag != ZIP64_EXTRA_ID {
            continue;
        }
        // Only the fields whose 32-bit slot is saturated are present (golang.org/issue/13367).
        for (need, value) in [
            (&mut need_uncompressed, &mut entry.uncompressed_size),
            (&mut need_compressed, &mut entry.compressed_size),
            (&mut need_offset, &mut entry.header_offset),
        ] {
            if *need {
                *need = false;
                if field.0.len() < 8 {
                    return Err(format_error());
                }
                *value = field.u64();
            }
        }
    }
    // Go accepts an uncompressed size of exactly 2³²-1 without zip64 (42.zip does that), but not
    // a saturated compressed size or offset.
    if need_compressed || need_offset {
        return Err(format_error());
    }
    Ok(entry)
}

/// Little-endian fields off the front of a byte slice; callers check lengths first.
struct Buf<'a>(&'a [u8]);

impl<'a> Buf<'a> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.take())
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.take())
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }
    fn skip(&mut self, n: usize) {
        self.0 = &self.0[n.min(self.0.len())..];
    }
    fn sub(&mut self, n: usize) -> Buf<'a> {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Buf(head)
    }
}
