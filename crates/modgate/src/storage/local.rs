//! Reading a directory store's files without object_store: it opens a file in one trip to the
//! blocking pool and reads it in more (8 KiB each), where serving wants one trip for a small
//! file and large chunks for a big one.

use std::fs::File;
use std::io::{ErrorKind, Read};
use std::path::PathBuf;
use std::time::SystemTime;

use bytes::Bytes;

use super::{ObjectBody, StoredObject};

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
        read_up_to(file, buffer_for(size), size).map(|(_, bytes)| Some(bytes))
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
        let metadata = file.metadata()?;
        let dated = (etag(&metadata), metadata.modified().ok());
        if size <= READ_WHOLE_MAX {
            let (file, bytes) = read_up_to(file, buffer_for(size), size)?;
            Ok(Some((dated, Whole::Read(bytes, file))))
        } else {
            Ok(Some((dated, Whole::Open(file, size))))
        }
    })
    .await?;
    let Some(((etag, last_modified), whole)) = opened else {
        return Ok(None);
    };
    let (size, body) = match whole {
        Whole::Read(bytes, file) => (bytes.len() as u64, ObjectBody::Read { bytes, file }),
        Whole::Open(file, size) => (size, ObjectBody::Open(file)),
    };
    Ok(Some(StoredObject {
        size,
        etag: Some(etag),
        last_modified,
        body,
        key: object_store::path::Path::default(),
        reopen: None,
    }))
}

/// The names of the files in `dir` (none when it does not exist), as object_store lists them
/// but without its `stat` of every entry: a module with a thousand versions holds several
/// thousand files, and publishing lists them each time.
pub(super) async fn file_names(dir: PathBuf) -> std::io::Result<Vec<String>> {
    blocking(move || {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            let kind = entry.file_type()?;
            let is_dir = kind.is_dir()
                || (kind.is_symlink() && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir()));
            if is_dir {
                continue;
            }
            if let Ok(name) = entry.file_name().into_string()
                && !is_partial_write(&name)
            {
                names.push(name);
            }
        }
        Ok(names)
    })
    .await
}

/// When `dir` last gained, lost or renamed an entry (its mtime); `None` when it does not exist.
pub(super) async fn dir_modified(dir: PathBuf) -> std::io::Result<Option<SystemTime>> {
    blocking(move || match std::fs::metadata(&dir) {
        Ok(metadata) => metadata.modified().map(Some),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    })
    .await
}

/// Copies the file `from` to `to`, a new file (its directory created if missing), in the
/// kernel (`copy_file_range`), never through this process's memory. `to` is made as
/// object_store makes a file (mode 0666 less the umask, not synced: the store is not
/// configured to), whatever `from`'s mode; a copy that fails is removed, and one a crash
/// interrupts is left in the staging area, which `Store::clean_staging` empties.
pub(super) async fn copy_new(from: PathBuf, to: PathBuf) -> std::io::Result<()> {
    blocking(move || {
        let mut source = File::open(&from)?;
        if let Some(dir) = to.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut target = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&to)?;
        if let Err(e) = std::io::copy(&mut source, &mut target) {
            let _ = std::fs::remove_file(&to);
            return Err(e);
        }
        Ok(())
    })
    .await
}

/// object_store writes a local file as `name#N` and renames it into place; it lists neither
/// those nor, therefore, may we.
fn is_partial_write(name: &str) -> bool {
    name.split_once('#')
        .is_some_and(|(_, suffix)| !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit()))
}

/// A small file read (and still open), or a large one opened.
enum Whole {
    Read(Bytes, File),
    Open(File, u64),
}

/// A local file as a stream of chunks, each read by one blocking call straight into the
/// buffer that is sent: for serving and uploading without holding the file in memory.
pub(crate) fn file_chunks(
    file: File,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    chunks_up_to(file, u64::MAX)
}

/// Bytes `range` of an open file, as chunks (a `Range` request's part of a large zip).
pub(super) fn file_range(
    mut file: File,
    range: std::ops::Range<u64>,
) -> std::io::Result<impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static> {
    use std::io::Seek;
    // A seek is a change of the file offset, not a read: no trip to the blocking pool.
    file.seek(std::io::SeekFrom::Start(range.start))?;
    Ok(chunks_up_to(file, range.end.saturating_sub(range.start)))
}

