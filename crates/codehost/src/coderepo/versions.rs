// Ported from Go's cmd/go/internal/modfetch/coderepo.go. Copyright 2018 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Listing a module's versions (`@v/list`): which tags are versions of it.

use super::{MAX_GO_MOD, Session, canonical, major, tag_prefix};
use crate::error::Result;

impl Session<'_, '_> {
    /// `codeRepo.Versions`: the tags below the module's directory that are canonical versions
    /// (no pseudo-versions) of its major version, sorted, then the `+incompatible` ones.
    pub(super) fn versions(&self) -> Result<Vec<String>> {
        let r = self.r;
        if r.mod_path.starts_with("gopkg.in/") && r.mod_path.ends_with("-unstable") {
            return Ok(Vec::new());
        }
        let p = tag_prefix(&r.code_dir);
        let mut list = Vec::new();
        let mut incompatible = Vec::new();
        for (tag, _) in self.git.refs.tags_with_prefix(&p) {
            let v = &tag[p.len()..];
            if v.is_empty() || v != canonical(v) {
                continue;
            }
            if gomod::is_pseudo_version(v) {
                continue;
            }
            if !gomod::match_path_major(v, &r.path_major) {
                if r.code_dir.is_empty() && r.path_major.is_empty() && major(v) > "v1" {
                    incompatible.push(v.to_owned());
                }
                continue;
            }
            list.push(v.to_owned());
        }
        gomod::sort(&mut list);
        gomod::sort(&mut incompatible);
        self.append_incompatible_versions(list, incompatible)
    }

    /// Whether the version's tag has a go.mod at the repository root.
    fn version_has_go_mod(&self, v: &str) -> Result<bool> {
        Ok(self.read_file(v, "go.mod", MAX_GO_MOD)?.is_some())
    }

    /// `codeRepo.appendIncompatibleVersions`: the v2+ tags of a module without a major-version
    /// suffix, as `+incompatible` versions, unless the latest compatible version has a go.mod,
    /// and for each major version unless its latest tag has one.
    fn append_incompatible_versions(
        &self,
        mut list: Vec<String>,
        incompatible: Vec<String>,
    ) -> Result<Vec<String>> {
        if incompatible.is_empty() || !self.r.path_major.is_empty() {
            return Ok(list);
        }
        if let Some(last) = list.last()
            && self.version_has_go_mod(last)?
        {
            // The latest compatible version has a go.mod: no +incompatible versions
            // (golang.org/issue/34189).
            return Ok(list);
        }
        let mut last_major = "";
        let mut last_major_has_go_mod = false;
        for (i, v) in incompatible.iter().enumerate() {
            let m = major(v);
            if m != last_major {
                let rem = &incompatible[i..];
                let j = rem.iter().position(|w| major(w) != m).unwrap_or(rem.len());
                let latest_at_major = &rem[j - 1];
                last_major = m;
                last_major_has_go_mod = self.version_has_go_mod(latest_at_major)?;
            }
            if last_major_has_go_mod {
                continue;
            }
            list.push(format!("{v}+incompatible"));
        }
        Ok(list)
    }
}
