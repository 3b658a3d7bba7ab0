//! Admission of a `/v1` request, in this order and in as few REST round
//! trips as it allows:
//!
//! 1. No `Authorization: Bearer` → 401 before any work; `ADMIN_TOKEN` not
//!    configured → 503 (fail closed); a token shaped like neither an API key
//!    nor the admin token → 403, also before any work.
//! 2. The per-client limit, before authentication, so guessing keys costs a
//!    client its own quota. When the API key's validation is not in L1, the
//!    check rides in the validation read's `/pipeline` (one round trip).
//! 3. The key's validation, read through the cache (a valid request costs no
//!    D1 read); an unknown key is 403 and leaves nothing behind.
//! 4. The route's authorization (403 for another tenant, or an admin-only route).
//! 5. The per-tenant limit (with the client limit when step 2 had nothing to
//!    ride with), riding in the route's own cache read for a GET. Only an
//!    authenticated request can spend a tenant's quota.
//!
//! An authenticated cached GET whose key validation is in L1 costs one
//! round trip in all; one whose validation must be read, two.

use worker::Request;

use super::auth::{bearer, key_digest, looks_like_api_key, Principal};
use super::client_ip::client_identity;
use super::error::ApiError;
use super::respond::header;
use super::routes::TenantRoute;
use super::state::AppState;
use super::stores::Stores;
use crate::ratelimit::{headers, Decision, Limiter, MultiDecision, Prepared, PreparedCheck};
use crate::{EntryKey, Prefetch};

