//! [`DenyList`]: identifiers and IPv4/IPv6 networks refused before any
//! limit is checked, inside the check's own script (no round trip added).
//!
//! Layout: one sorted set `{prefix}:rl:deny` of entries, each scored by the
//! ms it ends (`i:{identifier}`, or `4:{bits}` / `6:{bits}` for a network:
//! the first `prefix-length` bits of its address as `0`/`1` text), and one
//! set `{prefix}:rl:deny:lengths` of the prefix lengths in use (`4:24`). A
//! check sends the identifier and the client's address as bits; the script
//! builds the address's prefix at each length in use and asks for all of
//! them and the identifier in one `ZMSCORE`. So a check costs two commands
//! inside the script whatever the list holds, and a network of any length
//! matches (no linear scan, no exact-value-only match).

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;

use super::decision::RateLimitError;
use crate::config::ConfigError;
use crate::keys::check_segment;
use crate::upstash::{Command, Reply, Script, UpstashClient};
use crate::Ttl;

/// Most entries a deny list holds (live ones; ended entries are pruned on
/// every add).
pub const MAX_DENY_ENTRIES: usize = 10_000;

/// One deny-list entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DenyEntry {
    /// An identifier, matched exactly (an API key's id, a tenant, a user).
    Identifier(String),
    /// An IPv4 or IPv6 network (`203.0.113.0/24`, `2001:db8::/48`; an
    /// address alone is its /32 or /128).
    Network(IpNet),
}

impl DenyEntry {
    /// Parses a network in CIDR notation, or a bare address.
    ///
    /// # Errors
    /// [`ConfigError`] naming `ips` when `text` is neither.
    pub fn network(text: &str) -> Result<DenyEntry, ConfigError> {
        let text = text.trim();
        let net = match text.parse::<IpNet>() {
            Ok(net) => net.trunc(),
            Err(_) => match text.parse::<IpAddr>() {
                Ok(addr) => IpNet::from(addr),
                Err(_) => {
                    return Err(ConfigError::new("ips", format!("{text:?} is not an IPv4 or IPv6 address or network")))
                }
            },
        };
        Ok(DenyEntry::Network(net))
    }

    /// The sorted-set member of this entry.
    fn member(&self) -> String {
        match self {
            DenyEntry::Identifier(id) => format!("i:{id}"),
            DenyEntry::Network(net) => {
                let bits = address_bits(&net.addr());
                format!("{}:{}", family(&net.addr()), &bits[..usize::from(net.prefix_len())])
            }
        }
    }

    /// The member `member` stands for, if it is one of ours.
    fn from_member(member: &str) -> Option<DenyEntry> {
        if let Some(id) = member.strip_prefix("i:") {
            return Some(DenyEntry::Identifier(id.to_owned()));
        }
        let (family, bits) = member.split_once(':')?;
        let width = match family {
            "4" => 32,
            "6" => 128,
            _ => return None,
        };
        if bits.len() > width || !bits.bytes().all(|b| b == b'0' || b == b'1') {
            return None;
        }
        let padded = format!("{bits:0<width$}");
        let value = u128::from_str_radix(&padded, 2).ok()?;
        let addr = if width == 32 {
            IpAddr::from(std::net::Ipv4Addr::from(u32::try_from(value).ok()?))
        } else {
            IpAddr::from(std::net::Ipv6Addr::from(value))
        };
        IpNet::new(addr, u8::try_from(bits.len()).ok()?).ok().map(DenyEntry::Network)
    }
}

impl std::fmt::Display for DenyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DenyEntry::Identifier(id) => f.write_str(id),
            DenyEntry::Network(net) => write!(f, "{net}"),
        }
    }
}

fn family(addr: &IpAddr) -> char {
    if addr.is_ipv4() {
        '4'
    } else {
        '6'
    }
}

