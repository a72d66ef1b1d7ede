//! Where the log lives in the store: under `.modgate/sumdb/<name>/`, a prefix no module path
//! can take, so the store stays a valid GOPROXY tree. Every object is written once
//! (create-only) and never changes:
//!
//! - `record/<n>`: the text of record `n` (`M V h1:…\nM V/go.mod h1:…\n`). Writing it claims
//!   the place: two writers, in one process or on two replicas, cannot both have record `n`,
//!   so the log cannot fork.
//! - `index/<escaped module>@<escaped version>`: the number of the version's record.
//! - `tile/8/<l>/<n>[.p/<w>]`: the hash tiles, as the go command reads them.
//! - `head/<n>`: the signed tree head of the log's first `n` records.
//!
//! Numbers are written with twelve digits, so that a listing gives them in order.

use gomod::ModuleVersion;
use gomod::tlog::Tile;
use object_store::path::Path;

pub(super) struct Layout {
    /// `.modgate/sumdb/<name>`
    root: String,
}

impl Layout {
    pub fn new(name: &str) -> Layout {
        Layout {
            root: format!(".modgate/sumdb/{name}"),
        }
    }

    pub fn record(&self, n: u64) -> Path {
        key(format!("{}/record/{n:012}", self.root))
    }

    pub fn index(&self, version: &ModuleVersion) -> Path {
        key(format!(
            "{}/index/{}@{}",
            self.root,
            version.path().escaped(),
            version.version().escaped()
        ))
    }

    pub fn tile(&self, tile: Tile) -> Path {
        key(format!("{}/{}", self.root, tile.path()))
    }

    pub fn head(&self, n: u64) -> Path {
        key(format!("{}/head/{n:012}", self.root))
    }

    /// The prefix of every head, for listing them.
    pub fn heads(&self) -> Path {
        key(format!("{}/head", self.root))
    }

    /// The size a head's key names.
    pub fn head_size(key: &Path) -> Option<u64> {
        key.filename()?.parse().ok()
    }
}

/// As `storage::layout` builds keys: `Path::parse` keeps `!` and `~` as they are.
fn key(text: String) -> Path {
    match Path::parse(&text) {
        Ok(path) => path,
        Err(_) => Path::from(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_number_and_escape_modules() {
        let layout = Layout::new("sum.corp.example");
        assert_eq!(
            layout.record(42).as_ref(),
            ".modgate/sumdb/sum.corp.example/record/000000000042"
        );
        let version = ModuleVersion::parse("corp.example/Lib", "v1.0.0").expect("valid");
        assert_eq!(
            layout.index(&version).as_ref(),
            ".modgate/sumdb/sum.corp.example/index/corp.example/!lib@v1.0.0"
        );
        let head = layout.head(1234);
        assert_eq!(Layout::head_size(&head), Some(1234));
        let tile = Tile {
            h: 8,
            l: 0,
            n: 1234,
            w: 5,
        };
        assert_eq!(
            layout.tile(tile).as_ref(),
            ".modgate/sumdb/sum.corp.example/tile/8/0/x001/234.p/5"
        );
    }
}
