//! Personal tokens, in the store so that replicas on one bucket share them:
//! `.modgate/auth/tokens/<hex SHA-256 of the token>.json` holds its record, never the token.
//! A token acts as its owner. Revoking deletes the object; each process trusts what it read
//! for [`memory::PERSONAL_TOKEN_FOR`] at most, so a revoke holds everywhere within that time.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::memory::{self, Dated};
use crate::storage::{self, Created, StorageError, Store};

/// The id is this many hex digits of the digest: enough to name a token, useless to guess it.
const ID_LEN: usize = 12;

/// What is known of a personal token: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    /// The first 12 hex digits of the token's SHA-256.
    pub id: String,
    pub label: String,
    /// The owner, whose rights the token has.
    pub user: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// Who created it: the owner, or an admin.
    pub created_by: String,
}

/// A token just made: the only time the token itself is known.
pub(crate) struct NewToken {
    pub token: String,
    pub record: TokenRecord,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum TokenError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("token record {key}: {reason}")]
    Corrupt { key: String, reason: String },
    #[error("reading random bytes: {0}")]
    Random(String),
}

pub(super) struct PersonalTokens {
    store: Store,
    /// digest → its record, or `None` for a token that is not in the store.
    known: Dated<[u8; 32], Option<TokenRecord>>,
}

impl PersonalTokens {
    pub fn new(store: Store) -> PersonalTokens {
        PersonalTokens {
            store,
            known: Dated::new(memory::PERSONAL_TOKENS),
        }
    }

    /// The record of `token`, if it is a personal token.
    pub async fn verify(&self, token: &str) -> Result<Option<TokenRecord>, TokenError> {
        let digest = crate::auth::token_digest(token);
        let trusted = |known: &Option<TokenRecord>| match known {
            Some(_) => memory::PERSONAL_TOKEN_FOR,
            None => memory::UNKNOWN_TOKEN_FOR,
        };
        if let memory::Recall::Fresh(known) = self.known.recall(&digest, trusted) {
            return Ok(known);
        }
        let record = self.read(&hex(&digest)).await?;
        self.known.remember(digest, record.clone());
        Ok(record)
    }

    pub async fn create(
        &self,
        owner: &str,
        label: &str,
        created_by: &str,
    ) -> Result<NewToken, TokenError> {
        let (token, digest_hex) =
            crate::auth::generate_token().map_err(|e| TokenError::Random(e.to_string()))?;
        let record = TokenRecord {
            id: digest_hex[..ID_LEN].to_owned(),
            label: label.to_owned(),
            user: owner.to_owned(),
            created: OffsetDateTime::now_utc(),
            created_by: created_by.to_owned(),
        };
        let key = storage::token_file(&digest_hex);
        let bytes = serde_json::to_vec_pretty(&record).map_err(|e| TokenError::Corrupt {
            key: key.to_string(),
            reason: e.to_string(),
        })?;
        // 32 random bytes do not collide; create-only all the same.
        if self.store.put_new(&key, Bytes::from(bytes)).await? == Created::Existed {
            return Err(TokenError::Random("a token collided".to_owned()));
        }
        self.known
            .remember(crate::auth::token_digest(&token), Some(record.clone()));
        Ok(NewToken { token, record })
    }

    /// Every personal token, oldest first.
    pub async fn all(&self) -> Result<Vec<TokenRecord>, TokenError> {
        let mut records = Vec::new();
        for name in self.store.file_names(&storage::tokens_dir()).await? {
            if let Some(digest_hex) = name.strip_suffix(".json")
                && let Some(record) = self.read(digest_hex).await?
            {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        Ok(records)
    }

    /// The token with this id and its digest, if there is one.
    pub async fn find(&self, id: &str) -> Result<Option<(String, TokenRecord)>, TokenError> {
        if id.len() != ID_LEN || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        for name in self.store.file_names(&storage::tokens_dir()).await? {
            if let Some(digest_hex) = name.strip_suffix(".json")
                && digest_hex.starts_with(id)
                && let Some(record) = self.read(digest_hex).await?
            {
                return Ok(Some((digest_hex.to_owned(), record)));
            }
        }
        Ok(None)
    }

    /// Deletes the token whose digest is `digest_hex` (from [`PersonalTokens::find`]).
    pub async fn revoke(&self, digest_hex: &str) -> Result<(), TokenError> {
        self.store.delete(&storage::token_file(digest_hex)).await?;
        if let Some(digest) = unhex(digest_hex) {
            self.known.remember(digest, None);
        }
        Ok(())
    }

    async fn read(&self, digest_hex: &str) -> Result<Option<TokenRecord>, TokenError> {
        let key = storage::token_file(digest_hex);
        let Some(bytes) = self.store.read(&key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| TokenError::Corrupt {
                key: key.to_string(),
                reason: e.to_string(),
            })
    }
}

fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut digest = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tokens_are_stored_by_digest_found_by_id_and_revoked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::directory(dir.path()).expect("store");
        let tokens = PersonalTokens::new(store.clone());
        let new = tokens
            .create("alice", "laptop", "alice")
            .await
            .expect("create");
        assert!(new.token.starts_with("mg_"));
        let digest_hex = hex(&crate::auth::token_digest(&new.token));
        let file = dir
            .path()
            .join(format!(".modgate/auth/tokens/{digest_hex}.json"));
        let stored = std::fs::read_to_string(&file).expect("record file");
        assert!(
            !stored.contains(&new.token),
            "the token itself is never stored"
        );
        assert_eq!(new.record.id, digest_hex[..12]);

        // Another process on the same store sees it, and its revoke.
        let other = PersonalTokens::new(store);
        let seen = other.verify(&new.token).await.expect("verify");
        assert_eq!(seen.as_ref().map(|r| r.user.as_str()), Some("alice"));
        assert_eq!(other.verify("mg_guess").await.expect("verify"), None);
        let all = other.all().await.expect("all");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0], new.record);
        assert!(other.find("0123456789zz").await.expect("find").is_none());
        let (found, record) = other
            .find(&new.record.id)
            .await
            .expect("find")
            .expect("found");
        assert_eq!(record, new.record);
        other.revoke(&found).await.expect("revoke");
        assert_eq!(other.verify(&new.token).await.expect("verify"), None);
        assert!(!file.exists());
        // The first process trusted what it read for a few seconds at most.
        assert!(tokens.verify(&new.token).await.expect("cached").is_some());
        assert!(tokens.all().await.expect("all").is_empty());
    }
}
