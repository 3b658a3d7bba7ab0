//! `/admin/tenants/{tenant}/keys`: create, list and revoke a tenant's API
//! keys. A key is shown once, when created; D1 keeps only its SHA-256.
//!
//! Revoking deletes the key in D1 and records the invalidation of its
//! cached validation in the outbox, in one batch; then applies that
//! invalidation at once, fail-closed and past an open circuit breaker (as
//! an outbox drain does, the call doubling as a probe). Applied: 204, and
//! the key is refused within the L1 staleness bound in every isolate, and
//! at once in this one. Not applied (Upstash does not answer): 202
//! `{"status":"pending"}`: refused at once in this isolate and by D1, but
//! other isolates may accept it from the cached validation until the
//! outbox is drained (after responses, and by the cron trigger).

use serde_json::json;
use worker::Response;

use super::RequestContext;
use crate::app::auth::ApiKeyRecord;
use crate::app::error::ApiError;
use crate::app::respond::{json, no_content};
use crate::app::stores::Stores;
use crate::Store;

/// 201 `{"id", "key", "tenant", "createdAtMs"}`.
///
/// # Errors
/// 503 when D1 fails (or no ADMIN_TOKEN configured).
pub async fn create(rc: &RequestContext, tenant: &str) -> Result<Response, ApiError> {
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let signer = rc.state.settings.api_key_signer.as_ref().ok_or_else(crate::app::admission::not_configured)?;
    let key = signer.issue()?;
    let record = ApiKeyRecord { id: key.id, tenant_id: tenant.to_owned(), created_at_ms: crate::clock::now_ms() };
    stores.api_keys.set(&key.digest, &record).await?;
    log::info!("edgecache: created API key {} for tenant {tenant}", record.id);
    let body = json!({ "id": record.id, "key": key.key, "tenant": tenant, "createdAtMs": record.created_at_ms });
    json(&body, 201)
}

/// 200 `{"tenant", "keys": [{"id", "createdAtMs"}]}`, oldest first.
///
/// # Errors
/// 503 when D1 fails.
pub async fn list(rc: &RequestContext, tenant: &str) -> Result<Response, ApiError> {
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let keys: Vec<_> = stores
        .api_keys
        .inner()
        .list(tenant)
        .await?
        .into_iter()
        .map(|k| json!({ "id": k.id, "createdAtMs": k.created_at_ms }))
        .collect();
    json(&json!({ "tenant": tenant, "keys": keys }), 200)
}

/// 204 once revoked everywhere; 202 `{"status":"pending","id","tenant"}`
/// when revoked in D1 and this isolate but the cache did not take the
/// invalidation (see the module docs); 404 for a key the tenant does not have.
///
/// # Errors
/// 404, or 503 when D1 fails (then nothing was revoked).
pub async fn revoke(rc: &RequestContext, tenant: &str, id: &str) -> Result<Response, ApiError> {
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let keys = stores.api_keys.inner();
    let digest = keys
        .digest_of(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} has no API key {id}")))?;
    let invalidation = stores.api_keys.invalidation_for(&digest);
    let (_, ticket) = keys.delete_recording(&digest, &invalidation).await?;
    // Past an open breaker: a revocation must not be skipped for earlier failures.
    if rc.state.cache.apply_pending(&invalidation).await {
        if let Some(ticket) = ticket {
            if let Err(error) = keys.complete_recorded(ticket).await {
                log::warn!("edgecache: outbox entry {ticket} stays for the next drain: {error}");
            }
        }
        log::info!("edgecache: revoked API key {id} of tenant {tenant}");
        return no_content();
    }
    log::warn!(
        "edgecache: revoked API key {id} of tenant {tenant} in D1; its cached validation could not be \
         invalidated now and waits in the outbox"
    );
    json(&json!({ "status": "pending", "id": id, "tenant": tenant }), 202)
}
