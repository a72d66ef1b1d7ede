//! The progress of a long command (`import`, `export`, `prefetch`, `verify`) on stderr: a bar
//! when stderr is a terminal, else plain lines a log keeps (one each tenth of the work or each
//! second, whichever comes first); a summary line either way. stdout keeps the results.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Plain lines at most this far apart while items are done.
const PLAIN_INTERVAL: Duration = Duration::from_secs(1);

/// One command's progress through `total` items.
pub(crate) struct Progress {
    what: &'static str,
    total: u64,
    done: u64,
    started: Instant,
    mode: Mode,
}

enum Mode {
    Bar(ProgressBar),
    Plain { last_line: Instant, every: u64 },
}

impl Progress {
    /// `what` names the command in every line (`import`); a bar when stderr is a terminal.
    pub(crate) fn new(what: &'static str, total: usize) -> Progress {
        Self::with_terminal(what, total, std::io::stderr().is_terminal())
    }

    fn with_terminal(what: &'static str, total: usize, terminal: bool) -> Progress {
        let total = total as u64;
        let now = Instant::now();
        let mode = match terminal {
            true => {
                let bar = ProgressBar::new(total);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{prefix} {bar:40} {pos}/{len} {elapsed_precise} {wide_msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(what);
                Mode::Bar(bar)
            }
            false => Mode::Plain {
                last_line: now,
                every: total.div_ceil(10).max(1),
            },
        };
        Progress {
            what,
            total,
            done: 0,
            started: now,
            mode,
        }
    }

    /// One more item done; `item` names it (module@version, a key).
    pub(crate) fn step(&mut self, item: &str) {
        self.done += 1;
        match &mut self.mode {
            Mode::Bar(bar) => {
                bar.set_message(item.to_owned());
                bar.inc(1);
            }
            Mode::Plain { last_line, every } => {
                let due = self.done.is_multiple_of(*every) || last_line.elapsed() >= PLAIN_INTERVAL;
                if due && self.done < self.total {
                    *last_line = Instant::now();
                    let line = format!("{}: {}/{} {item}", self.what, self.done, self.total);
                    print_line(&line);
                }
            }
        }
    }

    /// Clears the bar and prints the summary: `import: 120/120 in 3.4s`.
    pub(crate) fn finish(self) {
        if let Mode::Bar(bar) = &self.mode {
            bar.finish_and_clear();
        }
        print_line(&format!(
            "{}: {}/{} in {:.1}s",
            self.what,
            self.done,
            self.total,
            self.started.elapsed().as_secs_f64()
        ));
    }
}

fn print_line(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_come_each_tenth() {
        let mut progress = Progress::with_terminal("import", 25, false);
        let Mode::Plain { every, .. } = progress.mode else {
            panic!("plain mode");
        };
        assert_eq!(every, 3);
        for i in 0..25 {
            progress.step(&format!("m{i}"));
        }
        assert_eq!(progress.done, 25);
        assert_eq!(Progress::with_terminal("x", 0, false).total, 0);
    }
}
