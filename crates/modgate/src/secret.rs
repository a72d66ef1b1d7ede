//! A secret from the configuration (a webhook's shared secret): its `Debug` never shows it, so
//! a settings struct printed in a log or an error cannot leak it.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub fn new(secret: String) -> Secret {
        Secret(secret)
    }

    /// The secret itself, for the one comparison that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::new("hook-s3cret".to_owned());
        assert!(!format!("{secret:?}").contains("s3cret"));
        assert_eq!(secret.expose(), "hook-s3cret");
    }
}
