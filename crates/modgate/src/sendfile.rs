//! Kept zips sent with sendfile(2) on plain-HTTP connections: the kernel sends them from the
//! page cache instead of copying them from our memory into the socket. The copy was a quarter
//! of the server's time answering 64 KiB zips (profiled); nginx avoids it the same way.
//!
//! hyper writes bodies as byte slices and has no way to pass a file. So a kept zip's body is
//! `Bytes` whose memory is registered with the open file it was read from, and a connection's
//! stream that finds registered memory among what hyper writes sends that range from the file
//! instead. The memory holds the same bytes and is what TLS connections encrypt. The
//! registration ends before the memory is freed, so an address is never taken for another
//! body's.

use std::collections::BTreeMap;
use std::fs::File;
use std::future::Ready;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::task::{Context, Poll, ready};

use axum_server::accept::Accept;
use bytes::Bytes;
use rustix::net::{SendAncillaryBuffer, SendFlags};
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

/// Open files held for registered bodies at most: each is a file descriptor.
const MAX_REGISTERED: usize = 512;

/// Registered memory by start address.
static REGIONS: RwLock<BTreeMap<usize, Region>> = RwLock::new(BTreeMap::new());
/// How many regions there are, read without the lock: none while nothing is kept.
static REGISTERED: AtomicUsize = AtomicUsize::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

struct Region {
    end: usize,
    file: Arc<File>,
    /// Which registration this is, so that only its own body ends it.
    id: u64,
}

/// `body`, read whole from `file`, as `Bytes` that plain-HTTP connections send from the file.
/// Unchanged (and the file closed) when too many files are held already.
pub(crate) fn file_backed(body: Bytes, file: File) -> Bytes {
    if body.is_empty() {
        return body;
    }
    let start = body.as_ptr() as usize;
    let end = start + body.len();
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    {
        let mut regions = REGIONS.write().unwrap_or_else(PoisonError::into_inner);
        // The same memory kept twice stays with its first registration.
        let overlaps = regions
            .range(..end)
            .next_back()
            .is_some_and(|(_, region)| region.end > start);
        if regions.len() >= MAX_REGISTERED || overlaps {
            return body;
        }
        let file = Arc::new(file);
        regions.insert(start, Region { end, file, id });
        REGISTERED.store(regions.len(), Ordering::Relaxed);
    }
    Bytes::from_owner(FileBacked { body, start, id })
}

/// A registered body; dropping its last `Bytes` ends the registration, then frees the memory.
struct FileBacked {
    body: Bytes,
    start: usize,
    id: u64,
}

impl AsRef<[u8]> for FileBacked {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for FileBacked {
    fn drop(&mut self) {
        let mut regions = REGIONS.write().unwrap_or_else(PoisonError::into_inner);
        if regions.get(&self.start).is_some_and(|r| r.id == self.id) {
            regions.remove(&self.start);
            REGISTERED.store(regions.len(), Ordering::Relaxed);
        }
    }
}

/// The file and offset that `slice` was read from, when it lies in registered memory.
fn source_of(slice: &[u8]) -> Option<(Arc<File>, u64)> {
    if slice.is_empty() || REGISTERED.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let start = slice.as_ptr() as usize;
    let regions = REGIONS.read().unwrap_or_else(PoisonError::into_inner);
    let (&base, region) = regions.range(..=start).next_back()?;
    (start + slice.len() <= region.end).then(|| (region.file.clone(), (start - base) as u64))
}

/// Accepts plain-HTTP connections: `TCP_NODELAY` (a response written in pieces must not wait
/// for the client's delayed ACK, ~40 ms per small zip otherwise) and kept zips by sendfile.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SendfileAcceptor;

impl<S> Accept<TcpStream, S> for SendfileAcceptor {
    type Stream = SendfileStream;
    type Service = S;
    type Future = Ready<io::Result<(SendfileStream, S)>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        std::future::ready(
            stream
                .set_nodelay(true)
                .map(|()| (SendfileStream(stream), service)),
        )
    }
}

/// A TCP connection that sends registered memory from its file.
pub(crate) struct SendfileStream(TcpStream);

impl SendfileStream {
    /// Runs a non-blocking send once the socket has room, as tokio's own writes do.
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        mut send: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_io(Interest::WRITABLE, &mut send) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                sent => return Poll::Ready(sent),
            }
        }
    }
}

