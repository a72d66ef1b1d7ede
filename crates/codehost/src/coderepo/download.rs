// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! What `go mod download` fetches of a version: its go.mod (`.mod`) and its zip (`.zip`).

use std::io::{Seek, Write};

use super::{MAX_GO_MOD, MAX_LICENSE, Session, canonical_version, join};
use crate::archive;
use crate::error::{Error, ErrorKind, Result};

impl Session<'_, '_> {
    /// A version given for its go.mod or zip must be canonical; a pseudo-version must also
    /// be one the go command could have made (`codeRepo.GoMod`, `codeRepo.Zip`).
    fn check_version_canonical(&self, version: &str) -> Result<()> {
        if version != canonical_version(version) {
            return Err(Error::new(
                ErrorKind::InvalidQuery,
                format!("{}@{version}", self.r.mod_path),
                format!("version {version} is not canonical"),
            ));
        }
        if gomod::is_pseudo_version(version) {
            self.stat(version)?;
        }
        Ok(())
    }

    /// `codeRepo.GoMod`: the module's go.mod at `version`, or `module <path>` when it has none.
    pub(super) fn go_mod(&self, version: &str) -> Result<Vec<u8>> {
        self.check_version_canonical(version)?;
        let (rev, dir, go_mod) = self.find_dir(version).map_err(|e| self.about(version, e))?;
        if let Some(go_mod) = go_mod {
            return Ok(go_mod);
        }
        match self.read_file(&rev, &join(&dir, "go.mod"), MAX_GO_MOD)? {
            Some(data) => Ok(data),
            None => Ok(gomod::legacy_go_mod(&self.r.mod_path)),
        }
    }

    /// `e`, about `module@version` unless it is about something already.
    fn about(&self, version: &str, e: Error) -> Error {
        if e.subject().is_empty() {
            e.about(format!("{}@{version}", self.r.mod_path))
        } else {
            e
        }
    }

    /// `codeRepo.Zip`: the zip of the module's directory at `version`, with the repository's
    /// root LICENSE added to a module in a subdirectory that has none.
    pub(super) fn zip<W: Write + Seek>(&self, version: &str, w: W) -> Result<gomod::CheckedFiles> {
        self.check_version_canonical(version)?;
        let (rev, subdir, _) = self.find_dir(version).map_err(|e| self.about(version, e))?;
        let info = self.code_stat(&rev)?;
        let subject = format!("{}@{version}", self.r.mod_path);
        let license = if subdir.is_empty() {
            None
        } else {
            self.git.read_file(info.name, "LICENSE", MAX_LICENSE)?
        };
        archive::with_files(&self.git, info.name, &subdir, &subject, |mut files| {
            if let Some(data) = license
                && !files
                    .iter()
                    .any(|f| gomod::ModuleFile::path(f) == "LICENSE")
            {
                files.push(archive::GitFile::data("LICENSE", data));
            }
            gomod::create(w, &self.r.mod_path, version, &files).map_err(|e| {
                let kind = match e.checked_files() {
                    Some(_) => ErrorKind::NotModuleVersion,
                    None => ErrorKind::Internal,
                };
                Error::new(kind, &subject, format!("creating the zip: {e}")).with_source(e)
            })
        })
    }
}
