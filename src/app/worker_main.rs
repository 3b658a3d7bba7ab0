//! The `#[event(fetch)]` and `#[event(scheduled)]` entries: per-isolate
//! state, handlers, responses.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use worker::{event, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

use super::admission::{admit, client_id, Admission, Limits};
use super::api_error::ApiError;
use super::console_log;
use super::conversation::{tenant_tag, user_config_id, user_tag, ConfigFields, StoredConfig};
use super::d1_conversation::{D1ConfigStore, D1ResolvedConfigStore};
use super::d1_outbox;
use super::d1_policy::D1PolicyStore;
use super::endpoint::{resolve, Endpoint};
use super::policy::{PolicyInput, MAX_BODY_BYTES};
use super::{DEFAULT_OUTBOX_DRAIN_INTERVAL_MS, TTL_NAMES};
use crate::config::{parse_number, MAX_DURATION_MS};
use crate::{Background, BoxFuture, Cache, CacheConfig, CachingStore, EntryOptions, Env as ConfigEnv, KeySpace, Store};

const PAGE: &str = include_str!("../../www/index.html");

/// What an isolate builds once: the cache (so its memory tier and counters
/// live as long as the isolate) and each store's settings.
struct AppState {
    cache: Cache,
    policy_keys: KeySpace,
    policy_options: EntryOptions,
    config_keys: KeySpace,
    resolved_keys: KeySpace,
    override_keys: KeySpace,
    config_options: EntryOptions,
    outbox_drain_interval_ms: u64,
    last_outbox_drain_ms: Cell<u64>,
    limits: Option<Limits>,
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
    let vars = ConfigEnv::new(|name| env.var(name).ok().map(|v| v.to_string()));
    let config = CacheConfig::from_env(&vars, TTL_NAMES).inspect_err(|e| log::error!("edgecache: {e}"))?;
    let outbox_drain_interval_ms = parse_number(&vars, "CACHE_OUTBOX_DRAIN_INTERVAL_MS", 1..=MAX_DURATION_MS)?
        .unwrap_or(DEFAULT_OUTBOX_DRAIN_INTERVAL_MS);
    let limits = Limits::from_env(&vars, config.upstash.as_ref(), &config.key_prefix)?;
    let cache = Cache::from_config(&config);
    let state = Rc::new(AppState {
        limits,
        policy_keys: cache.key_space("llm", "policy")?,
        policy_options: config.entry_options("POLICY"),
        config_keys: cache.key_space("conv", "config")?,
        resolved_keys: cache.key_space("conv", "resolved")?,
        override_keys: cache.key_space("conv", "override")?,
        config_options: config.entry_options("CONFIG"),
        outbox_drain_interval_ms,
        last_outbox_drain_ms: Cell::new(0),
        cache,
    });
    STATE.with(|s| *s.borrow_mut() = Some(state.clone()));
    Ok(state)
}

/// `ctx.wait_until` as edgecache's [`Background`]: stale-while-revalidate
/// refreshes run after the response is sent.
struct WaitUntil(Arc<Context>);

impl Background for WaitUntil {
    fn spawn(&self, task: BoxFuture) {
        self.0.wait_until(task);
    }
}

/// The stores of one request (they share the isolate's cache).
struct Stores {
    policies: CachingStore<D1PolicyStore>,
    tenant_configs: CachingStore<D1ConfigStore>,
    user_overrides: CachingStore<D1ConfigStore>,
    resolved_configs: CachingStore<D1ResolvedConfigStore>,
}