impl AsyncRead for SendfileStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendfileStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let registered = bufs
            .iter()
            .enumerate()
            .find_map(|(index, buf)| source_of(buf).map(|source| (index, source)));
        match registered {
            None => Pin::new(&mut self.0).poll_write_vectored(cx, bufs),
            // What comes before (the response head), held back to go out with the body.
            Some((index, _)) if index > 0 => self.poll_send(cx, || {
                let mut no_control = SendAncillaryBuffer::default();
                Ok(rustix::net::sendmsg(
                    &self.0,
                    &bufs[..index],
                    &mut no_control,
                    SendFlags::MORE | SendFlags::NOSIGNAL,
                )?)
            }),
            Some((_, (file, offset))) => self.poll_send(cx, || {
                let mut offset = offset;
                Ok(rustix::fs::sendfile(
                    &self.0,
                    &*file,
                    Some(&mut offset),
                    bufs[0].len(),
                )?)
            }),
        }
    }

    fn is_write_vectored(&self) -> bool {
        // hyper then queues bodies as they are rather than copying them into its buffer.
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    fn file_with(contents: &[u8]) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("body");
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(contents))
            .expect("write");
        let file = File::open(&path).expect("open");
        (dir, file)
    }

    /// A connected pair on loopback: ours, and the peer that reads what it sends.
    async fn connected() -> (SendfileStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let (peer, accepted) = tokio::join!(TcpStream::connect(address), listener.accept());
        let (stream, ()) = SendfileAcceptor
            .accept(accepted.expect("accept").0, ())
            .await
            .expect("nodelay");
        (stream, peer.expect("connect"))
    }

    #[tokio::test]
    async fn registered_memory_goes_out_from_its_file_and_the_rest_as_written() {
        // The file differs from the memory on purpose: what arrives shows which was sent.
        let size = 300 * 1024;
        let in_memory = Bytes::from(vec![b'm'; size]);
        let on_disk: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        let (_dir, file) = file_with(&on_disk);
        let body = file_backed(in_memory, file);
        let (mut stream, mut peer) = connected().await;

        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            peer.read_to_end(&mut received).await.expect("read");
            received
        });
        // As hyper writes a response: the head and the body in one vectored write, then
        // whatever a partial write left, from where it stopped.
        let head = b"HTTP/1.1 200 OK\r\n\r\n".to_vec();
        let mut pending = [Bytes::from(head.clone()), body.clone()];
        while pending.iter().any(|b| !b.is_empty()) {
            let slices: Vec<IoSlice<'_>> = pending
                .iter()
                .filter(|b| !b.is_empty())
                .map(|b| IoSlice::new(b))
                .collect();
            let mut sent = stream.write_vectored(&slices).await.expect("write");
            for part in &mut pending {
                let taken = sent.min(part.len());
                let _ = part.split_to(taken);
                sent -= taken;
            }
        }
        stream.write_all(b"trailer").await.expect("write");
        stream.shutdown().await.expect("shutdown");
        drop(stream);

        let received = reader.await.expect("reader");
        let expected = [head.as_slice(), &on_disk, b"trailer"].concat();
        assert_eq!(received.len(), expected.len());
        assert!(received == expected, "the body must come from the file");
    }

    #[test]
    fn memory_is_registered_while_its_bytes_live_and_only_once() {
        let (_dir, file) = file_with(b"module zip");
        let (_dir2, second_file) = file_with(b"module zip");
        let memory: &'static [u8] = b"module zip";
        let body = file_backed(Bytes::from_static(memory), file);
        let tail = body.slice(7..);
        assert_eq!(source_of(&tail).map(|(_, offset)| offset), Some(7));

        // The same memory again is left as it is, and does not end the first registration.
        let again = file_backed(body.clone(), second_file);
        drop(again);
        assert_eq!(source_of(&body).map(|(_, offset)| offset), Some(0));

        let elsewhere = b"module zip".to_vec();
        assert!(source_of(&elsewhere).is_none());
        drop(body);
        assert_eq!(source_of(&tail).map(|(_, offset)| offset), Some(7));
        drop(tail);
        assert!(source_of(memory).is_none());
    }
}
