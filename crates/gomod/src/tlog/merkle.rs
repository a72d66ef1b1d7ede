// Ported from golang.org/x/mod (sumdb/tlog/tlog.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! x/mod `sumdb/tlog/tlog.go`: hashing, the stored-hash order, tree hashes and proofs.

use std::io;

use sha2::{Digest, Sha256};

use super::{HASH_SIZE, Hash, TlogError};

/// x/mod `RecordHash`: the hash of a record, SHA-256 of `0x00 ‖ data` (RFC 6962 2.1).
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    Hash(h.finalize().into())
}

/// x/mod `NodeHash`: the hash of an interior node, SHA-256 of `0x01 ‖ left ‖ right` (RFC 6962
/// 2.1).
pub fn node_hash(left: Hash, right: Hash) -> Hash {
    let mut buf = [0; 1 + 2 * HASH_SIZE];
    buf[0] = 0x01;
    buf[1..1 + HASH_SIZE].copy_from_slice(&left.0);
    buf[1 + HASH_SIZE..].copy_from_slice(&right.0);
    Hash(Sha256::digest(buf).into())
}

/// x/mod `StoredHashIndex`: where hash `n` of tree level `level` goes in the dense order of
/// stored hashes (section 3.3 of Crosby and Wallach, "Efficient Data Structures for
/// Tamper-Evident Logging").
///
/// Record `n` adds its own hash and then the hash of each subtree it completes, so level
/// `level`'s hash `n` comes right after level `level − 1`'s hash `2n + 1`.
pub fn stored_hash_index(level: u32, n: u64) -> u64 {
    // Work down to the level-0 hash that completes this subtree: n·2^level + 2^level − 1.
    // Past 64 levels nothing is meaningful; Go's arithmetic wraps, and so does ours.
    let n = if level >= u64::BITS {
        u64::MAX
    } else {
        (n << level) | ((1 << level) - 1)
    };
    // Level 0's hash n is at n + n/2 + n/4 + ..., the hashes stored before it.
    let mut i: u64 = 0;
    let mut m = n;
    while m > 0 {
        i = i.wrapping_add(m);
        m >>= 1;
    }
    i.wrapping_add(u64::from(level))
}

/// x/mod `SplitStoredHashIndex`: the inverse of [`stored_hash_index`], `(level, n)`.
pub fn split_stored_hash_index(index: u64) -> (u32, u64) {
    // stored_hash_index(0, n) < 2n, so the record that stored this hash is in
    // [index/2, index/2 + log₂ index].
    let mut n = index / 2;
    let mut index_n = stored_hash_index(0, n);
    // Record n stores 1 + (trailing ones of n) hashes. Past u64::MAX is past any index.
    while let Some(x) = index_n.checked_add(1 + u64::from(n.trailing_ones())) {
        if x > index {
            break;
        }
        n += 1;
        index_n = x;
    }
    // The hash was stored with record n: it is one of (0, n), (1, n/2), (2, n/4), ...
    let level = (index - index_n) as u32;
    (level, n >> level)
}

/// x/mod `StoredHashCount`: how many hashes a tree of `n` records stores.
pub fn stored_hash_count(n: u64) -> u64 {
    if n == 0 {
        return 0;
    }
    // The hashes up to the last record's, and those of the subtrees it completes.
    stored_hash_index(0, n - 1)
        .wrapping_add(1)
        .wrapping_add(u64::from((n - 1).trailing_ones()))
}

/// x/mod `StoredHashes`: the hashes to store, from [`stored_hash_index`]`(0, n)` on, when
/// record `n` holds `data`. Reads up to log₂ n earlier hashes from `r` to complete subtrees.
/// There are at most 1 + log₂ n of them, and just under two on average.
pub fn stored_hashes<R: HashReader + ?Sized>(
    n: u64,
    data: &[u8],
    r: &R,
) -> Result<Vec<Hash>, TlogError> {
    stored_hashes_for_record_hash(n, record_hash(data), r)
}

/// x/mod `StoredHashesForRecordHash`: [`stored_hashes`], given the record's hash rather than
/// its data.
pub fn stored_hashes_for_record_hash<R: HashReader + ?Sized>(
    n: u64,
    h: Hash,
    r: &R,
) -> Result<Vec<Hash>, TlogError> {
    // Each trailing 1 bit of n completes a subtree, whose left half is an earlier hash. Ask for
    // those in increasing order: the left half of the largest subtree comes first.
    let m = n.trailing_ones();
    let indexes: Vec<u64> = (0..m)
        .rev()
        .map(|i| stored_hash_index(i, (n >> i) - 1))
        .collect();
    let old = read(r, &indexes)?;

    let mut hashes = vec![h];
    let mut h = h;
    for left in old.into_iter().rev() {
        h = node_hash(left, h);
        hashes.push(h);
    }
    Ok(hashes)
}

