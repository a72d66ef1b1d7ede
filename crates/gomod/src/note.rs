// Ported from golang.org/x/mod (sumdb/note/note.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Signed notes (x/mod `sumdb/note`): the text a checksum database signs, with one or more
//! signatures.
//!
//! A note is text signed by one or more server keys. Ignore the text unless it is signed by a key
//! you trust and [`open`] has checked that signature. A checksum database signs its tree heads
//! ([`tlog::format_tree`](crate::tlog::format_tree)) as notes.
//!
//! # Keys
//!
//! There is one algorithm, Ed25519, with algorithm byte `1`. A key is named after its server,
//! usually the `host[/path]` of its log. A name is any non-empty text without Unicode white
//! space and without `+`. One server may have several keys, and each key is known by its
//! **key hash**: the first 4 bytes, read big-endian, of SHA-256 of `name`, `"\n"`, the algorithm
//! byte and the 32-byte public key.
//!
//! - A **verifier key** ([`Verifier::new`]), which is public and what `GOSUMDB` holds, is
//!   `<name>+<hash>+<base64(0x01 ‖ public key)>`, with the hash as 8 hex digits:
//!   `sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8`.
//! - A **signer key** ([`Signer::new`]) is `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>`,
//!   where the seed is the 32-byte Ed25519 private key and the hash is that of the *public* key.
//!   Whoever has it can sign as the server, so keep it secret. The `PRIVATE+KEY` prefix makes it
//!   hard to mistake for a verifier key. [`KeyError`]s for signer keys leave the key out,
//!   because errors end up in logs.
//! - [`generate_key`] makes a pair from 32 random bytes.
//!
//! # Signed note format
//!
//! ```text
//! <text, ending in "\n">
//! "\n"
//! "— " <name> " " <base64(4-byte big-endian key hash ‖ 64-byte signature)> "\n"   (1 to 100 lines)
//! ```
//!
//! The dash is U+2014 EM DASH. The signature covers the text, including its final newline but
//! not the blank line. The whole note must be valid UTF-8 with no control characters other than
//! newline, and it is split at its **last** blank line. [`open`]:
//!
//! - sets aside signatures by keys it does not know, as [`Note::unverified_sigs`];
//! - fails with [`NoteError::InvalidSignature`] if a known key's signature does not verify;
//! - keeps one signature per known key and drops repeated unknown lines;
//! - refuses more than 100 signature lines, so a hostile note cannot keep it busy;
//! - fails with [`NoteError::Unverified`] when no known key signed the note, and that error
//!   carries the note.
//!
//! Ed25519 signatures are deterministic: one key and one text give the same note every time.
//! Re-signing a tree head gives the same bytes, which 5.8 of the spec relies on.
//!
//! # Differences from x/mod
//!
//! x/mod's `Verifier`, `Signer` and `Verifiers` are interfaces; here [`Verifier`] and [`Signer`]
//! are Ed25519 keys, and the known verifiers are a slice. So two x/mod errors have no
//! counterpart: `errMismatchedVerifier` (a `Verifiers` that returns the wrong key) and
//! `errInvalidSigner` (a `Signer` with a bad name: every name was checked when its key was
//! parsed). [`generate_key`] takes the seed rather than a random reader, and it refuses a name
//! that [`Verifier::new`] would refuse, where x/mod returns keys that cannot be parsed back. Go's
//! base64 decoding rules are kept: line breaks are skipped, and leftover bits in the last
//! character are ignored.
//!
//! # Example: sign a note
//!
//! x/mod's `ExampleSign`, with the example key from its package documentation:
//!
//! ```
//! use gomod::note::{self, Signer};
//!
//! let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
//! let text = "If you think cryptography is the answer to your problem,\n\
//!             then you don't know what your problem is.\n";
//!
//! let signer = Signer::new(skey)?;
//! let msg = note::sign(text, &[signer])?;
//! assert_eq!(
//!     String::from_utf8(msg)?,
//!     "If you think cryptography is the answer to your problem,\n\
//!      then you don't know what your problem is.\n\
//!      \n\
//!      — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: open a note
//!
//! x/mod's `ExampleOpen`:
//!
//! ```
//! use gomod::note::{self, Verifier};
//!
//! let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
//! let msg = "If you think cryptography is the answer to your problem,\n\
//!            then you don't know what your problem is.\n\
//!            \n\
//!            — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
//!
//! let verifier = Verifier::new(vkey)?;
//! let n = note::open(msg.as_bytes(), &[verifier])?;
//! assert_eq!(
//!     format!("{} ({:08x}):\n{}", n.sigs[0].name, n.sigs[0].hash, n.text),
//!     "PeterNeumann (c74f20a3):\n\
//!      If you think cryptography is the answer to your problem,\n\
//!      then you don't know what your problem is.\n"
//! );
//!
//! // Without the key, the note opens to an error that still holds it.
//! let err = note::open(msg.as_bytes(), &[]).unwrap_err();
//! assert_eq!(err.to_string(), "note has no verifiable signatures");
//! assert!(matches!(err, note::NoteError::Unverified { note } if note.unverified_sigs.len() == 1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Example: add a signature
//!
//! x/mod's `ExampleSign_add_signatures`, whose "random" reader yields zeros:
//!
//! ```
//! use gomod::note::{self, Signer, Verifier};
//!
//! let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
//! let msg = "If you think cryptography is the answer to your problem,\n\
//!            then you don't know what your problem is.\n\
//!            \n\
//!            — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
//! let n = note::open(msg.as_bytes(), &[Verifier::new(vkey)?])?;
//!
//! let (skey, vkey) = note::generate_key("EnochRoot", &[0; 32])?;
//! assert_eq!(vkey, "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"); // give to verifiers
//!
//! let me = Signer::new(&skey)?;
//! let msg = n.sign(&[me])?;
//! assert_eq!(
//!     String::from_utf8(msg)?,
//!     "If you think cryptography is the answer to your problem,\n\
//!      then you don't know what your problem is.\n\
//!      \n\
//!      — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n\
//!      — EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::HashSet;

