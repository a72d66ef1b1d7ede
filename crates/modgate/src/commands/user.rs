//! `modgate user add|passwd|remove|list --htpasswd FILE`: the users of an htpasswd file, by
//! the one writer the server's admin API uses too. A running server sees the change within a
//! second. Passwords come from the terminal (asked twice) or one line of standard input,
//! never from an argument, which other users of the machine could read.

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;

use crate::auth::{self, Edit, EditError};
use crate::service::{AuditLog, AuditSettings};

/// What to do to the file.
pub(crate) enum UserCommand {
    Add(String),
    Passwd(String),
    Remove(String),
    List,
}

/// A command line that cannot work as given (exit code 2, like a configuration error).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct UsageError(pub String);

/// Where the password comes from.
#[derive(Clone, Copy)]
pub(crate) enum PasswordFrom {
    /// Asked on the terminal, twice.
    Prompt,
    /// One line of standard input.
    Stdin,
}

pub(crate) fn run(
    command: UserCommand,
    htpasswd: &Path,
    cost: Option<u32>,
    from: PasswordFrom,
    audit: &AuditSettings,
) -> anyhow::Result<()> {
    let edit = match command {
        UserCommand::List => {
            for name in auth::htpasswd_names(htpasswd)? {
                println!("{name}");
            }
            return Ok(());
        }
        UserCommand::Remove(name) => Edit::Remove { name },
        UserCommand::Add(name) => {
            let password = read_new_password(from)?;
            Edit::Add { name, password }
        }
        UserCommand::Passwd(name) => {
            let password = read_new_password(from)?;
            Edit::SetPassword { name, password }
        }
    };
    // By default, the cost the file's hashes use, so that every user takes as long to check.
    let cost = cost.unwrap_or_else(|| auth::htpasswd_cost(htpasswd));
    let name = edit.name().to_owned();
    let (verb, action) = match &edit {
        Edit::Add { .. } => ("added", "user.add"),
        Edit::SetPassword { .. } => ("password changed for", "user.passwd"),
        Edit::Remove { .. } => ("removed", "user.remove"),
    };
    let edited = auth::edit_htpasswd(htpasswd, &edit, cost);
    let outcome = match &edited {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let operator = crate::service::Caller::operator();
    AuditLog::new(audit).context("[audit] file")?.record(
        operator.name(),
        None,
        action,
        &name,
        &outcome,
    );
    edited.map_err(|e| match e {
        EditError::InvalidName { .. } | EditError::Cost(_) | EditError::EmptyPassword => {
            anyhow::Error::new(UsageError(e.to_string()))
        }
        other => anyhow::Error::new(other),
    })?;
    eprintln!("{verb} user {name:?} in {}", htpasswd.display());
    Ok(())
}

/// A new password: from standard input, or asked twice on the terminal.
pub(crate) fn read_new_password(from: PasswordFrom) -> anyhow::Result<String> {
    match from {
        PasswordFrom::Stdin => read_password(from),
        PasswordFrom::Prompt => {
            let first = read_password(from)?;
            let again = rpassword::prompt_password("Password again: ")
                .map_err(|e| UsageError(format!("reading the password from the terminal: {e}")))?;
            if first != again {
                anyhow::bail!(UsageError("the passwords differ".to_owned()));
            }
            Ok(first)
        }
    }
}

/// A password, asked once: one line of standard input, or on the terminal without echo.
pub(crate) fn read_password(from: PasswordFrom) -> anyhow::Result<String> {
    let password = match from {
        PasswordFrom::Stdin => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
        PasswordFrom::Prompt => rpassword::prompt_password("Password: ").map_err(|e| {
            UsageError(format!(
                "no terminal to ask for the password ({e}): give it on standard input with --password-stdin"
            ))
        })?,
    };
    if password.is_empty() {
        anyhow::bail!(UsageError("the password is empty".to_owned()));
    }
    Ok(password)
}
