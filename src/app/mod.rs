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

pub mod api_error;
pub mod endpoint;
pub mod policy;

#[cfg(target_arch = "wasm32")]
mod console_log;
#[cfg(target_arch = "wasm32")]
mod d1_policy;
#[cfg(target_arch = "wasm32")]
mod worker_main;

/// The TTL names the app reads from `CACHE_TTL_<NAME>_SECONDS`.
pub const TTL_NAMES: &[&str] = &["POLICY"];
