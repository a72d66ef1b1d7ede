//! Users, personal tokens and the audit ring: what the JSON API and the web UI ask about
//! identities. Admins (`[auth] admins`) manage everyone; a user, their own tokens and password.

use std::net::IpAddr;

use super::tokens::TokenError;
use super::{
    AuditEvent, Caller, Failure, FailureKind, NewToken, Refusal, Service, TokenRecord, refused,
};
use crate::auth::{ClientAddress, Credentials, Edit, EditError, Principal};

/// Labels are for people: short, one line.
const MAX_LABEL_LEN: usize = 100;

impl Service {
    /// Whether `caller` is an administrator (`[auth] admins`, or the operator).
    pub fn is_admin(&self, caller: &Caller) -> bool {
        self.auth.is_admin(&caller.principal)
    }

    /// Checks a user name and password the way Basic auth does (the same remembered successes
    /// and failures, the same accounting), for a sign-in form. `client` is the client's
    /// address as [`Caller::address`] gives it; it must be on the server's allow-list.
    #[allow(dead_code, reason = "the web UI's sign-in form calls it")]
    pub async fn sign_in(
        &self,
        client: IpAddr,
        user: &str,
        password: &str,
    ) -> Result<Caller, Refusal> {
        let address = ClientAddress(client);
        self.auth.check_address(address).map_err(refused)?;
        let credentials = Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        };
        match self.auth.check_password(credentials).await {
            Ok(principal) => Ok(Caller { address, principal }),
            Err(denied) => {
                self.audit
                    .failed_sign_in(client, user, "wrong user name or password");
                Err(refused(denied))
            }
        }
    }

    /// A new personal token for `owner` (the caller when `None`; naming someone else needs an
    /// admin). The token is in the answer once and never again.
    pub async fn create_token(
        &self,
        caller: &Caller,
        label: &str,
        owner: Option<&str>,
    ) -> Result<NewToken, Refusal> {
        let owner = self.token_owner(caller, owner)?;
        if label.len() > MAX_LABEL_LEN || label.chars().any(char::is_control) {
            return Err(Refusal::Malformed(
                "a token's label is one line of at most 100 bytes".to_owned(),
            ));
        }
        let outcome = self.tokens.create(&owner, label, caller.name()).await;
        let target = match &outcome {
            Ok(new) => format!("{} ({owner})", new.record.id),
            Err(_) => owner.clone(),
        };
        self.audit_result(caller, "token.create", &target, &outcome);
        outcome.map_err(token_refusal)
    }

    /// Personal tokens, without their secrets: the caller's own (`owner` `None` or the
    /// caller), or another user's for an admin.
    pub async fn tokens(
        &self,
        caller: &Caller,
        owner: Option<&str>,
    ) -> Result<Vec<TokenRecord>, Refusal> {
        let owner = self.token_owner(caller, owner)?;
        let all = self.tokens.all().await.map_err(token_refusal)?;
        Ok(all.into_iter().filter(|t| t.user == owner).collect())
    }

    /// Every personal token, of every user (admins).
    pub async fn all_tokens(&self, caller: &Caller) -> Result<Vec<TokenRecord>, Refusal> {
        self.require_admin(caller)?;
        self.tokens.all().await.map_err(token_refusal)
    }

    /// Revokes a token by its id: one's own, or any for an admin. Another user's token is
    /// "not found" to a non-admin, so ids cannot be probed.
    pub async fn revoke_token(&self, caller: &Caller, id: &str) -> Result<(), Refusal> {
        self.require_identity(caller)?;
        let found = self.tokens.find(id).await.map_err(token_refusal)?;
        let Some((digest_hex, record)) =
            found.filter(|(_, record)| record.user == caller.name() || self.is_admin(caller))
        else {
            return Err(Refusal::NotFound(format!("no token {:?}", short(id))));
        };
        let outcome = self.tokens.revoke(&digest_hex).await;
        let target = format!("{} ({})", record.id, record.user);
        self.audit_result(caller, "token.revoke", &target, &outcome);
        outcome.map_err(token_refusal)
    }

    /// The htpasswd file's users (admins).
    pub fn users(&self, caller: &Caller) -> Result<Vec<String>, Refusal> {
        self.require_admin(caller)?;
        Ok(self.auth.users().map(|u| u.names()).unwrap_or_default())
    }

    /// Adds a user to the htpasswd file (admins).
    pub async fn add_user(
        &self,
        caller: &Caller,
        name: &str,
        password: &str,
    ) -> Result<(), Refusal> {
        self.require_admin(caller)?;
        let edit = Edit::Add {
            name: name.to_owned(),
            password: password.to_owned(),
        };
        self.edit_users(caller, "user.add", edit).await
    }

    /// Removes a user from the htpasswd file (admins). Their personal tokens stop working with
    /// them: a token acts as its owner, and an owner who is not a user any more has no rights
    /// a route names, but the tokens are revoked too.
    pub async fn remove_user(&self, caller: &Caller, name: &str) -> Result<(), Refusal> {
        self.require_admin(caller)?;
        let edit = Edit::Remove {
            name: name.to_owned(),
        };
        self.edit_users(caller, "user.remove", edit).await?;
        for token in self.tokens.all().await.map_err(token_refusal)? {
            if token.user == name
                && let Some((digest_hex, _)) =
                    self.tokens.find(&token.id).await.map_err(token_refusal)?
            {
                let outcome = self.tokens.revoke(&digest_hex).await;
                self.audit_result(
                    caller,
                    "token.revoke",
                    &format!("{} ({name})", token.id),
                    &outcome,
                );
                outcome.map_err(token_refusal)?;
            }
        }
        Ok(())
    }

    /// Sets a user's password: an admin's, or a user's own.
    pub async fn set_password(
        &self,
        caller: &Caller,
        name: &str,
        password: &str,
    ) -> Result<(), Refusal> {
        let own = matches!(&caller.principal, Principal::User(user) if user == name);
        if !own {
            self.require_admin(caller)?;
        }
        let edit = Edit::SetPassword {
            name: name.to_owned(),
            password: password.to_owned(),
        };
        self.edit_users(caller, "user.passwd", edit).await
    }

    /// The newest audit events of this process, newest first (admins).
    pub fn recent_events(&self, caller: &Caller, limit: usize) -> Result<Vec<AuditEvent>, Refusal> {
        self.require_admin(caller)?;
        Ok(self.audit.recent(limit))
    }

    /// The audit log, for what changes the store outside a request (gc's evictions, say):
    /// `record(who, from, action, target, outcome)`.
    #[allow(
        dead_code,
        reason = "the retention branch's gc records its evictions here"
    )]
    pub fn audit(&self) -> &super::AuditLog {
        &self.audit
    }

    /// Records a failed sign-in by Basic auth or a bearer token.
    pub(super) fn audit_failed_credentials(&self, client: IpAddr, target: &str, why: &str) {
        self.audit.failed_sign_in(client, target, why);
    }

    async fn edit_users(&self, caller: &Caller, action: &str, edit: Edit) -> Result<(), Refusal> {
        let name = edit.name().to_owned();
        let Some(outcome) = self.auth.edit_users(edit).await else {
            return Err(Refusal::Invalid(
                "no htpasswd file is configured ([auth] htpasswd)".to_owned(),
            ));
        };
        self.audit_result(caller, action, &name, &outcome);
        outcome.map_err(|e| match e {
            EditError::InvalidName { .. } | EditError::EmptyPassword | EditError::Cost(_) => {
                Refusal::Malformed(e.to_string())
            }
            EditError::Exists(_) => Refusal::Conflict(e.to_string()),
            EditError::NoSuchUser(_) => Refusal::NotFound(e.to_string()),
            EditError::Read(_) | EditError::Write { .. } | EditError::Hash(_) => {
                Refusal::Failed(Failure::new(FailureKind::Internal, "htpasswd", e)).reported()
            }
        })
    }

    /// Whose tokens `caller` asks about: their own unless they name someone else, which needs
    /// an admin (and a user who exists, when there is an htpasswd file).
    fn token_owner(&self, caller: &Caller, owner: Option<&str>) -> Result<String, Refusal> {
        self.require_identity(caller)?;
        match owner {
            None | Some("") => match &caller.principal {
                Principal::User(name) => Ok(name.clone()),
                _ => Err(Refusal::Forbidden(format!(
                    "{:?} is not a user: only users hold personal tokens",
                    caller.name()
                ))),
            },
            Some(owner)
                if owner == caller.name() && matches!(caller.principal, Principal::User(_)) =>
            {
                Ok(owner.to_owned())
            }
            Some(owner) => {
                self.require_admin(caller)?;
                match self.auth.users() {
                    Some(users) if !users.contains(owner) => {
                        Err(Refusal::NotFound(format!("no user {:?}", short(owner))))
                    }
                    _ => Ok(owner.to_owned()),
                }
            }
        }
    }

    fn require_identity(&self, caller: &Caller) -> Result<(), Refusal> {
        match caller.principal {
            Principal::Anonymous => Err(Refusal::Unauthenticated(
                "sign in first: Basic auth or a bearer token".to_owned(),
            )),
            _ => Ok(()),
        }
    }

    pub(super) fn require_admin(&self, caller: &Caller) -> Result<(), Refusal> {
        self.require_identity(caller)?;
        if self.is_admin(caller) {
            Ok(())
        } else {
            Err(Refusal::Forbidden(format!(
                "{:?} is not an administrator",
                caller.name()
            )))
        }
    }

    pub(super) fn audit_result<T, E: std::fmt::Display>(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
        outcome: &Result<T, E>,
    ) {
        let outcome = match outcome {
            Ok(_) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        self.audit.record(
            caller.name(),
            Some(caller.address.0),
            action,
            target,
            &outcome,
        );
    }
}

