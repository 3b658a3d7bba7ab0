//! `/v1/tenants/{tenant}/...`: policies and conversation configs, read
//! through the cache and written to D1 (then invalidated).

use worker::Response;

use crate::app::incoming::Incoming;

use super::{drain_outbox_later, RequestContext};
use crate::app::admission::admit;
use crate::app::conversation::{user_config_id, ConfigFields, ResolvedConfig, StoredConfig};
use crate::app::error::ApiError;
use crate::app::policy::PolicyInput;
use crate::app::respond::{self, json, with_headers};
use crate::app::routes::TenantRoute;
use crate::app::stores::Stores;
use crate::cache::PrefetchedMany;
use crate::dedup::Claim;
use crate::{CacheStatus, FailurePolicy, Store};

/// Admits the request, serves it, and schedules an outbox drain.
///
/// # Errors
/// What admission answers (401, 403, 429, 503); a route's own errors come
/// back as responses carrying the rate-limit headers.
pub async fn serve(route: TenantRoute, req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    match route {
        TenantRoute::AdmitLlm { .. } => return super::llm::admit(route, req, rc).await,
        TenantRoute::SettleLlm { .. } => return super::llm::settle(route, req, rc).await,
        _ => {}
    }
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let reads = match &route {
        TenantRoute::GetPolicy { tenant } => vec![stores.policies.entry_key(tenant)],
        TenantRoute::GetConfig { tenant, user: None } => vec![stores.tenant_configs.entry_key(tenant)],
        TenantRoute::GetConfig { tenant, user: Some(user) } => vec![
            stores.tenant_configs.entry_key(tenant),
            stores.user_overrides.entry_key(&user_config_id(tenant, user)),
        ],
        TenantRoute::PutPolicy { .. }
        | TenantRoute::PutConfig { .. }
        | TenantRoute::ClaimWebhook { .. }
        | TenantRoute::AdmitLlm { .. }
        | TenantRoute::SettleLlm { .. } => Vec::new(),
    };
    let admitted = admit(&rc.state, &stores, &req, &route, &reads).await?;
    let answered = match route {
        TenantRoute::ClaimWebhook { tenant, delivery } => claim_webhook(rc, &tenant, &delivery).await,
        route => answer(route, &req, &stores, rc.state.settings.max_user_overrides_per_tenant, admitted.reads).await,
    };
    let response = match answered {
        Ok(response) => response,
        Err(error) => respond::error(error, &rc.request_id),
    };
    drain_outbox_later(rc);
    with_headers(response, &admitted.headers)
}

async fn answer(
    route: TenantRoute,
    req: &Incoming,
    stores: &Stores,
    cap: u64,
    mut reads: PrefetchedMany,
) -> Result<Response, ApiError> {
    match route {
        TenantRoute::GetPolicy { tenant } => {
            let prefetch = reads.take(&stores.policies.entry_key(&tenant));
            let lookup = stores.policies.get_traced_prefetched(&tenant, prefetch).await?;
            cached(lookup.value.as_ref(), lookup.status, || format!("no policy for tenant {tenant}"))
        }
        TenantRoute::PutPolicy { tenant } => {
            let input = PolicyInput::parse(&req.json_body().await?)?;
            let stored = stores.policies.set(&tenant, &input.into_stored(&tenant, crate::clock::now_ms())).await?;
            json(&stored, 200)
        }
        TenantRoute::GetConfig { tenant, user: None } => {
            let prefetch = reads.take(&stores.tenant_configs.entry_key(&tenant));
            let lookup = stores.tenant_configs.get_traced_prefetched(&tenant, prefetch).await?;
            cached(lookup.value.as_ref(), lookup.status, || format!("no conversation config for tenant {tenant}"))
        }
        TenantRoute::GetConfig { tenant, user: Some(user) } => {
            // The tenant default and the override, cached apart (a new default
            // is one entry to invalidate, however many users), resolved here.
            let id = user_config_id(&tenant, &user);
            let default_read = reads.take(&stores.tenant_configs.entry_key(&tenant));
            let override_read = reads.take(&stores.user_overrides.entry_key(&id));
            let (default, user_override) = futures_util::future::join(
                stores.tenant_configs.get_traced_prefetched(&tenant, default_read),
                stores.user_overrides.get_traced_prefetched(&id, override_read),
            )
            .await;
            let (default, user_override) = (default?, user_override?);
            let fields = |lookup: &crate::Lookup<Option<StoredConfig>>| lookup.value.as_ref().map(|c| c.fields.clone());
            let resolved =
                ResolvedConfig::resolve(&tenant, &user, fields(&default).as_ref(), fields(&user_override).as_ref());
            cached(resolved.as_ref(), default.status.combine(user_override.status), || {
                format!("no conversation config for tenant {tenant} or user {user}")
            })
        }
        TenantRoute::ClaimWebhook { .. } | TenantRoute::AdmitLlm { .. } | TenantRoute::SettleLlm { .. } => {
            unreachable!("answered by their own handlers")
        }
        TenantRoute::PutConfig { tenant, user } => {
            let fields = ConfigFields::parse(&req.json_body().await?)?;
            let config = StoredConfig {
                tenant_id: tenant.clone(),
                user_id: user.clone(),
                fields,
                updated_at_ms: crate::clock::now_ms(),
            };
            let stored = match &user {
                None => stores.tenant_configs.set(&tenant, &config).await?,
                Some(user) => set_user_override(stores, cap, &tenant, user, config).await?,
            };
            json(&stored, 200)
        }
    }
}

