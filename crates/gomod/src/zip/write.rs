//! The bytes of a module zip: the container as the `zip` crate (6.0) writes it for x/mod's
//! options, each entry deflated through one deflate state, reset between entries.
//!
//! The `zip` crate makes a new deflate state for every entry (one allocation of ~370 KiB,
//! zeroed) and has no way to be handed one. For a module of many files that is an allocation
//! and fresh pages per file, and measured on a 200-file module (issue 13), an allocator arena
//! that grew by about one state per file: 60 MiB kept after one zip. A reset state deflates
//! as a new one does (zlib's `deflateReset`), so the bytes stay the crate's, byte for byte
//! (`tests::the_bytes_are_the_zip_crates`), and hashes of zips built before and after agree.
//!
//! What the crate writes with x/mod's options (`Deflated`, `DateTime::default()`):
//!
//! - per entry, a local header (version 2.0 needed; the UTF-8 flag when the name is not
//!   ASCII; deflate; 1980-01-01 00:00:00; no extra field), the name, the deflated data; then
//!   the CRC-32 and sizes written into the header, seeking back;
//! - the central directory: per entry, made by Unix 2.0, mode 0644, the same fields;
//! - a Zip64 end of central directory record and locator when there are more than 65,535
//!   entries (or the directory lies past 4 GiB), then the end of central directory record.
//!
//! Entries and offsets past 4 GiB would need Zip64 extra fields, which the crate writes only
//! with its `large_file` option, x/mod's never; module zips stay far below that
//! ([`MAX_ZIP_FILE`](super::MAX_ZIP_FILE)), and such an entry is refused here, as it was there.

use std::io::{self, Seek, SeekFrom, Write};

use flate2::{Compress, Compression, FlushCompress, Status};

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY: u32 = 0x0606_4b50;
const ZIP64_END_LOCATOR: u32 = 0x0706_4b50;
/// The size of a local header before the name: the CRC-32 is at offset 14.
const LOCAL_HEADER_LEN: u64 = 30;
const CRC_OFFSET: u64 = 14;
/// PKZIP 2.0, the version deflate needs (APPNOTE 4.4.3.2); 1.0 for an archive of nothing.
const VERSION_DEFLATE: u16 = 20;
const VERSION_MIN: u16 = 10;
/// "Made by" Unix, in the high byte.
const MADE_BY_UNIX: u16 = 3 << 8;
const METHOD_DEFLATED: u16 = 8;
/// 1980-01-01 00:00:00 in MS-DOS form, every entry's time.
const DOS_DATE: u16 = 0b0000_0000_0010_0001;
const DOS_TIME: u16 = 0;
/// A regular file, mode 0644, as the crate sets by default.
const EXTERNAL_ATTRIBUTES: u32 = 0o100644 << 16;
/// General purpose bit 11: the name is UTF-8.
const FLAG_UTF8: u16 = 1 << 11;
/// flate2's default, which the crate uses for `Deflated` without a level.
const LEVEL: u32 = 6;
/// The most a field of the plain (not Zip64) format holds.
const MAX_U32: u64 = u32::MAX as u64;
/// The most entries the end of central directory record counts without Zip64.
const MAX_ENTRIES: usize = u16::MAX as usize;
/// How much deflated output is written at a time.
const OUT_CHUNK: usize = 64 * 1024;

/// An entry written, for the central directory.
struct Entry {
    name: Box<str>,
    flags: u16,
    crc32: u32,
    compressed: u32,
    uncompressed: u32,
    header_start: u32,
}

/// The entry being written.
struct Open {
    name: Box<str>,
    flags: u16,
    header_start: u64,
    data_start: u64,
    crc: flate2::Crc,
    uncompressed: u64,
}

/// Writes a module zip, one entry at a time: [`start`](Self::start), [`write`](Self::write),
/// then the next entry or [`finish`](Self::finish).
pub(super) struct ZipWriter<W: Write + Seek> {
    w: W,
    deflate: Compress,
    out: Vec<u8>,
    open: Option<Open>,
    entries: Vec<Entry>,
}

impl<W: Write + Seek> ZipWriter<W> {
    pub(super) fn new(w: W) -> Self {
        ZipWriter {
            w,
            deflate: Compress::new(Compression::new(LEVEL), false),
            out: Vec::with_capacity(OUT_CHUNK),
            open: None,
            entries: Vec::new(),
        }
    }

