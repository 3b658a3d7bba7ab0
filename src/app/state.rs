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
use super::fleet::Fleet;
use super::settings::AppSettings;
use super::throttle::{FailureWindow, LogBudget};
use crate::backend::BackendKind;
use crate::clock::SystemClock;
use crate::config::{ConfigError, Vars};
use crate::dedup::Dedup;
use crate::failure::CircuitBreaker;
use crate::ratelimit::{headers, Algorithm, DenyList, Limiter, LimiterBuilder};
use crate::upstash::UpstashClient;
use crate::{Cache, CacheBuilder, EntryOptions, Ttl};

/// Failure lines an isolate logs per minute (the rest are counted in one line).
const AUTH_FAILURE_LOG_LINES_PER_MINUTE: u32 = 60;

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
    /// Its side of the fleet counters: what it flushes, when (`app/fleet.rs`).
    pub fleet: Fleet,
    /// Failed credentials per address, counted in this isolate: the
    /// throttle of a worker without shared limits ([`Limits::auth`] otherwise).
    pub auth_failures: RefCell<FailureWindow>,
    /// How many failed-credential lines this isolate still logs this minute.
    pub auth_log: RefCell<LogBudget>,
}

impl AppState {
    /// True when the cache is this isolate's memory (the memory provider):
    /// nothing it holds is seen by other isolates.
    pub fn cache_is_per_isolate(&self) -> bool {
        self.cache.backend().is_some_and(|backend| backend.kind() == BackendKind::Memory)
    }
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

/// The shared rate limits (with Upstash): what an authenticated request
/// spends (its tenant's and its key's), and what failed credentials spend
/// (their address's).
pub struct Limits {
    /// Per address, spent only by what is not authenticated: failed credentials.
    pub client: Limiter,
    /// Per address, failed credentials only: the stricter `AUTH_FAILURE_LIMIT`.
    pub auth: Limiter,
    /// Per tenant, authenticated requests only.
    pub tenant: Limiter,
    /// Per API key (by its id), requests made with it.
    pub key: Limiter,
    /// The LLM gateway's in-flight slots per tenant (`LLM_MAX_IN_FLIGHT`).
    pub slots: Limiter,
    /// The LLM gateway's daily token budget per tenant (`LLM_DAILY_TOKENS`),
    /// with overrides per tenant.
    pub tokens: Limiter,
    /// Identifiers and networks refused before any `/v1` limit is checked.
    pub deny: DenyList,
    /// `RateLimit-Policy` of authenticated answers (tenant, key).
    pub policy_header: String,
    /// `RateLimit-Policy` of answers to failed credentials (client, auth).
    pub failure_policy_header: String,
}

impl Limits {
    /// Every limiter, for counters (the fleet's series are labelled by
    /// each one's name).
    pub fn each(&self) -> Vec<&Limiter> {
        vec![&self.client, &self.auth, &self.tenant, &self.key, &self.slots, &self.tokens]
    }
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
    let state = Rc::new(build(settings).inspect_err(|e| log::error!("edgecache: {}", e.message))?);
    announce(&state);
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
            let build = |builder: LimiterBuilder, (limit_var, window_var): (&str, &str)| {
                builder.circuit_breaker(breaker.clone()).build().map_err(|e| {
                    ConfigError::new(if e.variable == "window_ms" { window_var } else { limit_var }, e.message)
                })
            };
            let max_overrides = settings.llm.max_overrides;
            let client_limiter = build(
                config.limiter(client.clone(), "client", config.client).overrides(max_overrides),
                ("RATE_LIMIT_CLIENT_LIMIT", "RATE_LIMIT_CLIENT_WINDOW_SECS"),
            )?;
            let auth = build(
                config.limiter(client.clone(), "auth", settings.auth_failures),
                ("AUTH_FAILURE_LIMIT", "AUTH_FAILURE_WINDOW_SECS"),
            )?;
            let tenant = build(
                config.limiter(client.clone(), "tenant", config.tenant).overrides(max_overrides),
                ("RATE_LIMIT_TENANT_LIMIT", "RATE_LIMIT_TENANT_WINDOW_SECS"),
            )?;
            let key = build(
                config.limiter(client.clone(), "key", settings.key_limit),
                ("RATE_LIMIT_KEY_LIMIT", "RATE_LIMIT_KEY_WINDOW_SECS"),
            )?;
            // The LLM gateway: a tenant's in-flight slots (leases), and its
            // daily token budget (reserved, then settled; by default fixed
            // to the UTC day).
            let llm = &settings.llm;
            let slots = Limiter::builder(client.clone(), "llm_slots", Algorithm::Concurrency, llm.slots)
                .prefix(&config.key_prefix)
                .failure_policy(config.failure_policy)
                .circuit_breaker(breaker.clone())
                .build()
                .map_err(|e| ConfigError::new("LLM_MAX_IN_FLIGHT", e.message))?;
            let tokens = Limiter::builder(client.clone(), "llm", Algorithm::FixedWindow, llm.daily_tokens)
                .prefix(&config.key_prefix)
                .failure_policy(config.failure_policy)
                .circuit_breaker(breaker.clone())
                .overrides(max_overrides)
                .build()
                .map_err(|e| ConfigError::new("LLM_DAILY_TOKENS", e.message))?;
            let deny = DenyList::new(client, &config.key_prefix)?;
            Some(Limits {
                policy_header: headers::policy_header([&tenant, &key]),
                failure_policy_header: headers::policy_header([&client_limiter, &auth]),
                client: client_limiter,
                auth,
                tenant,
                key,
                slots,
                tokens,
                deny,
            })
        }
        _ => None,
    };
    let config = &settings.cache;
    let per_isolate = cache.backend().is_some_and(|backend| backend.kind() == BackendKind::Memory);
    // A key's validation is cheap to load: no lease to wait on. In memory
    // mode, each isolate's cache is its own, and a revocation invalidates
    // only the revoking isolate's: there, validations live no longer than
    // the L1 bound (CACHE_L1_MAX_STALENESS_MS, 1 ms when L1 is off), so a
    // revoked key is refused everywhere within it.
    let mut auth = EntryOptions { negative_ttl: None, grace: None, lease: None, ..config.entry_options("AUTH") };
    if per_isolate {
        let bound = Ttl::try_from_millis(config.l1_max_staleness_ms.max(1)).expect("at least 1 ms");
        if bound.as_millis() < auth.ttl.as_millis() {
            auth.ttl = bound;
        }
        auth.jitter_percent = 0;
        auth.early_refresh_beta = None;
    }
    let options = Options { policy: config.entry_options("POLICY"), config: config.entry_options("CONFIG"), auth };
    let webhooks = match cache.backend().and_then(|backend| backend.upstash_client()) {
        Some(client) => Some(Dedup::new(client.clone(), cache.key_prefix(), "webhooks")?),
        None => None,
    };
    let now_ms = crate::clock::now_ms();
    let isolate_id = format!("{:016x}", crate::random::random_u64());
    let limits_client = limits.as_ref().map(|limits| limits.client.client());
    let fleet = Fleet::new(&cache, limits_client, &isolate_id, settings.stats_flush_interval_ms, now_ms);
    Ok(AppState {
        cache,
        limits,
        webhooks,
        options,
        outbox: OutboxSchedule::default(),
        started_at_ms: now_ms,
        fleet,
        isolate_id,
        responses: ResponseCounts::default(),
        auth_failures: RefCell::new(FailureWindow::new(
            settings.auth_failures.limit(),
            settings.auth_failures.window_ms(),
        )),
        auth_log: RefCell::new(LogBudget::new(AUTH_FAILURE_LOG_LINES_PER_MINUTE)),
        settings,
    })
}

/// Says once per isolate what an operator should know of its settings.
fn announce(state: &AppState) {
    if state.cache_is_per_isolate() {
        log::warn!(
            "edgecache: the cache is per isolate (the memory provider: no Upstash configured, or \
             CACHE_PROVIDER=memory): a write or a revocation in one isolate reaches the others' cached \
             policies and configs only when their TTL ends, and their key validations within {} ms",
            state.options.auth.ttl.as_millis()
        );
    }
    if state.settings.api_key_signer.as_ref().is_some_and(|signer| signer.is_derived()) {
        log::warn!(
            "edgecache: API keys are signed with a key derived from ADMIN_TOKEN (API_KEY_SECRET is not \
             set): rotating ADMIN_TOKEN will invalidate every API key"
        );
    }
}
