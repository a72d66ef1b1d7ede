//! The web UI's sessions and CSRF tokens, signed with one key (HMAC-SHA256). The key is a
//! create-only object in the store (`storage::ui_session_key`), made by the first process to
//! need it, so replicas on one bucket accept each other's cookies and forms.
//!
//! A session cookie holds the user's name, its expiry and a random id, and their signature;
//! nothing is kept on the server. A form's CSRF token is the signature of what the page's
//! caller is bound to: the session's id, a Basic-auth user's name, or (for the sign-in form,
//! before anyone is known) the day.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tokio::sync::OnceCell;

use super::{Caller, Failure, FailureKind, Refusal, Service};
use crate::auth::Principal;
use crate::storage::{Created, Store, ui_session_key};

/// How long a sign-in lasts.
pub(crate) const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A day, for the sign-in form's tokens: a form loaded yesterday still works today.
const ANONYMOUS_TOKEN_PERIOD: i64 = 24 * 3600;

/// The signing key; never shown, logged or compared but by its signatures.
pub(super) struct SessionKey(OnceCell<[u8; 32]>);

impl SessionKey {
    pub fn new() -> SessionKey {
        SessionKey(OnceCell::new())
    }
}

/// What a page's caller is bound to, for the CSRF tokens of its forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CsrfBinding {
    /// Signed in by the session cookie with this id.
    Session(String),
    /// Signed in by Basic auth (or a token) on each request: bound to the name.
    User(String),
    /// Nobody yet: the sign-in form.
    Anonymous,
}

/// A session read from a valid cookie.
pub(crate) struct Session {
    pub caller: Caller,
    pub id: String,
}

impl Service {
    async fn session_key(&self) -> Result<&[u8; 32], Refusal> {
        self.session_key
            .0
            .get_or_try_init(|| load_or_create_key(&self.store))
            .await
    }

    /// A signed session cookie's value for a caller who just signed in with a password.
    pub async fn start_session(&self, caller: &Caller) -> Result<String, Refusal> {
        let Principal::User(name) = &caller.principal else {
            return Err(Refusal::Forbidden("only users sign in".to_owned()));
        };
        let key = self.session_key().await?;
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| internal("random bytes", e))?;
        let expires = OffsetDateTime::now_utc().unix_timestamp()
            + i64::try_from(SESSION_LIFETIME.as_secs()).unwrap_or(i64::MAX);
        let payload = format!(
            "{expires}.{}.{}",
            URL_SAFE_NO_PAD.encode(id),
            URL_SAFE_NO_PAD.encode(name)
        );
        let signature = URL_SAFE_NO_PAD.encode(sign(key, b"session", payload.as_bytes()));
        Ok(format!("{payload}.{signature}"))
    }

    /// The caller a session cookie names, if it is ours, unexpired, and from an allowed
    /// address; `None` for any cookie that is not (the page then treats the caller as
    /// anonymous or Basic-authenticated).
    pub async fn session(
        &self,
        peer: std::net::IpAddr,
        forwarded_for: Option<&str>,
        cookie: &str,
    ) -> Result<Option<Session>, Refusal> {
        let key = self.session_key().await?;
        let Some((payload, signature)) = cookie.rsplit_once('.') else {
            return Ok(None);
        };
        let Ok(signature) = URL_SAFE_NO_PAD.decode(signature) else {
            return Ok(None);
        };
        let expected = sign(key, b"session", payload.as_bytes());
        if !bool::from(expected.as_slice().ct_eq(&signature)) {
            return Ok(None);
        }
        let mut parts = payload.splitn(3, '.');
        let (Some(expires), Some(id), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Ok(None);
        };
        let expired = expires
            .parse::<i64>()
            .map_or(true, |t| t <= OffsetDateTime::now_utc().unix_timestamp());
        let name = URL_SAFE_NO_PAD
            .decode(name)
            .ok()
            .and_then(|n| String::from_utf8(n).ok());
        // A user removed since signing in is signed out.
        let exists = |name: &String| self.auth.users().is_some_and(|users| users.contains(name));
        let Some(name) = name.filter(|name| !expired && exists(name)) else {
            return Ok(None);
        };
        let address = self.auth.client_address(peer, forwarded_for);
        self.auth.check_address(address).map_err(super::refused)?;
        Ok(Some(Session {
            caller: Caller {
                address,
                principal: Principal::User(name),
            },
            id: id.to_owned(),
        }))
    }

    /// Whether `peer` is a trusted proxy, whose `X-Forwarded-Proto` and `X-Forwarded-Host`
    /// say how clients reached the server (TLS ended at the proxy).
    pub fn is_trusted_proxy(&self, peer: std::net::IpAddr) -> bool {
        self.auth.is_trusted_proxy(peer)
    }

    /// The CSRF token of a page's forms.
    pub async fn csrf_token(&self, binding: &CsrfBinding) -> Result<String, Refusal> {
        let key = self.session_key().await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        Ok(URL_SAFE_NO_PAD.encode(csrf_signature(key, binding, now)))
    }

    /// Whether `token` is the CSRF token of a form shown to `binding` (for anonymous forms,
    /// today's or yesterday's).
    pub async fn check_csrf(&self, binding: &CsrfBinding, token: &str) -> Result<bool, Refusal> {
        let key = self.session_key().await?;
        let Ok(token) = URL_SAFE_NO_PAD.decode(token.trim()) else {
            return Ok(false);
        };
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut valid = false;
        for at in [now, now - ANONYMOUS_TOKEN_PERIOD] {
            let expected = csrf_signature(key, binding, at);
            valid |= bool::from(expected.as_slice().ct_eq(&token));
            if *binding != CsrfBinding::Anonymous {
                break;
            }
        }
        Ok(valid)
    }
}

