//! Tenant API keys that check themselves: their format, the secret that
//! signs them, and the digest they are stored as.
//!
//! An API key is `ek1_{id}_{body}`, where `id` is its public id (16 hex
//! digits) and `body` is base64url of 32 random bytes and a 16-byte
//! HMAC-SHA256 tag over the id and those bytes, under a server secret
//! ([`ApiKeySigner`]). A forged or mistyped key fails the tag and is refused
//! before any I/O: no cache read, no D1 read, no quota spent. A key that
//! passes is then looked up (through the cache) to learn its tenant and
//! whether it was revoked.
//!
//! The tag is compared in constant time (`subtle`), and a key is stored
//! only as its SHA-256 digest ([`key_digest`]). Keys made before keys
//! carried a tag (`ek_`, [`LEGACY_API_KEY_PREFIX`]) are recognised only by
//! their shape ([`looks_like_legacy_api_key`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::sha256;
use crate::app::error::ApiError;
use crate::config::ConfigError;

/// Shortest `API_KEY_SECRET` accepted.
pub const MIN_API_KEY_SECRET_LEN: usize = 32;
/// What every API key starts with, so a leaked one is recognisable.
pub const API_KEY_PREFIX: &str = "ek1_";
/// The prefix of the keys made before keys carried a tag (`ek_` and 43
/// base64url characters): accepted only with `API_KEY_ACCEPT_LEGACY=true`.
pub const LEGACY_API_KEY_PREFIX: &str = "ek_";
/// Bytes of a key's public id.
const ID_BYTES: usize = 8;
/// Random bytes in an API key (256 bits).
const RANDOM_BYTES: usize = 32;
/// Bytes of a key's tag (128 bits of HMAC-SHA256).
const TAG_BYTES: usize = 16;
/// Length of a key: prefix, 16 hex digits, `_`, base64url of random and tag.
const API_KEY_LEN: usize = API_KEY_PREFIX.len() + 2 * ID_BYTES + 1 + (RANDOM_BYTES + TAG_BYTES) / 3 * 4;
/// Length of a legacy key.
const LEGACY_API_KEY_LEN: usize = LEGACY_API_KEY_PREFIX.len() + 43;

/// Domain separation of the tag key: from `API_KEY_SECRET`.
const SECRET_LABEL: &[u8] = b"edgecache/api-key-mac/v1";
/// Domain separation of the tag key: derived from `ADMIN_TOKEN` when
/// `API_KEY_SECRET` is not set (a different label, so the two never
/// coincide, and the tag key reveals nothing of the admin token).
const DERIVED_LABEL: &[u8] = b"edgecache/api-key-mac/v1/derived-from-ADMIN_TOKEN";

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The SHA-256 of an API key, in hex: what D1 stores and the cache keys on.
pub fn key_digest(key: &str) -> String {
    sha256(key).iter().map(|b| format!("{b:02x}")).collect()
}

/// True when `token` has the shape of a legacy (`ek_`) API key.
pub fn looks_like_legacy_api_key(token: &str) -> bool {
    token.len() == LEGACY_API_KEY_LEN
        && token.strip_prefix(LEGACY_API_KEY_PREFIX).is_some_and(|rest| rest.bytes().all(is_base64url))
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Signs and checks API keys: the HMAC-SHA256 key of their tags, from
/// `API_KEY_SECRET`, or (when that is unset) derived from `ADMIN_TOKEN`.
/// `Debug` shows nothing.
#[derive(Clone)]
pub struct ApiKeySigner {
    key: [u8; 32],
    derived: bool,
}

impl std::fmt::Debug for ApiKeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeySigner").field("key", &"<redacted>").field("derived", &self.derived).finish()
    }
}

/// What a key's tag says of a token that starts like an API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyCheck {
    /// A key this server signed, with its id: look it up.
    Signed {
        /// The key's public id.
        id: String,
    },
    /// Not a key this server signed (forged, mistyped, truncated, or
    /// signed under another secret).
    Forged,
}

impl ApiKeySigner {
    /// The signer of `API_KEY_SECRET`.
    ///
    /// # Errors
    /// [`ConfigError`] naming `API_KEY_SECRET` (never its value) when it is
    /// shorter than 32 characters or holds anything but printable ASCII.
    pub fn from_secret(raw: &str) -> Result<Self, ConfigError> {
        super::check_secret("API_KEY_SECRET", raw, MIN_API_KEY_SECRET_LEN)?;
        Ok(ApiKeySigner { key: hmac(raw.as_bytes(), &[SECRET_LABEL]), derived: false })
    }

    /// The signer derived from the admin token (already checked by
    /// [`AdminToken::parse`](super::AdminToken::parse)): `HMAC-SHA256(ADMIN_TOKEN, label)`, under a
    /// label of its own. Rotating the admin token then invalidates every key.
    pub fn derived_from_admin_token(admin_token: &str) -> Self {
        ApiKeySigner { key: hmac(admin_token.as_bytes(), &[DERIVED_LABEL]), derived: true }
    }

    /// True when derived from `ADMIN_TOKEN` (no `API_KEY_SECRET`).
    pub fn is_derived(&self) -> bool {
        self.derived
    }

    fn tag(&self, id: &str, random: &[u8]) -> [u8; TAG_BYTES] {
        let full = hmac(&self.key, &[b"ek1\0", id.as_bytes(), b"\0", random]);
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }

    /// A new key from the platform's CSPRNG (`crypto.getRandomValues` on Workers).
    ///
    /// # Errors
    /// 500 when the platform has no randomness to give.
    pub fn issue(&self) -> Result<NewApiKey, ApiError> {
        let mut bytes = [0u8; ID_BYTES + RANDOM_BYTES];
        getrandom::getrandom(&mut bytes).map_err(ApiError::internal)?;
        Ok(self.issue_from(&bytes))
    }

    /// The key made of `bytes` (its id, then its random part).
    pub fn issue_from(&self, bytes: &[u8; ID_BYTES + RANDOM_BYTES]) -> NewApiKey {
        let id: String = bytes[..ID_BYTES].iter().map(|b| format!("{b:02x}")).collect();
        let random = &bytes[ID_BYTES..];
        let mut body = Vec::with_capacity(RANDOM_BYTES + TAG_BYTES);
        body.extend_from_slice(random);
        body.extend_from_slice(&self.tag(&id, random));
        let key = format!("{API_KEY_PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(&body));
        NewApiKey { digest: key_digest(&key), id, key }
    }

    /// Checks the tag of `token`, a token that starts with [`API_KEY_PREFIX`]
    /// (constant time in the tag; no I/O).
    pub fn check(&self, token: &str) -> KeyCheck {
        if token.len() != API_KEY_LEN || !token.is_ascii() || !token.starts_with(API_KEY_PREFIX) {
            return KeyCheck::Forged;
        }
        let rest = &token[API_KEY_PREFIX.len()..];
        let (id, body) = rest.split_at(2 * ID_BYTES);
        let Some(body) = body.strip_prefix('_') else { return KeyCheck::Forged };
        if !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return KeyCheck::Forged;
        }
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(body) else { return KeyCheck::Forged };
        if bytes.len() != RANDOM_BYTES + TAG_BYTES {
            return KeyCheck::Forged;
        }
        let (random, tag) = bytes.split_at(RANDOM_BYTES);
        if bool::from(self.tag(id, random).ct_eq(tag)) {
            KeyCheck::Signed { id: id.to_owned() }
        } else {
            KeyCheck::Forged
        }
    }
}

/// A new API key: shown once, stored as its digest.
#[derive(Debug)]
pub struct NewApiKey {
    /// Its public id (16 hex digits, also inside the key): how it is listed and revoked.
    pub id: String,
    /// The key itself: `ek1_{id}_` and 64 base64url characters.
    pub key: String,
    /// [`key_digest`] of the key.
    pub digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADMIN: &str = "correct-horse-battery-staple-0123456789";

    fn signer() -> ApiKeySigner {
        ApiKeySigner::from_secret("a-secret-of-at-least-thirty-two-characters").unwrap()
    }

    #[test]
    fn keys_carry_their_id_and_a_tag_that_only_the_secret_makes() {
        let signer = signer();
        let a = signer.issue().unwrap();
        let b = signer.issue().unwrap();
        assert_ne!(a.key, b.key);
        assert_eq!(a.key.len(), API_KEY_LEN);
        assert!(a.key.starts_with(&format!("ek1_{}_", a.id)), "{}", a.key);
        assert_eq!((a.id.len(), a.digest.len()), (16, 64));
        assert_eq!(a.digest, key_digest(&a.key));
        assert_eq!(signer.check(&a.key), KeyCheck::Signed { id: a.id.clone() });
        // Another secret, or the admin-derived one, did not sign it.
        let other = ApiKeySigner::from_secret("another-secret-of-thirty-two-characters!").unwrap();
        assert_eq!(other.check(&a.key), KeyCheck::Forged);
        assert_eq!(ApiKeySigner::derived_from_admin_token(ADMIN).check(&a.key), KeyCheck::Forged);
        // Every single-character change is caught: id, random part or tag.
        for at in API_KEY_PREFIX.len()..a.key.len() {
            let mut bytes = a.key.clone().into_bytes();
            bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
            let mistyped = String::from_utf8(bytes).unwrap();
            assert_eq!(signer.check(&mistyped), KeyCheck::Forged, "changed at {at}: {mistyped}");
        }
        assert_eq!(signer.check(&a.key[..a.key.len() - 1]), KeyCheck::Forged);
        assert_eq!(signer.check(&format!("{}A", a.key)), KeyCheck::Forged);
    }

    #[test]
    fn the_two_ways_of_getting_a_tag_key_are_separated() {
        // The same text as API_KEY_SECRET and as ADMIN_TOKEN gives different tag keys.
        let from_secret = ApiKeySigner::from_secret(ADMIN).unwrap();
        let derived = ApiKeySigner::derived_from_admin_token(ADMIN);
        assert!(derived.is_derived() && !from_secret.is_derived());
        let key = from_secret.issue_from(&[7; 40]);
        assert_eq!(derived.check(&key.key), KeyCheck::Forged);
        assert_eq!(from_secret.issue_from(&[7; 40]).key, key.key, "deterministic in its bytes");
        assert!(!format!("{derived:?}").contains(&format!("{:?}", derived.key)));
        let short = ApiKeySigner::from_secret("S3CRET").unwrap_err();
        assert_eq!(short.variable, "API_KEY_SECRET");
        assert!(!short.to_string().contains("S3CRET"));
    }
}
