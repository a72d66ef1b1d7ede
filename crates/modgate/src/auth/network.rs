//! Client addresses and allow-lists.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Denied;

/// The address a request is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ClientAddress(pub IpAddr);

/// The peer, unless it is a trusted proxy: then the right-most `X-Forwarded-For` entry that is
/// not itself a trusted proxy (entries further left could be written by the client).
pub(super) fn client_address(
    peer: IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> ClientAddress {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return ClientAddress(peer);
    }
    let Some(header) = forwarded_for else {
        return ClientAddress(peer);
    };
    let mut hops = header.rsplit(',').map(str::trim);
    let mut client = peer;
    for hop in hops.by_ref() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // Garbage in the chain: stop at the last address we could vouch for.
            Err(_) => break,
        }
    }
    ClientAddress(client)
}

/// An empty list allows everyone.
pub(super) fn check_allowed(client: ClientAddress, allow: &[IpNet]) -> Result<(), Denied> {
    if allow.is_empty() || allow.iter().any(|net| net.contains(&client.0)) {
        Ok(())
    } else {
        Err(Denied::Forbidden(format!(
            "client address {} is not allowed",
            client.0
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn forwarded_for_counts_only_behind_trusted_proxies() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("net")];
        let cases = [
            ("192.0.2.1", Some("203.0.113.9"), "192.0.2.1"),
            ("10.0.0.1", Some("203.0.113.9"), "203.0.113.9"),
            (
                "10.0.0.1",
                Some("198.51.100.7, 203.0.113.9, 10.0.0.2"),
                "203.0.113.9",
            ),
            ("10.0.0.1", Some("not-an-ip"), "10.0.0.1"),
            ("10.0.0.1", None, "10.0.0.1"),
        ];
        for (peer, header, want) in cases {
            assert_eq!(
                client_address(ip(peer), header, &trusted),
                ClientAddress(ip(want)),
                "{peer} {header:?}"
            );
        }
    }

    #[test]
    fn allow_lists() {
        let allow: Vec<IpNet> = vec![
            "127.0.0.0/8".parse().expect("net"),
            "::1/128".parse().expect("net"),
        ];
        assert!(check_allowed(ClientAddress(ip("127.0.0.1")), &allow).is_ok());
        assert!(check_allowed(ClientAddress(ip("::1")), &allow).is_ok());
        assert!(check_allowed(ClientAddress(ip("192.0.2.1")), &allow).is_err());
        assert!(check_allowed(ClientAddress(ip("192.0.2.1")), &[]).is_ok());
    }
}