/// Writes `user`'s override unless `tenant` already has `cap` overrides and
/// this one is new (checked in the write's own D1 batch), then invalidates
/// it as [`CachingStore`](crate::CachingStore)'s `set` does (the outbox
/// keeps the invalidation if the cache does not take it).
///
/// # Errors
/// 409 `too_many_user_overrides` past the cap; 503 when D1 fails.
async fn set_user_override(
    stores: &Stores,
    cap: u64,
    tenant: &str,
    user: &str,
    config: StoredConfig,
) -> Result<StoredConfig, ApiError> {
    let id = user_config_id(tenant, user);
    let invalidation = stores.user_overrides.invalidation_for(&id);
    let overrides = stores.user_overrides.inner();
    let Some(ticket) = overrides.set_user_override_capped(&id, &config, &invalidation, cap).await? else {
        return Err(ApiError::conflict(format!(
            "tenant {tenant} already has {cap} user conversation configs (MAX_USER_OVERRIDES_PER_TENANT)"
        ))
        .with_code("too_many_user_overrides"));
    };
    if stores.cache.invalidate(&invalidation, FailurePolicy::Degrade).await? {
        if let Err(error) = overrides.complete_recorded(ticket).await {
            log::warn!("edgecache: outbox entry {ticket} stays for the next drain: {error}");
        }
    }
    Ok(config)
}

/// Claims a webhook delivery once across every isolate sharing the
/// database: 202 `{"status":"accepted"}` for the first claim (process it),
/// 200 `{"status":"duplicate"}` within `WEBHOOK_DEDUP_TTL_SECS` after.
async fn claim_webhook(rc: &RequestContext, tenant: &str, delivery: &str) -> Result<Response, ApiError> {
    let webhooks = rc.state.webhooks.as_ref().ok_or_else(|| {
        ApiError::unavailable("webhook deduplication needs an Upstash database", "no Upstash configured")
            .with_code("dedup_unavailable")
    })?;
    let ttl = rc.state.settings.webhook_dedup_ttl;
    let claim = webhooks
        .claim(&format!("{tenant}:{delivery}"), ttl, FailurePolicy::FailClosed)
        .await
        .map_err(|error| ApiError::unavailable("cannot check the delivery for duplicates", error))?;
    let (status, code) = match claim {
        Claim::Claimed | Claim::Unchecked => ("accepted", 202),
        Claim::Duplicate => ("duplicate", 200),
    };
    json(&serde_json::json!({ "tenant": tenant, "delivery": delivery, "status": status }), code)
}

/// 200 with `value`, or a JSON 404; either way with `x-cache`.
fn cached<T: serde::Serialize>(
    value: Option<&T>,
    status: CacheStatus,
    not_found: impl FnOnce() -> String,
) -> Result<Response, ApiError> {
    let response = match value {
        Some(value) => json(value, 200)?,
        None => json(&ApiError::not_found(not_found()).body(""), 404)?,
    };
    with_headers(response, &[("x-cache", status.as_str().to_owned())])
}