/// Reads stored hashes by their [`stored_hash_index`], wherever they are kept (x/mod
/// `HashReader`).
///
/// A slice or `Vec` of every stored hash, in index order, is a `HashReader`, and so is a
/// function of the right type. The functions here ask for indexes in increasing order.
pub trait HashReader {
    /// The hashes at `indexes`, one for each, in the same order, or an error.
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>>;
}

impl HashReader for [Hash] {
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>> {
        indexes
            .iter()
            .map(|&index| {
                usize::try_from(index)
                    .ok()
                    .and_then(|i| self.get(i))
                    .copied()
                    .ok_or_else(|| {
                        io::Error::new(
                            io::ErrorKind::NotFound,
                            format!("tlog: no stored hash {index} (have {})", self.len()),
                        )
                    })
            })
            .collect()
    }
}

impl HashReader for Vec<Hash> {
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>> {
        self.as_slice().read_hashes(indexes)
    }
}

/// x/mod `HashReaderFunc`.
impl<F> HashReader for F
where
    F: Fn(&[u64]) -> io::Result<Vec<Hash>>,
{
    fn read_hashes(&self, indexes: &[u64]) -> io::Result<Vec<Hash>> {
        self(indexes)
    }
}

/// Reads `indexes` from `r`, checking that it returned one hash for each.
fn read<R: HashReader + ?Sized>(r: &R, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
    let hashes = r.read_hashes(indexes)?;
    if hashes.len() != indexes.len() {
        return Err(TlogError::ShortRead {
            want: indexes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes)
}

/// x/mod `TreeHash`: the hash of the tree of the first `n` records, from their stored hashes.
/// Makes one call to `r`, for at most 1 + log₂ n hashes.
///
/// The tree of size 0 has the all-zero hash, as in x/mod up to v0.18.0 and Go 1.19. Later
/// versions use SHA-256 of nothing; never sign a tree of size 0 (see the [module](super) doc).
pub fn tree_hash<R: HashReader + ?Sized>(n: u64, r: &R) -> Result<Hash, TlogError> {
    if n == 0 {
        return Ok(Hash::default());
    }
    let mut indexes = Vec::new();
    subtree_index(0, n, &mut indexes);
    let hashes = read(r, &indexes)?;
    let (hash, rest) = subtree_hash(0, n, &hashes)?;
    if !rest.is_empty() {
        return Err(bad_math("tree_hash"));
    }
    Ok(hash)
}

/// x/mod `RecordProof`: the proof that a tree contains a record (RFC 6962's audit path).
pub type RecordProof = Vec<Hash>;

/// x/mod `ProveRecord`: the proof that the tree of size `t` contains record `n`.
pub fn prove_record<R: HashReader + ?Sized>(
    t: u64,
    n: u64,
    r: &R,
) -> Result<RecordProof, TlogError> {
    if n >= t {
        return Err(TlogError::InvalidInputs {
            func: "prove_record",
            t,
            n,
        });
    }
    let mut indexes = Vec::new();
    leaf_proof_index(0, t, n, &mut indexes);
    if indexes.is_empty() {
        return Ok(RecordProof::new());
    }
    let hashes = read(r, &indexes)?;
    let (proof, rest) = leaf_proof(0, t, n, &hashes)?;
    if !rest.is_empty() {
        return Err(bad_math("prove_record"));
    }
    Ok(proof)
}

/// x/mod `CheckRecord`: checks that `p` proves that the tree of size `t` and hash `th` has `h`
/// as the hash of record `n`.
pub fn check_record(p: &[Hash], t: u64, th: Hash, n: u64, h: Hash) -> Result<(), TlogError> {
    if n >= t {
        return Err(TlogError::InvalidInputs {
            func: "check_record",
            t,
            n,
        });
    }
    if run_record_proof(p, 0, t, n, h)? != th {
        return Err(TlogError::ProofFailed);
    }
    Ok(())
}

/// x/mod `TreeProof`: the proof that a tree contains an earlier tree as a prefix (RFC 6962's
/// consistency proof).
pub type TreeProof = Vec<Hash>;

/// x/mod `ProveTree`: the proof that the tree of size `t` contains the tree of size `n` as a
/// prefix. Needs 1 ≤ n ≤ t.
pub fn prove_tree<R: HashReader + ?Sized>(t: u64, n: u64, r: &R) -> Result<TreeProof, TlogError> {
    if n < 1 || n > t {
        return Err(TlogError::InvalidInputs {
            func: "prove_tree",
            t,
            n,
        });
    }
    let mut indexes = Vec::new();
    tree_proof_index(0, t, n, &mut indexes);
    if indexes.is_empty() {
        return Ok(TreeProof::new());
    }
    let hashes = read(r, &indexes)?;
    let (proof, rest) = tree_proof(0, t, n, &hashes)?;
    if !rest.is_empty() {
        return Err(bad_math("prove_tree"));
    }
    Ok(proof)
}

/// x/mod `CheckTree`: checks that `p` proves that the tree of size `t` and hash `th` contains,
/// as a prefix, the tree of size `n` and hash `h`.
pub fn check_tree(p: &[Hash], t: u64, th: Hash, n: u64, h: Hash) -> Result<(), TlogError> {
    if n < 1 || n > t {
        return Err(TlogError::InvalidInputs {
            func: "check_tree",
            t,
            n,
        });
    }
    let (h2, th2) = run_tree_proof(p, 0, t, n, h)?;
    if th2 != th || h2 != h {
        return Err(TlogError::ProofFailed);
    }
    Ok(())
}

fn bad_math(func: &str) -> TlogError {
    TlogError::BadMath(func.to_owned())
}

/// `(k, l)`: k = 2^l is the largest power of 2 smaller than `n`, or 1 when n ≤ 2 (x/mod
/// `maxpow2`, without its loop, which would not end for n > 2^63).
pub(super) fn maxpow2(n: u64) -> (u64, u32) {
    let l = if n <= 2 {
        0
    } else {
        u64::BITS - 1 - (n - 1).leading_zeros()
    };
    (1 << l, l)
}

/// x/mod `subTreeIndex`: appends the stored-hash indexes needed to hash the records
/// `[lo, hi)`: the roots of its complete subtrees, largest first.
pub(super) fn subtree_index(mut lo: u64, hi: u64, need: &mut Vec<u64>) {
    while lo < hi {
        let (k, level) = maxpow2((hi - lo).saturating_add(1));
        debug_assert_eq!(lo & (k - 1), 0, "subtree_index({lo}, {hi}) misaligned");
        need.push(stored_hash_index(level, lo >> level));
        lo += k;
    }
}

/// x/mod `subTreeHash`: the hash of the records `[lo, hi)`, from the hashes at the indexes
/// [`subtree_index`] gave; returns the hashes left over.
fn subtree_hash(mut lo: u64, hi: u64, hashes: &[Hash]) -> Result<(Hash, &[Hash]), TlogError> {
    // Count the complete subtrees: the left side of each split is stored directly, and the
    // right side (the fringe) is split again.
    let mut num_tree = 0;
    while lo < hi {
        let (k, _) = maxpow2((hi - lo).saturating_add(1));
        lo += k;
        num_tree += 1;
    }
    if num_tree == 0 || hashes.len() < num_tree {
        return Err(bad_math("subtree_hash"));
    }
    let (mine, rest) = hashes.split_at(num_tree);
    let mut mine = mine.iter().rev().copied();
    let mut h = mine.next().ok_or_else(|| bad_math("subtree_hash"))?;
    for left in mine {
        h = node_hash(left, h);
    }
    Ok((h, rest))
}

/// x/mod `leafProofIndex`: appends the indexes needed to prove that leaf `n` is in the subtree
/// `[lo, hi)` (RFC 6962 2.1.1).
fn leaf_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    debug_assert!(lo <= n && n < hi, "leaf_proof_index({lo}, {hi}, {n})");
    if lo + 1 == hi {
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        leaf_proof_index(lo, lo + k, n, need);
        subtree_index(lo + k, hi, need);
    } else {
        subtree_index(lo, lo + k, need);
        leaf_proof_index(lo + k, hi, n, need);
    }
}

/// x/mod `leafProof`: the proof that leaf `n` is in the subtree `[lo, hi)`, and the hashes left
/// over.
fn leaf_proof(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &[Hash],
) -> Result<(RecordProof, &[Hash]), TlogError> {
    if !(lo <= n && n < hi) {
        return Err(bad_math("leaf_proof"));
    }
    if lo + 1 == hi {
        // The leaf itself: the verifier has its hash, so the proof needs nothing.
        return Ok((RecordProof::new(), hashes));
    }
    // Walk down towards n, recording the hash of the side not taken.
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, rest) = if n < lo + k {
        let (p, hashes) = leaf_proof(lo, lo + k, n, hashes)?;
        let (th, hashes) = subtree_hash(lo + k, hi, hashes)?;
        (p, th, hashes)
    } else {
        let (th, hashes) = subtree_hash(lo, lo + k, hashes)?;
        let (p, hashes) = leaf_proof(lo + k, hi, n, hashes)?;
        (p, th, hashes)
    };
    p.push(th);
    Ok((p, rest))
}