use crate::gobase64;

mod key;

use key::is_valid_name;
pub use key::{KeyError, KeyErrorKind, Signer, Verifier, generate_key, new_ed25519_verifier_key};

/// What starts each signature line: U+2014 EM DASH and a space.
const SIG_PREFIX: &str = "— ";

/// Beyond this many signature lines a note is malformed, so that a hostile note cannot keep
/// [`open`] verifying signatures for long.
const MAX_SIGNATURES: usize = 100;

/// Why a note could not be signed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoteError {
    /// The note (or, when signing, the text or a signature it already had) breaks the format.
    /// Like x/mod, the message does not say which rule; the note is the caller's to log.
    #[error("malformed note")]
    Malformed,
    /// The note is well formed, but no known key signed it.
    #[error("note has no verifiable signatures")]
    Unverified {
        /// The note, with every signature in [`Note::unverified_sigs`].
        note: Box<Note>,
    },
    /// A known key's signature does not verify: the note was changed, or the server is lying.
    #[error("invalid signature for key {name}+{hash:08x}")]
    InvalidSignature {
        /// The key's name.
        name: String,
        /// The key hash.
        hash: u32,
    },
    /// More than one of the known verifiers has this name and key hash, so the list itself is
    /// suspect.
    #[error("ambiguous key {name}+{hash:08x}")]
    AmbiguousKey {
        /// The key's name.
        name: String,
        /// The key hash.
        hash: u32,
    },
}

/// A text and its signatures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Note {
    /// The signed text, ending in a newline.
    pub text: String,
    /// Signatures by known keys, each verified.
    pub sigs: Vec<Signature>,
    /// Signatures by keys that were not known, so not verified.
    pub unverified_sigs: Vec<Signature>,
}

/// One signature line of a note, verified or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The name of the key that made the signature.
    pub name: String,
    /// Its key hash.
    pub hash: u32,
    /// The signature as it appeared in the note: base64 of the key hash and the signature bytes.
    pub base64: String,
}

/// Signs `text`, which must end in a newline, with each signer, and returns the note.
pub fn sign(text: &str, signers: &[Signer]) -> Result<Vec<u8>, NoteError> {
    Note {
        text: text.to_owned(),
        ..Note::default()
    }
    .sign(signers)
}

impl Note {
    /// x/mod `Sign`: the note with its text signed by each signer. The signatures the note
    /// already has come first, verified then unverified, except those by a key among `signers`,
    /// which are replaced; the new signatures follow, in order.
    pub fn sign(&self, signers: &[Signer]) -> Result<Vec<u8>, NoteError> {
        if !self.text.ends_with('\n') {
            return Err(NoteError::Malformed);
        }
        let mut have = HashSet::new();
        let mut new_sigs = String::new();
        for signer in signers {
            have.insert((signer.name(), signer.key_hash()));
            let mut sig = signer.key_hash().to_be_bytes().to_vec();
            sig.extend(signer.sign(self.text.as_bytes()));
            push_sig_line(&mut new_sigs, signer.name(), &gobase64::encode(&sig));
        }

        let mut msg = self.text.clone();
        msg.push('\n');
        for sig in self.sigs.iter().chain(&self.unverified_sigs) {
            if !is_valid_name(&sig.name) {
                return Err(NoteError::Malformed);
            }
            if have.contains(&(sig.name.as_str(), sig.hash)) {
                continue;
            }
            // A signature that does not start with its own key hash would make a note that
            // cannot be opened.
            match gobase64::decode(sig.base64.as_bytes()) {
                Some(raw) if split_sig(&raw).is_some_and(|(hash, _)| hash == sig.hash) => {}
                _ => return Err(NoteError::Malformed),
            }
            push_sig_line(&mut msg, &sig.name, &sig.base64);
        }
        msg.push_str(&new_sigs);
        Ok(msg.into_bytes())
    }
}

