//! HTTP Basic credentials, parsed from an `Authorization` header value.

use base64::Engine;

/// A user name and password. Deliberately without `Debug`, so it cannot end up in a log.
pub(crate) struct Credentials {
    pub user: String,
    pub password: String,
}

impl Credentials {
    /// Parses `Basic base64(user:password)`; the error is a one-line reason for the client.
    pub fn parse(header: &[u8]) -> Result<Credentials, String> {
        let text = std::str::from_utf8(header)
            .map_err(|_| "malformed Authorization header: not UTF-8".to_owned())?;
        let (scheme, encoded) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(format!(
                "unsupported Authorization scheme {:?}: use Basic",
                scheme.chars().take(16).collect::<String>()
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| "malformed Authorization header: bad base64".to_owned())?;
        let decoded = String::from_utf8(decoded)
            .map_err(|_| "malformed Authorization header: credentials are not UTF-8".to_owned())?;
        let (user, password) = decoded
            .split_once(':')
            .ok_or_else(|| "malformed Authorization header: no ':' between user and password".to_owned())?;
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
    fn parses_basic_and_rejects_the_rest() {
        let ok = Credentials::parse(b"Basic YWxpY2U6czNjcmV0").expect("valid");
        assert_eq!((ok.user.as_str(), ok.password.as_str()), ("alice", "s3cret"));
        let colon_in_password = Credentials::parse(b"basic YWxpY2U6czM6Y3JldA==").expect("valid");
        assert_eq!(colon_in_password.password, "s3:cret");
        for bad in [
            &b"Bearer abc"[..],
            b"Basic",
            b"Basic !!!",
            b"Basic YWxpY2U=",
            b"Basic OnB3",
            b"Basic \xff",
        ] {
            let err = Credentials::parse(bad).err().expect("rejected");
            assert!(!err.contains('\n') && !err.contains("s3cret"), "{err}");
        }
    }
}