/// x/mod `runRecordProof`: the hash of the subtree `[lo, hi)` that proof `p` implies, given leaf
/// `n`'s hash.
fn run_record_proof(p: &[Hash], lo: u64, hi: u64, n: u64, leaf: Hash) -> Result<Hash, TlogError> {
    if !(lo <= n && n < hi) {
        return Err(bad_math("run_record_proof"));
    }
    if lo + 1 == hi {
        // The proof must not hold anything unneeded.
        if !p.is_empty() {
            return Err(TlogError::ProofFailed);
        }
        return Ok(leaf);
    }
    let Some((&last, p)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n < lo + k {
        let th = run_record_proof(p, lo, lo + k, n, leaf)?;
        Ok(node_hash(th, last))
    } else {
        let th = run_record_proof(p, lo + k, hi, n, leaf)?;
        Ok(node_hash(last, th))
    }
}

/// x/mod `treeProofIndex`: appends the indexes needed for the part of the proof that concerns
/// the subtree `[lo, hi)`, where the old tree has `n` records (RFC 6962 2.1.2).
fn tree_proof_index(lo: u64, hi: u64, n: u64, need: &mut Vec<u64>) {
    debug_assert!(lo < n && n <= hi, "tree_proof_index({lo}, {hi}, {n})");
    if n == hi {
        if lo != 0 {
            subtree_index(lo, hi, need);
        }
        return;
    }
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        tree_proof_index(lo, lo + k, n, need);
        subtree_index(lo + k, hi, need);
    } else {
        subtree_index(lo, lo + k, need);
        tree_proof_index(lo + k, hi, n, need);
    }
}

