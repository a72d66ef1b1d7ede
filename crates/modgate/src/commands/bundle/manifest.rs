//! `.modgate-bundle.json`: what a bundle holds, so an import can check every byte before it
//! writes one, and a later `bundle create --since` can leave out what an earlier bundle had.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's own path inside a bundle.
pub(crate) const MANIFEST: &str = ".modgate-bundle.json";

/// The only format this modgate writes and reads; a newer one is refused, not half-understood.
pub(crate) const FORMAT: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub format: u32,
    /// RFC 3339, UTC.
    pub created: String,
    /// The public checksum database whose proofs the bundle holds, if it holds any.
    pub sumdb: Option<SumdbHead>,
    /// Every file of the bundle but the manifest, sorted by path.
    pub files: Vec<FileEntry>,
    /// Every version of the bundle, sorted.
    pub versions: Vec<VersionEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct SumdbHead {
    pub name: String,
    /// The size of the signed tree head (`latest`) every lookup in the bundle is proven in.
    pub tree_size: u64,
    /// That tree's hash (base64), for a later bundle's consistency proof.
    pub tree_hash: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct VersionEntry {
    pub module: String,
    pub version: String,
    /// The zip's `h1:`; absent when the bundle holds only the version's go.mod (a module the
    /// build graph reads but does not build).
    pub h1: Option<String>,
    pub go_mod_h1: String,
}

impl Manifest {
    /// The files by path.
    pub fn file_map(&self) -> BTreeMap<&str, &FileEntry> {
        self.files.iter().map(|f| (f.path.as_str(), f)).collect()
    }

    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut json = serde_json::to_vec_pretty(self).context("writing the manifest")?;
        json.push(b'\n');
        Ok(json)
    }

    pub fn parse(bytes: &[u8]) -> anyhow::Result<Manifest> {
        let manifest: Manifest = serde_json::from_slice(bytes).context("not a bundle manifest")?;
        if manifest.format != FORMAT {
            anyhow::bail!(
                "bundle format {} (this modgate reads format {FORMAT})",
                manifest.format
            );
        }
        Ok(manifest)
    }

    /// An earlier bundle's manifest, for `--since`: the manifest file itself, or a bundle
    /// (`.tar.zst`) whose manifest is read from its archive.
    pub fn read_earlier(path: &Path) -> anyhow::Result<Manifest> {
        let what = || format!("--since {}", path.display());
        let mut file = std::io::BufReader::new(std::fs::File::open(path).with_context(what)?);
        // A manifest is JSON; a bundle is read only as far as its first entry, the manifest.
        if std::io::BufRead::fill_buf(&mut file)
            .with_context(what)?
            .first()
            == Some(&b'{')
        {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).with_context(what)?;
            return Manifest::parse(&bytes).with_context(what);
        }
        let decoder = zstd::stream::read::Decoder::with_buffer(file).with_context(what)?;
        let mut archive = tar::Archive::new(decoder);
        for entry in archive.entries().with_context(what)? {
            let mut entry = entry.with_context(what)?;
            if entry.path().with_context(what)?.as_os_str() == MANIFEST {
                let mut json = Vec::new();
                entry.read_to_end(&mut json).with_context(what)?;
                return Manifest::parse(&json).with_context(what);
            }
        }
        anyhow::bail!("{}: no {MANIFEST} in it", what())
    }
}

/// The lower-case hex SHA-256 and size of a file, read in pieces (a zip can be 500 MiB).
pub(crate) fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok((hex(&hasher.finalize()), size));
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_manifest_is_read_as_json_and_a_newer_format_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = Manifest {
            format: FORMAT,
            created: "2026-01-01T00:00:00Z".to_owned(),
            sumdb: Some(SumdbHead {
                name: "sum.golang.org".to_owned(),
                tree_size: 42,
                tree_hash: "AAAA".to_owned(),
            }),
            files: Vec::new(),
            versions: vec![VersionEntry {
                module: "example.com/m".to_owned(),
                version: "v1.0.0".to_owned(),
                h1: None,
                go_mod_h1: "h1:x=".to_owned(),
            }],
        };
        let path = dir.path().join(MANIFEST);
        std::fs::write(&path, manifest.to_json().expect("JSON")).expect("writing");
        assert_eq!(Manifest::read_earlier(&path).expect("read"), manifest);
        let newer = serde_json::to_vec(&Manifest {
            format: FORMAT + 1,
            ..manifest
        })
        .expect("JSON");
        std::fs::write(&path, newer).expect("writing");
        let err = Manifest::read_earlier(&path).expect_err("a newer format");
        assert!(format!("{err:#}").contains("bundle format 2"), "{err:#}");
        std::fs::write(&path, "not a bundle").expect("writing");
        assert!(Manifest::read_earlier(&path).is_err());
    }
}
