//! An object opened for reading: its size, entity tag and date, then its bytes, whole, as an
//! open file, or as a stream; and a part of it for a `Range` request.

use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, ObjectStore};

use super::{StorageError, local};

/// An object opened for reading: its size and entity tag, then its bytes.
pub(crate) struct StoredObject {
    pub size: u64,
    pub etag: Option<String>,
    /// When it was written, as the store says (`Last-Modified`, `If-Range` dates).
    pub last_modified: Option<std::time::SystemTime>,
    pub body: ObjectBody,
    /// Its key, and the store a part of it is read from again (an object store's range GET)
    /// when the body is a stream of the whole.
    pub(super) key: Path,
    pub(super) reopen: Option<Arc<dyn ObjectStore>>,
}

impl StoredObject {
    /// Bytes `range` of the object (within its size), for a `Range` request: a slice of what
    /// was read, the open file from `range.start`, or a range GET of the same object (its
    /// ETag must still match: a replaced object fails rather than mixing two versions).
    pub async fn slice(self, range: std::ops::Range<u64>) -> Result<ObjectBody, StorageError> {
        let key = self.key;
        match (self.body, self.reopen) {
            (ObjectBody::Read { bytes, .. }, _) => {
                let (start, end) = (to_usize(range.start), to_usize(range.end));
                let part = bytes.slice(start.min(bytes.len())..end.min(bytes.len()));
                Ok(ObjectBody::Stream(
                    futures::stream::once(std::future::ready(Ok(part))).boxed(),
                ))
            }
            (ObjectBody::Open(file), _) => {
                let chunks =
                    local::file_range(file, range).map_err(|e| StorageError::local(&key, e))?;
                Ok(ObjectBody::Stream(chunks.map_err(local::io_error).boxed()))
            }
            (ObjectBody::Stream(stream), Some(objects)) => {
                // The whole object's answer is not read: dropping it ends that request.
                drop(stream);
                let options = GetOptions {
                    if_match: self.etag,
                    range: Some(object_store::GetRange::Bounded(range)),
                    ..GetOptions::default()
                };
                let result = objects
                    .get_opts(&key, options)
                    .await
                    .map_err(|e| StorageError::new(&key, e))?;
                Ok(ObjectBody::Stream(result.into_stream()))
            }
            (ObjectBody::Stream(stream), None) => Ok(ObjectBody::Stream(skip_and_take(
                stream,
                range.start,
                range.end - range.start,
            ))),
        }
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The bytes `skip..skip + take` of a stream of chunks.
fn skip_and_take(
    stream: BoxStream<'static, Result<Bytes, object_store::Error>>,
    skip: u64,
    take: u64,
) -> BoxStream<'static, Result<Bytes, object_store::Error>> {
    let mut position = 0u64;
    stream
        .try_filter_map(move |chunk| {
            let (start, end) = (position, position + chunk.len() as u64);
            position = end;
            let from = skip.clamp(start, end) - start;
            let to = (skip + take).clamp(start, end) - start;
            let part = (from < to).then(|| chunk.slice(to_usize(from)..to_usize(to)));
            futures::future::ready(Ok(part))
        })
        .boxed()
}

/// The bytes of a stored object.
pub(crate) enum ObjectBody {
    /// A directory store's small object, read whole by the call that opened it, with the open
    /// file it was read from: a server may send the bytes from there (sendfile) rather than
    /// copy them into a socket.
    Read { bytes: Bytes, file: std::fs::File },
    /// A directory store's larger file, open at its start: streamed in chunks, or from an
    /// offset for a `Range` request.
    Open(std::fs::File),
    /// Chunks as they come: memory stays constant whatever the size.
    Stream(BoxStream<'static, Result<Bytes, object_store::Error>>),
}

impl ObjectBody {
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, object_store::Error>> {
        match self {
            ObjectBody::Read { bytes, .. } => {
                futures::stream::once(std::future::ready(Ok(bytes))).boxed()
            }
            ObjectBody::Open(file) => local::file_chunks(file).map_err(local::io_error).boxed(),
            ObjectBody::Stream(stream) => stream,
        }
    }
}

/// Streams a stored object into a local file, for work that needs random access (zips).
pub(crate) async fn copy_to_file(object: StoredObject, path: &FsPath) -> std::io::Result<()> {
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await?;
    let mut body = object.body.into_stream();
    while let Some(chunk) = body.try_next().await.map_err(std::io::Error::other)? {
        file.write_all(&chunk).await?;
    }
    file.flush().await
}
