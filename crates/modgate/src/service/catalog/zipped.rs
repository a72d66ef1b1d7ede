//! What a version's zip holds that a module page shows: its README.md and its packages. Read
//! from the zip's central directory in a temp file (a zip can be 500 MiB; only the README's
//! bytes are inflated), once per version: versions never change.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use gomod::ModuleVersion;

use crate::memory::{self, Weighed};

/// README.md and the import paths of the packages of one version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ZipSummary {
    /// The module root's README.md (or README), cut at [`memory::MAX_README_BYTES`].
    pub readme: Option<String>,
    /// Import paths of the directories holding non-test `.go` files, sorted.
    pub packages: Vec<String>,
}

impl Weighed for ZipSummary {
    fn weight(&self) -> u64 {
        let readme = self.readme.as_ref().map_or(0, String::len);
        let packages: usize = self.packages.iter().map(|p| p.len() + 24).sum();
        (readme + packages) as u64
    }
}

/// Reads the summary of `version`'s zip at `file` (blocking).
pub(crate) fn summarize(version: &ModuleVersion, file: &Path) -> std::io::Result<ZipSummary> {
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(file)?).map_err(std::io::Error::other)?;
    let prefix = format!("{}@{}/", version.path(), version.version());
    let mut packages = BTreeSet::new();
    let mut readme: Option<(usize, usize)> = None;
    for i in 0..archive.len() {
        let Some(name) = archive.name_for_index(i) else {
            continue;
        };
        let Some(inner) = name.strip_prefix(&prefix) else {
            continue;
        };
        if let Some(rank) = readme_rank(inner)
            && readme.is_none_or(|(best, _)| rank < best)
        {
            readme = Some((rank, i));
        }
        if let Some(dir) = package_dir(inner) {
            packages.insert(dir.to_owned());
        }
    }
    let readme = match readme {
        Some((_, i)) => {
            let entry = archive.by_index(i).map_err(std::io::Error::other)?;
            let mut bytes = Vec::new();
            entry
                .take(memory::MAX_README_BYTES)
                .read_to_end(&mut bytes)?;
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        None => None,
    };
    let module = version.path().as_str();
    let packages = packages
        .into_iter()
        .map(|dir| match dir.as_str() {
            "" => module.to_owned(),
            dir => format!("{module}/{dir}"),
        })
        .collect();
    Ok(ZipSummary { readme, packages })
}

/// README.md at the module root is preferred to a plain README.
fn readme_rank(inner: &str) -> Option<usize> {
    if inner.eq_ignore_ascii_case("README.md") {
        Some(0)
    } else if inner.eq_ignore_ascii_case("README.markdown") {
        Some(1)
    } else if inner.eq_ignore_ascii_case("README") {
        Some(2)
    } else {
        None
    }
}

/// The directory of a non-test `.go` file that the go command would build as a package ("" for
/// the root): not under `testdata`, `vendor`, or a directory starting with `.` or `_`.
fn package_dir(inner: &str) -> Option<&str> {
    let (dir, file) = inner.rsplit_once('/').unwrap_or(("", inner));
    if !file.ends_with(".go") || file.ends_with("_test.go") || file.starts_with(['.', '_']) {
        return None;
    }
    let hidden = dir.split('/').filter(|e| !e.is_empty()).any(|element| {
        element == "testdata" || element == "vendor" || element.starts_with(['.', '_'])
    });
    (!hidden).then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_are_directories_of_go_files() {
        assert_eq!(package_dir("lib.go"), Some(""));
        assert_eq!(package_dir("sub/pkg/a.go"), Some("sub/pkg"));
        assert_eq!(package_dir("sub/a_test.go"), None);
        assert_eq!(package_dir("testdata/x.go"), None);
        assert_eq!(package_dir("internal/_old/x.go"), None);
        assert_eq!(package_dir("README.md"), None);
        assert_eq!(readme_rank("readme.MD"), Some(0));
        assert_eq!(readme_rank("docs/README.md"), None);
    }

    #[test]
    fn summary_of_a_zip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("v.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&file).expect("create"));
        let options = zip::write::SimpleFileOptions::default();
        for (name, text) in [
            ("example.com/m@v1.0.0/README.md", "# Hello"),
            ("example.com/m@v1.0.0/m.go", "package m"),
            ("example.com/m@v1.0.0/sub/s.go", "package sub"),
            ("example.com/m@v1.0.0/sub/s_test.go", "package sub"),
        ] {
            zip.start_file(name, options).expect("entry");
            std::io::Write::write_all(&mut zip, text.as_bytes()).expect("write");
        }
        zip.finish().expect("finish");
        let version = ModuleVersion::parse("example.com/m", "v1.0.0").expect("valid");
        let summary = summarize(&version, &file).expect("a summary");
        assert_eq!(summary.readme.as_deref(), Some("# Hello"));
        assert_eq!(summary.packages, ["example.com/m", "example.com/m/sub"]);
    }
}
