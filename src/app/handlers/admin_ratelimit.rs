//! `GET|DELETE /admin/ratelimit/{client|auth|tenant|key|llm}/{identifier}`:
//! look up what an identifier has left, or reset it;
//! `PUT|GET|DELETE .../{client|tenant|llm}/{identifier}/override`: an
//! identifier's own limit; `POST|GET|DELETE /admin/ratelimit/deny`: the deny list.
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
use crate::app::incoming::Incoming;
use crate::app::ratelimit_admin::{parse_deny, parse_override};
use crate::app::respond::{json, no_content};
use crate::app::routes::path::id;
use crate::app::routes::{LimiterName, Method};
use crate::app::state::Limits;
use crate::ratelimit::{LimitSpec, Limiter};

/// `{"limiter", "identifier", "limit", "remaining", "resetMs", "retryAfterMs"}`,
/// without spending anything.
///
/// # Errors
/// 404 when rate limiting is off; 400 for an identifier the limit cannot
/// count; 503 when Redis does not answer.
pub async fn get(rc: &RequestContext, name: LimiterName, raw: &str) -> Result<Response, ApiError> {
    let (limiter, identifier) = limiter_and_identifier(rc, name, raw)?;
    let decision = limiter.get_remaining(&identifier).await?;
    let mut body = json!({
        "limiter": name.as_str(),
        "identifier": identifier,
        "limit": decision.limit,
        "remaining": decision.remaining,
        "resetMs": decision.reset_ms,
        "retryAfterMs": decision.retry_after_ms,
    });
    // The gateway's tokens come with its slots.
    if let (LimiterName::Llm, Some(limits)) = (name, rc.state.limits.as_ref()) {
        let slots = limits.slots.get_remaining(&identifier).await?;
        body["slots"] =
            json!({ "limit": slots.limit, "free": slots.remaining, "inUse": slots.limit - slots.remaining });
    }
    json(&body, 200)
}

/// `PUT` (body `{"limit", "windowSecs"}`): gives the identifier a limit of
/// its own, from its next request on, in every isolate; `GET`: it, or 404;
/// `DELETE`: removes it (204, or 404 when there was none).
///
/// # Errors
/// 400 for a bad body or identifier; 409 `override_refused` past
/// `RATE_LIMIT_MAX_OVERRIDES` or for a limit the algorithm cannot hold;
/// 404 when rate limiting is off; 503 when Redis does not answer.
pub async fn set_override(
    rc: &RequestContext,
    req: Incoming,
    name: LimiterName,
    raw: &str,
    method: Method,
) -> Result<Response, ApiError> {
    let (limiter, identifier) = limiter_and_identifier(rc, name, raw)?;
    let shown = |spec: &LimitSpec| json!({ "limiter": name.as_str(), "identifier": identifier, "limit": spec.limit(), "windowSecs": spec.window_ms() / 1000 });
    match method {
        Method::Write => {
            let spec = parse_override(&req.json_body().await?)?;
            limiter.set_override(&identifier, spec).await?;
            json(&shown(&spec), 200)
        }
        Method::Get => match limiter.get_override(&identifier).await? {
            Some(spec) => json(&shown(&spec), 200),
            None => Err(ApiError::not_found(format!("no override of {} for {identifier}", name.as_str()))),
        },
        Method::Delete => match limiter.clear_override(&identifier).await? {
            true => no_content(),
            false => Err(ApiError::not_found(format!("no override of {} for {identifier}", name.as_str()))),
        },
    }
}

/// `POST` (body `{"ips"?, "identifiers"?, "ttlSecs"}`): adds entries, each
/// for `ttlSecs`; `GET`: `{"entries": [{"entry", "kind", "endsMs"}]}`;
/// `DELETE` (body `{"ips"?, "identifiers"?}`): removes entries (204).
///
/// # Errors
/// 400 for a bad body; 404 when rate limiting is off; 503 when Redis does
/// not answer or the list would hold more than 10,000 entries.
pub async fn deny(rc: &RequestContext, req: Incoming, method: Method) -> Result<Response, ApiError> {
    let deny = &limits(rc)?.deny;
    match method {
        Method::Get => {
            let entries: Vec<_> = deny
                .list()
                .await?
                .into_iter()
                .map(|(entry, ends_ms)| {
                    let kind =
                        if matches!(entry, crate::ratelimit::DenyEntry::Network(_)) { "ip" } else { "identifier" };
                    json!({ "entry": entry.to_string(), "kind": kind, "endsMs": ends_ms })
                })
                .collect();
            json(&json!({ "entries": entries }), 200)
        }
        Method::Write => {
            let change = parse_deny(&req.json_body().await?, true)?;
            deny.add(&change.entries, change.ttl.expect("adds carry a TTL")).await?;
            let added: Vec<String> = change.entries.iter().map(ToString::to_string).collect();
            json(&json!({ "added": added, "ttlSecs": change.ttl.map(|t| t.as_millis() / 1000) }), 200)
        }
        Method::Delete => {
            let change = parse_deny(&req.json_body().await?, false)?;
            deny.remove(&change.entries).await?;
            no_content()
        }
    }
}

fn limits(rc: &RequestContext) -> Result<&Limits, ApiError> {
    rc.state.limits.as_ref().ok_or_else(|| ApiError::not_found("rate limiting is off").with_code("rate_limiting_off"))
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
    let limits = limits(rc)?;
    let prefix = rc.state.settings.ipv6_prefix;
    match name {
        LimiterName::Tenant => Ok((&limits.tenant, id("tenant", raw)?)),
        LimiterName::Llm => Ok((&limits.tokens, id("tenant", raw)?)),
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