fn csrf_signature(key: &[u8; 32], binding: &CsrfBinding, now: i64) -> Vec<u8> {
    let bound = match binding {
        CsrfBinding::Session(id) => format!("session\0{id}"),
        CsrfBinding::User(name) => format!("user\0{name}"),
        CsrfBinding::Anonymous => format!("anonymous\0{}", now.div_euclid(ANONYMOUS_TOKEN_PERIOD)),
    };
    sign(key, b"csrf", bound.as_bytes())
}

/// HMAC-SHA256 of `purpose` and `data`: a session's signature can never pass as a form's.
fn sign(key: &[u8; 32], purpose: &[u8], data: &[u8]) -> Vec<u8> {
    // Any key length is valid for HMAC.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(purpose);
    mac.update(b"\0");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// The store's key, made (create-only) if there is none: the first replica's wins.
async fn load_or_create_key(store: &Store) -> Result<[u8; 32], Refusal> {
    let path = ui_session_key();
    let storage = |e| Refusal::Failed(Failure::new(FailureKind::Storage, "the session key", e));
    for _ in 0..2 {
        if let Some(stored) = store.read(&path).await.map_err(storage)? {
            if let Ok(key) = <[u8; 32]>::try_from(&stored[..]) {
                return Ok(key);
            }
            return Err(internal("the session key", "not 32 bytes"));
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| internal("random bytes", e))?;
        if store
            .put_new(&path, Bytes::copy_from_slice(&key))
            .await
            .map_err(storage)?
            == Created::New
        {
            return Ok(key);
        }
    }
    Err(internal("the session key", "created and gone"))
}

fn internal(context: &str, cause: impl std::fmt::Display) -> Refusal {
    Refusal::Failed(Failure::new(FailureKind::Internal, context, cause)).reported()
}

impl Caller {
    /// What this caller's forms are bound to when not signed in by a cookie.
    pub fn csrf_binding(&self) -> CsrfBinding {
        match &self.principal {
            Principal::User(name) | Principal::Token(name) => CsrfBinding::User(name.clone()),
            Principal::Anonymous | Principal::Operator => CsrfBinding::Anonymous,
        }
    }
}
