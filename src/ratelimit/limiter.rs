//! [`Limiter`]: one limit on Upstash (an algorithm, a rate, a key prefix),
//! its per-isolate state (block cache, counters, local fallback, overrides
//! seen) and what it tells about itself. Building it is `builder.rs`'s;
//! checking, `single_check.rs`, `all_or_nothing.rs` and `grant_calls.rs`.

use std::sync::Arc;

use super::algorithm::{Algorithm, LimitSpec};
use super::block_cache::BlockCache;
use super::failure_policy::FailurePolicy;
use super::local::LocalLimits;
use super::seen_overrides::SeenOverrides;
use super::stats::{Counters, LimiterStats};
use crate::clock::Clock;
use crate::failure::CircuitBreaker;
use crate::keys::escape_id;
use crate::outage::OutageLog;
use crate::upstash::UpstashClient;

/// One rate limit (an algorithm, `limit` units per `window_ms`) enforced on
/// Upstash Redis for any number of identifiers.
///
/// Keys are `{prefix}:rl:{name}:{algorithm code}:{escaped identifier}` (one
/// per identifier, with a TTL), or @upstash/ratelimit's layout for the
/// Upstash-compatible algorithms. Keep a limiter per isolate (its block cache
/// and counters live in it); it is cheap to share by reference.
///
/// The REST client's timeout
/// ([`UpstashConfig::timeout_ms`](crate::upstash::UpstashConfig::timeout_ms))
/// bounds every call, and aborts the fetch; give the limiter a client built
/// with [`RateLimitConfig::upstash_config`](super::RateLimitConfig::upstash_config)
/// for `RATE_LIMIT_TIMEOUT_MS` (default 1000 ms).
pub struct Limiter {
    /// The REST client every check of this limiter is sent on.
    pub(super) client: Arc<UpstashClient>,
    /// The policy name, in keys and in the `RateLimit` headers.
    pub(super) name: Arc<str>,
    /// The key prefix (`edgecache`, or @upstash/ratelimit's).
    pub(super) prefix: String,
    /// The algorithm.
    pub(super) algorithm: Algorithm,
    /// The limit: units per window.
    pub(super) spec: LimitSpec,
    /// GCRA's burst, in units; the limit for the other algorithms.
    pub(super) burst: u64,
    /// What to answer when Redis cannot.
    pub(super) policy: FailurePolicy,
    /// The local clock: block-cache durations, Upstash-compatible window indexes.
    pub(super) clock: Arc<dyn Clock>,
    /// Identifiers known to be refused until a later time.
    pub(super) blocks: BlockCache,
    /// The circuit breaker shared with other limiters, if any.
    pub(super) breaker: Option<Arc<CircuitBreaker>>,
    /// Logs each outage once, when it starts and when it ends.
    pub(super) outage: OutageLog,
    /// What this limiter answered, by outcome and reason.
    pub(super) counters: Counters,
    /// Under [`FailurePolicy::Local`]: this isolate's own counts.
    pub(super) local: Option<LocalLimits>,
    /// With overrides on: at most this many, and the ones this isolate saw.
    pub(super) overrides: Option<SeenOverrides>,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("algorithm", &self.algorithm)
            .field("spec", &self.spec)
            .field("burst", &self.burst)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The limit as a rate.
    pub fn spec(&self) -> LimitSpec {
        self.spec
    }

    /// Units allowed per window (the limit).
    pub fn quota(&self) -> u64 {
        self.spec.limit()
    }

    /// The window, in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.spec.window_ms()
    }

    /// GCRA's burst (units that may be spent at once); `limit` for the others.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// The largest `|cost|` a check may ask: the limit (GCRA: the burst;
    /// concurrency: 1, a slot). An override's larger limit does not raise it.
    pub fn max_cost(&self) -> u64 {
        match self.algorithm {
            Algorithm::Gcra => self.burst,
            Algorithm::Concurrency => 1,
            _ => self.spec.limit(),
        }
    }

    /// The failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// The REST client.
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.client
    }

    /// The outage log (is Redis failing now, how often it failed, the last error).
    pub fn outage(&self) -> &OutageLog {
        &self.outage
    }

    /// What this limiter answered so far.
    pub fn stats(&self) -> LimiterStats {
        self.counters.snapshot()
    }

    /// The Redis keys this limiter uses for `identifier` (now, for the
    /// Upstash-compatible algorithms, whose keys hold the window index).
    pub fn keys(&self, identifier: &str) -> Vec<String> {
        self.keys_at(identifier, self.clock.now_ms())
    }

    /// The Redis keys of `identifier` when the caller's clock reads
    /// `client_now_ms` (only the Upstash-compatible keys depend on it).
    pub(super) fn keys_at(&self, identifier: &str, client_now_ms: u64) -> Vec<String> {
        let k = client_now_ms / self.spec.window_ms();
        match self.algorithm {
            Algorithm::UpstashFixedWindow => vec![format!("{}:{identifier}:{k}", self.prefix)],
            Algorithm::UpstashSlidingWindow => vec![
                format!("{}:{identifier}:{k}", self.prefix),
                format!("{}:{identifier}:{}", self.prefix, k.saturating_sub(1)),
            ],
            _ => vec![format!("{}:rl:{}:{}:{}", self.prefix, self.name, self.algorithm.code(), escape_id(identifier))],
        }
    }

    /// The circuit breaker this limiter shares, if any.
    pub fn circuit_breaker(&self) -> Option<&Arc<CircuitBreaker>> {
        self.breaker.as_ref()
    }

    /// True while this limiter's breaker skips calls.
    pub(super) fn breaker_open(&self) -> bool {
        self.breaker.as_ref().is_some_and(|breaker| !breaker.allows())
    }
}
