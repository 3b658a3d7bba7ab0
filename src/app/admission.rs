//! Who a request is, and whether it is let through, in as few REST round
//! trips as that allows:
//!
//! 1. No `Authorization: Bearer` → 401 before any work; `ADMIN_TOKEN` not
//!    configured → 503 (fail closed).
//! 2. The token is identified without I/O ([`auth::identify`]): the admin
//!    token; an API key whose HMAC tag this server made; or a refusal. A
//!    forged or mistyped key, or a legacy one while those are off, is
//!    refused (401) here, before any cache, D1 or quota work.
//! 3. A wrong token, or a signed key that turns out unknown or revoked, is a
//!    failed credential: it spends its address's per-client and
//!    auth-failure limits (one all-or-nothing check; a worker without
//!    shared limits counts in the isolate) and answers 401, or 429 past
//!    either. Only failed credentials spend an address's limits: a valid
//!    credential is never refused for its address, so whoever shares it
//!    (every Worker calling from another zone, users behind a CGNAT) cannot
//!    lock a tenant out.
//! 4. An API key is validated through the cache (a valid request costs no
//!    D1 read); the route's authorization (403 for another tenant, or an
//!    admin-only route); then the per-tenant and per-key limits. Only an
//!    authenticated request spends them.
//!
//! A `/v1` request's limits and reads ride in ONE `/pipeline`: the tenant
//! and key limits (one all-or-nothing script), the validation read and the
//! route's own cache read. The limits are [guarded](crate::ratelimit::Guard)
//! on the cached validation naming the route's tenant, so Redis spends them
//! only for a key the cache knows is the tenant's; an unknown key, another
//! tenant's key, or a validation not cached yet spends none. In that last
//! case (a key's first request after its entry expired) the limits run
//! alone once the key is validated from D1: a second round trip.
//!
//! So an authenticated cached GET costs one round trip, key validation
//! included, whether the validation is in L1 or in Upstash.

use std::net::IpAddr;

use super::incoming::Incoming;

use super::auth::api_key::key_digest;
use super::auth::{self, bearer, record_names_tenant, ApiKeyRecord, Failure, Presented, Principal};
use super::client_ip::client_identity;
use super::error::ApiError;
use super::routes::TenantRoute;
use super::state::AppState;
use super::stores::Stores;
use super::throttle::LogDecision;
use crate::cache::Prefetch;
use crate::cache::PrefetchedMany;
use crate::keys::EntryKey;
use crate::ratelimit::{headers, Check, Decision, Guard, Limiter, MultiDecision, Prepared, Screen};

/// A request let through.
pub struct Admitted {
    /// `RateLimit` and `RateLimit-Policy`, for the response.
    pub headers: Vec<(&'static str, String)>,
    /// The route's cache reads, made along with the limit checks.
    pub reads: PrefetchedMany,
    /// The decisions of the extra checks ([`Spend::extra`]), in order.
    pub extra: Vec<Decision>,
}

/// What a `/v1` request spends to be let through.
pub struct Spend<'a> {
    /// The tenant's and the key's per-request limits (every route but a
    /// settlement, which must never be refused for giving back).
    pub request_limits: bool,
    /// Further checks for the route, all-or-nothing with the limits and in
    /// the same script (the LLM gateway's slot and token budget); guarded on
    /// the key's validation like the limits, so only an authenticated
    /// request spends them.
    pub extra: Vec<Check<'a>>,
}

impl Default for Spend<'_> {
    fn default() -> Self {
        Spend { request_limits: true, extra: Vec::new() }
    }
}

/// Who the credentials of a request name, before any lookup.
pub enum Caller {
    /// The admin token.
    Admin,
    /// An API key, to validate.
    Key {
        /// The token.
        token: String,
        /// Its id, when the key carries it (not a legacy key).
        id: Option<String>,
    },
}

/// The request's caller and its per-client identity (its address).
///
/// # Errors
/// 401 without credentials, 503 without `ADMIN_TOKEN`, and for refused
/// credentials what [`refuse`] answers (401, or 429 past the address's limits).
pub async fn identify(state: &AppState, req: &Incoming) -> Result<(Caller, String), ApiError> {
    let authorization = req.header("authorization")?;
    let token = bearer(authorization.as_deref())?;
    let settings = &state.settings;
    let (Some(admin), Some(signer)) = (&settings.admin_token, &settings.api_key_signer) else {
        return Err(not_configured());
    };
    let client = client_identity(req.header("cf-connecting-ip")?.as_deref(), settings.ipv6_prefix);
    match auth::identify(token, admin, signer, settings.accept_legacy_api_keys) {
        Presented::Admin => Ok((Caller::Admin, client)),
        Presented::Key { id } => Ok((Caller::Key { token: token.to_owned(), id }, client)),
        Presented::Refused(failure) => Err(refuse(state, &client, &failure).await),
    }
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
    admit_spending(state, stores, req, route, reads, Spend::default()).await
}

