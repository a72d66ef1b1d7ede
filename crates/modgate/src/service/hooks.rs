//! Push webhooks from the git host: a push refreshes the mirror of the repository it names at
//! once, rather than when the mirror next grows older than `refresh_secs`.
//!
//! GitHub signs the body with the shared secret (`X-Hub-Signature-256: sha256=<hex HMAC>`),
//! Gitea and Forgejo too (`X-Gitea-Signature: <hex HMAC>`, and GitHub's header besides), and
//! GitLab sends the secret itself (`X-Gitlab-Token`). Every comparison takes constant time.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::{Refusal, Service};
use crate::source::GitSource;

/// A git route that takes webhooks: its shared secret, and the source it refreshes.
pub(crate) struct GitHook {
    pub secret: crate::secret::Secret,
    pub source: Arc<GitSource>,
}

/// A push event as received: the body, and whichever signature the host sent.
pub(crate) struct PushEvent<'a> {
    pub body: &'a [u8],
    /// `X-Hub-Signature-256` (GitHub, Gitea, Forgejo).
    pub hub_signature: Option<&'a str>,
    /// `X-Gitea-Signature` (Gitea, Forgejo).
    pub gitea_signature: Option<&'a str>,
    /// `X-Gitlab-Token` (GitLab).
    pub gitlab_token: Option<&'a str>,
}

impl PushEvent<'_> {
    /// Whether the event carries `secret`'s signature.
    fn is_signed_with(&self, secret: &str) -> bool {
        let hmac_matches = |hex: &str| {
            let Some(signature) = decode_hex(hex.trim()) else {
                return false;
            };
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
                return false;
            };
            mac.update(self.body);
            mac.verify_slice(&signature).is_ok()
        };
        self.hub_signature
            .and_then(|s| s.strip_prefix("sha256="))
            .is_some_and(hmac_matches)
            || self.gitea_signature.is_some_and(hmac_matches)
            || self
                .gitlab_token
                .is_some_and(|token| bool::from(token.as_bytes().ct_eq(secret.as_bytes())))
    }

    fn is_signed(&self) -> bool {
        self.hub_signature.is_some()
            || self.gitea_signature.is_some()
            || self.gitlab_token.is_some()
    }
}

impl Service {
    /// Refreshes the mirrors of the repositories a push names, in the background, for every
    /// git route whose secret signed it; returns their URLs. Nothing changes for an event
    /// that is unsigned, signed with no route's secret, or names no repository mirrored here.
    pub fn git_push(&self, event: &PushEvent<'_>) -> Result<Vec<String>, Refusal> {
        if self.git_hooks.is_empty() {
            return Err(Refusal::NotFound(
                "no git route of this proxy takes webhooks (set webhook_secret_file)".to_owned(),
            ));
        }
        if !event.is_signed() {
            return Err(Refusal::Unauthenticated(
                "unsigned webhook: expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token"
                    .to_owned(),
            ));
        }
        let signed: Vec<&GitHook> = self
            .git_hooks
            .iter()
            .filter(|hook| event.is_signed_with(hook.secret.expose()))
            .collect();
        if signed.is_empty() {
            return Err(Refusal::Forbidden(
                "the webhook's signature matches no git route's secret".to_owned(),
            ));
        }
        let urls = repository_urls(event.body)?;
        let mut refreshing = Vec::new();
        for hook in signed {
            for url in urls.iter().filter(|url| hook.source.serves_repository(url)) {
                let (source, url) = (hook.source.clone(), url.clone());
                refreshing.push(url.clone());
                tokio::spawn(async move {
                    match source.refresh(&url).await {
                        Ok(()) => {
                            tracing::info!(url = %codehost::redact_url(&url), "refreshed on a push")
                        }
                        Err(e) => tracing::warn!(cause = %e, "refreshing on a push failed"),
                    }
                });
            }
        }
        if refreshing.is_empty() {
            return Err(Refusal::NotFound(
                "the push names no repository this proxy mirrors".to_owned(),
            ));
        }
        Ok(refreshing)
    }
}

/// The repository URLs a push event names: GitHub's and Gitea's `repository.clone_url`,
/// GitLab's `project.git_http_url` (and `repository.git_http_url` in older events).
fn repository_urls(body: &[u8]) -> Result<Vec<String>, Refusal> {
    let event: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::Malformed(format!("the webhook's body is not JSON: {e}")))?;
    let urls: Vec<String> = [
        ("repository", "clone_url"),
        ("repository", "git_http_url"),
        ("project", "git_http_url"),
    ]
    .iter()
    .filter_map(|(object, field)| event.get(object)?.get(field)?.as_str())
    .map(str::to_owned)
    .collect();
    if urls.is_empty() {
        return Err(Refusal::Malformed(
            "the webhook names no repository (repository.clone_url or project.git_http_url)"
                .to_owned(),
        ));
    }
    Ok(urls)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("a key");
        mac.update(body);
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn each_host_signs_its_way() {
        let body = br#"{"repository":{"clone_url":"https://git.corp.example/team/lib.git"}}"#;
        let hmac = signed("s3cret", body);
        let hub = format!("sha256={hmac}");
        let event = |hub_signature, gitea_signature, gitlab_token| PushEvent {
            body,
            hub_signature,
            gitea_signature,
            gitlab_token,
        };
        assert!(event(Some(&hub), None, None).is_signed_with("s3cret"));
        assert!(event(None, Some(&hmac), None).is_signed_with("s3cret"));
        assert!(event(None, None, Some("s3cret")).is_signed_with("s3cret"));
        assert!(!event(Some(&hub), None, None).is_signed_with("other"));
        assert!(!event(None, Some("zz"), None).is_signed_with("s3cret"));
        assert!(!event(None, None, Some("s3cre")).is_signed_with("s3cret"));
        assert!(!event(None, None, None).is_signed());
    }

    #[test]
    fn push_events_name_their_repository() {
        let github = br#"{"repository":{"clone_url":"https://h/a.git","html_url":"x"}}"#;
        let gitlab = br#"{"project":{"git_http_url":"https://h/g/a.git"}}"#;
        assert_eq!(repository_urls(github).expect("named"), ["https://h/a.git"]);
        assert_eq!(
            repository_urls(gitlab).expect("named"),
            ["https://h/g/a.git"]
        );
        assert!(repository_urls(b"{}").is_err());
        assert!(repository_urls(b"not json").is_err());
    }
}