impl Stores {
    fn new(state: &AppState, env: &Env, ctx: &Arc<Context>) -> Result<Stores, ApiError> {
        let db = || env.d1("DB").map_err(|e| ApiError::new(500, format!("D1 binding DB is missing: {e}")));
        let background: Arc<dyn Background> = Arc::new(WaitUntil(ctx.clone()));
        let cache = &state.cache;
        Ok(Stores {
            policies: CachingStore::with_options(
                D1PolicyStore::new(db()?),
                cache,
                state.policy_keys.clone(),
                state.policy_options.clone(),
            )
            .with_background(background.clone()),
            // A tenant default's own tag is the tenant's: writing it
            // invalidates every resolved config of the tenant.
            tenant_configs: CachingStore::with_options(
                D1ConfigStore::tenant_defaults(db()?),
                cache,
                state.config_keys.clone(),
                state.config_options.clone(),
            )
            .with_tags(|tenant| vec![tenant_tag(tenant)])
            .with_background(background.clone()),
            user_overrides: CachingStore::with_options(
                D1ConfigStore::user_overrides(db()?),
                cache,
                state.override_keys.clone(),
                state.config_options.clone(),
            )
            .with_tags(|id| id.split_once('/').map(|(t, u)| vec![user_tag(t, u)]).unwrap_or_default()),
            resolved_configs: CachingStore::with_options(
                D1ResolvedConfigStore::new(db()?),
                cache,
                state.resolved_keys.clone(),
                state.config_options.clone(),
            )
            .with_tags(|id| id.split_once('/').map(|(t, u)| vec![tenant_tag(t), user_tag(t, u)]).unwrap_or_default())
            .with_background(background),
        })
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
    console_log::init();
    match handle(req, &env, &Arc::new(ctx)).await {
        Ok(response) => Ok(response),
        Err(error) => error_response(&error),
    }
}

/// The cron trigger (wrangler.toml): drains the outbox even without traffic.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_log::init();
    match (app_state(&env), env.d1("DB")) {
        (Ok(state), Ok(db)) => {
            if let Err(error) = d1_outbox::drain(&db, &state.cache).await {
                log::warn!("edgecache: scheduled outbox drain failed: {error}");
            }
        }
        (Err(error), _) => log::error!("edgecache: {}", error.message),
        (_, Err(error)) => log::error!("edgecache: D1 binding DB is missing: {error}"),
    }
}

async fn handle(req: Request, env: &Env, ctx: &Arc<Context>) -> Result<Response, ApiError> {
    let endpoint = resolve(req.method().as_ref(), &req.path())?;
    let state = app_state(env)?;
    match endpoint {
        Endpoint::Page => Response::from_html(PAGE).map_err(internal),
        Endpoint::Health => {
            let health = state.cache.health(5_000).await;
            let status = if health.healthy { 200 } else { 503 };
            Ok(Response::from_json(&health).map_err(internal)?.with_status(status))
        }
        Endpoint::Stats => {
            let outage = state.cache.outage();
            Response::from_json(&serde_json::json!({
                "cache": state.cache.stats(),
                "l1MaxStalenessMs": state.cache.l1_max_staleness_ms(),
                "backendFailing": outage.is_failing(),
                "backendFailures": outage.failures(),
                "lastError": outage.last_error(),
            }))
            .map_err(internal)
        }
        api => serve_api(api, req, &state, env, ctx).await,
    }
}

/// A `/v1/*` request: drain the outbox if due, pass the rate limits (the GET's
/// cache read riding along), serve, and add the rate-limit headers.
async fn serve_api(
    endpoint: Endpoint,
    mut req: Request,
    state: &AppState,
    env: &Env,
    ctx: &Arc<Context>,
) -> Result<Response, ApiError> {
    drain_outbox_if_due(state, env).await;
    let stores = Stores::new(state, env, ctx)?;
    let read_key = match &endpoint {
        Endpoint::GetPolicy { tenant } => Some(stores.policies.entry_key(tenant)),
        Endpoint::GetTenantConfig { tenant } => Some(stores.tenant_configs.entry_key(tenant)),
        Endpoint::GetUserConfig { tenant, user } => {
            Some(stores.resolved_configs.entry_key(&user_config_id(tenant, user)))
        }
        _ => None,
    };
    let admission = match &state.limits {
        None => Admission::default(),
        Some(limits) => {
            let client = client_id(req.headers().get("CF-Connecting-IP").map_err(internal)?);
            let tenant = endpoint.tenant().unwrap_or_default();
            match admit(limits, &state.cache, &client, tenant, read_key.as_ref()).await? {
                Ok(admission) => admission,
                Err(too_many) => return Ok(too_many),
            }
        }
    };
    let mut response = match serve(endpoint, &mut req, &stores, admission.prefetch).await {
        Ok(response) => response,
        Err(error) => error_response(&error).map_err(internal)?,
    };
    for (name, value) in &admission.headers {
        response.headers_mut().set(name, value).map_err(internal)?;
    }
    Ok(response)
}