/// x/mod `treeProof`: the part of the proof that concerns the subtree `[lo, hi)`, and the hashes
/// left over.
fn tree_proof(
    lo: u64,
    hi: u64,
    n: u64,
    hashes: &[Hash],
) -> Result<(TreeProof, &[Hash]), TlogError> {
    if !(lo < n && n <= hi) {
        return Err(bad_math("tree_proof"));
    }
    // Common ground.
    if n == hi {
        if lo == 0 {
            // Exactly the old tree: the verifier has its hash.
            return Ok((TreeProof::new(), hashes));
        }
        let (th, rest) = subtree_hash(lo, hi, hashes)?;
        return Ok((vec![th], rest));
    }
    // An interior node: walk down the side where the old tree ends.
    let (k, _) = maxpow2(hi - lo);
    let (mut p, th, rest) = if n <= lo + k {
        let (p, hashes) = tree_proof(lo, lo + k, n, hashes)?;
        let (th, hashes) = subtree_hash(lo + k, hi, hashes)?;
        (p, th, hashes)
    } else {
        let (th, hashes) = subtree_hash(lo, lo + k, hashes)?;
        let (p, hashes) = tree_proof(lo + k, hi, n, hashes)?;
        (p, th, hashes)
    };
    p.push(th);
    Ok((p, rest))
}

/// x/mod `runTreeProof`: the hashes of the subtree `[lo, hi)` in the old tree (of `n` records,
/// hash `old`) and in the new one, as proof `p` implies them.
fn run_tree_proof(
    p: &[Hash],
    lo: u64,
    hi: u64,
    n: u64,
    old: Hash,
) -> Result<(Hash, Hash), TlogError> {
    if !(lo < n && n <= hi) {
        return Err(bad_math("run_tree_proof"));
    }
    if n == hi {
        if lo == 0 {
            if !p.is_empty() {
                return Err(TlogError::ProofFailed);
            }
            return Ok((old, old));
        }
        return match p {
            [h] => Ok((*h, *h)),
            _ => Err(TlogError::ProofFailed),
        };
    }
    let Some((&last, p)) = p.split_last() else {
        return Err(TlogError::ProofFailed);
    };
    let (k, _) = maxpow2(hi - lo);
    if n <= lo + k {
        let (oh, th) = run_tree_proof(p, lo, lo + k, n, old)?;
        Ok((oh, node_hash(th, last)))
    } else {
        let (oh, th) = run_tree_proof(p, lo + k, hi, n, old)?;
        Ok((node_hash(last, oh), node_hash(last, th)))
    }
}
