//! Temp files for zips on their way through the server: uploads being received, upstream zips
//! being checked, stored zips being hashed.
//!
//! They live in the system's temp directory (`TMPDIR`) under one prefix, so that what a killed
//! server left there can be told from other programs' files and removed when the next one
//! starts, as the store's staging area is.

use std::io;
use std::path::Path;
use std::time::{Duration, SystemTime};

use tempfile::NamedTempFile;

const PREFIX: &str = ".modgate-spool-";

/// A spool file not written to for this long was left by a killed server: an upload has an
/// hour at most, an upstream fetch ten minutes, and a file is written to until it is complete.
const SPOOL_ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// A new temp file, removed when dropped (or at a later start, after a crash).
pub(crate) fn new_file() -> io::Result<NamedTempFile> {
    tempfile::Builder::new().prefix(PREFIX).tempfile()
}

/// Removes the spool files a killed server left in the temp directory, and returns how many.
pub(crate) fn clean_abandoned() -> io::Result<usize> {
    clean_dir(&std::env::temp_dir(), SPOOL_ABANDONED_AFTER)
}

fn clean_dir(dir: &Path, older_than: Duration) -> io::Result<usize> {
    let cutoff = SystemTime::now()
        .checked_sub(older_than)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    crate::sweep::remove_files_older_than(dir, cutoff, |name| name.starts_with(PREFIX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(path: &Path, by: Duration) {
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .expect("opening");
        file.set_modified(SystemTime::now() - by)
            .expect("setting the time");
    }

    #[test]
    fn only_old_spool_files_are_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let hour = Duration::from_secs(3600);
        for name in [".modgate-spool-old", ".modgate-spool-new", "other-old"] {
            std::fs::write(dir.path().join(name), b"partial").expect("writing");
        }
        age(&dir.path().join(".modgate-spool-old"), 2 * hour);
        age(&dir.path().join("other-old"), 2 * hour);
        std::fs::create_dir(dir.path().join(".modgate-spool-dir")).expect("mkdir");

        assert_eq!(clean_dir(dir.path(), hour).expect("cleaning"), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listing")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [".modgate-spool-dir", ".modgate-spool-new", "other-old"]
        );
        // A temp directory that is not there holds nothing to remove.
        let absent = dir.path().join("absent");
        assert_eq!(clean_dir(&absent, hour).expect("an absent directory"), 0);
    }
}
