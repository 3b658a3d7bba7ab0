//! The reference worker: serverless routes over a D1-backed, cached store.
//!
//! Behind the `worker-app` feature. The routing, input validation and error
//! mapping here are platform-free and tested natively; the Workers glue
//! (the `#[event(fetch)]` entry, D1, console logging) is wasm32-only.
//!
//! Routes:
//! - `GET /` — a small page (www/index.html) to try the API by hand.
//! - `GET /health` — `{"healthy","backend","latencyMs","error"?}`; 503 when unhealthy.
//! - `GET /v1/tenants/{tenant}/policy` — the tenant's LLM policy, read through
//!   the cache (`x-cache: hit | miss | bypass`); 404 for an unknown tenant.
//! - `PUT /v1/tenants/{tenant}/policy` — validates and writes the policy to D1,
//!   then invalidates its cache entry; answers the stored policy.
//! - `GET/PUT /v1/tenants/{tenant}/conversation-config` — the tenant default.
//! - `GET/PUT /v1/tenants/{tenant}/users/{user}/conversation-config` — GET
//!   answers the user's override resolved over the tenant default; PUT writes
//!   the override. Resolved entries carry the tags `tenant:{tenant}` and
//!   `user:{tenant}:{user}`, so a new tenant default invalidates every user's
//!   resolved config in one version bump.
//! - `GET /stats` — the cache's counters in this isolate.
//!
//! Every `/v1/*` request is rate limited per client (`CF-Connecting-IP`) and
//! per tenant, both limits all-or-nothing (`RATE_LIMIT_*`); on a GET the check
//! shares the cache read's REST round trip. A refusal is a 429 with
//! `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` headers; allowed
//! responses carry `RateLimit` and `RateLimit-Policy` too.
//!
//! Every write records its invalidation in a D1 outbox in the same batch;
//! rows left by a cache outage are drained before API requests (at most every
//! `CACHE_OUTBOX_DRAIN_INTERVAL_MS`) and by the cron trigger.

#[cfg(target_arch = "wasm32")]
mod admission;
pub mod api_error;
pub mod conversation;
pub mod endpoint;
pub mod policy;

#[cfg(target_arch = "wasm32")]
mod console_log;
#[cfg(target_arch = "wasm32")]
mod d1_conversation;
#[cfg(target_arch = "wasm32")]
mod d1_outbox;
#[cfg(target_arch = "wasm32")]
mod d1_policy;
#[cfg(target_arch = "wasm32")]
mod worker_main;

/// The TTL names the app reads from `CACHE_TTL_<NAME>_SECONDS`.
pub const TTL_NAMES: &[&str] = &["POLICY", "CONFIG"];

/// Default `CACHE_OUTBOX_DRAIN_INTERVAL_MS`: how often an isolate checks the
/// outbox before serving API requests. It bounds how long a read can return a
/// pre-write value after the cache recovers from an outage.
pub const DEFAULT_OUTBOX_DRAIN_INTERVAL_MS: u64 = 2_000;