/// A request let through.
pub struct Admitted {
    /// `RateLimit` and `RateLimit-Policy`, for the response.
    pub headers: Vec<(&'static str, String)>,
    /// The route's cache read, made along with the limit checks.
    pub prefetch: Option<Prefetch>,
}

/// Admits a request for `route`; `read` is the route's cache read, if any.
///
/// # Errors
/// 401, 403, 429 (with `Retry-After` and the `RateLimit` headers) or 503,
/// as the module docs say; nothing is loaded or written then.
pub async fn admit(
    state: &AppState,
    stores: &Stores,
    req: &Request,
    route: &TenantRoute,
    read: Option<&EntryKey>,
) -> Result<Admitted, ApiError> {
    let authorization = header(req, "authorization")?;
    let token = bearer(authorization.as_deref())?;
    let admin = state.settings.admin_token.as_ref().ok_or_else(not_configured)?;
    let client = client_identity(header(req, "cf-connecting-ip")?.as_deref(), state.settings.ipv6_prefix);
    let mut decisions = Vec::new();
    let (principal, client_checked) = if admin.matches(token) {
        (Principal::Admin, false)
    } else if looks_like_api_key(token) {
        authenticate_key(state, stores, token, &client, &mut decisions).await?
    } else {
        return Err(invalid_credentials());
    };
    principal.authorize(route)?;
    let prefetch = check_tenant(state, &client, route.tenant(), !client_checked, read, &mut decisions).await?;
    Ok(Admitted { headers: rate_limit_headers(state, &decisions), prefetch })
}

/// 503: authentication cannot be decided without the admin token.
pub fn not_configured() -> ApiError {
    ApiError::new(503, "ADMIN_TOKEN is not configured").with_code("admin_token_not_configured")
}

fn invalid_credentials() -> ApiError {
    ApiError::forbidden("invalid credentials")
}

/// Checks the client limit and validates the API key `token`, in one round
/// trip when the validation is not in L1; answers who it is and whether the
/// client limit was checked.
async fn authenticate_key(
    state: &AppState,
    stores: &Stores,
    token: &str,
    client: &str,
    decisions: &mut Vec<Decision>,
) -> Result<(Principal, bool), ApiError> {
    let digest = key_digest(token);
    let validation = stores.api_keys.entry_key(&digest);
    let (checked, prefetch) = match &state.limits {
        None => (None, None),
        Some(limits) => match limits.client.prepare(client, 1)? {
            Prepared::Decided(decided) => (Some(decided), None),
            Prepared::Check(check) => match ride_along(state, check, &validation).await {
                (Ridden::Decided(decided), prefetch) => (Some(decided), prefetch),
                // The validation is in L1: the client check goes with the tenant's.
                (Ridden::NotSent(_), prefetch @ Some(_)) => (None, prefetch),
                (Ridden::NotSent(check), None) => (Some(check.run().await), None),
            },
        },
    };
    let client_checked = checked.is_some();
    if let Some(decision) = checked {
        decisions.extend(decision.evaluated().cloned());
        refuse_unless_allowed(state, &decision, decisions)?;
    }
    let record =
        stores.api_keys.get_traced_prefetched(&digest, prefetch).await?.value.ok_or_else(invalid_credentials)?;
    Ok((Principal::Tenant { tenant: record.tenant_id, key_id: record.id }, client_checked))
}

/// Checks the tenant limit (and the client's, when not checked yet), the
/// route's cache read riding along; answers that read.
async fn check_tenant(
    state: &AppState,
    client: &str,
    tenant: &str,
    with_client: bool,
    read: Option<&EntryKey>,
    decisions: &mut Vec<Decision>,
) -> Result<Option<Prefetch>, ApiError> {
    let Some(limits) = &state.limits else { return Ok(None) };
    let mut checks = Vec::with_capacity(2);
    if with_client {
        checks.push((&limits.client, client, 1));
    }
    checks.push((&limits.tenant, tenant, 1));
    let (decision, prefetch) = match (Limiter::prepare_all(&checks)?, read) {
        (Prepared::Decided(decided), _) => (decided, None),
        (Prepared::Check(check), Some(key)) => match ride_along(state, check, key).await {
            (Ridden::Decided(decided), prefetch) => (decided, prefetch),
            (Ridden::NotSent(check), prefetch) => (check.run().await, prefetch),
        },
        (Prepared::Check(check), None) => (check.run().await, None),
    };
    decisions.extend(decision.evaluated().cloned());
    refuse_unless_allowed(state, &decision, decisions)?;
    Ok(prefetch)
}

/// What became of a check offered to ride along with a cache read.
enum Ridden<'a> {
    /// It went in the read's `/pipeline`.
    Decided(MultiDecision),
    /// It was not sent: the read needs no round trip (L1), or the cache
    /// cannot carry it (not Upstash, breaker open).
    NotSent(PreparedCheck<'a>),
}

/// Sends `check` in the same `/pipeline` as the cache read of `key`, within
/// the limiter's own timeout; answers the check and the read.
async fn ride_along<'a>(state: &AppState, check: PreparedCheck<'a>, key: &EntryKey) -> (Ridden<'a>, Option<Prefetch>) {
    let timeout_ms = check.client().timeout_ms();
    let prefetched = state.cache.prefetch(key, &check.command(), Some(timeout_ms)).await;
    let ridden = match prefetched.command {
        Some(outcome) => Ridden::Decided(check.resolve(outcome).await),
        None => Ridden::NotSent(check),
    };
    (ridden, prefetched.prefetch)
}

/// 429 with the headers of every decision so far when `decision` refused.
fn refuse_unless_allowed(state: &AppState, decision: &MultiDecision, decisions: &[Decision]) -> Result<(), ApiError> {
    if decision.success {
        return Ok(());
    }
    let mut refused = headers::response_headers(decisions.iter());
    refused.extend(rate_limit_headers(state, &[]).into_iter().filter(|(name, _)| *name == headers::POLICY_HEADER));
    Err(ApiError::too_many_requests(decision.retry_after_ms(), decision.reason().as_str(), refused))
}

/// `RateLimit` for `decisions`, and `RateLimit-Policy` (none without limits).
fn rate_limit_headers(state: &AppState, decisions: &[Decision]) -> Vec<(&'static str, String)> {
    let Some(limits) = &state.limits else { return Vec::new() };
    let mut all = if decisions.is_empty() { Vec::new() } else { headers::response_headers(decisions.iter()) };
    all.push((headers::POLICY_HEADER, limits.policy_header.clone()));
    all
}
