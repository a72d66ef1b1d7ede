//! `modgate publish`: build a module zip from a directory or a git tag, then send it to a
//! server's publishing API or write it straight into a directory store.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use gomod::ModuleVersion;

use crate::storage::{self, Store};
use crate::writer::{Published, Strictness, VersionWriter, check};

/// Where the version goes.
pub(crate) enum Target {
    /// `https://modgate.example` and how to authenticate.
    Server {
        url: String,
        token: Option<String>,
        basic: Option<(String, String)>,
        ca: Option<PathBuf>,
    },
    /// A directory store, written directly.
    Store(PathBuf),
}

/// Where the version comes from.
pub(crate) enum Origin {
    Dir {
        dir: PathBuf,
        module: Option<String>,
        version: String,
    },
    Git {
        repo: PathBuf,
        tag: String,
        module: Option<String>,
    },
}

pub(crate) fn run(origin: Origin, time: Option<String>, target: Target) -> anyhow::Result<()> {
    let work = tempfile::tempdir().context("creating a temp directory")?;
    let explicit_time = time
        .map(|t| {
            OffsetDateTime::parse(&t, &Rfc3339)
                .with_context(|| format!("--time {t:?} is not RFC 3339"))
        })
        .transpose()?;
    let (dir, module, version, tag_time) = match origin {
        Origin::Dir {
            dir,
            module,
            version,
        } => {
            let module = match module {
                Some(module) => module,
                None => module_of(&dir)?
                    .with_context(|| format!("{}: no go.mod; pass --module", dir.display()))?,
            };
            (dir, module, version, None)
        }
        Origin::Git { repo, tag, module } => {
            let tree = crate::git::checkout_tag(&repo, &tag, &work.path().join("tree"))?;
            let (dir, module, version) =
                locate_in_tree(tree.dir.clone(), module, tree.version.clone())?;
            // After locating: a vN/ major-version directory is a subdirectory too.
            tree.copy_root_license(&dir)?;
            (dir, module, version, Some(tree.commit_time))
        }
    };
    let version = ModuleVersion::parse(&module, &version)?;
    let zip_path = work.path().join("module.zip");
    build_zip(&dir, &version, &zip_path)?;
    let time = explicit_time.or(tag_time);

    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let published = runtime.block_on(async {
        match target {
            Target::Store(store_dir) => {
                let store = Store::directory(&store_dir)
                    .with_context(|| format!("opening store {}", store_dir.display()))?;
                let writer = VersionWriter::new(store, None);
                // A store that only this command writes to has no server start to clean it.
                if let Err(e) = writer.clean_staging().await {
                    eprintln!("modgate: cleaning the staging area: {e}");
                }
                let zip = check::zip(&version, zip_path.clone(), Strictness::Upload).await?;
                let origin = crate::writer::Origin::Published {
                    by: crate::service::Caller::operator().name().to_owned(),
                };
                Ok(writer.publish(&version, &zip, time, &origin).await?)
            }
            Target::Server {
                url,
                token,
                basic,
                ca,
            } => upload(&url, token, basic, ca, &version, &zip_path, time).await,
        }
    })?;
    println!("{}", serde_json::to_string_pretty(&published)?);
    Ok(())
}

/// For a tag of a major version ≥ 2, the module may live in a `vN/` subdirectory, and a tree
/// without go.mod is a `+incompatible` version (spec 2.5).
fn locate_in_tree(
    dir: PathBuf,
    module: Option<String>,
    version: String,
) -> anyhow::Result<(PathBuf, String, String)> {
    let major = gomod::major(&version).unwrap_or("v0").to_owned();
    let root_module = module_of(&dir)?;
    if major != "v0" && major != "v1" {
        let suffix = format!("/{major}");
        let major_dir = dir.join(&major);
        let in_root = root_module.as_deref().is_some_and(|m| m.ends_with(&suffix));
        if !in_root
            && let Some(sub_module) = module_of(&major_dir)?
            && sub_module.ends_with(&suffix)
        {
            return Ok((major_dir, module.unwrap_or(sub_module), version));
        }
        if root_module.is_none() {
            let module = module.context("the tagged tree has no go.mod; pass --module")?;
            return Ok((dir, module, format!("{version}+incompatible")));
        }
    }
    let module = match module.or(root_module) {
        Some(module) => module,
        None => bail!("the tagged tree has no go.mod; pass --module"),
    };
    Ok((dir, module, version))
}

fn module_of(dir: &Path) -> anyhow::Result<Option<String>> {
    let go_mod = match std::fs::read(dir.join("go.mod")) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}/go.mod", dir.display())),
    };
    let parsed =
        gomod::ModFile::parse_lax(&go_mod).with_context(|| format!("{}/go.mod", dir.display()))?;
    Ok(parsed.module)
}

pub(crate) fn build_zip(
    dir: &Path,
    version: &ModuleVersion,
    zip_path: &Path,
) -> anyhow::Result<()> {
    let file = std::fs::File::create(zip_path).context("creating the zip")?;
    let (module, v) = (version.path().as_str(), version.version().as_str());
    gomod::create_from_dir(std::io::BufWriter::new(file), module, v, dir)
        .with_context(|| format!("building the zip of {version} from {}", dir.display()))?;
    Ok(())
}

async fn upload(
    server: &str,
    token: Option<String>,
    basic: Option<(String, String)>,
    ca: Option<PathBuf>,
    version: &ModuleVersion,
    zip_path: &Path,
    time: Option<OffsetDateTime>,
) -> anyhow::Result<Published> {
    let mut client = reqwest::Client::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(&ca).with_context(|| format!("reading CA {}", ca.display()))?;
        client = client.add_root_certificate(reqwest::Certificate::from_pem(&pem)?);
    }
    let client = client.build().context("building the HTTP client")?;
    let mut url = format!(
        "{}/api/v1/{}/@v/{}.zip",
        server.trim_end_matches('/'),
        version.path().escaped(),
        version.version().escaped()
    );
    if let Some(time) = time {
        url.push_str(&format!(
            "?time={}",
            time.format(&Rfc3339)?.replace('+', "%2B")
        ));
    }
    let file = std::fs::File::open(zip_path)?;
    let length = file.metadata()?.len();
    let body = reqwest::Body::wrap_stream(storage::file_chunks(file));
    let mut request = client
        .put(&url)
        .header(reqwest::header::CONTENT_LENGTH, length)
        .header(reqwest::header::CONTENT_TYPE, "application/zip")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    } else if let Some((user, password)) = basic {
        request = request.basic_auth(user, Some(password));
    }
    let response = request
        .send()
        .await
        .with_context(|| format!("uploading to {server}"))?;
    let status = response.status();
    if !status.is_success() {
        let reason = response.text().await.unwrap_or_default();
        bail!("{server} answered {status}: {}", reason.trim());
    }
    response
        .json::<Published>()
        .await
        .context("reading the server's answer")
}
