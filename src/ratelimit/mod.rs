//! Rate limiting on Upstash Redis over REST: exact algorithms, one round trip
//! per check, several limits all-or-nothing, fail-open with a reason, and the
//! IETF `RateLimit` headers.
//!
//! ## In your worker
//!
//! ```no_run
//! use std::sync::Arc;
//! use edgecache::ratelimit::{headers, Check, Limiter, RateLimitConfig};
//! use edgecache::upstash::{UpstashClient, UpstashConfig};
//! use edgecache::config::Vars;
//!
//! # async fn demo(vars: Vars<'_>, ip: &str, tenant: &str) -> Result<(), Box<dyn std::error::Error>> {
//! // Once per isolate (keep it in a thread_local): RATE_LIMIT_*, UPSTASH_*.
//! let config = RateLimitConfig::from_env(&vars)?;
//! let upstash = UpstashConfig::from_env(&vars)?.expect("UPSTASH_REDIS_REST_URL is set");
//! let client = Arc::new(UpstashClient::new(&config.upstash_config(&upstash))); // RATE_LIMIT_TIMEOUT_MS
//! let per_ip = config.client_limiter(client.clone())?;
//! let per_tenant = config.tenant_limiter(client)?;
//!
//! // Per request: both limits, all-or-nothing, one REST round trip.
//! let checked = Limiter::limit_all(&[Check::new(&per_ip, ip, 1), Check::new(&per_tenant, tenant, 1)]).await?;
//! let status = if checked.success { 200 } else { 429 };
//! let mut response_headers = checked.headers(); // RateLimit, and Retry-After when refused
//! response_headers.push((headers::POLICY_HEADER, headers::policy_header([&per_ip, &per_tenant])));
//! # let _ = (status, response_headers);
//! # Ok(()) }
//! ```
//!
//! ## Algorithms
//!
//! [`Algorithm`] lists them, with the source of each and what it guarantees.
//! Each is one Lua function pair in `src/ratelimit/scripts/`, a *peek* that
//! reads and a *commit* that writes, and every check runs one script (the
//! files concatenated) that peeks at every limit asked, then commits all of
//! them or none. So a refused request consumes nothing, in every algorithm,
//! and several limits (per IP and per tenant, any algorithms) are checked in
//! one `EVALSHA`. The same math is in [`model`] as pure functions, proved by
//! property tests. Every key the scripts write has a TTL, and each key is
//! declared in `KEYS`, as Upstash requires.
//!
//! ## Time comes from Redis
//!
//! The scripts read the server clock (`redis.call('TIME')`), not the
//! caller's: every isolate, wherever it runs and whatever its clock says,
//! decides on the same time line. In Workers `Date.now()` only advances after
//! I/O, and @upstash/ratelimit passes each client's `Date.now()` into its
//! scripts, so two skewed clients disagree on which window they are in. The
//! local clock ([`Clock`](crate::clock::Clock)) is used only for the
//! in-isolate block cache, and only as durations (`retry_after_ms` from
//! "now"), so skew cannot move a block either. The Upstash-compatible
//! algorithms are the exception: their key names hold the window index, which
//! must be known before the call, so they use the caller's clock exactly as
//! @upstash/ratelimit does.
//!
//! ## Round trips
//!
//! - One REST request per check ([`Limiter::limit`], [`Limiter::limit_all`]);
//!   two once after Redis lost the script (`NOSCRIPT`: `EVALSHA`, then `EVAL`).
//! - None when the block cache (bounded LRU per limiter, in the isolate)
//!   knows the identifier cannot pass until a later time: the answer is then
//!   [`Reason::CacheBlock`]. An identifier is cached when a check shows that
//!   even one unit cannot pass (after a refusal, or an allowed request that
//!   spent the last unit), for exactly as long as the server said.
//! - None extra when the check rides in a caller's own `/pipeline`
//!   ([`Limiter::prepare_all`]).
//!
//! ## Failures
//!
//! A limiter never turns a backend failure into an error: with
//! [`FailurePolicy::FailOpen`] (the default) it allows, with the real limit,
//! `remaining == limit` and [`Reason::Timeout`] or [`Reason::BackendError`];
//! with [`FailurePolicy::FailClosed`] it refuses with the same reasons. Each
//! outage is logged once (when it starts, and when it ends) through
//! [`OutageLog`](crate::outage::OutageLog), and counted ([`Limiter::stats`]). The
//! timeout is the client's ([`UpstashConfig::timeout_ms`](crate::upstash::UpstashConfig::timeout_ms)),
//! which aborts the fetch: build the limiter's client with
//! [`RateLimitConfig::upstash_config`] to apply `RATE_LIMIT_TIMEOUT_MS`.
//!
//! ## What else is here
//!
//! [`headers`] renders `RateLimit-Policy`, `RateLimit` and `Retry-After`;
//! [`Cooldowns`] is a bounded, per-isolate cooldown for cases where local is
//! correct (a notification already shown by this isolate); [`RateLimitConfig`] reads every
//! `RATE_LIMIT_*` variable.
//!
//! Beyond rates, in the same one script: in-flight slots
//! ([`Algorithm::Concurrency`], a [`Lease`] from [`Limiter::acquire`]),
//! reservations that settle once ([`Limiter::reserve`], [`Limiter::settle`]),
//! per-identifier overrides ([`Limiter::set_override`]) and a [`DenyList`]
//! ([`Limiter::prepare_screened`]). ARCHITECTURE.md says which file holds what.

mod algorithm;
mod all_or_nothing;
mod answers;
mod block_cache;
mod builder;
mod check;
mod config;
mod cooldown;
mod decision;
mod deny;
mod failure_policy;
mod grant_calls;
mod grants;
pub mod headers;
mod limiter;
mod local;
pub mod model;
mod overrides;
mod script;
mod seen_overrides;
mod settings;
mod single_check;
mod stats;
#[cfg(any(test, feature = "testing"))]
mod testing;

pub use algorithm::{Algorithm, LimitSpec};
pub use all_or_nothing::{Prepared, PreparedCheck};
pub use builder::LimiterBuilder;
pub use check::{Check, Guard};
pub use config::RateLimitConfig;
pub use cooldown::Cooldowns;
pub use decision::{Decision, MultiDecision, RateLimitError, Reason, Settled};
pub use deny::{DenyEntry, DenyList, Screen, MAX_DENY_ENTRIES};
pub use failure_policy::FailurePolicy;
pub use grants::{Lease, Reservation, SettleOutcome};
pub use limiter::Limiter;
pub use local::LOCAL_FALLBACK_CAPACITY;
pub use settings::{DEFAULT_BLOCK_CACHE_CAPACITY, FAIL_CLOSED_RETRY_AFTER_MS, UPSTASH_DEFAULT_PREFIX};
pub use stats::LimiterStats;
