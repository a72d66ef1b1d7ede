//! Removing what a killed process left in a local directory: files that nothing has written
//! to for longer than any live writer takes. The store's staging area and the spool in
//! `TMPDIR` are both swept this way at start.

use std::io;
use std::path::Path;
use std::time::SystemTime;

/// Removes the files directly in `dir` whose names `is_ours` accepts and that were last
/// written before `cutoff`, and returns how many. A directory that is not there holds nothing.
pub(crate) fn remove_files_older_than(
    dir: &Path,
    cutoff: SystemTime,
    is_ours: impl Fn(&str) -> bool,
) -> io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        if !is_ours(&entry.file_name().to_string_lossy()) {
            continue;
        }
        let metadata = match entry.metadata() {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if metadata.is_file() && metadata.modified()? < cutoff {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                // Another process sweeping the same directory got there first.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}
