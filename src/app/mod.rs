//! The reference worker: authenticated, rate-limited routes over D1 stores
//! cached with edgecache, an admin API, and the dashboard (static assets
//! under `www/`).
//!
//! Behind the `worker-app` feature, so depending on edgecache never exports
//! a fetch handler into someone else's worker. Routing, authentication
//! rules, input validation, settings and the error mapping are
//! platform-free and tested natively; the Workers glue (the event entries,
//! D1, responses, console logging) is wasm32-only.
//!
//! Routes (every one but `/health` needs `Authorization: Bearer <token>`):
//!
//! | route | who |
//! | --- | --- |
//! | `GET /health` | anyone: `{healthy, ageMs, checkedAtMs}` of the isolate's last check (at most one per `HEALTH_CACHE_MS`); with the admin token, the details |
//! | `GET /v1/tenants/{t}/policy` | the admin token or a key of tenant `t` |
//! | `PUT /v1/tenants/{t}/policy` | the admin token |
//! | `GET/PUT /v1/tenants/{t}/conversation-config` | the admin token or a key of `t` |
//! | `GET/PUT /v1/tenants/{t}/users/{u}/conversation-config` | the admin token or a key of `t` |
//! | `/admin/*` (stats, metrics, health, cache, rate limits, keys, events) | the admin token |
//!
//! Credentials are identified without I/O (an API key carries an HMAC tag,
//! so a forged one is refused at once); failed credentials spend their
//! address's per-client and auth-failure limits (and only they do);
//! authenticated `/v1` requests spend their tenant's and key's limits, and
//! a GET's limit checks, key validation and cache read share one round
//! trip. Status codes follow RFC 6750 (401 for missing or invalid
//! credentials, 403 for a valid one outside its scope). Each write records
//! its invalidation in the D1 outbox in the same batch; rows left by a
//! cache outage are drained after responses (`ctx.waitUntil`, at most every
//! `CACHE_OUTBOX_DRAIN_INTERVAL_MS`) and by the cron trigger.

pub mod admin;
pub mod auth;
pub mod body;
pub mod client_ip;
pub mod conversation;
pub mod error;
pub mod fleet_view;
pub mod llm;
pub mod policy;
pub mod ratelimit_admin;
pub mod request_log;
pub mod routes;
pub mod settings;
pub mod sse;
pub mod throttle;

#[cfg(test)]
mod fuzz;

#[cfg(target_arch = "wasm32")]
mod admission;
#[cfg(target_arch = "wasm32")]
mod console_log;
#[cfg(target_arch = "wasm32")]
mod d1;
#[cfg(target_arch = "wasm32")]
mod fleet;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod incoming;
#[cfg(target_arch = "wasm32")]
mod respond;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod stores;
#[cfg(target_arch = "wasm32")]
mod worker_main;
