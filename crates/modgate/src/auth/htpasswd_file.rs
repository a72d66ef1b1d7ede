//! Edits of an htpasswd file: add a user, change a password, remove a user. The one writer,
//! for `modgate user` and for the server's admin API; `htpasswd.rs` reads.
//!
//! Every edit reads the file, changes one line, checks the result with the reader's parser and
//! replaces the file atomically (a temp file in the same directory, fsync, rename), keeping its
//! permissions (0600 for a new file). Comments and the order of lines are kept.

use std::ops::RangeInclusive;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::htpasswd::{self, HtpasswdError};

/// The bcrypt cost of new hashes unless told otherwise: about 50 ms of CPU per check.
pub(crate) const DEFAULT_COST: u32 = 10;
/// The costs bcrypt takes.
pub(crate) const COSTS: RangeInclusive<u32> = 4..=31;
/// User names are short; longer is a mistake, or an attack on the file.
const MAX_NAME_LEN: usize = 128;

#[derive(Debug, thiserror::Error)]
pub(crate) enum EditError {
    #[error("user name {name:?}: {reason}")]
    InvalidName { name: String, reason: &'static str },
    #[error("the password is empty")]
    EmptyPassword,
    #[error("bcrypt cost {0}: must be 4 to 31")]
    Cost(u32),
    #[error("user {0:?} exists already")]
    Exists(String),
    #[error("no user {0:?}")]
    NoSuchUser(String),
    #[error(transparent)]
    Read(#[from] HtpasswdError),
    #[error("writing htpasswd {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("hashing the password: {0}")]
    Hash(String),
}

/// One change to the file. Deliberately without `Debug`: a password is never in a log or an
/// error.
pub(crate) enum Edit {
    Add { name: String, password: String },
    SetPassword { name: String, password: String },
    Remove { name: String },
}

impl Edit {
    pub fn name(&self) -> &str {
        match self {
            Edit::Add { name, .. } | Edit::SetPassword { name, .. } | Edit::Remove { name } => name,
        }
    }
}

/// Whether `name` can be a user of an htpasswd file (and of modgate's rights and logs).
pub(crate) fn check_name(name: &str) -> Result<(), EditError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("longer than 128 bytes")
    } else if name.contains(':') {
        Some("contains ':'")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else if name.trim() != name {
        Some("starts or ends with a space")
    } else if name.starts_with('#') {
        Some("starts with '#'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(EditError::InvalidName {
            name: name.chars().filter(|c| !c.is_control()).collect(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The user names in the file, sorted.
pub(crate) fn names(path: &Path) -> Result<Vec<String>, HtpasswdError> {
    let mut names: Vec<String> = htpasswd::read(path)?.into_keys().collect();
    names.sort();
    Ok(names)
}

/// The cost of the file's hashes (its first), or [`DEFAULT_COST`] for a new or empty file.
pub(crate) fn cost(path: &Path) -> u32 {
    htpasswd::read(path)
        .map(|hashes| htpasswd::cost_of(&hashes))
        .unwrap_or(DEFAULT_COST)
}

/// Applies `edit` to the file at `path`, hashing a new password at `cost`. Adding creates the
/// file if it does not exist.
pub(crate) fn apply(path: &Path, edit: &Edit, cost: u32) -> Result<(), EditError> {
    check_name(edit.name())?;
    if !COSTS.contains(&cost) {
        return Err(EditError::Cost(cost));
    }
    let (text, mode) = match std::fs::read_to_string(path) {
        Ok(text) => {
            let mode = std::fs::metadata(path)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o600);
            (text, mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && matches!(edit, Edit::Add { .. }) => {
            (String::new(), 0o600)
        }
        Err(source) => {
            return Err(HtpasswdError::Read {
                path: path.to_owned(),
                source,
            }
            .into());
        }
    };
    // A file the server would refuse is not made worse: its error is reported first.
    htpasswd::parse_at(path, &text)?;
    let edited = edited(&text, edit, cost)?;
    htpasswd::parse_at(path, &edited)?;
    crate::atomic_file::write(path, edited.as_bytes(), mode).map_err(|source| EditError::Write {
        path: path.to_owned(),
        source,
    })
}

/// The file's text with `edit` made.
fn edited(text: &str, edit: &Edit, cost: u32) -> Result<String, EditError> {
    let name = edit.name();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let at = lines.iter().position(|line| {
        let line = line.trim();
        !line.starts_with('#') && line.split_once(':').is_some_and(|(user, _)| user == name)
    });
    match (edit, at) {
        (Edit::Add { .. }, Some(_)) => return Err(EditError::Exists(name.to_owned())),
        (Edit::SetPassword { .. } | Edit::Remove { .. }, None) => {
            return Err(EditError::NoSuchUser(name.to_owned()));
        }
        (Edit::Add { password, .. }, None) => lines.push(line(name, password, cost)?),
        (Edit::SetPassword { password, .. }, Some(at)) => lines[at] = line(name, password, cost)?,
        (Edit::Remove { .. }, Some(at)) => {
            lines.remove(at);
        }
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    Ok(text)
}

/// `name:hash`, with a bcrypt hash in Apache's `$2y$` form.
fn line(name: &str, password: &str, cost: u32) -> Result<String, EditError> {
    if password.is_empty() {
        return Err(EditError::EmptyPassword);
    }
    let hash = bcrypt::hash_with_result(password, cost)
        .map_err(|e| EditError::Hash(e.to_string()))?
        .format_for_version(bcrypt::Version::TwoY);
    Ok(format!("{name}:{hash}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(name: &str, password: &str) -> Edit {
        Edit::Add {
            name: name.to_owned(),
            password: password.to_owned(),
        }
    }

    fn remove(name: &str) -> Edit {
        Edit::Remove {
            name: name.to_owned(),
        }
    }

    fn verify(path: &Path, name: &str, password: &str) -> bool {
        let users = htpasswd::read(path).expect("read");
        users
            .get(name)
            .is_some_and(|hash| bcrypt::verify(password, hash).unwrap_or(false))
    }

    #[test]
    fn adds_changes_and_removes_one_line_keeping_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        apply(&path, &add("alice", "one"), 4).expect("add to a new file");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let text = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, format!("# team\n{text}")).expect("comment");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        apply(&path, &add("bob", "two"), 4).expect("add");
        assert!(matches!(
            apply(&path, &add("bob", "three"), 4),
            Err(EditError::Exists(_))
        ));
        let set = Edit::SetPassword {
            name: "alice".into(),
            password: "new".into(),
        };
        apply(&path, &set, 5).expect("passwd");
        assert!(verify(&path, "alice", "new") && !verify(&path, "alice", "one"));
        assert!(verify(&path, "bob", "two"));
        apply(&path, &remove("bob"), 4).expect("remove");
        assert!(matches!(
            apply(&path, &remove("bob"), 4),
            Err(EditError::NoSuchUser(_))
        ));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("# team\nalice:$2y$05$"), "{text}");
        assert_eq!(names(&path).expect("names"), ["alice"]);
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640, "the file's mode is kept");
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temp file is left");
    }

    #[test]
    fn refuses_bad_names_costs_and_passwords_without_writing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("htpasswd");
        for name in ["", "a:b", "a\nb", "tab\t", " lead", "#x", &"n".repeat(200)] {
            let edit = add(name, "pw");
            let err = apply(&path, &edit, 4).expect_err(name);
            assert!(matches!(err, EditError::InvalidName { .. }), "{name:?}");
            assert!(!err.to_string().contains('\n'));
        }
        let edit = add("carol", "pw");
        assert!(matches!(apply(&path, &edit, 3), Err(EditError::Cost(3))));
        assert!(matches!(apply(&path, &edit, 32), Err(EditError::Cost(32))));
        let empty = add("carol", "");
        assert!(matches!(
            apply(&path, &empty, 4),
            Err(EditError::EmptyPassword)
        ));
        assert!(!path.exists());
        assert!(matches!(
            apply(&path, &remove("carol"), 4),
            Err(EditError::Read(_))
        ));
        std::fs::write(&path, "dave:{SHA}abc\n").expect("write");
        assert!(matches!(apply(&path, &edit, 4), Err(EditError::Read(_))));
    }
}
