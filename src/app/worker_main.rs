//! The `#[event(fetch)]` and `#[event(scheduled)]` entries: route, build
//! (or reuse) the isolate's state, serve, and turn every error into its
//! JSON answer in one place.

use std::sync::Arc;

use worker::worker_sys::web_sys;
use worker::{event, Context, Env, Response, ScheduleContext, ScheduledEvent};

use super::console_log;
use super::d1::outbox;
use super::error::ApiError;
use super::handlers::{self, RequestContext};
use super::incoming::Incoming;
use super::respond;
use super::routes;
use super::state::{app_state, built_state};
use super::stores::database;

#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Response> {
    console_log::init();
    let request_id = format!("{:016x}", crate::random::random_u64());
    let mut response = match handle(Incoming::new(req), env, ctx, &request_id).await {
        Ok(response) => response,
        Err(error) => respond::error(error, &request_id),
    };
    let headers = response.headers_mut();
    headers.set("x-request-id", &request_id)?;
    for (name, value) in respond::SECURITY_HEADERS {
        headers.set(name, value)?;
    }
    if let Some(state) = built_state() {
        state.responses.count(response.status_code());
    }
    Ok(response)
}

async fn handle(req: Incoming, env: Env, ctx: Context, request_id: &str) -> Result<Response, ApiError> {
    let route = routes::resolve(&req.method(), &req.path())?;
    let state = app_state(&env)?;
    let rc = RequestContext { state, env, ctx: Arc::new(ctx), request_id: request_id.to_owned() };
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