async fn serve(
    endpoint: Endpoint,
    req: &mut Request,
    stores: &Stores,
    prefetch: Option<crate::Prefetch>,
) -> Result<Response, ApiError> {
    match endpoint {
        Endpoint::GetPolicy { tenant } => {
            let lookup = stores.policies.get_traced_prefetched(&tenant, prefetch).await?;
            cached_response(lookup.value.as_ref(), lookup.status, || format!("no policy for tenant {tenant}"))
        }
        Endpoint::PutPolicy { tenant } => {
            let input = PolicyInput::parse(&read_json_body(req).await?)?;
            let stored = stores.policies.set(&tenant, &input.into_stored(&tenant, crate::clock::now_ms())).await?;
            Response::from_json(&stored).map_err(internal)
        }
        Endpoint::GetTenantConfig { tenant } => {
            let lookup = stores.tenant_configs.get_traced_prefetched(&tenant, prefetch).await?;
            cached_response(lookup.value.as_ref(), lookup.status, || {
                format!("no conversation config for tenant {tenant}")
            })
        }
        Endpoint::PutTenantConfig { tenant } => {
            let fields = ConfigFields::parse(&read_json_body(req).await?)?;
            let config = StoredConfig {
                tenant_id: tenant.clone(),
                user_id: None,
                fields,
                updated_at_ms: crate::clock::now_ms(),
            };
            let stored = stores.tenant_configs.set(&tenant, &config).await?;
            Response::from_json(&stored).map_err(internal)
        }
        Endpoint::GetUserConfig { tenant, user } => {
            let lookup =
                stores.resolved_configs.get_traced_prefetched(&user_config_id(&tenant, &user), prefetch).await?;
            cached_response(lookup.value.as_ref(), lookup.status, || {
                format!("no conversation config for tenant {tenant} or user {user}")
            })
        }
        Endpoint::PutUserConfig { tenant, user } => {
            let fields = ConfigFields::parse(&read_json_body(req).await?)?;
            let config = StoredConfig {
                tenant_id: tenant.clone(),
                user_id: Some(user.clone()),
                fields,
                updated_at_ms: crate::clock::now_ms(),
            };
            let stored = stores.user_overrides.set(&user_config_id(&tenant, &user), &config).await?;
            Response::from_json(&stored).map_err(internal)
        }
        Endpoint::Page | Endpoint::Health | Endpoint::Stats => Err(ApiError::not_found("not an API route")),
    }
}

/// Runs pending outbox invalidations if the last check in this isolate was
/// at least `CACHE_OUTBOX_DRAIN_INTERVAL_MS` ago. Failures are logged: the
/// rows stay for the next drain.
async fn drain_outbox_if_due(state: &AppState, env: &Env) {
    let now_ms = crate::clock::now_ms();
    if now_ms.saturating_sub(state.last_outbox_drain_ms.get()) < state.outbox_drain_interval_ms {
        return;
    }
    state.last_outbox_drain_ms.set(now_ms);
    if let Ok(db) = env.d1("DB") {
        if let Err(error) = d1_outbox::drain(&db, &state.cache).await {
            log::warn!("edgecache: outbox drain failed: {error}");
        }
    }
}

/// 200 with `value`, or a JSON 404; either way with `x-cache`.
fn cached_response<T: serde::Serialize>(
    value: Option<&T>,
    status: crate::CacheStatus,
    not_found: impl FnOnce() -> String,
) -> Result<Response, ApiError> {
    let response = match value {
        Some(value) => Response::from_json(value).map_err(internal)?,
        None => error_response(&ApiError::not_found(not_found())).map_err(internal)?,
    };
    with_header(response, "x-cache", status.as_str())
}

/// Reads a JSON body of at most [`MAX_BODY_BYTES`]: 413 past it (by
/// `Content-Length` before reading, and while streaming, so a body without a
/// length is never buffered whole), 415 for a content-type that is not JSON.
async fn read_json_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    use futures_util::StreamExt;
    let headers = req.headers();
    if let Some(content_type) = headers.get("content-type").map_err(internal)? {
        if !content_type.to_ascii_lowercase().starts_with("application/json") {
            return Err(ApiError::unsupported_media_type(&content_type));
        }
    }
    let declared = headers.get("content-length").map_err(internal)?.and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else { return Ok(body) }; // no body
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("cannot read body: {e}")))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        body.extend_from_slice(&chunk);
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
