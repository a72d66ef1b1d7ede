//! The blobs of one zip build, read so that the pack they come from does not stay resident.
//!
//! gix maps a pack whole and reads objects straight from the mapping, and it keeps the mapping,
//! with every page read through it resident, for as long as its object database lives: it
//! has no call to let go of pages or of a pack still on disk (gix-odb unloads a pack only once
//! it is gone from disk, on a refresh). A zip build reads nearly every blob of the tree once,
//! so through one database it ends with about the whole pack resident: 200 MiB for a 200 MiB
//! repository. Here blobs are read through a database of their own, opened anew after every
//! [`READ_BUDGET`] bytes: the old one's mappings go with it, and what is resident stays near
//! the budget. The pages themselves are the page cache's, so reading them again costs a minor
//! fault, not a disk read.

use std::io;
use std::path::PathBuf;

use gix::ObjectId;
use gix::odb::HeaderExt;
use gix::prelude::FindExt;

/// The bytes read through one object database before the next is opened: the pages of the
/// pack resident at a time, about. Each opening lists the pack directory and maps the index
/// again, which is little next to decompressing this much.
const READ_BUDGET: u64 = 16 << 20;

/// The delta bases one database keeps decoded (gix's default is 96 MiB): blobs that are deltas
/// of one another (files of the same name in several directories) share their bases; a zip
/// reads each blob once, so a large cache would mostly hold what is never asked for again.
const DELTA_BASE_CACHE: usize = 8 << 20;

/// What a lookup is counted for besides the bytes of its object: the page of its entry's
/// header, and of each delta's.
const PAGE: u64 = 4096;

/// Blobs of one repository, read through object databases that are replaced as they go.
pub(super) struct Blobs {
    objects_dir: PathBuf,
    object_hash: gix::hash::Kind,
    use_multi_pack_index: bool,
    replacements: Vec<(ObjectId, ObjectId)>,
    db: Option<gix::odb::Handle>,
    /// Bytes counted against the current database.
    read: u64,
    /// [`READ_BUDGET`], but in tests.
    budget: u64,
}

impl Blobs {
    /// The blobs of `repo`'s object database, with its settings.
    pub(super) fn new(repo: &gix::Repository) -> Blobs {
        let store = repo.objects.store_ref();
        Blobs {
            objects_dir: store.path().to_owned(),
            object_hash: store.object_hash(),
            use_multi_pack_index: store.use_multi_pack_index(),
            replacements: store.replacements().collect(),
            db: None,
            read: 0,
            budget: READ_BUDGET,
        }
    }

    /// The size of the blob `oid`, from its header: only the start of its entry (and of its
    /// deltas') is decompressed.
    pub(super) fn size(&mut self, oid: ObjectId) -> io::Result<u64> {
        let header = self.db()?.header(oid).map_err(io::Error::other)?;
        self.read += PAGE * (1 + u64::from(header.num_deltas().unwrap_or(0)));
        Ok(header.size())
    }

    /// The contents of the blob `oid`, into `data` (replacing what was there).
    pub(super) fn read(&mut self, oid: ObjectId, data: &mut Vec<u8>) -> io::Result<()> {
        let len = self
            .db()?
            .find_blob(&oid, data)
            .map_err(io::Error::other)?
            .data
            .len();
        // The object is the whole buffer; made sure of rather than assumed.
        data.truncate(len);
        self.read += len as u64 + PAGE;
        Ok(())
    }

    /// The current database, a new one once the budget is spent.
    fn db(&mut self) -> io::Result<&gix::odb::Handle> {
        if self.read >= self.budget {
            self.db = None;
            self.read = 0;
        }
        let db = match self.db.take() {
            Some(db) => db,
            None => self.open()?,
        };
        Ok(self.db.insert(db))
    }

    /// A new object database, with a delta base cache of [`DELTA_BASE_CACHE`].
    fn open(&self) -> io::Result<gix::odb::Handle> {
        let options = gix::odb::store::init::Options {
            use_multi_pack_index: self.use_multi_pack_index,
            ..Default::default()
        };
        let mut db = gix::odb::at_opts(
            self.objects_dir.clone(),
            self.object_hash,
            self.replacements.iter().copied(),
            options,
        )?;
        db.set_pack_cache(|| {
            Box::new(gix::odb::pack::cache::lru::StaticLinkedList::<64>::new(
                DELTA_BASE_CACHE,
            ))
        });
        Ok(db)
    }
}

#[cfg(test)]
mod tests {
    use super::Blobs;
    use testkit::git::{GitRepo, git};

    #[test]
    fn a_new_database_for_each_lookup_reads_what_the_repository_holds() {
        let dir = testkit::temp_dir();
        let work = GitRepo::init(&dir.path().join("work"), "main");
        let long: String = (0..2000).map(|i| format!("line {i}\n")).collect();
        work.write(&[("a.txt", &long), ("b.txt", "b\n"), ("empty", "")]);
        let first = work.commit("one", "2024-01-01T00:00:00Z");
        work.write(&[("a.txt", &format!("{long}one more\n"))]);
        let second = work.commit("two", "2024-01-02T00:00:00Z");
        // Packed, so that one version of a.txt is a delta of the other.
        git(work.dir(), &["repack", "-adfq"]);

        let repo = gix::open(work.dir()).expect("open");
        let mut blobs = Blobs::new(&repo);
        blobs.budget = 1;
        let mut stores = Vec::new();
        let mut deltas = 0;
        for commit in [&first, &second] {
            let id = gix::ObjectId::from_hex(commit.as_bytes()).expect("a hash");
            let tree = repo.find_commit(id).expect("commit").tree().expect("tree");
            for entry in tree.iter() {
                let oid = entry.expect("entry").oid().to_owned();
                let want = repo.find_blob(oid).expect("blob").detach().data;
                deltas += repo
                    .find_header(oid)
                    .expect("header")
                    .num_deltas()
                    .unwrap_or(0);
                assert_eq!(blobs.size(oid).expect("size"), want.len() as u64, "{oid}");
                stores.push(blobs.db.as_ref().map(|db| db.store()));
                let mut data = b"what was there".to_vec();
                blobs.read(oid, &mut data).expect("read");
                assert_eq!(data, want, "{oid}");
                stores.push(blobs.db.as_ref().map(|db| db.store()));
            }
        }
        assert!(deltas > 0, "no deltas to resolve");
        // Each lookup spent the budget: each had a database of its own.
        for (i, a) in stores.iter().enumerate() {
            let a = a.as_ref().expect("a database");
            for b in &stores[i + 1..] {
                let b = b.as_ref().expect("a database");
                assert!(!std::ptr::eq(&**a, &**b));
            }
        }
    }
}
