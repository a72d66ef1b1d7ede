//! Reading a directory store's files without object_store: it opens a file in one trip to the
//! blocking pool and reads it in more (8 KiB each), where serving wants one trip for a small
//! file and large chunks for a big one.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::PathBuf;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::StoredObject;

/// Files up to this size are read whole by the call that opens them: one trip to the blocking
/// pool per response, and at most this much memory per response in flight.
const READ_WHOLE_MAX: u64 = 1024 * 1024;

/// Chunk size for streaming larger files: a 13 MB zip is a few dozen reads, and many downloads
/// at once stay within a small memory budget.
const CHUNK: u64 = 256 * 1024;

/// The whole file; `None` when it does not exist.
pub(super) async fn read(path: PathBuf) -> std::io::Result<Option<Bytes>> {
    blocking(move || {
        let Some((file, size)) = open_file(&path)? else {
            return Ok(None);
        };
        read_up_to(file, size).map(|(_, bytes)| Some(bytes))
    })
    .await
}

/// The file for serving, with object_store's ETag for local files so that answers agree
/// whichever way a file is read; `None` when it does not exist.
pub(super) async fn open(path: PathBuf) -> std::io::Result<Option<StoredObject>> {
    let opened = blocking(move || {
        let Some((file, size)) = open_file(&path)? else {
            return Ok(None);
        };
        let etag = etag(&file.metadata()?);
        if size <= READ_WHOLE_MAX {
            let (_, bytes) = read_up_to(file, size)?;
            Ok(Some((etag, Whole::Read(bytes))))
        } else {
            Ok(Some((etag, Whole::Open(file, size))))
        }
    })
    .await?;
    let Some((etag, whole)) = opened else {
        return Ok(None);
    };
    let (size, body) = match whole {
        Whole::Read(bytes) => (
            bytes.len() as u64,
            futures::stream::once(std::future::ready(Ok(bytes))).boxed(),
        ),
        Whole::Open(file, size) => (size, file_chunks(file).boxed()),
    };
    Ok(Some(StoredObject {
        size,
        etag: Some(etag),
        body: body.map_err(io_error).boxed(),
    }))
}

/// A small file read, or a large one opened.
enum Whole {
    Read(Bytes),
    Open(File, u64),
}

/// A local file as a stream of chunks, each read by one blocking call straight into the
/// buffer that is sent: for serving and uploading without holding the file in memory.
pub(crate) fn file_chunks(
    file: File,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::try_unfold(Some(file), |file| async move {
        let Some(file) = file else {
            return Ok(None);
        };
        let (file, chunk) = blocking(move || read_up_to(file, CHUNK)).await?;
        if chunk.is_empty() {
            return Ok(None);
        }
        Ok(Some((chunk, Some(file))))
    })
}

/// Opens a regular file and reads its size; `None` when there is none at `path`.
fn open_file(path: &std::path::Path) -> std::io::Result<Option<(File, u64)>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        return Ok(None);
    }
    Ok(Some((file, metadata.len())))
}

/// Up to `limit` bytes from where `file` stands, without zeroing the buffer first.
fn read_up_to(file: File, limit: u64) -> std::io::Result<(File, Bytes)> {
    let mut buffer = Vec::with_capacity(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut limited = file.take(limit);
    limited.read_to_end(&mut buffer)?;
    Ok((limited.into_inner(), Bytes::from(buffer)))
}

/// object_store's local ETag (inode, mtime in microseconds, size).
fn etag(metadata: &std::fs::Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let mtime = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .unwrap_or_default()
        .as_micros();
    format!("\"{:x}-{mtime:x}-{:x}\"", metadata.ino(), metadata.len())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> std::io::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(std::io::Error::other)?
}

fn io_error(e: std::io::Error) -> object_store::Error {
    object_store::Error::Generic {
        store: "local file",
        source: Box::new(e),
    }
}
