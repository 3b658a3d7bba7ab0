//! Route handlers, one module per resource, and what every request shares.

mod admin_cache;
mod admin_events;
mod admin_keys;
mod admin_metrics;
mod admin_ratelimit;
mod admin_stats;
mod health;
mod llm;
mod tenants;

use std::rc::Rc;
use std::sync::Arc;

use worker::{Context, Env, Response};

use crate::app::incoming::Incoming;

use super::admission::{authenticate, identify, Caller};
use super::auth::api_key::key_digest;
use super::d1::outbox;
use super::error::ApiError;
use super::routes::{AdminRoute, Route};
use super::state::AppState;
use super::stores::{database, Stores};

/// What a handler needs besides the request.
pub struct RequestContext {
    pub state: Rc<AppState>,
    pub env: Env,
    pub ctx: Arc<Context>,
    /// Sent with server errors and logged with their cause.
    pub request_id: String,
}

/// Serves `route`.
///
/// # Errors
/// Whatever the route answers as an error.
pub async fn serve(route: Route, req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    match route {
        // With credentials, /health is the admin's detailed view.
        Route::Health if req.header("authorization")?.is_some() => {
            require_admin(rc, &req).await?;
            health::details(rc).await
        }
        Route::Health => health::get(rc).await,
        Route::Tenant(route) => tenants::serve(route, req, rc).await,
        Route::Admin(route) => {
            require_admin(rc, &req).await?;
            admin(route, req, rc).await
        }
    }
}

async fn admin(route: AdminRoute, req: Incoming, rc: &RequestContext) -> Result<Response, ApiError> {
    match route {
        AdminRoute::Stats => admin_stats::get(rc, &req).await,
        AdminRoute::Metrics => admin_metrics::get(rc, &req).await,
        AdminRoute::Health => health::details(rc).await,
        AdminRoute::Invalidate => admin_cache::invalidate(req, rc).await,
        AdminRoute::Clear => admin_cache::clear(req, rc).await,
        AdminRoute::Warm => admin_cache::warm(req, rc).await,
        AdminRoute::GetRateLimit { limiter, identifier } => admin_ratelimit::get(rc, limiter, &identifier).await,
        AdminRoute::ResetRateLimit { limiter, identifier } => admin_ratelimit::reset(rc, limiter, &identifier).await,
        AdminRoute::Override { limiter, identifier, method } => {
            admin_ratelimit::set_override(rc, req, limiter, &identifier, method).await
        }
        AdminRoute::Deny { method } => admin_ratelimit::deny(rc, req, method).await,
        AdminRoute::Events => admin_events::stream(rc).await,
        AdminRoute::CreateKey { tenant } => admin_keys::create(rc, &tenant).await,
        AdminRoute::ListKeys { tenant } => admin_keys::list(rc, &tenant).await,
        AdminRoute::RevokeKey { tenant, id } => admin_keys::revoke(rc, &tenant, &id).await,
    }
}

/// The admin token, or: 401 without credentials or with invalid ones (429
/// past the address's failure limits), 503 when `ADMIN_TOKEN` is not
/// configured, 403 `insufficient_scope` for a valid tenant API key.
async fn require_admin(rc: &RequestContext, req: &Incoming) -> Result<(), ApiError> {
    match identify(&rc.state, req).await? {
        (Caller::Admin, _) => Ok(()),
        (Caller::Key { token, id }, client) => {
            let stores = Stores::new(&rc.state, &rc.env, &rc.ctx)?;
            authenticate(&rc.state, &stores, &key_digest(&token), id, &client, None).await?;
            Err(ApiError::insufficient_scope("the admin routes need the admin token"))
        }
    }
}

/// Drains the outbox after the response (`ctx.waitUntil`) if this isolate
/// last looked at least `CACHE_OUTBOX_DRAIN_INTERVAL_MS` ago and no drain
/// runs now; one drain handles at most
/// [`MAX_DRAIN_ROWS`](outbox::MAX_DRAIN_ROWS) rows.
pub fn drain_outbox_later(rc: &RequestContext) {
    let state = &rc.state;
    let now_ms = crate::clock::now_ms();
    let since_ms = now_ms.saturating_sub(state.outbox.last_ms.get());
    // A drain still marked running a minute on was cancelled with its request.
    let running = state.outbox.running.get() && since_ms < 60_000;
    if since_ms < state.settings.outbox_drain_interval_ms || running {
        return;
    }
    let Ok(db) = database(&rc.env) else { return };
    state.outbox.last_ms.set(now_ms);
    state.outbox.running.set(true);
    let state = state.clone();
    rc.ctx.wait_until(async move {
        if let Err(error) = outbox::drain(&db, &state.cache).await {
            log::warn!("edgecache: outbox drain failed: {error}");
        }
        state.outbox.running.set(false);
    });
}
