//! Admission of a `/v1` request, in this order and in as few REST round
//! trips as it allows:
//!
//! 1. No `Authorization: Bearer` → 401 before any work; `ADMIN_TOKEN` not
//!    configured → 503 (fail closed); a token shaped like neither an API key
//!    nor the admin token → 403, also before any work.
//! 2. The per-client limit, before authentication, so guessing keys costs a
//!    client its own quota.
//! 3. An API key's validation, read through the cache (a valid request costs
//!    no D1 read); an unknown key is 403 and leaves nothing behind.
//! 4. The route's authorization (403 for another tenant, or an admin-only route).
//! 5. The per-tenant limit. Only an authenticated request can spend a
//!    tenant's quota.
//!
//! All of it rides in ONE `/pipeline`: the client limit and the tenant limit
//! (one all-or-nothing script), the validation read and the route's own
//! cache read. The tenant limit is [guarded](crate::ratelimit::Guard) on the
//! cached validation naming that tenant, so Redis spends the tenant's quota
//! only for a key the cache knows is the tenant's; an unknown key, another
//! tenant's key, or a validation not cached yet spends none. In that last
//! case (a key's first request after its entry expired) the tenant limit
//! runs alone once the key is validated from D1: a second round trip.
//!
//! So an authenticated cached GET costs one round trip, key validation
//! included, whether the validation is in L1 or in Upstash.

use super::incoming::Incoming;

use super::auth::{bearer, key_digest, looks_like_api_key, record_names_tenant, ApiKeyRecord, Principal};
use super::client_ip::client_identity;
use super::error::ApiError;
use super::routes::TenantRoute;
use super::state::AppState;
use super::stores::Stores;
use crate::cache::Prefetch;
use crate::cache::PrefetchedMany;
use crate::keys::EntryKey;
use crate::ratelimit::{headers, Check, Decision, Guard, Limiter, MultiDecision, Prepared};