/// At most `limit` bytes from where `file` stands, as chunks.
fn chunks_up_to(
    file: File,
    limit: u64,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    futures::stream::try_unfold((Some(file), limit), |(file, left)| async move {
        let Some(file) = file.filter(|_| left > 0) else {
            return Ok(None);
        };
        let size = CHUNK.min(left);
        let buffer = buffer_for(size);
        let (file, chunk) = blocking(move || read_up_to(file, buffer, size)).await?;
        if chunk.is_empty() {
            return Ok(None);
        }
        let left = left - chunk.len() as u64;
        Ok(Some((chunk, (Some(file), left))))
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

/// An empty buffer with room for `limit` bytes. Streaming allocates its chunks on the async
/// thread rather than in the blocking thread that fills them: every blocking thread has its own
/// malloc arena, and chunks freed into a dozen arenas stay resident in each, where one arena
/// reuses them.
fn buffer_for(limit: u64) -> Vec<u8> {
    Vec::with_capacity(usize::try_from(limit).unwrap_or(usize::MAX))
}

/// Up to `limit` bytes from where `file` stands, into `buffer` (which has room for them),
/// without zeroing it first.
fn read_up_to(file: File, mut buffer: Vec<u8>, limit: u64) -> std::io::Result<(File, Bytes)> {
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

pub(super) fn io_error(e: std::io::Error) -> object_store::Error {
    object_store::Error::Generic {
        store: "local file",
        source: Box::new(e),
    }
}

#[cfg(test)]
mod tests {
    use futures::TryStreamExt;
    use object_store::{ObjectStore, ObjectStoreExt};

    use super::*;

    #[tokio::test]
    async fn file_names_are_what_object_store_lists() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            "v1.0.0.info",
            "v1.0.0.mod",
            "list",
            "v1.1.0.info#3",
            "odd#name",
        ] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/inner"), b"x").expect("write");
        let store =
            object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("store");
        let listed = store.list_with_delimiter(None).await.expect("list");
        let mut want: Vec<String> = listed
            .objects
            .iter()
            .filter_map(|meta| meta.location.filename().map(str::to_owned))
            .collect();
        want.sort();
        let mut got = file_names(dir.path().to_owned()).await.expect("names");
        got.sort();
        assert_eq!(got, want);
        assert_eq!(got, ["list", "odd#name", "v1.0.0.info", "v1.0.0.mod"]);
        let missing = file_names(dir.path().join("absent")).await.expect("absent");
        assert!(missing.is_empty());
    }

    #[tokio::test]
    async fn reads_small_files_whole_and_large_ones_in_chunks_with_object_stores_etag() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store =
            object_store::local::LocalFileSystem::new_with_prefix(dir.path()).expect("store");
        let large_size = usize::try_from(READ_WHOLE_MAX + 3 * CHUNK + 5).expect("size");
        let cases = [
            ("small", b"module example.com/x\n".to_vec(), 1),
            ("empty", Vec::new(), 1),
            (
                "large",
                (0..large_size).map(|i| i as u8).collect(),
                (READ_WHOLE_MAX + 3 * CHUNK + 5).div_ceil(CHUNK) as usize,
            ),
        ];
        for (name, contents, chunks) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, &contents).expect("write");
            let object = open(path.clone()).await.expect("open").expect("present");
            let expected_etag = store
                .head(&object_store::path::Path::from(name))
                .await
                .expect("head")
                .e_tag;
            assert_eq!(object.etag, expected_etag, "{name}");
            assert_eq!(object.size, contents.len() as u64, "{name}");
            let got: Vec<Bytes> = object.body.into_stream().try_collect().await.expect("body");
            assert_eq!(got.len(), chunks, "{name}");
            assert!(got.concat() == contents, "{name}");
            let whole = read(path).await.expect("read").expect("present");
            assert!(whole == contents, "{name}");
        }
        assert!(
            open(dir.path().join("absent"))
                .await
                .expect("open")
                .is_none()
        );
        assert!(
            read(dir.path().join("absent"))
                .await
                .expect("read")
                .is_none()
        );
        assert!(open(dir.path().to_owned()).await.expect("open").is_none());
    }
}
