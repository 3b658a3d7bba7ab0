//! `POST /v1/tenants/{tenant}/llm/admit` and `.../llm/settle`: the LLM
//! gateway (see [`crate::app::llm`]).
//!
//! An admission is one Upstash round trip: the tenant's and the key's
//! request limits, an in-flight slot (a concurrency lease) and the tokens
//! (a reservation), all-or-nothing in one script with the deny-list screen,
//! sent in the same `/pipeline` as the key's validation and the tenant's
//! cached policy. A request the policy refuses (model, size) or that has no
//! policy gives the slot and the tokens back before it is answered, so it
//! spends nothing; so does every error after the slot was taken.

use serde_json::json;
use worker::Response;

use super::RequestContext;
use crate::app::admission::{admit_spending, identify, Admitted, Spend};
use crate::app::error::ApiError;
use crate::app::incoming::Incoming;
use crate::app::llm::{AdmissionId, AdmitInput, SettleInput};
use crate::app::respond::{self, json, with_headers};
use crate::app::routes::TenantRoute;
use crate::app::state::Limits;
use crate::app::stores::Stores;
use crate::ratelimit::{Check, Lease, Limiter, Prepared, Reservation, SettleOutcome};

/// Admits one LLM call: 201 `{"admission", "model", "maxTokens",
/// "tokensRemaining", "slotsRemaining", "leaseEndsMs"}` with the
/// `RateLimit` headers.
///
/// # Errors
/// 400 for a bad body (before any I/O) or a model or size the policy
/// refuses, 404 without a policy (nothing spent either way); 401, 403,
/// 429 (`reason` says which limit, slot or budget), 403 `denied`, 503, as
/// admission answers them.
pub async fn admit(route: TenantRoute, req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    let input = match req.json_body().await.and_then(|body| AdmitInput::parse(&body)) {
        Ok(input) => input,
        Err(error) => return Err(credentials_first(rc, &req, error).await),
    };
    let limits = gateway(rc)?;
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let tenant = route.tenant().to_owned();
    let policy_key = stores.policies.entry_key(&tenant);
    let slot = Check::acquire(&limits.slots, &tenant);
    let budget = Check::reserve(&limits.tokens, &tenant, u64::from(input.max_tokens));
    let (lease, reservation) = (slot.lease().expect("an acquire"), budget.reservation().expect("a reserve"));
    let spend = Spend { request_limits: true, extra: vec![slot, budget] };
    let Admitted { headers, mut reads, extra } =
        admit_spending(&rc.state, &stores, &req, &route, std::slice::from_ref(&policy_key), spend).await?;
    // From here the slot and the tokens are held: every way out but an
    // admission gives them back.
    let policy = stores.policies.get_traced_prefetched(&tenant, reads.take(&policy_key)).await;
    let model = match policy {
        Ok(lookup) => match lookup.value {
            Some(policy) => input.admitted_model(&policy).map(str::to_owned),
            None => Err(ApiError::not_found(format!("no policy for tenant {tenant}"))),
        },
        Err(error) => Err(error.into()),
    };
    let model = match model {
        Ok(model) => model,
        Err(error) => {
            give_back(limits, &lease, &reservation).await;
            return with_headers(respond::error(error, &rc.request_id), &headers);
        }
    };
    let (slots, tokens) = (extra.first(), extra.get(1));
    let body = json!({
        "admission": AdmissionId::of(&lease, &reservation).to_string(),
        "tenant": tenant,
        "model": model,
        "maxTokens": input.max_tokens,
        "tokensRemaining": tokens.map(|d| d.remaining),
        "slotsRemaining": slots.map(|d| d.remaining),
        "leaseEndsMs": slots.map(|d| d.now_ms + limits.slots.window_ms()),
    });
    with_headers(json(&body, 201)?, &headers)
}

/// Settles an admission: gives its slot back and refunds the tokens it
/// reserved beyond `usedTokens`, once; 200 `{"refunded", "alreadySettled",
/// "tokensRemaining"}`. It spends no request limit: giving back is never
/// refused for being too frequent.
///
/// # Errors
/// 400 for a bad body (before any I/O), 404 for an admission this tenant
/// does not have (another tenant's, or ended), 503 when Upstash does not
/// answer (the slot then ends with its lease, the tokens stay spent); 401,
/// 403, 403 `denied` as admission answers them.
pub async fn settle(route: TenantRoute, req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    let (input, admission) = match req.json_body().await.and_then(|body| SettleInput::parse(&body)) {
        Ok(parsed) => parsed,
        Err(error) => return Err(credentials_first(rc, &req, error).await),
    };
    let limits = gateway(rc)?;
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let tenant = route.tenant();
    let lease = admission.lease(limits.slots.name(), tenant);
    let reservation = admission.reservation(limits.tokens.name(), tenant);
    let checks =
        vec![Check::release(&limits.slots, &lease), Check::settle(&limits.tokens, &reservation, input.used_tokens)];
    let spend = Spend { request_limits: false, extra: checks };
    let Admitted { extra, .. } = admit_spending(&rc.state, &stores, &req, &route, &[], spend).await?;
    let settled = extra.get(1);
    let outcome = settled.and_then(|d| d.settled).unwrap_or(SettleOutcome::NotAnswered);
    let remaining = settled.map(|d| d.remaining);
    match outcome {
        SettleOutcome::Refunded(refunded) => {
            json(&json!({ "refunded": refunded, "alreadySettled": false, "tokensRemaining": remaining }), 200)
        }
        SettleOutcome::AlreadySettled => {
            json(&json!({ "refunded": 0, "alreadySettled": true, "tokensRemaining": remaining }), 200)
        }
        SettleOutcome::Unknown => {
            Err(ApiError::not_found(format!("no admission {} for tenant {tenant}", input.admission)))
        }
        SettleOutcome::NotAnswered => Err(ApiError::unavailable(
            "could not settle the admission now; retry (a settle refunds once)",
            "the settle got no answer from Upstash",
        )),
    }
}

/// The gateway's limits; 503 `rate_limiting_off` without Upstash (slots and
/// budgets are shared state).
fn gateway(rc: &RequestContext) -> Result<&Limits, ApiError> {
    rc.state.limits.as_ref().ok_or_else(|| {
        ApiError::unavailable("the LLM gateway needs an Upstash database", "no Upstash configured")
            .with_code("rate_limiting_off")
    })
}

/// A bad body's 400 (or 413, 415), but credentials first: a request without good ones is
/// answered as any other (401, or 429 past its address's failure limits).
async fn credentials_first(rc: &RequestContext, req: &Incoming, error: ApiError) -> ApiError {
    match identify(&rc.state, req).await {
        Ok(_) => error,
        Err(refused) => refused,
    }
}

/// Gives back a slot and reservation that will not be used: one round trip.
/// When it fails, the slot ends with its lease and the tokens stay spent.
async fn give_back(limits: &Limits, lease: &Lease, reservation: &Reservation) {
    let checks = [Check::release(&limits.slots, lease), Check::settle(&limits.tokens, reservation, 0)];
    let decision = match Limiter::prepare_all(&checks) {
        Ok(Prepared::Check(check)) => check.run().await,
        Ok(Prepared::Decided(decided)) => decided,
        Err(error) => {
            log::warn!("edgecache: could not give back an LLM admission: {error}");
            return;
        }
    };
    let settled = decision.decisions.get(1).and_then(Option::as_ref).and_then(|d| d.settled);
    if !matches!(settled, Some(SettleOutcome::Refunded(_))) {
        log::warn!("edgecache: an LLM admission was not given back ({settled:?}); its slot ends with its lease");
    }
}
