//! `GET /health`: public, cheap, honest. It answers the isolate's last
//! health check while it is younger than `HEALTH_CACHE_MS` (one Upstash
//! request per isolate per interval, however many callers), and the check
//! proves the token can write, not just reach the database.

use worker::Response;

use super::RequestContext;
use crate::app::error::ApiError;
use crate::app::respond::json;

/// 200 `{"healthy":true,...}` or 503 `{"healthy":false,"error":...}`, with
/// `ageMs`: how old the check is.
///
/// # Errors
/// 500 when the answer cannot be built.
pub async fn get(rc: &RequestContext) -> Result<Response, ApiError> {
    let state = &rc.state;
    let health = state.cache.health(state.settings.health_cache_ms).await;
    let mut body = serde_json::to_value(&health).map_err(ApiError::internal)?;
    body["ageMs"] = crate::clock::now_ms().saturating_sub(health.checked_at_ms).into();
    json(&body, if health.healthy { 200 } else { 503 })
}