    /// Ends the entry being written, if any, and starts one named `name`.
    pub(super) fn start(&mut self, name: &str) -> io::Result<()> {
        self.end_entry()?;
        let header_start = self.w.stream_position()?;
        let name_len = u16::try_from(name.len())
            .map_err(|_| io::Error::other(format!("file name of {} bytes", name.len())))?;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let mut header = Vec::with_capacity(LOCAL_HEADER_LEN as usize + name.len());
        header.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        header.extend_from_slice(&VERSION_DEFLATE.to_le_bytes());
        header.extend_from_slice(&flags.to_le_bytes());
        header.extend_from_slice(&METHOD_DEFLATED.to_le_bytes());
        header.extend_from_slice(&DOS_TIME.to_le_bytes());
        header.extend_from_slice(&DOS_DATE.to_le_bytes());
        // CRC-32 and sizes, written when known.
        header.extend_from_slice(&[0; 12]);
        header.extend_from_slice(&name_len.to_le_bytes());
        // No extra field.
        header.extend_from_slice(&0u16.to_le_bytes());
        header.extend_from_slice(name.as_bytes());
        self.w.write_all(&header)?;
        self.deflate.reset();
        self.open = Some(Open {
            name: name.into(),
            flags,
            header_start,
            data_start: header_start + header.len() as u64,
            crc: flate2::Crc::new(),
            uncompressed: 0,
        });
        Ok(())
    }

