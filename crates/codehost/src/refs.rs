//! The in-memory index of a repository's references: what the go command learns from
//! `git ls-remote` (branches, tags peeled to what they name, and `HEAD`), kept sorted so that
//! a list of a repository with thousands of tags is a range scan, never a walk of the refs
//! on disk per request.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use gix::ObjectId;

/// Branches, tags and `HEAD` of a repository, as of one fetch. Cheap to query; rebuilt
/// whole by each fetch and shared behind an `Arc`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refs {
    /// The commit `HEAD` names, if the repository has one.
    head: Option<ObjectId>,
    /// The branch `HEAD` points to, e.g. `main`.
    head_branch: Option<String>,
    /// Branch name (without `refs/heads/`) to commit.
    branches: BTreeMap<String, ObjectId>,
    /// Tag name (without `refs/tags/`) to the object it names, annotated tags peeled.
    tags: BTreeMap<String, ObjectId>,
    /// Object to the names of the tags that name it, sorted.
    tagged: HashMap<ObjectId, Vec<String>>,
}

impl Refs {
    /// Builds the index from full ref names (`refs/heads/…`, `refs/tags/…`; others are
    /// ignored) and the objects they name, annotated tags already peeled; and `HEAD`.
    pub fn new<'a>(
        refs: impl IntoIterator<Item = (&'a str, ObjectId)>,
        head: Option<ObjectId>,
        head_branch: Option<String>,
    ) -> Refs {
        let mut index = Refs {
            head,
            head_branch,
            ..Refs::default()
        };
        for (name, id) in refs {
            if let Some(branch) = name.strip_prefix("refs/heads/") {
                index.branches.insert(branch.to_owned(), id);
            } else if let Some(tag) = name.strip_prefix("refs/tags/") {
                index.tags.insert(tag.to_owned(), id);
            }
        }
        // BTreeMap order: each commit's tag list comes out sorted.
        for (tag, id) in &index.tags {
            index.tagged.entry(*id).or_default().push(tag.clone());
        }
        index
    }

    /// The commit `HEAD` names (the default branch's head).
    pub fn head(&self) -> Option<ObjectId> {
        self.head
    }

    /// The default branch's name, e.g. `main`, when `HEAD` is a branch.
    pub fn head_branch(&self) -> Option<&str> {
        self.head_branch.as_deref()
    }

    /// The commit a branch names.
    pub fn branch(&self, name: &str) -> Option<ObjectId> {
        self.branches.get(name).copied()
    }

    /// The object a tag names, peeled.
    pub fn tag(&self, name: &str) -> Option<ObjectId> {
        self.tags.get(name).copied()
    }

    /// The tags whose names start with `prefix`, in byte order of their names.
    pub fn tags_with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, ObjectId)> + 'a {
        self.tags
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(name, _)| name.starts_with(prefix))
            .map(|(name, id)| (name.as_str(), *id))
    }

    /// The names of the tags that name `id`, sorted.
    pub fn tags_at(&self, id: &ObjectId) -> &[String] {
        self.tagged.get(id).map_or(&[], Vec::as_slice)
    }

    /// Every branch, in name order.
    pub fn branches(&self) -> impl Iterator<Item = (&str, ObjectId)> {
        self.branches.iter().map(|(name, id)| (name.as_str(), *id))
    }

    /// How many tags there are.
    pub fn tag_count(&self) -> usize {
        self.tags.len()
    }

    /// Every ref as the go command's `ls-remote` map has it: full name to object, with
    /// `HEAD`. Used to resolve hash prefixes.
    pub(crate) fn all(&self) -> impl Iterator<Item = (String, ObjectId)> + '_ {
        let head = self.head.map(|id| ("HEAD".to_owned(), id));
        let branches = self
            .branches
            .iter()
            .map(|(n, id)| (format!("refs/heads/{n}"), *id));
        let tags = self
            .tags
            .iter()
            .map(|(n, id)| (format!("refs/tags/{n}"), *id));
        head.into_iter().chain(branches).chain(tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> ObjectId {
        let mut bytes = [0u8; 20];
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        ObjectId::from_bytes_or_panic(&bytes)
    }

    /// A repository with 2,000 tags is listed from the index: a prefix range, sorted, and
    /// the tags of a commit come from a map, not a scan.
    #[test]
    fn two_thousand_tags_from_memory() {
        let names: Vec<String> = (0..1000)
            .flat_map(|i| [format!("v1.{i}.0"), format!("sub/v0.{i}.0")])
            .collect();
        let refs = Refs::new(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (format!("refs/tags/{n}"), id(i as u32 / 2)))
                .collect::<Vec<_>>()
                .iter()
                .map(|(n, id)| (n.as_str(), *id))
                .chain([("refs/heads/main", id(7)), ("refs/pull/1/head", id(9))]),
            Some(id(7)),
            Some("main".into()),
        );
        assert_eq!(refs.tag_count(), 2000);
        let sub: Vec<&str> = refs.tags_with_prefix("sub/").map(|(n, _)| n).collect();
        assert_eq!(sub.len(), 1000);
        assert!(sub.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(refs.tags_with_prefix("v").count(), 1000);
        assert_eq!(refs.tags_with_prefix("v1.99").count(), 11); // v1.99.0, v1.990.0 … v1.999.0
        assert_eq!(refs.tags_at(&id(7)), ["sub/v0.7.0", "v1.7.0"]);
        assert_eq!(refs.branch("main"), Some(id(7)));
        assert_eq!(refs.branch("pull/1/head"), None);
        assert_eq!(refs.all().count(), 2002);
    }
}
