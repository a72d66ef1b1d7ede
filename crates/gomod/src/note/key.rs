// Ported from golang.org/x/mod (sumdb/note/note.go). Copyright 2019 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in LICENSE-x-mod.

//! Keys (x/mod `sumdb/note`): verifier keys, signer keys and the key hash that names them;
//! the format is described in the parent module.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use super::chop;
use crate::gobase64;

/// The algorithm byte of Ed25519 keys, the only kind there is.
const ALG_ED25519: u8 = 1;

/// A key that was refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct KeyError {
    /// The verifier key that was refused; the name, for [`generate_key`] and
    /// [`new_ed25519_verifier_key`]; empty for a signer key, which is a secret.
    pub key: String,
    /// What is wrong with it.
    pub kind: KeyErrorKind,
}

/// What is wrong with a key. The messages are x/mod's, which uses the verifier wording for
/// signer keys too; the go command prints them after `invalid GOSUMDB: `.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyErrorKind {
    /// The key does not have the form `name+hash+key`, or one of the fields is bad.
    #[error("malformed verifier id")]
    Malformed,
    /// The algorithm byte is not 1 (Ed25519).
    #[error("unknown verifier algorithm")]
    UnknownAlgorithm,
    /// The hash field is not the hash of the name and the public key.
    #[error("invalid verifier hash")]
    HashMismatch,
    /// An Ed25519 public key that is not 32 bytes long.
    #[error("invalid public key size {0}, expected 32")]
    PublicKeySize(usize),
}

/// A public key that verifies signatures, parsed from a verifier key.
#[derive(Clone)]
pub struct Verifier {
    name: String,
    hash: u32,
    /// `None` when the 32 bytes are not a point on the curve. Go accepts such a key and then
    /// rejects every signature, and so do we.
    key: Option<VerifyingKey>,
}

impl Verifier {
    /// x/mod `NewVerifier`: parses a verifier key, `<name>+<hash>+<base64(0x01 ‖ public key)>`.
    pub fn new(vkey: &str) -> Result<Self, KeyError> {
        let err = |kind| KeyError {
            key: vkey.to_owned(),
            kind,
        };
        let (name, rest) = chop(vkey, "+");
        let (hash16, key64) = chop(rest, "+");
        let (Some(hash), Some(key)) = (parse_key_hash(hash16), gobase64::decode(key64.as_bytes()))
        else {
            return Err(err(KeyErrorKind::Malformed));
        };
        if !is_valid_name(name) || key.is_empty() {
            return Err(err(KeyErrorKind::Malformed));
        }
        if hash != key_hash(name, &key) {
            return Err(err(KeyErrorKind::HashMismatch));
        }
        let (alg, key) = key.split_at(1);
        if alg != [ALG_ED25519] {
            return Err(err(KeyErrorKind::UnknownAlgorithm));
        }
        let key: &[u8; 32] = key.try_into().map_err(|_| err(KeyErrorKind::Malformed))?;
        Ok(Self {
            name: name.to_owned(),
            hash,
            key: VerifyingKey::from_bytes(key).ok(),
        })
    }

    /// The server name the key belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash.
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// Whether `sig` is this key's signature of `msg`. Checked as Go's `crypto/ed25519` checks
    /// it: the signature must be 64 bytes with a canonical `S`, and the check is cofactorless.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let (Some(key), Ok(sig)) = (&self.key, ed25519_dalek::Signature::from_slice(sig)) else {
            return false;
        };
        key.verify(msg, &sig).is_ok()
    }
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verifier({}+{:08x})", self.name, self.hash)
    }
}

/// A private key that signs notes, parsed from a signer key.
#[derive(Clone)]
pub struct Signer {
    name: String,
    hash: u32,
    key: SigningKey,
}

