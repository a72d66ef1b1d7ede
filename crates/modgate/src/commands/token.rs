//! `modgate token new`: a token for CI, printed once; the config keeps only its digest.

pub(crate) fn new(name: &str) -> anyhow::Result<()> {
    let (token, digest) =
        crate::auth::generate_token().map_err(|e| anyhow::anyhow!("reading random bytes: {e}"))?;
    println!("token (shown once; give it to CI as a secret):\n  {token}\n");
    println!(
        "add to modgate.toml (the digest only), then name \"{name}\" in a route's write_users:"
    );
    println!("  [[auth.token]]\n  name = \"{name}\"\n  sha256 = \"{digest}\"");
    Ok(())
}
