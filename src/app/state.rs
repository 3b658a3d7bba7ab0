//! What an isolate builds once, on its first request, and shares with every
//! later one: the settings, the cache and the limiters (one circuit breaker
//! between them), key spaces and entry options.
//!
//! It is built synchronously (nothing awaited), so no request ever waits on
//! another request's I/O to get it. A configuration error is answered on
//! every request (500, naming the variable) and built again on the next,
//! so fixing the setting takes effect without a redeploy of the code.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::JsCast;
use worker::Env;

use super::error::ApiError;
use super::settings::AppSettings;
use crate::clock::SystemClock;
use crate::config::Vars;
use crate::dedup::Dedup;
use crate::failure::CircuitBreaker;
use crate::ratelimit::{headers, Limiter};
use crate::upstash::UpstashClient;
use crate::{Cache, CacheBuilder, EntryOptions};

/// The isolate's shared state.
pub struct AppState {
    pub settings: AppSettings,
    pub cache: Cache,
    pub limits: Option<Limits>,
    /// Webhook delivery claims, when an Upstash database is configured.
    pub webhooks: Option<Dedup>,
    pub options: Options,
    /// When the outbox was last drained, and whether a drain runs now.
    pub outbox: OutboxSchedule,
    /// When this isolate built its state, in ms since the epoch.
    pub started_at_ms: u64,
    /// A random id of this isolate (16 hex digits): `/admin/stats` is per
    /// isolate, and a dashboard polling it needs to tell isolates apart.
    pub isolate_id: String,
    /// Responses this isolate answered since it built its state.
    pub responses: ResponseCounts,
}

/// Responses answered, by status class (`1xx` … `5xx`).
#[derive(Default)]
pub struct ResponseCounts {
    by_class: [Cell<u64>; 5],
}

impl ResponseCounts {
    /// Counts a response of `status`.
    pub fn count(&self, status: u16) {
        if let Some(class) = self.by_class.get(usize::from(status / 100).wrapping_sub(1)) {
            class.set(class.get() + 1);
        }
    }

    /// `[1xx, 2xx, 3xx, 4xx, 5xx]` so far.
    pub fn by_class(&self) -> [u64; 5] {
        std::array::from_fn(|i| self.by_class[i].get())
    }
}

/// The two limits of every `/v1` request.
pub struct Limits {
    pub client: Limiter,
    pub tenant: Limiter,
    /// The `RateLimit-Policy` header, the same for every response.
    pub policy_header: String,
}

/// Entry options of each kind of entry.
pub struct Options {
    pub policy: EntryOptions,
    pub config: EntryOptions,
    /// API-key validations: never a negative entry (an unknown key sent by
    /// anyone must create nothing), never served stale.
    pub auth: EntryOptions,
}

#[derive(Default)]
pub struct OutboxSchedule {
    pub last_ms: Cell<u64>,
    pub running: Cell<bool>,
}

thread_local! {
    static STATE: RefCell<Option<Rc<AppState>>> = const { RefCell::new(None) };
}

/// The isolate's state if a request has built it, without building it.
pub fn built_state() -> Option<Rc<AppState>> {
    STATE.with(|s| s.borrow().clone())
}

/// The isolate's state, built on the first request that needs it.
///
/// # Errors
/// 500 naming the variable when a setting cannot be used.
pub fn app_state(env: &Env) -> Result<Rc<AppState>, ApiError> {
    if let Some(state) = built_state() {
        return Ok(state);
    }
    // The env object's own keys (vars, secrets and bindings alike) let
    // settings refuse a variable nothing reads, e.g. CACHE_TTL_FOO_SECONDS.
    let names =
        js_sys::Object::keys(env.unchecked_ref::<js_sys::Object>()).into_iter().filter_map(|key| key.as_string());
    let vars = Vars::with_names(|name| env.var(name).ok().map(|v| v.to_string()), names);
    let settings = AppSettings::from_env(&vars).inspect_err(|e| log::error!("edgecache: {e}"))?;
    let state = Rc::new(build(settings)?);
    STATE.with(|s| *s.borrow_mut() = Some(state.clone()));
    Ok(state)
}

// The Arcs are for shared ownership within the isolate's one thread.
#[allow(clippy::arc_with_non_send_sync)]
fn build(settings: AppSettings) -> Result<AppState, ApiError> {
    let breaker = Arc::new(CircuitBreaker::new(settings.cache.breaker, Arc::new(SystemClock)));
    let cache = CacheBuilder::from_config(&settings.cache).circuit_breaker(breaker.clone()).build();
    let limits = match (&settings.rate_limit, &settings.cache.upstash) {
        (Some(config), Some(upstash)) => {
            let client = Arc::new(UpstashClient::new(&config.upstash_config(upstash)));
            let client_limiter =
                config.limiter(client.clone(), "client", config.client).circuit_breaker(breaker.clone()).build()?;
            let tenant_limiter = config.limiter(client, "tenant", config.tenant).circuit_breaker(breaker).build()?;
            let policy_header = headers::policy_header([&client_limiter, &tenant_limiter]);
            Some(Limits { client: client_limiter, tenant: tenant_limiter, policy_header })
        }
        _ => None,
    };
    let config = &settings.cache;
    let options = Options {
        policy: config.entry_options("POLICY"),
        config: config.entry_options("CONFIG"),
        // A key's validation is cheap to load: no lease to wait on.
        auth: EntryOptions { negative_ttl: None, grace: None, lease: None, ..config.entry_options("AUTH") },
    };
    let webhooks = match cache.backend().and_then(|backend| backend.upstash_client()) {
        Some(client) => Some(Dedup::new(client.clone(), cache.key_prefix(), "webhooks")?),
        None => None,
    };
    Ok(AppState {
        cache,
        limits,
        webhooks,
        options,
        outbox: OutboxSchedule::default(),
        started_at_ms: crate::clock::now_ms(),
        isolate_id: format!("{:016x}", crate::random::random_u64()),
        responses: ResponseCounts::default(),
        settings,
    })
}
