//! Bearer tokens for CI. Configured as SHA-256 digests, never in clear: a token is 32 random
//! bytes, so a fast hash is enough (bcrypt's slowness guards guessable passwords, not these).

use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every token starts with this, so secret scanners and people can tell what it is.
pub(crate) const TOKEN_PREFIX: &str = "mg_";

pub(crate) struct Tokens {
    /// (digest, name)
    known: Vec<([u8; 32], String)>,
}

impl Tokens {
    /// `configured`: (name, hex digest) pairs, already validated by the config.
    pub fn new(configured: &[(String, [u8; 32])]) -> Tokens {
        Tokens {
            known: configured
                .iter()
                .map(|(name, digest)| (*digest, name.clone()))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The name of the token, if it is one of ours. Every digest is compared, in constant
    /// time, so timing does not tell how close a guess came.
    pub fn verify(&self, token: &str) -> Option<&str> {
        let digest = digest(token);
        let mut found = None;
        for (known, name) in &self.known {
            if bool::from(known.ct_eq(&digest)) {
                found = Some(name.as_str());
            }
        }
        found
    }
}

pub(crate) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A new random token and its hex digest, for `modgate token new`.
pub(crate) fn generate() -> Result<(String, String), getrandom::Error> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)?;
    let token = format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
    );
    let hex = digest(&token).iter().map(|b| format!("{b:02x}")).collect();
    Ok((token, hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_verify_by_digest_only() {
        let (token, hex) = generate().expect("random");
        assert!(token.starts_with(TOKEN_PREFIX));
        assert_eq!(hex.len(), 64);
        let tokens = Tokens::new(&[("ci".to_owned(), digest(&token))]);
        assert_eq!(tokens.verify(&token), Some("ci"));
        assert_eq!(tokens.verify("mg_guess"), None);
        let (other, _) = generate().expect("random");
        assert_ne!(token, other);
    }
}
