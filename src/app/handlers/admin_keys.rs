//! `/admin/tenants/{tenant}/keys`: create, list and revoke a tenant's API
//! keys. A key is shown once, when created; D1 keeps only its SHA-256.
//! Revoking invalidates the key's cached validation (through the outbox, so
//! an outage cannot lose it): the key is refused within the L1 staleness
//! bound in every isolate, and at once in this one.

use serde_json::json;
use worker::Response;

use super::RequestContext;
use crate::app::auth::{new_api_key, ApiKeyRecord};
use crate::app::error::ApiError;
use crate::app::respond::{json, no_content};
use crate::app::stores::Stores;
use crate::Store;

/// 201 `{"id", "key", "tenant", "createdAtMs"}`.
///
/// # Errors
/// 503 when D1 fails.
pub async fn create(rc: &RequestContext, tenant: &str) -> Result<Response, ApiError> {
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let key = new_api_key()?;
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

/// 204 once revoked; 404 for a key the tenant does not have.
///
/// # Errors
/// 404, or 503 when D1 fails.
pub async fn revoke(rc: &RequestContext, tenant: &str, id: &str) -> Result<Response, ApiError> {
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let digest = stores
        .api_keys
        .inner()
        .digest_of(tenant, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("tenant {tenant} has no API key {id}")))?;
    stores.api_keys.delete(&digest).await?;
    log::info!("edgecache: revoked API key {id} of tenant {tenant}");
    no_content()
}
