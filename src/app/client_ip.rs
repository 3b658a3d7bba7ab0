//! The identity the per-client and auth-failure limits count against: the
//! address of a request whose credentials were refused (an authenticated
//! request counts against its tenant and key, never its address, which it
//! may share with many others: every Cloudflare Worker calling from another
//! zone, users behind a CGNAT).
//!
//! It comes from `CF-Connecting-IP`, which Cloudflare sets to the address
//! the request came from (a client cannot set it through Cloudflare; under
//! `wrangler dev` anyone can). An IPv4 address is its own bucket. An IPv6
//! address counts by its network prefix (`RATE_LIMIT_IPV6_PREFIX`, default
//! /64): one subscriber gets a whole /64, so counting single IPv6 addresses
//! would give one client 2^64 buckets. A request without the header counts
//! as [`NO_ADDRESS`], one with an unreadable one as [`UNREADABLE_ADDRESS`]:
//! each a single shared bucket.

use std::net::{IpAddr, Ipv6Addr};

/// The bucket of requests without `CF-Connecting-IP`.
pub const NO_ADDRESS: &str = "no-address";
/// The bucket of requests whose `CF-Connecting-IP` is not an IP address.
pub const UNREADABLE_ADDRESS: &str = "unreadable-address";
/// Default `RATE_LIMIT_IPV6_PREFIX`.
pub const DEFAULT_IPV6_PREFIX: u8 = 64;

/// The per-client identity of a request whose `CF-Connecting-IP` is `header`.
pub fn client_identity(header: Option<&str>, ipv6_prefix: u8) -> String {
    let Some(raw) = header.map(str::trim) else { return NO_ADDRESS.to_owned() };
    match raw.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => format!("{}/{ipv6_prefix}", network(v6, ipv6_prefix)),
        },
        Err(_) => UNREADABLE_ADDRESS.to_owned(),
    }
}

/// The first `prefix` bits of `address`.
fn network(address: Ipv6Addr, prefix: u8) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
    Ipv6Addr::from(u128::from(address) & mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_counts_by_address_and_ipv6_by_its_network() {
        assert_eq!(client_identity(Some("203.0.113.7"), 64), "203.0.113.7");
        let a = client_identity(Some("2001:db8:1:2:aaaa::1"), 64);
        let b = client_identity(Some("2001:db8:1:2:ffff:ffff:ffff:ffff"), 64);
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b, "one /64, one bucket");
        assert_ne!(a, client_identity(Some("2001:db8:1:3::1"), 64));
        assert_eq!(client_identity(Some("2001:db8:1:2::1"), 48), "2001:db8:1::/48");
        assert_eq!(client_identity(Some("2001:db8::1"), 128), "2001:db8::1/128");
        assert_eq!(client_identity(Some("::ffff:198.51.100.1"), 64), "198.51.100.1", "IPv4-mapped counts as IPv4");
    }

    #[test]
    fn missing_and_unreadable_addresses_share_named_buckets() {
        assert_eq!(client_identity(None, 64), NO_ADDRESS);
        assert_eq!(client_identity(Some("not an ip"), 64), UNREADABLE_ADDRESS);
        assert_eq!(client_identity(Some(&"9".repeat(5000)), 64), UNREADABLE_ADDRESS);
    }
}