/// The address as `0`/`1` text: 32 characters for IPv4, 128 for IPv6. An
/// IPv4-mapped IPv6 address counts as its IPv4 address.
fn address_bits(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => format!("{:032b}", u32::from(*v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("{:032b}", u32::from(v4)),
            None => format!("{:0128b}", u128::from(*v6)),
        },
    }
}

/// The deny-list part of a check's arguments: the identifier's member and
/// the address as `{family}:{bits}` (`-` for either that is absent).
pub(crate) fn screen_args(identifier: Option<&str>, address: Option<&IpAddr>) -> [String; 2] {
    let member = identifier.map_or_else(|| "-".to_owned(), |id| format!("i:{id}"));
    let bits = address.map_or_else(
        || "-".to_owned(),
        |addr| {
            let addr = match addr {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(*addr, IpAddr::V4),
                v4 => *v4,
            };
            format!("{}:{}", family(&addr), address_bits(&addr))
        },
    );
    [member, bits]
}

const ADD_SCRIPT: &str = r"
-- KEYS[1] entries (member -> end ms), KEYS[2] prefix lengths in use.
-- ARGV[1] ttl ms, ARGV[2] most entries, then member, length-or-'' pairs.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ends = now + tonumber(ARGV[1])
local fresh = 0
for i = 3, #ARGV, 2 do
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then fresh = fresh + 1 end
end
if redis.call('ZCARD', KEYS[1]) + fresh > tonumber(ARGV[2]) then
  return redis.error_reply('ERR edgecache deny list: more than ' .. ARGV[2] .. ' entries')
end
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], ends, ARGV[i])
  if ARGV[i + 1] ~= '' then redis.call('SADD', KEYS[2], ARGV[i + 1]) end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local keep = tonumber(last[2]) - now
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return now
";

/// A deny list shared by every isolate: who is refused before any limit is
/// checked. Entries end by themselves (each has a TTL); at most
/// [`MAX_DENY_ENTRIES`] live at once. Check it with
/// [`Limiter::prepare_screened`](super::Limiter::prepare_screened): a match
/// refuses the call with [`Reason::DenyList`](super::Reason::DenyList)
/// inside the limits' own script.
///
/// When Redis fails, the limits answer by their failure policies and the
/// deny list is not consulted: it is enforced by Redis or not at all.
pub struct DenyList {
    client: Arc<UpstashClient>,
    key: String,
    lengths_key: String,
    add: Script,
}

impl std::fmt::Debug for DenyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenyList").field("key", &self.key).finish_non_exhaustive()
    }
}

impl DenyList {
    /// The deny list under `prefix` (1 to 64 of `A-Z a-z 0-9 _ - .`).
    ///
    /// # Errors
    /// [`ConfigError`] naming `prefix` when it is not a plain segment.
    pub fn new(client: Arc<UpstashClient>, prefix: &str) -> Result<DenyList, ConfigError> {
        check_segment("prefix", prefix)?;
        let key = format!("{prefix}:rl:deny");
        Ok(DenyList { client, lengths_key: format!("{key}:lengths"), key, add: Script::new(ADD_SCRIPT) })
    }

    /// The two keys a check declares: the entries, and the lengths in use.
    pub(crate) fn keys(&self) -> [String; 2] {
        [self.key.clone(), self.lengths_key.clone()]
    }

