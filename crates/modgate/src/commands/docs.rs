//! What is generated from the command line's own definition: shell completions
//! (`clap_complete`) and the manual page (`clap_mangen`), so neither drifts from the flags;
//! and `check-config`'s summary of a config that loaded.

use std::io::Write;

use anyhow::Context;

use crate::config::Config;
use crate::storage::StoreSettings;

/// `modgate completions SHELL`: the completion script on stdout.
pub(crate) fn completions(
    mut command: clap::Command,
    shell: clap_complete::Shell,
) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "modgate", &mut out);
    out.flush().context("writing the completion script")
}

/// `modgate man`: modgate(1) in roff on stdout: clap_mangen's page, then a section per
/// subcommand with its arguments (clap_mangen lists subcommands by name only).
pub(crate) fn man(command: clap::Command) -> anyhow::Result<()> {
    let mut page = Vec::new();
    let command = command.disable_help_subcommand(true);
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .context("rendering the manual page")?;
    subcommand_sections(&mut page, &command, "modgate")?;
    let mut out = std::io::stdout().lock();
    out.write_all(&page)
        .and_then(|()| out.flush())
        .context("writing the manual page")
}

/// `.SH` for each subcommand of `command` (recursively, `.SS` below the first level).
fn subcommand_sections(
    out: &mut Vec<u8>,
    command: &clap::Command,
    prefix: &str,
) -> std::io::Result<()> {
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix} {}", sub.get_name());
        let heading = if prefix == "modgate" { ".SH" } else { ".SS" };
        writeln!(out, "{heading} \"{}\"", escape(&name.to_uppercase()))?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(out, ".PP\n{}", escape(&about.to_string()))?;
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
            writeln!(out, ".TP\n{}", escape(&usage_of(arg)))?;
            if let Some(help) = arg.get_long_help().or(arg.get_help()) {
                writeln!(out, "{}", escape(&help.to_string()))?;
            }
        }
        subcommand_sections(out, sub, &name)?;
    }
    Ok(())
}

/// `--config <CONFIG>`, `-h, --help`, or `<SOURCE>` for a positional argument.
fn usage_of(arg: &clap::Arg) -> String {
    let value = arg
        .get_value_names()
        .and_then(|names| names.first())
        .map_or_else(|| arg.get_id().as_str().to_uppercase(), |n| n.to_string());
    let takes_value = arg.get_num_args().is_none_or(|n| n.takes_values())
        && !matches!(
            arg.get_action(),
            clap::ArgAction::SetTrue | clap::ArgAction::Help | clap::ArgAction::Version
        );
    match (arg.get_short(), arg.get_long()) {
        (None, None) => format!("<{value}>"),
        (short, long) => {
            let flags: Vec<String> = short
                .map(|s| format!("-{s}"))
                .into_iter()
                .chain(long.map(|l| format!("--{l}")))
                .collect();
            match takes_value {
                true => format!("{} <{value}>", flags.join(", ")),
                false => flags.join(", "),
            }
        }
    }
}

/// Text safe in a roff line: backslashes doubled, no line starting with a control character.
fn escape(text: &str) -> String {
    text.replace('\\', "\\e")
        .lines()
        .map(|line| match line.starts_with(['.', '\'']) {
            true => format!("\\&{line}"),
            false => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `modgate check-config`: what the loaded config amounts to, one line each.
pub(crate) fn describe(config: &Config) {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let store = match &config.storage {
        StoreSettings::Dir(dir) => format!("directory {}", dir.display()),
        StoreSettings::S3 {
            bucket, endpoint, ..
        } => format!(
            "s3 bucket {bucket}{}",
            endpoint
                .as_deref()
                .map(|e| format!(" at {e}"))
                .unwrap_or_default()
        ),
        StoreSettings::Gcs { bucket, .. } => format!("gcs bucket {bucket}"),
        StoreSettings::Azure { container, .. } => format!("azure container {container}"),
    };
    println!("config OK");
    println!("  listen: {scheme}://{}", config.listen);
    println!("  store: {store}");
    println!("  routes: {}", config.routes.len());
    println!("  request log: {}", config.request_log);
    if let Some(log) = &config.private_sumdb {
        println!("  private checksum database: {}", log.name);
    }
    let retention = &config.retention;
    if let Some(every) = retention.interval {
        let limit = |what: &str, value: Option<String>| value.map(|v| format!(" {what} {v}"));
        println!(
            "  retention of upstream-cached versions:{}{}, gc every {}s",
            limit("max_bytes", retention.max_bytes.map(|b| b.to_string())).unwrap_or_default(),
            limit("unused_days", retention.unused_days.map(|d| d.to_string())).unwrap_or_default(),
            every.as_secs()
        );
    }
}
