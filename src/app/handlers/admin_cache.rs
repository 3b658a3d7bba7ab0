//! `POST /admin/cache/{invalidate,clear,warm}`: an operator steering the
//! cache. Each validates its body first (400, nothing changed) and fails
//! closed: a cache that cannot apply it answers 503, never a silent success.

use serde_json::json;
use worker::Response;

use crate::app::incoming::Incoming;

use super::RequestContext;
use crate::app::admin::{parse_clear, parse_invalidation, parse_warm, WarmScope};
use crate::app::conversation::Scope;
use crate::app::d1::conversation::D1ConfigStore;
use crate::app::d1::policy::D1PolicyStore;
use crate::app::d1::tenant_ids_after;
use crate::app::error::ApiError;
use crate::app::respond::json;
use crate::app::stores::{database, Stores};
use crate::cache::CachedBytes;
use crate::cache::WarmReport;
use crate::keys::EntryKey;
use crate::FailurePolicy;

/// Tenants read from D1 per query (D1 binds at most 100 parameters).
const D1_CHUNK: usize = 100;

/// `{"keys"?: [...], "tags"?: [...]}` → `{"invalidated": {"keys", "tags"}}`:
/// one round trip (`MULTI/EXEC`) for up to 1000 items, the event published
/// in it when `CACHE_EVENTS_CHANNEL` is set.
///
/// # Errors
/// 400 for a bad body; 503 when the cache cannot apply it.
pub async fn invalidate(req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    let cache = &rc.state.cache;
    let invalidation = parse_invalidation(&req.json_body().await?, cache.key_prefix())?;
    cache.invalidate(&invalidation, FailurePolicy::FailClosed).await?;
    json(&json!({ "invalidated": { "keys": invalidation.keys.len(), "tags": invalidation.tags.len() } }), 200)
}

/// `{"namespace"?: "llm:policy"}` → `{"cleared": "edgecache:llm:policy"}`;
/// without a namespace, everything under `CACHE_KEY_PREFIX`. One version
/// bump either way: no `KEYS`, no `SCAN`, reads still one round trip.
///
/// # Errors
/// 400 for a bad body; 503 when the cache cannot apply it.
pub async fn clear(req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    let cache = &rc.state.cache;
    let cleared = match parse_clear(&req.json_body().await?, cache.key_prefix())? {
        Some(space) => {
            cache.clear(&space, FailurePolicy::FailClosed).await?;
            space.as_str().to_owned()
        }
        None => {
            cache.clear_all(FailurePolicy::FailClosed).await?;
            cache.key_prefix().to_owned()
        }
    };
    json(&json!({ "cleared": cleared }), 200)
}

/// `{"tenants": [...]}` or `{"all": true, "after"?, "limit"?}` → loads each
/// tenant's policy and default config from D1 and writes them into the
/// cache (fenced: a concurrent write is never overwritten), answering
/// `{"tenants", "warmed", "skipped", "failed", "missing", "next"}`.
///
/// A warm of every tenant pages: each call loads at most 500 tenants after
/// `after` (so a call stays within Workers' subrequest limits: per 100
/// tenants two D1 queries and four Upstash round trips) and answers the
/// `next` cursor, `null` after the last page; the dashboard follows it and
/// shows the progress.
///
/// # Errors
/// 400 for a bad body; 503 when D1 or the cache fails.
pub async fn warm(req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    let scope = parse_warm(&req.json_body().await?)?;
    let (tenants, next) = match scope {
        WarmScope::Tenants(tenants) => (tenants, None),
        WarmScope::All { after, limit } => {
            let tenants = tenant_ids_after(&database(&rc.env)?, after.as_deref(), limit).await?;
            let next = (tenants.len() == limit).then(|| tenants.last().cloned()).flatten();
            (tenants, next)
        }
    };
    let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
    let policies = D1PolicyStore::new(database(&rc.env)?);
    let configs = D1ConfigStore::new(database(&rc.env)?, Scope::Tenant);
    let (cache, options) = (&rc.state.cache, &rc.state.options);
    let mut report = WarmReport::default();
    let mut missing = 0;
    for chunk in tenants.chunks(D1_CHUNK) {
        let found_policies = policies.get_many(chunk).await?;
        let found_configs = configs.defaults_of(chunk).await?;
        missing += chunk
            .iter()
            .filter(|t| {
                !found_policies.iter().any(|p| &p.tenant_id == *t) && !found_configs.iter().any(|c| &c.tenant_id == *t)
            })
            .count();
        let policy_entries = entries(found_policies.iter().map(|p| (stores.policies.entry_key(&p.tenant_id), p)))?;
        let config_entries = entries(found_configs.iter().map(|c| (stores.tenant_configs.entry_key(&c.tenant_id), c)))?;
        report.add(cache.warm_bytes(&policy_entries, &options.policy).await?);
        report.add(cache.warm_bytes(&config_entries, &options.config).await?);
    }
    let body = json!({
        "tenants": tenants.len(),
        "warmed": report.warmed,
        "skipped": report.skipped,
        "failed": report.failed,
        "missing": missing,
        "next": next,
    });
    json(&body, 200)
}

/// The cache entries of `values`: each one's keys and JSON.
fn entries<'a, T: serde::Serialize + 'a>(
    values: impl Iterator<Item = (EntryKey, &'a T)>,
) -> Result<Vec<(EntryKey, CachedBytes)>, ApiError> {
    values.map(|(key, value)| Ok((key, Some(serde_json::to_vec(value).map_err(ApiError::internal)?)))).collect()
}
