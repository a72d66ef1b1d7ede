//! Log lines gathered in memory and written out by one background thread every few
//! milliseconds. A request appends its line under a lock and goes on; the thread writes what
//! has gathered in one system call. Handing each line to a writer thread instead
//! (tracing-appender) woke that thread once per line: a futex, a context switch and a write
//! per request, a tenth of the server's time answering cached 404s (profiled).

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// Where log lines go: cheap to clone, one per subscriber.
#[derive(Clone)]
pub(crate) struct GatheredLog {
    shared: Arc<Shared>,
}

/// Writes what is left and stops the thread when dropped; keep it until exit.
pub(crate) struct FlushOnDrop {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    lines: Mutex<Lines>,
    /// Wakes the writer thread: the first line after a quiet spell, a full buffer, closing.
    wake: Condvar,
    /// Wakes loggers waiting for room.
    drained: Condvar,
    /// Past this many bytes, loggers wait for the thread to write: under a flood that the sink
    /// cannot keep up with, requests slow down rather than lose their lines or grow memory.
    limit: usize,
}

#[derive(Default)]
struct Lines {
    bytes: Vec<u8>,
    closing: bool,
}

/// Starts the writer thread: lines reach `sink` at most `gather` after they are logged.
pub(crate) fn start(
    sink: impl Write + Send + 'static,
    gather: Duration,
    limit: usize,
) -> std::io::Result<(GatheredLog, FlushOnDrop)> {
    let shared = Arc::new(Shared {
        lines: Mutex::default(),
        wake: Condvar::new(),
        drained: Condvar::new(),
        limit,
    });
    let thread = std::thread::Builder::new()
        .name("modgate-log".to_owned())
        .spawn({
            let shared = shared.clone();
            move || shared.write_until_closed(sink, gather)
        })?;
    Ok((
        GatheredLog {
            shared: shared.clone(),
        },
        FlushOnDrop {
            shared,
            thread: Some(thread),
        },
    ))
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Lines> {
        // The state is bytes and a flag, whole after any panic.
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, line: &[u8]) {
        let mut lines = self.lock();
        while lines.bytes.len() >= self.limit && !lines.closing {
            lines = self
                .drained
                .wait(lines)
                .unwrap_or_else(PoisonError::into_inner);
        }
        let was_empty = lines.bytes.is_empty();
        lines.bytes.extend_from_slice(line);
        let now_full = lines.bytes.len() >= self.limit;
        drop(lines);
        // Only these need the thread awake: otherwise it is already gathering.
        if was_empty || now_full {
            self.wake.notify_one();
        }
    }

    fn write_until_closed(&self, mut sink: impl Write, gather: Duration) {
        let mut writing = Vec::new();
        loop {
            let mut lines = self.lock();
            while lines.bytes.is_empty() && !lines.closing {
                lines = self
                    .wake
                    .wait(lines)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if !lines.closing && lines.bytes.len() < self.limit {
                // Let a burst gather: one write for all of it.
                lines = self
                    .wake
                    .wait_timeout(lines, gather)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            let closing = lines.closing;
            std::mem::swap(&mut lines.bytes, &mut writing);
            drop(lines);
            self.drained.notify_all();
            // Nowhere to report a failing log sink; the lines are dropped, serving goes on.
            let _ = sink.write_all(&writing).and_then(|()| sink.flush());
            writing.clear();
            // A flood's buffer is not kept for the quiet that follows.
            writing.shrink_to(self.limit);
            if closing && self.lock().bytes.is_empty() {
                return;
            }
        }
    }
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.wake.notify_one();
        self.shared.drained.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One formatted event: tracing-subscriber writes each with a single `write_all`.
pub(crate) struct LineWriter<'a>(&'a Shared);

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for GatheredLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter(&self.shared)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    /// A sink the test can read while the thread writes to it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<u8>>>);

    impl Write for Seen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("seen").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seen {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("seen").clone()).expect("utf-8")
        }
    }

    #[test]
    fn every_line_arrives_whole_and_in_order_past_a_full_buffer() {
        let seen = Seen::default();
        // A limit of a few lines makes loggers wait for the thread again and again.
        let (log, flush) = start(seen.clone(), Duration::from_millis(1), 64).expect("start");
        std::thread::scope(|scope| {
            for thread in 0..4 {
                let log = log.clone();
                scope.spawn(move || {
                    for n in 0..500 {
                        let line = format!("thread {thread} line {n}\n");
                        log.make_writer().write_all(line.as_bytes()).expect("write");
                    }
                });
            }
        });
        drop(flush);
        let text = seen.text();
        for thread in 0..4 {
            let numbers: Vec<usize> = text
                .lines()
                .filter_map(|l| l.strip_prefix(&format!("thread {thread} line ")))
                .map(|n| n.parse().expect("a whole line"))
                .collect();
            assert_eq!(numbers, (0..500).collect::<Vec<_>>(), "thread {thread}");
        }
        assert_eq!(text.lines().count(), 2000);
    }

    #[test]
    fn a_line_is_written_without_waiting_for_more() {
        let seen = Seen::default();
        let (log, _flush) = start(seen.clone(), Duration::from_millis(5), 1 << 20).expect("start");
        log.make_writer().write_all(b"alone\n").expect("write");
        let deadline = Instant::now() + Duration::from_secs(10);
        while seen.text().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(seen.text(), "alone\n");
    }
}
