//! Who a request is, and what it may do: the admin token, tenant API keys,
//! and the rules between them.
//!
//! Credentials come as `Authorization: Bearer <token>`. The admin token
//! (`ADMIN_TOKEN`, at least 32 characters) may do everything. A tenant API
//! key may read its own tenant's routes and write its own conversation
//! configs; policies are written by the admin only.
//!
//! A token is identified without I/O ([`identify`]): one that starts like
//! an API key is checked by its tag ([`api_key`], the key format and its
//! signer), and only a key that passes is then looked up (through the
//! cache) to learn its tenant ([`ApiKeyRecord`]) and whether it was revoked.
//!
//! The admin token is compared in constant time, as SHA-256 digests, so
//! neither the content nor the length of a guess leaks through timing.
//!
//! Status codes follow RFC 6750: no credentials (or not as a bearer token)
//! is 401 `WWW-Authenticate: Bearer`; a token that is not valid (wrong,
//! forged, unknown, revoked) is 401 `Bearer error="invalid_token"`; a valid
//! credential outside its scope is 403 `Bearer error="insufficient_scope"`.

pub mod api_key;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use self::api_key::{looks_like_legacy_api_key, ApiKeySigner, KeyCheck, API_KEY_PREFIX, LEGACY_API_KEY_PREFIX};
use super::error::ApiError;
use super::routes::TenantRoute;
use crate::config::ConfigError;

/// Shortest admin token accepted: 32 characters (`openssl rand -base64 32`
/// gives 44).
pub const MIN_ADMIN_TOKEN_LEN: usize = 32;

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

/// Checks that `raw`, the value of the secret `variable`, is at least
/// `min_len` printable ASCII characters without spaces (the shape of a
/// random secret); the error names the variable, never the value.
pub(super) fn check_secret(variable: &str, raw: &str, min_len: usize) -> Result<(), ConfigError> {
    if raw.len() < min_len || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(
            variable,
            format!(
                "must be at least {min_len} printable ASCII characters without spaces, \
                 random (e.g. `openssl rand -base64 32`)"
            ),
        ));
    }
    Ok(())
}

impl AdminToken {
    /// The token `ADMIN_TOKEN` holds.
    ///
    /// # Errors
    /// [`ConfigError`] naming `ADMIN_TOKEN` (never its value) when it is
    /// shorter than 32 characters, holds anything but printable ASCII, or
    /// starts like an API key.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        check_secret("ADMIN_TOKEN", raw, MIN_ADMIN_TOKEN_LEN)?;
        if raw.starts_with(LEGACY_API_KEY_PREFIX) || raw.starts_with(API_KEY_PREFIX) {
            return Err(ConfigError::new("ADMIN_TOKEN", "must not start with ek_ or ek1_ (API keys do)"));
        }
        Ok(AdminToken { digest: sha256(raw) })
    }

    /// True when `presented` is the token (constant time).
    pub fn matches(&self, presented: &str) -> bool {
        bool::from(sha256(presented).ct_eq(&self.digest))
    }
}

/// The SHA-256 of `text`: the admin token's digest, and (in hex) an API
/// key's ([`api_key::key_digest`]).
fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The bearer token of an `Authorization` header.
///
/// # Errors
/// 401 (`WWW-Authenticate: Bearer`) without the header, with another
/// scheme, or without a token.
pub fn bearer(header: Option<&str>) -> Result<&str, ApiError> {
    let header =
        header.ok_or_else(|| ApiError::unauthorized("missing credentials: send Authorization: Bearer <token>"))?;
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::unauthorized("malformed Authorization header: expected Bearer <token>")),
    }
}

/// What a bearer token turned out to be, decided without I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// The admin token.
    Admin,
    /// An API key to look up: signed by this server (`id` known), or a
    /// legacy key (`id` learnt from its record) when those are accepted.
    Key {
        /// The key's id, when the key carries it.
        id: Option<String>,
    },
    /// Refused.
    Refused(Failure),
}

/// Why credentials were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Neither the admin token nor shaped like an API key: a guess at the
    /// admin token, counted against the address.
    WrongToken,
    /// Starts like an API key but this server did not sign it: refused
    /// without any I/O, and not counted (its tag cannot be guessed, and
    /// counting it would cost the only I/O it causes).
    ForgedKey,
    /// A legacy `ek_` key while `API_KEY_ACCEPT_LEGACY` is off: refused
    /// without any I/O.
    LegacyKey,
    /// A key this server signed that is unknown or revoked: it cost a
    /// lookup, and is counted against the address.
    UnknownKey {
        /// The key's id, when the key carries it.
        id: Option<String>,
    },
}

impl Failure {
    /// True when the failure is counted against its address (the per-client
    /// and the auth-failure limits): the failures that guess at a secret
    /// without an offline check, or that cost a lookup.
    pub fn counted(&self) -> bool {
        matches!(self, Failure::WrongToken | Failure::UnknownKey { .. })
    }

    /// What the log says of it (never the token).
    pub fn describe(&self) -> String {
        match self {
            Failure::WrongToken => "a wrong token".to_owned(),
            Failure::ForgedKey => "an API key this server did not sign".to_owned(),
            Failure::LegacyKey => "a legacy ek_ API key (API_KEY_ACCEPT_LEGACY is off)".to_owned(),
            Failure::UnknownKey { id: Some(id) } => format!("unknown or revoked API key {id}"),
            Failure::UnknownKey { id: None } => "an unknown or revoked legacy API key".to_owned(),
        }
    }