    /// Adds `data` to the entry being written.
    pub(super) fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        let open = self
            .open
            .as_mut()
            .ok_or_else(|| io::Error::other("no entry started"))?;
        open.crc.update(data);
        open.uncompressed += data.len() as u64;
        while !data.is_empty() {
            let before = self.deflate.total_in();
            self.out.clear();
            self.deflate
                .compress_vec(data, &mut self.out, FlushCompress::None)
                .map_err(io::Error::other)?;
            let consumed =
                usize::try_from(self.deflate.total_in() - before).map_err(io::Error::other)?;
            if consumed == 0 && self.out.is_empty() {
                return Err(io::Error::other("deflate made no progress"));
            }
            self.w.write_all(&self.out)?;
            data = &data[consumed..];
        }
        Ok(())
    }

    /// Ends the entry being written: the rest of its deflated data, then its CRC-32 and sizes
    /// into its local header.
    fn end_entry(&mut self) -> io::Result<()> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        loop {
            self.out.clear();
            let status = self
                .deflate
                .compress_vec(&[], &mut self.out, FlushCompress::Finish)
                .map_err(io::Error::other)?;
            self.w.write_all(&self.out)?;
            if status == Status::StreamEnd {
                break;
            }
        }
        let file_end = self.w.stream_position()?;
        let too_large = || io::Error::other(format!("{}: over 4 GiB", open.name));
        let compressed = u32::try_from(file_end - open.data_start).map_err(|_| too_large())?;
        let uncompressed = u32::try_from(open.uncompressed).map_err(|_| too_large())?;
        let header_start = u32::try_from(open.header_start).map_err(|_| too_large())?;
        let crc32 = open.crc.sum();
        self.w
            .seek(SeekFrom::Start(open.header_start + CRC_OFFSET))?;
        let mut sizes = [0; 12];
        sizes[..4].copy_from_slice(&crc32.to_le_bytes());
        sizes[4..8].copy_from_slice(&compressed.to_le_bytes());
        sizes[8..].copy_from_slice(&uncompressed.to_le_bytes());
        self.w.write_all(&sizes)?;
        self.w.seek(SeekFrom::Start(file_end))?;
        self.entries.push(Entry {
            name: open.name,
            flags: open.flags,
            crc32,
            compressed,
            uncompressed,
            header_start,
        });
        Ok(())
    }

    /// Ends the last entry and writes the central directory and the end records.
    pub(super) fn finish(mut self) -> io::Result<W> {
        self.end_entry()?;
        let central_start = self.w.stream_position()?;
        let mut central = Vec::new();
        for e in &self.entries {
            central.clear();
            central.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            central.extend_from_slice(&(MADE_BY_UNIX | VERSION_DEFLATE).to_le_bytes());
            central.extend_from_slice(&VERSION_DEFLATE.to_le_bytes());
            central.extend_from_slice(&e.flags.to_le_bytes());
            central.extend_from_slice(&METHOD_DEFLATED.to_le_bytes());
            central.extend_from_slice(&DOS_TIME.to_le_bytes());
            central.extend_from_slice(&DOS_DATE.to_le_bytes());
            central.extend_from_slice(&e.crc32.to_le_bytes());
            central.extend_from_slice(&e.compressed.to_le_bytes());
            central.extend_from_slice(&e.uncompressed.to_le_bytes());
            // Checked when the local header was written.
            let name_len = e.name.len() as u16;
            central.extend_from_slice(&name_len.to_le_bytes());
            // Extra field, comment, disk number, internal attributes.
            central.extend_from_slice(&[0; 8]);
            central.extend_from_slice(&EXTERNAL_ATTRIBUTES.to_le_bytes());
            central.extend_from_slice(&e.header_start.to_le_bytes());
            central.extend_from_slice(e.name.as_bytes());
            self.w.write_all(&central)?;
        }
        let central_end = self.w.stream_position()?;
        let central_size = central_end - central_start;
        let count = self.entries.len();
        let mut end = Vec::new();
        if count > MAX_ENTRIES || central_size.max(central_start) > MAX_U32 {
            let version = if count == 0 {
                VERSION_MIN
            } else {
                VERSION_DEFLATE
            };
            end.extend_from_slice(&ZIP64_END_OF_CENTRAL_DIRECTORY.to_le_bytes());
            // The size of the rest of the record.
            end.extend_from_slice(&44u64.to_le_bytes());
            // Made by, needed: the version alone, no system, as the crate writes it.
            end.extend_from_slice(&version.to_le_bytes());
            end.extend_from_slice(&version.to_le_bytes());
            // This disk, the directory's disk.
            end.extend_from_slice(&[0; 8]);
            end.extend_from_slice(&(count as u64).to_le_bytes());
            end.extend_from_slice(&(count as u64).to_le_bytes());
            end.extend_from_slice(&central_size.to_le_bytes());
            end.extend_from_slice(&central_start.to_le_bytes());
            end.extend_from_slice(&ZIP64_END_LOCATOR.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes());
            end.extend_from_slice(&central_end.to_le_bytes());
            // The number of disks.
            end.extend_from_slice(&1u32.to_le_bytes());
        }
        let count16 = count.min(MAX_ENTRIES) as u16;
        end.extend_from_slice(&END_OF_CENTRAL_DIRECTORY.to_le_bytes());
        // This disk, the directory's disk.
        end.extend_from_slice(&[0; 4]);
        end.extend_from_slice(&count16.to_le_bytes());
        end.extend_from_slice(&count16.to_le_bytes());
        end.extend_from_slice(&(central_size.min(MAX_U32) as u32).to_le_bytes());
        end.extend_from_slice(&(central_start.min(MAX_U32) as u32).to_le_bytes());
        // No comment.
        end.extend_from_slice(&0u16.to_le_bytes());
        self.w.write_all(&end)?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, DateTime};

    use super::ZipWriter;
    use crate::zip::noise;

    type Entries = [(String, Vec<u8>)];

    /// What the zip crate writes for `entries`, with the options `create` gave it, fed as
    /// `create` feeds its writer (64 KiB reads).
    fn crates(entries: &Entries) -> Vec<u8> {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .last_modified_time(DateTime::default());
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start_file(name.as_str(), options).expect("start");
            for chunk in data.chunks(64 << 10) {
                zip.write_all(chunk).expect("write");
            }
        }
        zip.finish().expect("finish").into_inner()
    }

    fn ours(entries: &Entries) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            zip.start(name).expect("start");
            for chunk in data.chunks(64 << 10) {
                zip.write(chunk).expect("write");
            }
        }
        zip.finish().expect("finish").into_inner()
    }

    fn entry(name: &str, data: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
        (format!("example.com/m@v1.0.0/{name}"), data.into())
    }

    #[test]
    fn the_bytes_are_the_zip_crates() {
        let text: Vec<u8> = (0..40_000)
            .flat_map(|i| format!("\tx{i} := f({i}) // a line of Go\n").into_bytes())
            .collect();
        let mut mixed = text[..100_000].to_vec();
        mixed.extend(noise(150_000, 7));
        mixed.extend_from_slice(&text[..70_000]);
        let cases: Vec<Vec<(String, Vec<u8>)>> = vec![
            vec![],
            vec![entry("empty", "")],
            vec![entry("go.mod", "module example.com/m\n\ngo 1.19\n")],
            vec![
                entry("go.mod", "module example.com/m\n"),
                entry("a.go", text.clone()),
                entry("empty", ""),
                entry("noise.bin", noise(300_000, 1)),
                entry("b.go", "package m\n"),
                entry("mixed", mixed),
                entry("caf\u{e9}/\u{65e5}\u{672c}.go", "package caf\u{e9}\n"),
                entry("one", "x"),
                entry("chunk", noise(64 << 10, 3)),
                entry("again.go", text[..5000].to_vec()),
            ],
        ];
        for (i, case) in cases.iter().enumerate() {
            assert!(ours(case) == crates(case), "case {i}");
        }
    }

    #[test]
    fn past_65535_entries_the_end_is_the_zip_crates_too() {
        for count in [65_535, 65_536] {
            let entries: Vec<_> = (0..count)
                .map(|i| entry(&format!("f{i}"), if i % 2 == 0 { "" } else { "x" }))
                .collect();
            assert!(ours(&entries) == crates(&entries), "{count} entries");
        }
    }
}
