//! The `#[event(fetch)]` entry: per-isolate state, handlers, responses.

use std::cell::RefCell;
use std::rc::Rc;

use worker::{event, Context, Env, Request, Response};

use super::api_error::ApiError;
use super::console_log;
use super::d1_policy::D1PolicyStore;
use super::endpoint::{resolve, Endpoint};
use super::policy::{PolicyInput, MAX_BODY_BYTES};
use super::TTL_NAMES;
use crate::{Cache, CacheConfig, CachingStore, Env as ConfigEnv, KeySpace, Store, Ttl};

const PAGE: &str = include_str!("../../www/index.html");

/// What an isolate builds once: the cache (so the in-memory backend lives as
/// long as the isolate) and the policy store's settings.
struct AppState {
    cache: Cache,
    policy_keys: KeySpace,
    policy_ttl: Ttl,
}

thread_local! {
    static STATE: RefCell<Option<Rc<AppState>>> = const { RefCell::new(None) };
}

/// Builds the state on the first request of an isolate. A configuration
/// error is answered (500, naming the variable) on every request until fixed.
fn app_state(env: &Env) -> Result<Rc<AppState>, ApiError> {
    if let Some(state) = STATE.with(|s| s.borrow().clone()) {
        return Ok(state);
    }
    let config = CacheConfig::from_env(
        &ConfigEnv::new(|name| env.var(name).ok().map(|v| v.to_string())),
        TTL_NAMES,
    )
    .inspect_err(|e| log::error!("edgecache: {e}"))?;
    let cache = Cache::from_config(&config);
    let state = Rc::new(AppState {
        policy_keys: cache.key_space("llm", "policy")?,
        policy_ttl: config.ttl("POLICY"),
        cache,
    });
    STATE.with(|s| *s.borrow_mut() = Some(state.clone()));
    Ok(state)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    console_log::init();
    match handle(req, &env).await {
        Ok(response) => Ok(response),
        Err(error) => error_response(&error),
    }
}

async fn handle(mut req: Request, env: &Env) -> Result<Response, ApiError> {
    let endpoint = resolve(&req.method().to_string(), &req.path())?;
    let state = app_state(env)?;
    match endpoint {
        Endpoint::Page => Response::from_html(PAGE).map_err(internal),
        Endpoint::Health => {
            let health = state.cache.health().await;
            let status = if health.healthy { 200 } else { 503 };
            Ok(Response::from_json(&health)
                .map_err(internal)?
                .with_status(status))
        }
        Endpoint::GetPolicy { tenant } => {
            let lookup = policy_store(&state, env)?.get_traced(&tenant).await?;
            let response = match lookup.value {
                Some(policy) => Response::from_json(&policy).map_err(internal)?,
                None => error_response(&ApiError::not_found(format!(
                    "no policy for tenant {tenant}"
                )))
                .map_err(internal)?,
            };
            with_header(response, "x-cache", lookup.status.as_str())
        }
        Endpoint::PutPolicy { tenant } => {
            let body = read_json_body(&mut req).await?;
            let input = PolicyInput::parse(&body)?;
            let stored = policy_store(&state, env)?
                .set(&tenant, &input.into_stored(&tenant, crate::clock::now_ms()))
                .await?;
            Response::from_json(&stored).map_err(internal)
        }
    }
}

fn policy_store(state: &AppState, env: &Env) -> Result<CachingStore<D1PolicyStore>, ApiError> {
    let db = env
        .d1("DB")
        .map_err(|e| ApiError::new(500, format!("D1 binding DB is missing: {e}")))?;
    Ok(CachingStore::new(
        D1PolicyStore::new(db),
        &state.cache,
        state.policy_keys.clone(),
        state.policy_ttl,
    ))
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`]: 413 past it (by
/// `Content-Length` before reading, and by actual size), 415 for a
/// content-type that is not JSON.
async fn read_json_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let headers = req.headers();
    if let Some(content_type) = headers.get("content-type").map_err(internal)? {
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/json")
        {
            return Err(ApiError::unsupported_media_type(&content_type));
        }
    }
    let declared = headers
        .get("content-length")
        .map_err(internal)?
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    let body = req
        .bytes()
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    Ok(body)
}

fn error_response(error: &ApiError) -> worker::Result<Response> {
    let mut response = Response::from_json(&error.body())?.with_status(error.status);
    if let Some(allow) = error.allow {
        response.headers_mut().set("allow", allow)?;
    }
    Ok(response)
}

fn with_header(mut response: Response, name: &str, value: &str) -> Result<Response, ApiError> {
    response.headers_mut().set(name, value).map_err(internal)?;
    Ok(response)
}

fn internal(error: worker::Error) -> ApiError {
    ApiError::new(500, format!("internal error: {error}"))
}
