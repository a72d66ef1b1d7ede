//! The bundle's archive: a tar stream compressed with zstd, holding a directory tree as it is
//! (so `tar --zstd -xf` gives the `GOPROXY=file://` tree), written in one step and read back
//! with every entry's path checked before it is unpacked.

use std::path::{Component, Path, PathBuf};

use anyhow::Context;

use super::manifest::{self, FileEntry, MANIFEST, Manifest};

/// zstd's default level: most of a bundle is zips already compressed, so a higher level buys
/// little and costs a lot of CPU.
const ZSTD_LEVEL: i32 = 3;

/// Every regular file below `root`, as sorted `/`-separated relative paths; anything else (a
/// symbolic link, a device) is a problem line.
pub(crate) fn files_below(root: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (mut files, mut problems) = (Vec::new(), Vec::new());
    walk(root, root, &mut files, &mut problems)?;
    files.sort();
    problems.sort();
    Ok((files, problems))
}

fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<String>,
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let relative = path
            .strip_prefix(root)
            .ok()
            .and_then(Path::to_str)
            .map(str::to_owned);
        let Some(relative) = relative else {
            problems.push(format!("{}: not a UTF-8 name", path.display()));
            continue;
        };
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, files, problems)?;
        } else if kind.is_file() {
            files.push(relative);
        } else {
            problems.push(format!("{relative}: not a regular file"));
        }
    }
    Ok(())
}

/// The manifest's `files` for the files below `root` (the manifest itself excluded).
pub(crate) fn file_entries(root: &Path) -> anyhow::Result<Vec<FileEntry>> {
    let (files, problems) = files_below(root)?;
    if let Some(problem) = problems.first() {
        anyhow::bail!("{problem}");
    }
    files
        .into_iter()
        .filter(|path| path != MANIFEST)
        .map(|path| {
            let (sha256, size) = manifest::sha256_file(&root.join(&path))
                .with_context(|| format!("reading {path}"))?;
            Ok(FileEntry { path, size, sha256 })
        })
        .collect()
}

/// Writes `out`: the manifest first (a later `--since` reads only that far), then every file
/// it names from `root`; in one step (`atomic_file`): a bundle is whole or absent.
pub(crate) fn write(out: &Path, root: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    let json = manifest.to_json()?;
    crate::atomic_file::write_with(out, 0o644, |file| {
        let encoder = zstd::stream::write::Encoder::new(file, ZSTD_LEVEL)?;
        let mut archive = tar::Builder::new(encoder);
        // Numeric owners and fixed times: the same contents make the same archive.
        archive.mode(tar::HeaderMode::Deterministic);
        let mut header = tar::Header::new_gnu();
        header.set_size(json.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        archive.append_data(&mut header, MANIFEST, json.as_slice())?;
        for file in &manifest.files {
            let added = archive.append_path_with_name(root.join(&file.path), &file.path);
            added
                .map_err(|e| std::io::Error::new(e.kind(), format!("adding {}: {e}", file.path)))?;
        }
        archive.into_inner()?.finish()?;
        Ok(())
    })
    .with_context(|| format!("writing {}", out.display()))
}

/// Unpacks the bundle at `file` into the empty directory `into`. An entry that is not a
/// regular file or a directory, or whose path could land outside `into` or repeats another,
/// is a problem line and is not unpacked.
pub(crate) fn unpack(file: &Path, into: &Path) -> anyhow::Result<Vec<String>> {
    let what = || format!("reading {}", file.display());
    let reader = std::fs::File::open(file).with_context(what)?;
    let decoder = zstd::stream::read::Decoder::new(reader).with_context(what)?;
    let mut archive = tar::Archive::new(decoder);
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for entry in archive.entries().with_context(what)? {
        let mut entry = entry.with_context(what)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        let Some(relative) = safe_relative(&name) else {
            problems.push(format!("{name}: a path outside the bundle"));
            continue;
        };
        if !kind.is_file() {
            problems.push(format!("{name}: not a regular file"));
            continue;
        }
        if !seen.insert(relative.clone()) {
            problems.push(format!("{name}: in the archive twice"));
            continue;
        }
        let target = into.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut out = std::fs::File::create(&target)?;
        std::io::copy(&mut entry, &mut out).with_context(what)?;
    }
    Ok(problems)
}

/// `name` as a path below the bundle's root: only plain components (no `..`, no root).
pub(super) fn safe_relative(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => relative.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!relative.as_os_str().is_empty()).then_some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundle written and read back is the same tree; one with a path leaving it, a link,
    /// or a file twice unpacks none of those and says so, one line each.
    #[test]
    fn bundles_unpack_what_they_hold_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("tree");
        std::fs::create_dir_all(root.join("example.com/m/@v")).expect("dirs");
        std::fs::write(root.join("example.com/m/@v/list"), "v1.0.0\n").expect("list");
        let manifest = Manifest {
            format: manifest::FORMAT,
            created: "2026-01-01T00:00:00Z".to_owned(),
            sumdb: None,
            files: file_entries(&root).expect("entries"),
            versions: Vec::new(),
        };
        let out = dir.path().join("b.tar.zst");
        write(&out, &root, &manifest).expect("writing");
        assert_eq!(Manifest::read_earlier(&out).expect("manifest"), manifest);
        let into = dir.path().join("into");
        assert!(unpack(&out, &into).expect("unpacking").is_empty());
        assert_eq!(file_entries(&into).expect("entries"), manifest.files);

        let evil = dir.path().join("evil.tar.zst");
        let file = std::fs::File::create(&evil).expect("create");
        let mut archive = tar::Builder::new(zstd::Encoder::new(file, 1).expect("zstd"));
        let mut add = |name: &[u8], kind: tar::EntryType| {
            let mut header = tar::Header::new_old();
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_entry_type(kind);
            header.set_size(2);
            header.set_cksum();
            archive.append(&header, &b"hi"[..]).expect("entry");
        };
        add(b"../outside", tar::EntryType::Regular);
        add(b"/etc/x", tar::EntryType::Regular);
        add(b"a/link", tar::EntryType::Symlink);
        add(b"a/twice", tar::EntryType::Regular);
        add(b"a/twice", tar::EntryType::Regular);
        let encoder = archive.into_inner().expect("tar");
        encoder.finish().expect("zstd");
        let into = dir.path().join("evil");
        let problems = unpack(&evil, &into).expect("unpacking");
        assert_eq!(
            problems,
            [
                "../outside: a path outside the bundle",
                "/etc/x: a path outside the bundle",
                "a/link: not a regular file",
                "a/twice: in the archive twice",
            ]
        );
        let (files, _) = files_below(&into).expect("listing");
        assert_eq!(files, ["a/twice"]);
        assert!(!dir.path().join("outside").exists());
    }

    #[test]
    fn only_plain_relative_paths_unpack() {
        assert_eq!(
            safe_relative("./a/@v/list"),
            Some(PathBuf::from("a/@v/list"))
        );
        for bad in ["../x", "a/../../x", "/etc/passwd", "", "."] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
