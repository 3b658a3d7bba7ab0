//! The `#[event(fetch)]` and `#[event(scheduled)]` entries: route, build
//! (or reuse) the isolate's state, serve, and turn every error into its
//! JSON answer in one place; then, after the answer, count it, flush the
//! fleet counters if due (`ctx.waitUntil`) and log the request's JSON line.

use std::sync::Arc;

use worker::worker_sys::web_sys;
use worker::{event, Context, Env, Response, ScheduleContext, ScheduledEvent};

use super::console_log;
use super::d1::outbox;
use super::error::ApiError;
use super::fleet;
use super::handlers::{self, RequestContext};
use super::incoming::Incoming;
use super::request_log::{self, LogLevel, RequestLine};
use super::respond;
use super::routes::{self, Route};
use super::state::{app_state, built_state};
use super::stores::database;
use crate::trace::{traced, Trace};

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Response> {
    console_log::init();
    let started_ms = crate::clock::now_ms();
    let request_id = format!("{:016x}", crate::random::random_u64());
    let req = Incoming::new(req);
    let method = req.method();
    let route = routes::resolve(&method, &req.path());
    let template = route.as_ref().ok().map(request_log::template);
    let ctx = Arc::new(ctx);
    // Counts this request's own round trips and limit decisions, not those
    // of the isolate's concurrent requests.
    let trace = Arc::new(Trace::new());
    let handled = traced(trace.clone(), handle(route, req, env, ctx.clone(), &request_id)).await;
    let mut response = match handled {
        Ok(response) => response,
        Err(error) => respond::error(error, &request_id),
    };
    let headers = response.headers_mut();
    headers.set("x-request-id", &request_id)?;
    for (name, value) in respond::SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    let status = response.status_code();
    let state = built_state();
    if let Some(state) = &state {
        state.responses.count(status);
        fleet::flush_later(state, &ctx);
    }
    let level = state.as_ref().map_or(LogLevel::default(), |state| state.settings.log_level);
    console_log::set_level(level);
    let cache = response.headers().get("x-cache").ok().flatten();
    let line = RequestLine {
        request_id: &request_id,
        method: &method,
        route: template,
        status,
        cache: cache.as_deref(),
        limit: trace.limit_outcome(),
        upstash_round_trips: trace.round_trips(),
        duration_ms: crate::clock::now_ms().saturating_sub(started_ms),
        isolate: state.as_ref().map(|state| state.isolate_id.as_str()),
    };
    console_log::request(&line, level);
    Ok(response)
}

async fn handle(
    route: Result<Route, ApiError>,
    req: Incoming,
    env: Env,
    ctx: Arc<Context>,
    request_id: &str,
) -> Result<Response, ApiError> {
    let route = route?;
    let state = app_state(&env)?;
    let rc = RequestContext { state, env, ctx, request_id: request_id.to_owned() };
    handlers::serve(route, req, &rc).await
}

/// The cron trigger (wrangler.toml): drains the outbox even without traffic.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_log::init();
    let state = match app_state(&env) {
        Ok(state) => state,
        Err(error) => return log::error!("edgecache: {}", error.message),
    };
    match database(&env) {
        Ok(db) => {
            if let Err(error) = outbox::drain(&db, &state.cache).await {
                log::warn!("edgecache: scheduled outbox drain failed: {error}");
            }
        }
        Err(error) => log::error!("edgecache: {}", error.message),
    }
}
