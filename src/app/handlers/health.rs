//! `GET /health`: public, cheap, and saying little. It answers the
//! isolate's last health check while it is younger than `HEALTH_CACHE_MS`
//! (at least 1000: one Upstash request per isolate per interval, however
//! many callers), and the check proves the token can write, not just reach
//! the database. Anyone sees whether it is healthy and how old the check
//! is; the backend, the latency and the error (Redis's own words) are for
//! the admin (`GET /admin/health`, or `/health` with the admin token).

use serde_json::json;
use worker::Response;

use super::RequestContext;
use crate::app::error::ApiError;
use crate::app::respond::json;

/// 200 `{"healthy":true,"ageMs","checkedAtMs"}`, or 503 with `false`.
///
/// # Errors
/// 500 when the answer cannot be built.
pub async fn get(rc: &RequestContext) -> Result<Response, ApiError> {
    let state = &rc.state;
    let health = state.cache.health(state.settings.health_cache_ms).await;
    let body = json!({
        "healthy": health.healthy,
        "ageMs": crate::clock::now_ms().saturating_sub(health.checked_at_ms),
        "checkedAtMs": health.checked_at_ms,
    });
    json(&body, if health.healthy { 200 } else { 503 })
}

/// The admin's view: `{"healthy","backend","latencyMs","checkedAtMs","error"?,
/// "ageMs","cache":{"backend","scope"},"isolate"}`, 503 when unhealthy.
/// `cache.scope` is `"isolate"` for the memory provider (each isolate caches
/// on its own), `"shared"` with Upstash, `"none"` with caching off.
///
/// # Errors
/// 500 when the answer cannot be built.
pub async fn details(rc: &RequestContext) -> Result<Response, ApiError> {
    let state = &rc.state;
    let health = state.cache.health(state.settings.health_cache_ms).await;
    let mut body = serde_json::to_value(&health).map_err(ApiError::internal)?;
    body["ageMs"] = crate::clock::now_ms().saturating_sub(health.checked_at_ms).into();
    let scope = match health.backend {
        "none" => "none",
        _ if state.cache_is_per_isolate() => "isolate",
        _ => "shared",
    };
    body["cache"] = json!({ "backend": health.backend, "scope": scope });
    body["isolate"] = state.isolate_id.clone().into();
    json(&body, if health.healthy { 200 } else { 503 })
}
