//! `modgate doctor`: run on a developer's machine. Reads the go command's settings
//! (`go env -json`) and `.netrc`, probes the modgate server, and prints what to change, in
//! plain words; exit status 1 when something should change. The judgement is `crate::doctor`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::doctor::{self, Credentials, GoSettings, Inputs, Probes, ProxyUrl, Reach};

/// A probe that takes longer is reported as unreachable.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(clap::Args)]
pub(crate) struct DoctorArgs {
    /// The modgate server [default: the first private proxy in GOPROXY].
    #[arg(long)]
    server: Option<String>,
    /// The go command whose settings to check [default: go on PATH].
    #[arg(long, default_value = "go")]
    go: PathBuf,
}

pub(crate) fn run(args: DoctorArgs) -> anyhow::Result<()> {
    let go = go_env(&args.go)?;
    let (netrc_path, netrc_text) = read_netrc()?;
    let machines = doctor::parse_netrc(&netrc_text);
    let server = match &args.server {
        Some(url) => ProxyUrl::parse(url)
            .with_context(|| format!("--server {url:?}: expected an http(s) URL"))?,
        None => doctor::server_from_goproxy(&go).with_context(|| {
            format!(
                "GOPROXY={:?} names no private proxy: give the server with --server URL",
                go.get("GOPROXY")
            )
        })?,
    };
    let mut inputs = Inputs {
        go: &go,
        netrc: (&netrc_path, &machines),
        server: &server,
        probes: None,
    };
    let probes = probe(&inputs)?;
    inputs.probes = Some(&probes);
    println!(
        "modgate doctor: {} ({}), server {}",
        go.get("GOVERSION"),
        args.go.display(),
        server.display()
    );
    let findings = doctor::check(&inputs);
    if findings.is_empty() {
        println!("all well: the go command reaches modgate as it should");
        return Ok(());
    }
    for finding in &findings {
        println!(
            "\nproblem: {}\nchange:  {}",
            finding.problem, finding.change
        );
    }
    println!();
    anyhow::bail!("{} settings to change", findings.len())
}

/// `go env -json`, as the developer's shell would run it.
fn go_env(go: &Path) -> anyhow::Result<GoSettings> {
    let output = std::process::Command::new(go)
        .args(["env", "-json"])
        .output()
        .with_context(|| format!("running {} env -json", go.display()))?;
    if !output.status.success() {
        anyhow::bail!(
            "{} env -json failed: {}",
            go.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let vars: BTreeMap<String, String> = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("reading {} env -json", go.display()))?;
    Ok(GoSettings(vars))
}

/// The `.netrc` the go command reads: `$NETRC`, else `~/.netrc`; empty when there is none.
fn read_netrc() -> anyhow::Result<(String, String)> {
    let path = match std::env::var_os("NETRC").filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => match std::env::var_os("HOME") {
            Some(home) => Path::new(&home).join(".netrc"),
            None => return Ok(("~/.netrc".to_owned(), String::new())),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    Ok((path.display().to_string(), text))
}

/// `/healthz`, then (with the credentials the go command would send) a private path and the
/// checksum database GOSUMDB names.
fn probe(inputs: &Inputs<'_>) -> anyhow::Result<Probes> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .user_agent(concat!("modgate-doctor/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("building the HTTP client")?;
    let runtime = super::current_thread_runtime()?;
    let base = inputs.server.display();
    let credentials = doctor::credentials(inputs);
    let get = |path: &str, credentials: Option<&Credentials>| {
        let mut request = client.get(format!("{base}/{path}"));
        if let Some(c) = credentials.filter(|_| inputs.server.scheme == "https") {
            request = request.basic_auth(&c.user, Some(&c.password));
        }
        runtime.block_on(reach(request))
    };
    let health = get("healthz", None);
    if !matches!(health, Reach::Answered(200, _)) {
        return Ok(Probes {
            health,
            access: None,
            sumdb: None,
        });
    }
    let access = inputs.go.private_prefix().map(|prefix| {
        let path = format!("{prefix}/@v/list");
        let reach = get(&path, credentials.as_ref());
        (path, reach)
    });
    let sumdb = inputs.go.sumdb_name().map(|name| {
        let reach = get(&format!("sumdb/{name}/supported"), credentials.as_ref());
        (name, reach)
    });
    Ok(Probes {
        health,
        access,
        sumdb,
    })
}

async fn reach(request: reqwest::RequestBuilder) -> Reach {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            let first = body.lines().next().unwrap_or_default().trim().to_owned();
            Reach::Answered(status, first)
        }
        Err(e) => {
            let chain = error_chain(&e);
            match chain.contains("certificate") || chain.contains("UnknownIssuer") {
                true => Reach::UntrustedCa(chain),
                false => Reach::Unreachable(chain),
            }
        }
    }
}

/// An error and its causes on one line: reqwest's own says only "error sending request".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