/// A request let through.
pub struct Admitted {
    /// `RateLimit` and `RateLimit-Policy`, for the response.
    pub headers: Vec<(&'static str, String)>,
    /// The route's cache reads, made along with the limit checks.
    pub reads: PrefetchedMany,
}

/// Admits a request for `route`; `reads` are the route's cache reads.
///
/// # Errors
/// 401, 403, 429 (with `Retry-After` and the `RateLimit` headers) or 503,
/// as the module docs say; nothing is loaded or written then.
pub async fn admit(
    state: &AppState,
    stores: &Stores,
    req: &Incoming,
    route: &TenantRoute,
    reads: &[EntryKey],
) -> Result<Admitted, ApiError> {
    let authorization = req.header("authorization")?;
    let token = bearer(authorization.as_deref())?;
    let admin = state.settings.admin_token.as_ref().ok_or_else(not_configured)?;
    let client = client_identity(req.header("cf-connecting-ip")?.as_deref(), state.settings.ipv6_prefix);
    if admin.matches(token) {
        Principal::Admin.authorize(route)?;
        let keys: Vec<&EntryKey> = reads.iter().collect();
        let Some(limits) = &state.limits else {
            return Ok(Admitted { headers: Vec::new(), reads: state.cache.prefetch_many(&keys, None, None).await });
        };
        let checks = [Check::new(&limits.client, &client, 1), Check::new(&limits.tenant, route.tenant(), 1)];
        let (decision, reads) = check_with_reads(state, &checks, &keys).await?;
        let decisions: Vec<Decision> = decision.evaluated().cloned().collect();
        if !decision.success {
            return Err(refused(state, &decision, &decisions));
        }
        Ok(Admitted { headers: rate_limit_headers(state, &decisions), reads })
    } else if looks_like_api_key(token) {
        admit_key(state, stores, token, &client, route, reads).await
    } else {
        Err(invalid_credentials())
    }
}

/// 503: authentication cannot be decided without the admin token.
pub fn not_configured() -> ApiError {
    ApiError::new(503, "ADMIN_TOKEN is not configured").with_code("admin_token_not_configured")
}

fn invalid_credentials() -> ApiError {
    ApiError::forbidden("invalid credentials")
}

/// Admits a request made with the API key `token`: both limits, the key's
/// validation and the route's read in one round trip (see the module docs).
async fn admit_key(
    state: &AppState,
    stores: &Stores,
    token: &str,
    client: &str,
    route: &TenantRoute,
    route_reads: &[EntryKey],
) -> Result<Admitted, ApiError> {
    let digest = key_digest(token);
    let validation = stores.api_keys.entry_key(&digest);
    let mut keys = vec![&validation];
    keys.extend(route_reads);
    let Some(limits) = &state.limits else {
        let mut reads = state.cache.prefetch_many(&keys, None, None).await;
        authenticate(stores, &digest, reads.take(&validation)).await?.authorize(route)?;
        return Ok(Admitted { headers: Vec::new(), reads });
    };
    let tenant = route.tenant();
    let guard = Guard { key: validation.key.clone(), text: record_names_tenant(tenant) };
    let checks = [Check::new(&limits.client, client, 1), Check::new(&limits.tenant, tenant, 1).guarded(guard)];
    let (decision, mut reads) = check_with_reads(state, &checks, &keys).await?;
    let mut decisions: Vec<Decision> = decision.evaluated().cloned().collect();
    let client_decision = decision.decisions.first().and_then(Option::as_ref);
    if client_decision.is_some_and(|d| !d.success) {
        return Err(refused(state, &decision, &decisions));
    }
    authenticate(stores, &digest, reads.take(&validation)).await?.authorize(route)?;
    match decision.decisions.get(1).and_then(Option::as_ref) {
        Some(_) if !decision.success => return Err(refused(state, &decision, &decisions)),
        Some(_) => {}
        // The guard did not hold (the validation was not cached): the tenant limit alone.
        None => {
            let tenant = Limiter::limit_all(&[(&limits.tenant, route.tenant(), 1)]).await?;
            decisions.extend(tenant.evaluated().cloned());
            if !tenant.success {
                return Err(refused(state, &tenant, &decisions));
            }
        }
    }
    Ok(Admitted { headers: rate_limit_headers(state, &decisions), reads })
}

/// `checks`, all-or-nothing, sent in the same `/pipeline` as the reads of
/// `keys` (alone when every read is fresh in L1, or the cache cannot carry them).
async fn check_with_reads(
    state: &AppState,
    checks: &[Check<'_>],
    keys: &[&EntryKey],
) -> Result<(MultiDecision, PrefetchedMany), ApiError> {
    Ok(match Limiter::prepare_checks(checks)? {
        Prepared::Decided(decided) => (decided, PrefetchedMany::default()),
        Prepared::Check(check) => {
            let timeout_ms = check.client().timeout_ms();
            let mut reads = state.cache.prefetch_many(keys, Some(&check.command()), Some(timeout_ms)).await;
            let decision = match reads.command.take() {
                Some(outcome) => check.resolve(outcome).await,
                None => check.run().await,
            };
            (decision, reads)
        }
    })
}

/// The key's record (through the cache, D1 on a miss), finishing `prefetch`.
///
/// # Errors
/// 403 for an unknown or revoked key; 503 when neither the cache nor D1 answers.
async fn authenticate(stores: &Stores, digest: &str, prefetch: Option<Prefetch>) -> Result<Principal, ApiError> {
    let lookup = stores.api_keys.get_traced_prefetched(digest, prefetch).await?;
    let record: ApiKeyRecord = lookup.value.ok_or_else(invalid_credentials)?;
    Ok(Principal::Tenant { tenant: record.tenant_id, key_id: record.id })
}

/// The 429 of a refused `decision`, with the headers of every decision so far.
fn refused(state: &AppState, decision: &MultiDecision, decisions: &[Decision]) -> ApiError {
    let mut headers = headers::response_headers(decisions.iter());
    headers.extend(rate_limit_headers(state, &[]).into_iter().filter(|(name, _)| *name == headers::POLICY_HEADER));
    ApiError::too_many_requests(decision.retry_after_ms(), decision.reason().as_str(), headers)
}

/// `RateLimit` for `decisions`, and `RateLimit-Policy` (none without limits).
fn rate_limit_headers(state: &AppState, decisions: &[Decision]) -> Vec<(&'static str, String)> {
    let Some(limits) = &state.limits else { return Vec::new() };
    let mut all = if decisions.is_empty() { Vec::new() } else { headers::response_headers(decisions.iter()) };
    all.push((headers::POLICY_HEADER, limits.policy_header.clone()));
    all
}