/// [`admit`], spending `spend`: the per-request limits or not, and the
/// route's own checks. The request is also screened against the deny list
/// (its address and its tenant), in the same script: a denied request is
/// answered 403 `denied` once its credentials are known good.
///
/// # Errors
/// As [`admit`]; 403 `denied`.
pub async fn admit_spending(
    state: &AppState,
    stores: &Stores,
    req: &Incoming,
    route: &TenantRoute,
    reads: &[EntryKey],
    spend: Spend<'_>,
) -> Result<Admitted, ApiError> {
    let address: Option<IpAddr> = req.header("cf-connecting-ip")?.and_then(|raw| raw.trim().parse().ok());
    match identify(state, req).await? {
        (Caller::Admin, _) => {
            Principal::Admin.authorize(route)?;
            let keys: Vec<&EntryKey> = reads.iter().collect();
            let Some(limits) = &state.limits else {
                let reads = state.cache.prefetch_many(&keys, None, None).await;
                return Ok(Admitted { headers: Vec::new(), reads, extra: Vec::new() });
            };
            let mut checks = Vec::new();
            if spend.request_limits {
                checks.push(Check::new(&limits.tenant, route.tenant(), 1));
            }
            let first_extra = checks.len();
            checks.extend(spend.extra);
            let screen = Screen { list: &limits.deny, identifier: Some(route.tenant()), address };
            let (decision, reads) = check_with_reads(state, Some(&screen), &checks, &keys).await?;
            deny_if_listed(&decision)?;
            let decisions: Vec<Decision> = decision.evaluated().cloned().collect();
            if !decision.success {
                return Err(refused(state, &decision, &decisions));
            }
            let extra = decision.decisions[first_extra..].iter().flatten().cloned().collect();
            Ok(Admitted { headers: rate_limit_headers(state, &decisions[..first_extra]), reads, extra })
        }
        (Caller::Key { token, id }, client) => {
            let caller = KeyCaller { token: &token, id, client: &client, address };
            admit_key(state, stores, caller, route, reads, spend).await
        }
    }
}

/// 403 `denied` when the deny list refused the call.
fn deny_if_listed(decision: &MultiDecision) -> Result<(), ApiError> {
    match decision.denied_until_ms {
        Some(_) => Err(ApiError::forbidden("this address or tenant is on the deny list").with_code("denied")),
        None => Ok(()),
    }
}

/// An API-key caller: its token, the key id it carries (none for a legacy
/// key), its per-client identity and its address.
struct KeyCaller<'a> {
    token: &'a str,
    id: Option<String>,
    client: &'a str,
    address: Option<IpAddr>,
}

/// 503: authentication cannot be decided without the admin token.
pub fn not_configured() -> ApiError {
    ApiError::new(503, "ADMIN_TOKEN is not configured").with_code("admin_token_not_configured")
}

/// Answers failed credentials from `client`: counts the failure against
/// the address when it is one that is counted ([`Failure::counted`]), logs
/// it (never the token; at most a budget of lines a minute), and answers
/// 401 `invalid_token`, or 429 `too_many_auth_failures` past the address's
/// per-client or auth-failure limit.
pub async fn refuse(state: &AppState, client: &str, failure: &Failure) -> ApiError {
    let throttled = if failure.counted() { count_failure(state, client).await } else { None };
    let outcome = if throttled.is_some() { "throttled" } else { "refused" };
    let decision = state.auth_log.borrow_mut().take(crate::clock::now_ms());
    if let LogDecision::Log { suppressed } = decision {
        if suppressed > 0 {
            log::warn!("edgecache: {suppressed} more failed authentication(s) were not logged");
        }
        log::warn!("edgecache: authentication failed from {client}: {} ({outcome})", failure.describe());
    }
    throttled.unwrap_or_else(|| failure.error())
}

/// Spends one failure of `client`: the 429 to answer once past its limits.
async fn count_failure(state: &AppState, client: &str) -> Option<ApiError> {
    let Some(limits) = &state.limits else {
        let retry_after_ms = state.auth_failures.borrow_mut().fail(client, crate::clock::now_ms()).err()?;
        return Some(too_many_failures(retry_after_ms, "local", Vec::new()));
    };
    let decision =
        match Limiter::limit_all(&[Check::new(&limits.client, client, 1), Check::new(&limits.auth, client, 1)]).await {
            Ok(decision) => decision,
            Err(error) => {
                log::warn!("edgecache: could not count a failed authentication: {error}");
                return None;
            }
        };
    if decision.success {
        return None;
    }
    let mut headers = headers::response_headers(decision.evaluated());
    headers.push((headers::POLICY_HEADER, limits.failure_policy_header.clone()));
    Some(too_many_failures(decision.retry_after_ms(), decision.reason().as_str(), headers))
}

fn too_many_failures(retry_after_ms: u64, reason: &str, mut headers: Vec<(&'static str, String)>) -> ApiError {
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(headers::RETRY_AFTER_HEADER)) {
        headers.push((headers::RETRY_AFTER_HEADER, retry_after_ms.div_ceil(1000).max(1).to_string()));
    }
    let mut error = ApiError::too_many_requests(retry_after_ms, reason, headers).with_code("too_many_auth_failures");
    error.message = "too many failed authentications from this address".to_owned();
    error
}

