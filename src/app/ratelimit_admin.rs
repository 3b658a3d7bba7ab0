//! The bodies of the rate-limit admin routes (overrides, the deny list),
//! checked before anything changes: an invalid body is a 400.

use std::num::NonZeroU64;
use std::time::Duration;

use serde::Deserialize;

use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::error::ApiError;
use crate::config::MAX_TTL_SECS;
use crate::ratelimit::{DenyEntry, LimitSpec};
use crate::Ttl;

/// Most deny-list entries one call adds or removes.
pub const MAX_DENY_ITEMS: usize = 1_000;
/// Longest deny-list identifier.
pub const MAX_IDENTIFIER_LEN: usize = 128;

/// `PUT .../override`: `{"limit": n, "windowSecs": s}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OverrideBody {
    limit: u64,
    window_secs: u64,
}

/// Parses an override: `limit` 1 to 2^32 - 1, `windowSecs` 1 to 30 days
/// (the limiter then checks what its algorithm can hold).
///
/// # Errors
/// 400 (or 413) naming what is wrong.
pub fn parse_override(body: &[u8]) -> Result<LimitSpec, ApiError> {
    let body: OverrideBody = parse_json_object(body, MAX_BODY_BYTES, "override")?;
    let limit = NonZeroU64::new(body.limit)
        .filter(|n| n.get() <= u64::from(u32::MAX))
        .ok_or_else(|| ApiError::bad_request(format!("limit must be 1 to {}", u32::MAX)))?;
    if body.window_secs == 0 || body.window_secs > 30 * 86_400 {
        return Err(ApiError::bad_request("windowSecs must be 1 to 2592000 (30 days)"));
    }
    Ok(LimitSpec::per_window(limit, Duration::from_secs(body.window_secs)).expect("whole seconds"))
}

/// `POST|DELETE /admin/ratelimit/deny`: `{"ips"?: [...], "identifiers"?: [...], "ttlSecs": n}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DenyBody {
    #[serde(default)]
    ips: Vec<String>,
    #[serde(default)]
    identifiers: Vec<String>,
    ttl_secs: Option<u64>,
}

/// What a deny-list call names: its entries, and for an add their TTL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyChange {
    /// The entries, networks first.
    pub entries: Vec<DenyEntry>,
    /// How long added entries last (`None` for a removal).
    pub ttl: Option<Ttl>,
}

/// Parses a deny-list change: 1 to 1000 entries in all; networks as CIDR or
/// bare addresses; identifiers 1 to 128 printable characters; `ttlSecs`
/// (1 s to 1 year) required to add and refused to remove.
///
/// # Errors
/// 400 (or 413) naming what is wrong.
pub fn parse_deny(body: &[u8], adding: bool) -> Result<DenyChange, ApiError> {
    let body: DenyBody = parse_json_object(body, MAX_BODY_BYTES, "deny list change")?;
    let count = body.ips.len() + body.identifiers.len();
    if count == 0 || count > MAX_DENY_ITEMS {
        return Err(ApiError::bad_request(format!(
            "give 1 to {MAX_DENY_ITEMS} ips and identifiers in all, got {count}"
        )));
    }
    let mut entries = Vec::with_capacity(count);
    for ip in &body.ips {
        entries.push(DenyEntry::network(ip).map_err(|e| ApiError::bad_request(e.message))?);
    }
    for identifier in body.identifiers {
        let printable = !identifier.is_empty()
            && identifier.len() <= MAX_IDENTIFIER_LEN
            && !identifier.chars().any(char::is_control);
        if !printable {
            return Err(ApiError::bad_request(format!(
                "identifiers must be 1 to {MAX_IDENTIFIER_LEN} printable characters"
            )));
        }
        entries.push(DenyEntry::Identifier(identifier));
    }
    let ttl = match (adding, body.ttl_secs) {
        (true, Some(secs)) if (1..=MAX_TTL_SECS).contains(&secs) => Some(Ttl::secs(secs)),
        (true, _) => return Err(ApiError::bad_request(format!("ttlSecs must be 1 to {MAX_TTL_SECS}"))),
        (false, None) => None,
        (false, Some(_)) => return Err(ApiError::bad_request("ttlSecs is for adding entries, not removing them")),
    };
    Ok(DenyChange { entries, ttl })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_are_checked() {
        assert_eq!(parse_override(br#"{"limit":5,"windowSecs":60}"#).unwrap().window_ms(), 60_000);
        for bad in [
            &br#"{"limit":0,"windowSecs":60}"#[..],
            br#"{"limit":5,"windowSecs":0}"#,
            br#"{"limit":5}"#,
            br#"{"limit":5,"windowSecs":60,"burst":1}"#,
            br#"{"limit":-1,"windowSecs":60}"#,
        ] {
            assert_eq!(parse_override(bad).unwrap_err().status, 400, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn deny_changes_are_checked() {
        let add = parse_deny(br#"{"ips":["203.0.113.0/24","2001:db8::/48"],"identifiers":["k1"],"ttlSecs":60}"#, true)
            .unwrap();
        assert_eq!(add.entries.len(), 3);
        assert_eq!(add.ttl, Some(Ttl::secs(60)));
        assert!(parse_deny(br#"{"ips":["203.0.113.0/24"]}"#, false).unwrap().ttl.is_none());
        for (bad, adding) in [
            (&br#"{"ips":["nope"],"ttlSecs":60}"#[..], true),
            (br#"{"ips":[],"ttlSecs":60}"#, true),
            (br#"{"identifiers":["k1"]}"#, true),
            (br#"{"identifiers":["k1"],"ttlSecs":60}"#, false),
            (br#"{"identifiers":[""],"ttlSecs":60}"#, true),
            (br#"{"ips":["10.0.0.0/8"],"ttlSecs":60,"x":1}"#, true),
        ] {
            assert_eq!(parse_deny(bad, adding).unwrap_err().status, 400, "{}", String::from_utf8_lossy(bad));
        }
    }
}
