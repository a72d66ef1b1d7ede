// Ported from Go's cmd/go/internal/modload/query.go (queryProxy, filterVersions) and cmd/go/internal/modfetch/coderepo.go (retractedVersions). Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! `@latest`, as `go get module@latest` picks it from the version list, passing over
//! retracted versions.

use super::{Converted, Session};
use crate::error::{Error, ErrorKind, Result};

impl Session<'_, '_> {
    /// `@latest`: modload's `queryProxy` for the query `latest`.
    pub(super) fn query_latest(&self) -> Result<Converted> {
        let versions = self.versions()?;
        let retractions = self.retracted_versions().unwrap_or_default();
        let (releases, prereleases) =
            self.filter_versions(&versions, |v| retractions.is_retracted(v).is_none())?;
        if let Some(v) = releases.last().or(prereleases.last()) {
            return self.stat(v);
        }
        let latest = self.code_latest()?;
        if retractions.is_retracted(&latest.version).is_some() {
            return Err(Error::new(
                ErrorKind::NotModuleVersion,
                format!("{}@latest", self.r.mod_path),
                "no matching versions for query \"latest\"",
            ));
        }
        Ok(latest)
    }

    /// modload's `filterVersions`: allowed versions split into releases and pre-releases,
    /// stopping at `+incompatible` ones when the last compatible version has a go.mod.
    fn filter_versions(
        &self,
        versions: &[String],
        allowed: impl Fn(&str) -> bool,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let mut need_incompatible = false;
        let mut last_compatible: Option<&str> = None;
        let (mut releases, mut prereleases) = (Vec::new(), Vec::new());
        for v in versions {
            if !allowed(v) {
                continue;
            }
            if !need_incompatible {
                if !v.ends_with("+incompatible") {
                    last_compatible = Some(v);
                } else if let Some(last) = last_compatible {
                    if self.go_mod(last)? != gomod::legacy_go_mod(&self.r.mod_path) {
                        break;
                    }
                    need_incompatible = true;
                }
            }
            if gomod::prerelease(v).is_empty() {
                releases.push(v.clone());
            } else {
                prereleases.push(v.clone());
            }
        }
        Ok((releases, prereleases))
    }

    /// `codeRepo.retractedVersions`: the retractions of the highest release's go.mod.
    pub(super) fn retracted_versions(&self) -> Result<gomod::ModFile> {
        let mut versions = self.versions()?;
        if let Some(i) = versions.iter().position(|v| v.ends_with("+incompatible")) {
            versions.truncate(i);
        }
        let Some(last) = versions.last() else {
            return Ok(gomod::ModFile::default());
        };
        let highest = versions
            .iter()
            .rev()
            .find(|v| gomod::prerelease(v).is_empty())
            .unwrap_or(last);
        let data = self.go_mod(highest)?;
        gomod::ModFile::parse_lax(&data).map_err(|e| {
            Error::new(
                ErrorKind::NotModuleVersion,
                format!("{}@{highest}", self.r.mod_path),
                format!("parsing go.mod: {e}"),
            )
        })
    }
}