/// Admits a request made with an API key: the tenant and key limits, the
/// route's own checks, the deny-list screen, the key's validation and the
/// route's read in one round trip (see the module docs).
async fn admit_key(
    state: &AppState,
    stores: &Stores,
    caller: KeyCaller<'_>,
    route: &TenantRoute,
    route_reads: &[EntryKey],
    spend: Spend<'_>,
) -> Result<Admitted, ApiError> {
    let digest = key_digest(caller.token);
    let validation = stores.api_keys.entry_key(&digest);
    let mut keys = vec![&validation];
    keys.extend(route_reads);
    let Some(limits) = &state.limits else {
        let mut reads = state.cache.prefetch_many(&keys, None, None).await;
        let taken = reads.take(&validation);
        let principal = authenticate(state, stores, &digest, caller.id, caller.client, taken).await?;
        principal.authorize(route)?;
        return Ok(Admitted { headers: Vec::new(), reads, extra: Vec::new() });
    };
    let tenant = route.tenant();
    // Unguarded, in order: what the request spends once it is known to be the tenant's.
    let mut checks = Vec::new();
    if spend.request_limits {
        checks.push(Check::new(&limits.tenant, tenant, 1));
        // A legacy key's id is known only from its record: it spends its
        // tenant's limit alone.
        if let Some(id) = &caller.id {
            checks.push(Check::new(&limits.key, id, 1));
        }
    }
    let first_extra = checks.len();
    checks.extend(spend.extra);
    let guard = Guard { key: validation.key.clone(), text: record_names_tenant(tenant) };
    let guarded: Vec<Check<'_>> = checks.iter().map(|c| c.clone().guarded(guard.clone())).collect();
    let screen = Screen { list: &limits.deny, identifier: Some(tenant), address: caller.address };
    let (decision, mut reads) = check_with_reads(state, Some(&screen), &guarded, &keys).await?;
    let taken = reads.take(&validation);
    let principal = authenticate(state, stores, &digest, caller.id, caller.client, taken).await?;
    principal.authorize(route)?;
    deny_if_listed(&decision)?;
    let decision = match decision.decisions.iter().any(Option::is_some) || checks.is_empty() {
        true => decision,
        // The guards did not hold (the validation was not cached): the checks
        // alone, now that the key is known to be the tenant's.
        false => {
            let later = match Limiter::prepare_all(&checks)? {
                Prepared::Decided(decided) => decided,
                Prepared::Check(check) => check.run().await,
            };
            return finish(state, later, first_extra, reads);
        }
    };
    finish(state, decision, first_extra, reads)
}

/// The admission of `decision` (refused: its 429), the extra checks'
/// decisions from `first_extra` on.
fn finish(
    state: &AppState,
    decision: MultiDecision,
    first_extra: usize,
    reads: PrefetchedMany,
) -> Result<Admitted, ApiError> {
    let decisions: Vec<Decision> = decision.evaluated().cloned().collect();
    if !decision.success {
        return Err(refused(state, &decision, &decisions));
    }
    let limits: Vec<Decision> =
        decision.decisions[..first_extra.min(decision.decisions.len())].iter().flatten().cloned().collect();
    let extra = decision.decisions.get(first_extra..).unwrap_or_default().iter().flatten().cloned().collect();
    Ok(Admitted { headers: rate_limit_headers(state, &limits), reads, extra })
}

/// `checks`, all-or-nothing, sent in the same `/pipeline` as the reads of
/// `keys` (alone when every read is fresh in L1, or the cache cannot carry them).
async fn check_with_reads(
    state: &AppState,
    screen: Option<&Screen<'_>>,
    checks: &[Check<'_>],
    keys: &[&EntryKey],
) -> Result<(MultiDecision, PrefetchedMany), ApiError> {
    let prepared = match screen {
        Some(screen) => Limiter::prepare_screened(screen, checks)?,
        None => Limiter::prepare_all(checks)?,
    };
    Ok(match prepared {
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
/// For an unknown or revoked key, what [`refuse`] answers (401, or 429);
/// 503 when neither the cache nor D1 answers.
pub async fn authenticate(
    state: &AppState,
    stores: &Stores,
    digest: &str,
    id: Option<String>,
    client: &str,
    prefetch: Option<Prefetch>,
) -> Result<Principal, ApiError> {
    let lookup = stores.api_keys.get_traced_prefetched(digest, prefetch).await?;
    // A record of another id under this digest cannot be: the id is in the key.
    let record: Option<ApiKeyRecord> = lookup.value.filter(|record| id.as_ref().is_none_or(|id| *id == record.id));
    match record {
        Some(record) => Ok(Principal::Tenant { tenant: record.tenant_id, key_id: record.id }),
        None => Err(refuse(state, client, &Failure::UnknownKey { id }).await),
    }
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
