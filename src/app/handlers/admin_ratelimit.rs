//! `GET|DELETE /admin/ratelimit/{client|auth|tenant|key}/{identifier}`: look
//! up what an identifier has left, or reset it.
//!
//! A client identifier (of the `client` and `auth` limits, which count
//! failed credentials by address) may be given as any address: it is
//! counted where those limits count it (an IPv6 address by its network
//! prefix), and the answer says which bucket that is. A key is named by its id.

use serde_json::json;
use worker::Response;

use super::RequestContext;
use crate::app::client_ip::{client_identity, NO_ADDRESS, UNREADABLE_ADDRESS};
use crate::app::error::ApiError;
use crate::app::respond::json;
use crate::app::routes::{id, LimiterName};
use crate::ratelimit::Limiter;

/// `{"limiter", "identifier", "limit", "remaining", "resetMs", "retryAfterMs"}`,
/// without spending anything.
///
/// # Errors
/// 404 when rate limiting is off; 400 for an identifier the limit cannot
/// count; 503 when Redis does not answer.
pub async fn get(rc: &RequestContext, name: LimiterName, raw: &str) -> Result<Response, ApiError> {
    let (limiter, identifier) = limiter_and_identifier(rc, name, raw)?;
    let decision = limiter.get_remaining(&identifier).await?;
    json(
        &json!({
            "limiter": name.as_str(),
            "identifier": identifier,
            "limit": decision.limit,
            "remaining": decision.remaining,
            "resetMs": decision.reset_ms,
            "retryAfterMs": decision.retry_after_ms,
        }),
        200,
    )
}

/// Forgets the identifier's use of the limit: `{"reset": true, ...}`.
///
/// # Errors
/// As [`get`].
pub async fn reset(rc: &RequestContext, name: LimiterName, raw: &str) -> Result<Response, ApiError> {
    let (limiter, identifier) = limiter_and_identifier(rc, name, raw)?;
    limiter.reset(&identifier).await?;
    json(&json!({ "reset": true, "limiter": name.as_str(), "identifier": identifier }), 200)
}

fn limiter_and_identifier<'a>(
    rc: &'a RequestContext,
    name: LimiterName,
    raw: &str,
) -> Result<(&'a Limiter, String), ApiError> {
    let limits = rc
        .state
        .limits
        .as_ref()
        .ok_or_else(|| ApiError::not_found("rate limiting is off").with_code("rate_limiting_off"))?;
    let prefix = rc.state.settings.ipv6_prefix;
    match name {
        LimiterName::Tenant => Ok((&limits.tenant, id("tenant", raw)?)),
        LimiterName::Key => Ok((&limits.key, id("key", raw)?)),
        LimiterName::Client => Ok((&limits.client, client_bucket(raw, prefix)?)),
        LimiterName::Auth => Ok((&limits.auth, client_bucket(raw, prefix)?)),
    }
}

/// The client bucket `raw` names: an address (or an IPv6 network as the
/// limit writes it, `2001:db8::/64`), or one of the shared buckets.
fn client_bucket(raw: &str, ipv6_prefix: u8) -> Result<String, ApiError> {
    if raw == NO_ADDRESS || raw == UNREADABLE_ADDRESS {
        return Ok(raw.to_owned());
    }
    let address = raw.split_once('/').map_or(raw, |(address, _)| address);
    match client_identity(Some(address), ipv6_prefix) {
        bucket if bucket == UNREADABLE_ADDRESS => Err(ApiError::bad_request(format!(
            "a client identifier is an IP address, {NO_ADDRESS} or {UNREADABLE_ADDRESS}"
        ))),
        bucket => Ok(bucket),
    }
}
