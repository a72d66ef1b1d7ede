//! Credentials parsed from an `Authorization` header value: Basic for users, Bearer for tokens.

use base64::Engine;

/// What a client presented. Deliberately without `Debug`, so it cannot end up in a log.
pub(crate) enum Presented {
    Basic(Credentials),
    Bearer(String),
}

/// A user name and password.
pub(crate) struct Credentials {
    pub user: String,
    pub password: String,
}

impl Presented {
    /// Parses `Basic base64(user:password)` or `Bearer TOKEN`; the error is a one-line reason
    /// for the client.
    pub fn parse(header: &[u8]) -> Result<Presented, String> {
        let text = std::str::from_utf8(header)
            .map_err(|_| "malformed Authorization header: not UTF-8".to_owned())?;
        let (scheme, rest) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        if scheme.eq_ignore_ascii_case("basic") {
            Credentials::parse(rest).map(Presented::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") && !rest.trim().is_empty() {
            Ok(Presented::Bearer(rest.trim().to_owned()))
        } else {
            Err(format!(
                "unsupported Authorization scheme {:?}: use Basic or Bearer",
                scheme.chars().take(16).collect::<String>()
            ))
        }
    }
}

impl Credentials {
    fn parse(encoded: &str) -> Result<Credentials, String> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "malformed Authorization header: bad base64".to_owned())?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| "malformed Authorization header: credentials are not UTF-8".to_owned())?;
        let (user, password) = decoded.split_once(':').ok_or_else(|| {
            "malformed Authorization header: no ':' between user and password".to_owned()
        })?;
        if user.is_empty() {
            return Err("malformed Authorization header: empty user name".to_owned());
        }
        Ok(Credentials {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_basic_and_bearer_and_rejects_the_rest() {
        let basic = |header: &[u8]| match Presented::parse(header) {
            Ok(Presented::Basic(c)) => (c.user, c.password),
            _ => panic!("not basic"),
        };
        assert_eq!(
            basic(b"Basic YWxpY2U6czNjcmV0"),
            ("alice".into(), "s3cret".into())
        );
        assert_eq!(basic(b"basic YWxpY2U6czM6Y3JldA==").1, "s3:cret");
        assert!(
            matches!(Presented::parse(b"Bearer mg_abc"), Ok(Presented::Bearer(t)) if t == "mg_abc")
        );
        for bad in [
            &b"Bearer"[..],
            b"Digest abc",
            b"Basic",
            b"Basic !!!",
            b"Basic YWxpY2U=",
            b"Basic OnB3",
            b"Basic \xff",
        ] {
            let err = Presented::parse(bad).err().expect("rejected");
            assert!(!err.contains('\n') && !err.contains("s3cret"), "{err}");
        }
    }
}
