//! Who a request is, and what it may do: the admin token, tenant API keys,
//! and the rules between them.
//!
//! Credentials come as `Authorization: Bearer <token>`. The admin token
//! (`ADMIN_TOKEN`) may do everything. A tenant API key may read its own
//! tenant's routes and write its own conversation configs; policies are
//! written by the admin only. Secrets are compared as SHA-256 digests in
//! constant time (equal-length inputs, so neither the content nor the
//! length of a guess leaks through timing), and an API key is stored only
//! as its digest.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use super::routes::TenantRoute;
use crate::config::ConfigError;

/// Shortest admin token accepted.
pub const MIN_ADMIN_TOKEN_LEN: usize = 16;
/// What every API key starts with, so a leaked one is recognisable.
pub const API_KEY_PREFIX: &str = "ek_";
/// Random bytes in an API key (256 bits).
const API_KEY_BYTES: usize = 32;

/// The admin token, kept only as its SHA-256 digest; `Debug` shows nothing.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// The token `ADMIN_TOKEN` holds.
    ///
    /// # Errors
    /// [`ConfigError`] naming `ADMIN_TOKEN` (never its value) when it is
    /// shorter than 16 characters or holds anything but printable ASCII.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        if raw.len() < MIN_ADMIN_TOKEN_LEN || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::new(
                "ADMIN_TOKEN",
                format!("must be at least {MIN_ADMIN_TOKEN_LEN} printable ASCII characters without spaces"),
            ));
        }
        Ok(AdminToken { digest: sha256(raw) })
    }

    /// True when `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(sha256(presented).ct_eq(&self.digest))
    }
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The SHA-256 of an API key, in hex: what D1 stores and the cache keys on.
pub fn key_digest(key: &str) -> String {
    sha256(key).iter().map(|b| format!("{b:02x}")).collect()
}

/// The bearer token of an `Authorization` header.
///
/// # Errors
/// 401 without the header, or with another scheme.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let header =
        header.ok_or_else(|| ApiError::unauthorized("missing credentials: send Authorization: Bearer <token>"))?;
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthorized("malformed Authorization header: expected Bearer <token>")),
    }
}

/// True when `token` has the shape of an API key (so tokens that cannot be
/// one are refused without any lookup).
pub fn looks_like_api_key(token: &str) -> bool {
    token.strip_prefix(API_KEY_PREFIX).is_some_and(|rest| {
        rest.len() == URL_SAFE_NO_PAD.encode([0u8; API_KEY_BYTES]).len()
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// A new API key: shown once, stored as its digest.
#[derive(Debug)]
pub struct NewApiKey {
    /// Its public id (16 hex digits): how it is listed and revoked.
    pub id: String,
    /// The key itself: `ek_` and 43 base64url characters (256 random bits).
    pub key: String,
    /// [`key_digest`] of the key.
    pub digest: String,
}

/// A key from the platform's CSPRNG (`crypto.getRandomValues` on Workers).
///
/// # Errors
/// 500 when the platform has no randomness to give.
pub fn new_api_key() -> Result<NewApiKey, ApiError> {
    let mut bytes = [0u8; API_KEY_BYTES + 8];
    getrandom::getrandom(&mut bytes).map_err(ApiError::internal)?;
    let key = format!("{API_KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(&bytes[..API_KEY_BYTES]));
    let id = bytes[API_KEY_BYTES..].iter().map(|b| format!("{b:02x}")).collect();
    Ok(NewApiKey { id, digest: key_digest(&key), key })
}

/// What a valid API key stands for; cached under `auth:validation:{digest}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    /// The key's public id.
    pub id: String,
    /// The tenant it acts for.
    pub tenant_id: String,
    /// When it was created, in ms since the Unix epoch.
    pub created_at_ms: u64,
}

/// The text a cached [`ApiKeyRecord`] of `tenant` holds, byte for byte:
/// `"tenantId":"{tenant}"`. The cache stores the record's compact JSON
/// verbatim inside its entry, and tenant ids are plain segments (nothing to
/// escape), so the per-tenant limit can be guarded on it
/// ([`Guard`](crate::ratelimit::Guard)): Redis spends a tenant's quota only
/// for a key whose cached validation names that tenant.
pub fn record_names_tenant(tenant: &str) -> String {
    format!("\"tenantId\":\"{tenant}\"")
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The admin token: everything.
    Admin,
    /// A tenant's API key.
    Tenant {
        /// The tenant.
        tenant: String,
        /// The key's id.
        key_id: String,
    },
}

impl Principal {
    /// Whether this principal may call `route`.
    ///
    /// # Errors
    /// 403 for another tenant's data, or an admin-only route.
    pub fn authorize(&self, route: &TenantRoute) -> Result<(), ApiError> {
        match self {
            Principal::Admin => Ok(()),
            Principal::Tenant { tenant, .. } if tenant != route.tenant() => {
                Err(ApiError::forbidden("this API key belongs to another tenant"))
            }
            Principal::Tenant { .. } if route.admin_only() => {
                Err(ApiError::forbidden("policies are written with the admin token"))
            }
            Principal::Tenant { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_matches_only_itself_and_never_shows() {
        let token = AdminToken::parse("correct-horse-battery").unwrap();
        assert!(token.matches("correct-horse-battery"));
        assert!(!token.matches("correct-horse-batterz"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
        let short = AdminToken::parse("S3CRET").unwrap_err();
        assert_eq!(short.variable, "ADMIN_TOKEN");
        assert!(!short.to_string().contains("S3CRET"));
        assert!(AdminToken::parse("has spaces in the token").is_err());
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Ok("abc"));
        assert_eq!(bearer(None).unwrap_err().status, 401);
        assert_eq!(bearer(Some("Basic abc")).unwrap_err().status, 401);
        assert_eq!(bearer(Some("Bearer ")).unwrap_err().status, 401);
    }

    #[test]
    fn api_keys_are_random_recognisable_and_stored_as_digests() {
        let a = new_api_key().unwrap();
        let b = new_api_key().unwrap();
        assert_ne!(a.key, b.key);
        assert!(looks_like_api_key(&a.key), "{}", a.key);
        assert!(!looks_like_api_key("ek_short") && !looks_like_api_key(&a.key[1..]));
        assert_eq!((a.id.len(), a.digest.len()), (16, 64));
        assert_eq!(a.digest, key_digest(&a.key));
        assert!(!a.digest.contains(&a.key));
    }

    #[test]
    fn a_tenant_key_reaches_its_own_tenant_and_never_writes_policies() {
        let key = Principal::Tenant { tenant: "acme".into(), key_id: "k".into() };
        let config = TenantRoute::PutConfig { tenant: "acme".into(), user: Some("u".into()) };
        assert!(key.authorize(&config).is_ok());
        assert!(key.authorize(&TenantRoute::GetPolicy { tenant: "acme".into() }).is_ok());
        assert_eq!(key.authorize(&TenantRoute::GetPolicy { tenant: "other".into() }).unwrap_err().status, 403);
        assert_eq!(key.authorize(&TenantRoute::PutPolicy { tenant: "acme".into() }).unwrap_err().status, 403);
        assert!(Principal::Admin.authorize(&TenantRoute::PutPolicy { tenant: "acme".into() }).is_ok());
    }

    #[test]
    fn a_record_holds_its_tenant_marker_and_no_other_tenants() {
        let record = ApiKeyRecord { id: "k1".into(), tenant_id: "acme".into(), created_at_ms: 1 };
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains(&record_names_tenant("acme")), "{json}");
        assert!(!json.contains(&record_names_tenant("acm")) && !json.contains(&record_names_tenant("acme2")));
    }
}