/// x/mod `Open`: parses a signed note and checks its signatures against the known verifiers.
///
/// A signature by a key that is not in `known` is kept in [`Note::unverified_sigs`]. A
/// signature by a known key that does not verify is an error
/// ([`NoteError::InvalidSignature`]), and so is a note that no known key signed
/// ([`NoteError::Unverified`], which holds the note). If two verifiers in `known` share a name
/// and key hash, a signature by that key is an error ([`NoteError::AmbiguousKey`]).
pub fn open(msg: &[u8], known: &[Verifier]) -> Result<Note, NoteError> {
    // Valid UTF-8, and no control characters but newline: a note is shown to people, and must
    // look the same to everyone.
    let Ok(msg) = std::str::from_utf8(msg) else {
        return Err(NoteError::Malformed);
    };
    if msg.bytes().any(|b| b < 0x20 && b != b'\n') {
        return Err(NoteError::Malformed);
    }

    // The signatures follow the last blank line, and end in a newline.
    let Some(split) = msg.rfind("\n\n") else {
        return Err(NoteError::Malformed);
    };
    let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(NoteError::Malformed);
    }

    let mut note = Note {
        text: text.to_owned(),
        ..Note::default()
    };
    let mut seen = HashSet::new();
    let mut seen_unverified = HashSet::new();
    for (num, line) in sigs.split_terminator('\n').enumerate() {
        let Some(line) = line.strip_prefix(SIG_PREFIX) else {
            return Err(NoteError::Malformed);
        };
        let (name, b64) = chop(line, " ");
        let raw = gobase64::decode(b64.as_bytes())
            .filter(|raw| raw.len() >= 5 && is_valid_name(name) && !b64.is_empty());
        let Some((hash, sig)) = raw.as_deref().and_then(split_sig) else {
            return Err(NoteError::Malformed);
        };
        if num >= MAX_SIGNATURES {
            return Err(NoteError::Malformed);
        }

        let Some(verifier) = find_verifier(known, name, hash)? else {
            // Unknown keys are kept, without repeats of the same line.
            if seen_unverified.insert(line) {
                note.unverified_sigs.push(signature(name, hash, b64));
            }
            continue;
        };
        // One signature per key; later ones are not even checked.
        if !seen.insert((name, hash)) {
            continue;
        }
        if !verifier.verify(text.as_bytes(), sig) {
            return Err(NoteError::InvalidSignature {
                name: name.to_owned(),
                hash,
            });
        }
        note.sigs.push(signature(name, hash, b64));
    }

    if note.sigs.is_empty() {
        return Err(NoteError::Unverified {
            note: Box::new(note),
        });
    }
    Ok(note)
}

/// x/mod `VerifierList(...).Verifier`: the one verifier for (name, hash), if any.
fn find_verifier<'a>(
    known: &'a [Verifier],
    name: &str,
    hash: u32,
) -> Result<Option<&'a Verifier>, NoteError> {
    let mut found = known
        .iter()
        .filter(|v| v.name() == name && v.key_hash() == hash);
    match (found.next(), found.next()) {
        (Some(_), Some(_)) => Err(NoteError::AmbiguousKey {
            name: name.to_owned(),
            hash,
        }),
        (verifier, _) => Ok(verifier),
    }
}

fn signature(name: &str, hash: u32, b64: &str) -> Signature {
    Signature {
        name: name.to_owned(),
        hash,
        base64: b64.to_owned(),
    }
}

fn push_sig_line(out: &mut String, name: &str, b64: &str) {
    out.push_str(SIG_PREFIX);
    out.push_str(name);
    out.push(' ');
    out.push_str(b64);
    out.push('\n');
}

/// A decoded signature: the key hash (four bytes, big-endian), then the signature proper.
fn split_sig(raw: &[u8]) -> Option<(u32, &[u8])> {
    let (hash, sig) = raw.split_first_chunk::<4>()?;
    Some((u32::from_be_bytes(*hash), sig))
}

/// x/mod `chop`: `s` before and after the first `sep`, or all of `s` and nothing.
fn chop<'a>(s: &'a str, sep: &str) -> (&'a str, &'a str) {
    s.split_once(sep).unwrap_or((s, ""))
}

#[cfg(test)]
mod tests;