    /// The answer: 401 `Bearer error="invalid_token"`.
    pub fn error(&self) -> ApiError {
        match self {
            Failure::WrongToken => ApiError::invalid_token("invalid credentials"),
            Failure::ForgedKey => ApiError::invalid_token("invalid API key"),
            Failure::LegacyKey => ApiError::invalid_token(
                "this API key has the legacy ek_ format, which this worker no longer accepts: ask for a new key",
            ),
            Failure::UnknownKey { .. } => ApiError::invalid_token("unknown or revoked API key"),
        }
    }
}

/// What `token` is, without I/O: a token that starts like an API key is
/// only ever checked as one (never against the admin token, so guesses at
/// the admin token cannot hide among key-shaped tokens).
pub fn identify(token: &str, admin: &AdminToken, signer: &ApiKeySigner, accept_legacy: bool) -> Presented {
    if token.starts_with(API_KEY_PREFIX) {
        return match signer.check(token) {
            KeyCheck::Signed { id } => Presented::Key { id: Some(id) },
            KeyCheck::Forged => Presented::Refused(Failure::ForgedKey),
        };
    }
    if token.starts_with(LEGACY_API_KEY_PREFIX) {
        return match (looks_like_legacy_api_key(token), accept_legacy) {
            (true, true) => Presented::Key { id: None },
            (true, false) => Presented::Refused(Failure::LegacyKey),
            (false, _) => Presented::Refused(Failure::ForgedKey),
        };
    }
    if admin.matches(token) {
        Presented::Admin
    } else {
        Presented::Refused(Failure::WrongToken)
    }
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
    /// 403 `insufficient_scope` for another tenant's data, or an admin-only route.
    pub fn authorize(&self, route: &TenantRoute) -> Result<(), ApiError> {
        match self {
            Principal::Admin => Ok(()),
            Principal::Tenant { tenant, .. } if tenant != route.tenant() => {
                Err(ApiError::insufficient_scope("this API key belongs to another tenant"))
            }
            Principal::Tenant { .. } if route.admin_only() => {
                Err(ApiError::insufficient_scope("policies are written with the admin token"))
            }
            Principal::Tenant { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "correct-horse-battery-staple-0123456789";

    fn signer() -> ApiKeySigner {
        ApiKeySigner::from_secret("a-secret-of-at-least-thirty-two-characters").unwrap()
    }

    #[test]
    fn the_admin_token_matches_only_itself_and_never_shows() {
        let token = AdminToken::parse(ADMIN).unwrap();
        assert!(token.matches(ADMIN));
        assert!(!token.matches("correct-horse-battery-staple-012345678X"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "AdminToken(<redacted>)");
        let short = AdminToken::parse("S3CRET-of-sixteen-plus-chars").unwrap_err();
        assert_eq!(short.variable, "ADMIN_TOKEN");
        assert!(short.message.contains("32"), "{short}");
        assert!(!short.to_string().contains("S3CRET"));
        assert!(AdminToken::parse("has spaces in the token, long enough to pass").is_err());
        assert!(AdminToken::parse(&format!("ek_{}", "x".repeat(40))).is_err(), "shaped like a key");
        assert!(AdminToken::parse(&"x".repeat(32)).is_ok(), "32 is enough");
    }

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(Some("bearer  abc ")), Ok("abc"));
        for missing in [None, Some("Basic abc"), Some("Bearer "), Some("Bearer")] {
            let error = bearer(missing).unwrap_err();
            assert_eq!((error.status, error.headers[0].1.as_str()), (401, "Bearer"), "{missing:?}");
        }
    }

    #[test]
    fn tokens_are_identified_without_io() {
        let admin = AdminToken::parse(ADMIN).unwrap();
        let signer = signer();
        let key = signer.issue().unwrap();
        let legacy = format!("ek_{}", "A".repeat(43));
        assert_eq!(identify(ADMIN, &admin, &signer, false), Presented::Admin);
        assert_eq!(identify(&key.key, &admin, &signer, false), Presented::Key { id: Some(key.id) });
        assert_eq!(identify("nope-nope-nope", &admin, &signer, false), Presented::Refused(Failure::WrongToken));
        assert_eq!(
            identify(&format!("ek1_{}", "0".repeat(81)), &admin, &signer, false),
            Presented::Refused(Failure::ForgedKey)
        );
        assert_eq!(identify(&legacy, &admin, &signer, false), Presented::Refused(Failure::LegacyKey));
        assert_eq!(identify(&legacy, &admin, &signer, true), Presented::Key { id: None });
        assert_eq!(identify("ek_short", &admin, &signer, true), Presented::Refused(Failure::ForgedKey));
        assert!(Failure::WrongToken.counted() && Failure::UnknownKey { id: None }.counted());
        assert!(!Failure::ForgedKey.counted() && !Failure::LegacyKey.counted());
        for failure in [Failure::WrongToken, Failure::ForgedKey, Failure::LegacyKey, Failure::UnknownKey { id: None }] {
            let error = failure.error();
            assert_eq!((error.status, error.code), (401, "invalid_token"), "{failure:?}");
        }
    }

    #[test]
    fn a_tenant_key_reaches_its_own_tenant_and_never_writes_policies() {
        let key = Principal::Tenant { tenant: "acme".into(), key_id: "k".into() };
        let config = TenantRoute::PutConfig { tenant: "acme".into(), user: Some("u".into()) };
        assert!(key.authorize(&config).is_ok());
        assert!(key.authorize(&TenantRoute::GetPolicy { tenant: "acme".into() }).is_ok());
        let other = key.authorize(&TenantRoute::GetPolicy { tenant: "other".into() }).unwrap_err();
        assert_eq!((other.status, other.code), (403, "insufficient_scope"));
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