impl Signer {
    /// x/mod `NewSigner`: parses a signer key, `PRIVATE+KEY+<name>+<hash>+<base64(0x01 ‖ seed)>`.
    /// The hash must be that of the public key the seed gives.
    pub fn new(skey: &str) -> Result<Self, KeyError> {
        // The key is a secret, and errors get logged: leave it out.
        let err = |kind| KeyError {
            key: String::new(),
            kind,
        };
        let (priv1, rest) = chop(skey, "+");
        let (priv2, rest) = chop(rest, "+");
        let (name, rest) = chop(rest, "+");
        let (hash16, key64) = chop(rest, "+");
        let (Some(hash), Some(key)) = (parse_key_hash(hash16), gobase64::decode(key64.as_bytes()))
        else {
            return Err(err(KeyErrorKind::Malformed));
        };
        if priv1 != "PRIVATE" || priv2 != "KEY" || !is_valid_name(name) || key.is_empty() {
            return Err(err(KeyErrorKind::Malformed));
        }
        // Unlike NewVerifier, the hash can only be checked once the public key is derived, so
        // the algorithm and size come first.
        let (alg, seed) = key.split_at(1);
        if alg != [ALG_ED25519] {
            return Err(err(KeyErrorKind::UnknownAlgorithm));
        }
        let seed: &[u8; 32] = seed.try_into().map_err(|_| err(KeyErrorKind::Malformed))?;
        let key = SigningKey::from_bytes(seed);
        if hash != key_hash(name, &public_key(&key)) {
            return Err(err(KeyErrorKind::HashMismatch));
        }
        Ok(Self {
            name: name.to_owned(),
            hash,
            key,
        })
    }

    /// The server name the key belongs to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key hash (of the public key).
    pub fn key_hash(&self) -> u32 {
        self.hash
    }

    /// The 64-byte Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.key.sign(msg).to_bytes().to_vec()
    }

    /// The verifier key of this signer, `<name>+<hash>+<base64(0x01 ‖ public key)>`: what
    /// clients are given (`GOSUMDB`) to check its signatures.
    pub fn verifier_key(&self) -> String {
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.hash,
            gobase64::encode(&public_key(&self.key))
        )
    }
}

impl fmt::Debug for Signer {
    /// Names the key and never shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({}+{:08x})", self.name, self.hash)
    }
}

/// x/mod `GenerateKey`: a signer key and its verifier key for server `name`, from a 32-byte
/// Ed25519 seed, which must come from a cryptographic random source (such as the operating
/// system's). The same seed always gives the same keys. Refuses a name that [`Verifier::new`]
/// would refuse.
pub fn generate_key(name: &str, seed: &[u8; 32]) -> Result<(String, String), KeyError> {
    if !is_valid_name(name) {
        return Err(KeyError {
            key: name.to_owned(),
            kind: KeyErrorKind::Malformed,
        });
    }
    let pubkey = public_key(&SigningKey::from_bytes(seed));
    let mut privkey = vec![ALG_ED25519];
    privkey.extend_from_slice(seed);
    let hash = key_hash(name, &pubkey);
    let skey = format!(
        "PRIVATE+KEY+{name}+{hash:08x}+{}",
        gobase64::encode(&privkey)
    );
    let vkey = format!("{name}+{hash:08x}+{}", gobase64::encode(&pubkey));
    Ok((skey, vkey))
}

/// x/mod `NewEd25519VerifierKey`: the verifier key for server `name` and a 32-byte Ed25519
/// public key. Like x/mod, it does not check the name.
pub fn new_ed25519_verifier_key(name: &str, key: &[u8]) -> Result<String, KeyError> {
    if key.len() != 32 {
        return Err(KeyError {
            key: name.to_owned(),
            kind: KeyErrorKind::PublicKeySize(key.len()),
        });
    }
    let mut pubkey = vec![ALG_ED25519];
    pubkey.extend_from_slice(key);
    let hash = key_hash(name, &pubkey);
    Ok(format!("{name}+{hash:08x}+{}", gobase64::encode(&pubkey)))
}

/// The key hash of the encoded public key `key` (algorithm byte first) for server `name`.
fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

/// The encoded public key (algorithm byte first) of a signing key.
fn public_key(key: &SigningKey) -> Vec<u8> {
    let mut pubkey = vec![ALG_ED25519];
    pubkey.extend_from_slice(key.verifying_key().as_bytes());
    pubkey
}

/// x/mod `isValidName`: non-empty, no Unicode white space (Rust's and Go's `IsSpace` are the
/// same set), no `+`.
pub(super) fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(|c: char| c.is_whitespace() || c == '+')
}

/// The 8-hex-digit hash field, as Go's `len(s) == 8 && ParseUint(s, 16, 32)` reads it: hex
/// digits of either case and nothing else.
fn parse_key_hash(hash16: &str) -> Option<u32> {
    if hash16.len() != 8 || !hash16.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hash16, 16).ok()
}
