//! The command lines of `modgate user` and `modgate login`.

use std::path::PathBuf;

use clap::Subcommand;

use crate::commands::login;
use crate::commands::user::{self, PasswordFrom};

#[derive(Subcommand)]
pub(super) enum UserCommand {
    /// Add a user; the password is asked twice, or read from standard input.
    Add(UserPasswordArgs),
    /// Change a user's password.
    Passwd(UserPasswordArgs),
    /// Remove a user.
    Remove {
        #[arg(value_parser = user_name)]
        name: String,
        #[command(flatten)]
        file: HtpasswdArgs,
    },
    /// List the users, one a line.
    List {
        #[command(flatten)]
        file: HtpasswdArgs,
    },
}

// No doc comment: clap would show it instead of the subcommand's.
#[derive(clap::Args)]
pub(super) struct UserPasswordArgs {
    #[arg(value_parser = user_name)]
    name: String,
    #[command(flatten)]
    file: HtpasswdArgs,
    #[command(flatten)]
    password: NewPasswordArgs,
}

#[derive(clap::Args)]
pub(super) struct HtpasswdArgs {
    /// The htpasswd file (bcrypt); `add` creates it, mode 0600.
    #[arg(long)]
    htpasswd: PathBuf,
    /// A config file whose [audit] file records the change.
    #[arg(long, env = "MODGATE_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
pub(super) struct NewPasswordArgs {
    /// Read the password from one line of standard input instead of asking.
    #[arg(long)]
    password_stdin: bool,
    /// bcrypt cost, 4 to 31 [default: the file's, else 10].
    #[arg(long, value_parser = clap::value_parser!(u32).range(4..=31))]
    cost: Option<u32>,
}

#[derive(clap::Args)]
pub(super) struct LoginArgs {
    /// The server, e.g. https://modgate.corp.example.
    #[arg(long, env = "MODGATE_SERVER")]
    server: String,
    /// The user name [default: asked].
    #[arg(long)]
    user: Option<String>,
    /// Read the password from one line of standard input instead of asking.
    #[arg(long)]
    password_stdin: bool,
    /// The token's label, shown in the server's token lists [default: modgate login on HOST].
    #[arg(long)]
    label: Option<String>,
    /// A CA certificate (PEM) to trust for --server, besides the system's.
    #[arg(long)]
    ca: Option<PathBuf>,
    /// Print the token on standard output too.
    #[arg(long)]
    print_token: bool,
}

/// `modgate user …`.
pub(super) fn user(command: UserCommand) -> anyhow::Result<()> {
    use user::UserCommand as Do;
    let (action, file, password) = match command {
        UserCommand::Add(args) => (Do::Add(args.name), args.file, Some(args.password)),
        UserCommand::Passwd(args) => (Do::Passwd(args.name), args.file, Some(args.password)),
        UserCommand::Remove { name, file } => (Do::Remove(name), file, None),
        UserCommand::List { file } => (Do::List, file, None),
    };
    let (cost, from) = match password {
        Some(p) => (p.cost, password_from(p.password_stdin)),
        None => (None, PasswordFrom::Prompt),
    };
    let audit = match file.config {
        Some(config) => super::load(Some(config), Default::default())?.audit,
        None => Default::default(),
    };
    user::run(action, &file.htpasswd, cost, from, &audit)
}

/// `modgate login …`.
pub(super) fn login(args: LoginArgs) -> anyhow::Result<()> {
    login::run(login::Login {
        server: args.server,
        user: args.user,
        password_from: password_from(args.password_stdin),
        label: args.label,
        ca: args.ca,
        print_token: args.print_token,
    })
}

fn password_from(stdin: bool) -> PasswordFrom {
    if stdin {
        PasswordFrom::Stdin
    } else {
        PasswordFrom::Prompt
    }
}

/// A user name an htpasswd file can hold.
fn user_name(text: &str) -> Result<String, String> {
    crate::auth::check_name(text)
        .map(|()| text.to_owned())
        .map_err(|e| e.to_string())
}