/// A storage failure of the token store: the store is unavailable to the client.
fn token_refusal(error: TokenError) -> Refusal {
    Refusal::Failed(Failure::new(FailureKind::Storage, "personal tokens", error)).reported()
}

/// What a client sent, cut short and printable, for a message.
fn short(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(64).collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::Config;

    /// A service over a directory store with alice (an admin) and bob.
    fn service(dir: &Path) -> Service {
        let hashes: String = [("alice", "alice-pw"), ("bob", "bob-pw")]
            .iter()
            .map(|(user, pw)| format!("{user}:{}\n", bcrypt::hash(pw, 4).expect("bcrypt")))
            .collect();
        std::fs::write(dir.join("htpasswd"), hashes).expect("htpasswd");
        let text = "[auth]\nhtpasswd = \"htpasswd\"\nadmins = [\"alice\"]\n";
        let config = Config::for_test(text, dir, Some(dir.join("store"))).expect("a valid config");
        crate::app::service(&config, None).expect("the service")
    }

    #[tokio::test]
    async fn sign_in_checks_passwords_like_basic_auth_and_audits_failures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let service = service(dir.path());
        let here: IpAddr = "127.0.0.1".parse().expect("ip");
        let alice = service
            .sign_in(here, "alice", "alice-pw")
            .await
            .expect("alice");
        assert_eq!(alice.name(), "alice");
        assert!(service.is_admin(&alice));
        let bob = service.sign_in(here, "bob", "bob-pw").await.expect("bob");
        assert!(!service.is_admin(&bob));
        let wrong = service.sign_in(here, "bob", "guess").await;
        assert!(matches!(wrong, Err(Refusal::Unauthenticated(_))));
        assert!(matches!(
            service.recent_events(&bob, 10),
            Err(Refusal::Forbidden(_))
        ));
        let events = service.recent_events(&alice, 10).expect("events");
        assert_eq!(events.len(), 1);
        assert_eq!(
            (events[0].action.as_str(), events[0].target.as_str()),
            ("sign-in", "bob")
        );
        assert_eq!(events[0].from, Some(here));

        // A token made for bob by the admin acts as bob; bob may not make one for alice.
        let new = service
            .create_token(&alice, "ci", Some("bob"))
            .await
            .expect("a token for bob");
        assert_eq!(
            (new.record.user.as_str(), new.record.created_by.as_str()),
            ("bob", "alice")
        );
        assert!(matches!(
            service.create_token(&bob, "x", Some("alice")).await,
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            service.create_token(&alice, "x", Some("nobody")).await,
            Err(Refusal::NotFound(_))
        ));
        let header = format!("Bearer {}", new.token);
        let caller = service
            .caller(here, None, Some(header.as_bytes()))
            .await
            .expect("the token's caller");
        assert_eq!(caller.name(), "bob");
        assert_eq!(service.tokens(&caller, None).await.expect("own").len(), 1);
        assert!(service.tokens(&alice, None).await.expect("own").is_empty());
        assert_eq!(service.all_tokens(&alice).await.expect("all").len(), 1);
    }
}
