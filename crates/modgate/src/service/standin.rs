//! Stand-ins for Contract A's identity API until the `users` branch is merged: removed then.

use std::net::IpAddr;

use base64::Engine;

use super::{Caller, Refusal, Service};

impl Service {
    /// Whether `caller` is an administrator (`[auth] admins`, or the operator).
    pub fn is_admin(&self, caller: &Caller) -> bool {
        self.auth.is_admin(&caller.principal)
    }

    /// Checks a user name and password the way Basic auth does.
    pub async fn sign_in(
        &self,
        client: IpAddr,
        user: &str,
        password: &str,
    ) -> Result<Caller, Refusal> {
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        self.caller(client, None, Some(basic.as_bytes())).await
    }
}

/// Contract A's personal token, as listed (no secret).
#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    pub id: String,
    pub label: String,
    pub user: String,
    pub created: time::OffsetDateTime,
    pub created_by: String,
}

/// Contract A's new token: the only time the token itself is known.
pub(crate) struct NewToken {
    pub token: String,
    pub record: TokenRecord,
}

/// Contract A's audit event.
#[derive(Debug, Clone)]
pub(crate) struct AuditEvent {
    pub at: time::OffsetDateTime,
    pub who: String,
    pub from: Option<IpAddr>,
    pub action: String,
    pub target: String,
    pub outcome: String,
}

fn not_yet() -> Refusal {
    Refusal::NotFound("personal tokens and user management are not available yet".to_owned())
}

impl Service {
    pub async fn create_token(
        &self,
        _caller: &Caller,
        _label: &str,
        _owner: Option<&str>,
    ) -> Result<NewToken, Refusal> {
        Err(not_yet())
    }

    pub async fn tokens(
        &self,
        _caller: &Caller,
        _owner: Option<&str>,
    ) -> Result<Vec<TokenRecord>, Refusal> {
        Ok(Vec::new())
    }

    pub async fn all_tokens(&self, _caller: &Caller) -> Result<Vec<TokenRecord>, Refusal> {
        Ok(Vec::new())
    }

    pub async fn revoke_token(&self, _caller: &Caller, _id: &str) -> Result<(), Refusal> {
        Err(not_yet())
    }

    pub fn users(&self, _caller: &Caller) -> Result<Vec<String>, Refusal> {
        Ok(Vec::new())
    }

    pub async fn add_user(
        &self,
        _caller: &Caller,
        _name: &str,
        _password: &str,
    ) -> Result<(), Refusal> {
        Err(not_yet())
    }

    pub async fn remove_user(&self, _caller: &Caller, _name: &str) -> Result<(), Refusal> {
        Err(not_yet())
    }

    pub fn recent_events(
        &self,
        _caller: &Caller,
        _limit: usize,
    ) -> Result<Vec<AuditEvent>, Refusal> {
        Ok(Vec::new())
    }
}