    /// The client the list is kept on.
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.client
    }

    /// Adds `entries` (or renews them) for `ttl`: one round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails, or refuses because the
    /// list would hold more than [`MAX_DENY_ENTRIES`] live entries (then
    /// nothing was added).
    pub async fn add(&self, entries: &[DenyEntry], ttl: Ttl) -> Result<(), RateLimitError> {
        let mut args = vec![ttl.as_millis().to_string(), MAX_DENY_ENTRIES.to_string()];
        for entry in entries {
            args.push(entry.member());
            args.push(match entry {
                DenyEntry::Identifier(_) => String::new(),
                DenyEntry::Network(net) => format!("{}:{}", family(&net.addr()), net.prefix_len()),
            });
        }
        self.client.eval(&self.add, &self.keys(), &args).await?;
        Ok(())
    }

    /// Removes `entries`: one round trip. Removing an absent entry is no error.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn remove(&self, entries: &[DenyEntry]) -> Result<(), RateLimitError> {
        if entries.is_empty() {
            return Ok(());
        }
        let command = Command::new("ZREM").arg(&self.key).args_from(entries.iter().map(DenyEntry::member));
        self.client.command(&command).await?;
        Ok(())
    }

    /// The live entries with the ms each ends, soonest first: one round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn list(&self) -> Result<Vec<(DenyEntry, u64)>, RateLimitError> {
        let now_ms = crate::clock::now_ms();
        let command = Command::new("ZRANGE")
            .arg(&self.key)
            .arg(format!("({now_ms}"))
            .arg("+inf")
            .arg("BYSCORE")
            .arg("WITHSCORES");
        let reply = self.client.command(&command).await?;
        let items = reply.into_array()?;
        let mut out = Vec::with_capacity(items.len() / 2);
        let text = |reply: &Reply| -> Result<String, RateLimitError> {
            Ok(String::from_utf8_lossy(&reply.clone().into_bytes()?.unwrap_or_default()).into_owned())
        };
        for pair in items.chunks_exact(2) {
            let member = text(&pair[0])?;
            let ends: f64 = text(&pair[1])?.parse().unwrap_or(0.0);
            if let Some(entry) = DenyEntry::from_member(&member) {
                out.push((entry, ends as u64));
            }
        }
        Ok(out)
    }
}

/// A deny-list check to run with a request's limits: the list, and who is
/// asking (either may be absent).
#[derive(Debug, Clone, Copy)]
pub struct Screen<'a> {
    /// The list.
    pub list: &'a DenyList,
    /// The identifier to look for, exactly.
    pub identifier: Option<&'a str>,
    /// The client's address, matched against the networks.
    pub address: Option<IpAddr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_prefix_bits_and_read_back() {
        let net = DenyEntry::network("203.0.113.77/24").unwrap();
        assert_eq!(net.to_string(), "203.0.113.0/24", "host bits dropped");
        assert_eq!(net.member(), format!("4:{}", &format!("{:032b}", 0xCB00_7100u32)[..24]));
        assert_eq!(DenyEntry::from_member(&net.member()), Some(net));
        let v6 = DenyEntry::network("2001:db8::/48").unwrap();
        assert_eq!(v6.member().len(), 2 + 48);
        assert_eq!(DenyEntry::from_member(&v6.member()), Some(v6));
        let host = DenyEntry::network("2001:db8::1").unwrap();
        assert_eq!(host.to_string(), "2001:db8::1/128");
        assert_eq!(DenyEntry::from_member("i:acme"), Some(DenyEntry::Identifier("acme".into())));
        assert!(DenyEntry::network("10.0.0.0/33").is_err());
        assert!(DenyEntry::network("not an ip").is_err());
        assert_eq!(DenyEntry::from_member("4:012"), None);
    }

    #[test]
    fn an_address_matches_a_network_by_its_prefix_bits() {
        let [_, bits] = screen_args(None, Some(&"203.0.113.9".parse().unwrap()));
        let entry = DenyEntry::network("203.0.113.0/24").unwrap().member();
        let (family, prefix) = entry.split_once(':').unwrap();
        assert!(bits.starts_with(&format!("{family}:{prefix}")));
        // An IPv4-mapped IPv6 address is its IPv4 address.
        let [_, mapped] = screen_args(None, Some(&"::ffff:203.0.113.9".parse().unwrap()));
        assert_eq!(mapped, bits);
        assert_eq!(screen_args(Some("k1"), None), ["i:k1".to_owned(), "-".to_owned()]);
    }
}
