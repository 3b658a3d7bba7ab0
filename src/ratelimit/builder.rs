//! Building a [`Limiter`]: [`LimiterBuilder`], and the constructors that
//! take every default ([`Limiter::new`], the Upstash-compatible ones).

use std::sync::Arc;

use super::algorithm::{Algorithm, LimitSpec};
use super::block_cache::BlockCache;
use super::failure_policy::FailurePolicy;
use super::limiter::Limiter;
use super::local::LocalLimits;
use super::seen_overrides::SeenOverrides;
use super::settings::{validate, DEFAULT_BLOCK_CACHE_CAPACITY};
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;
use crate::failure::CircuitBreaker;
use crate::outage::OutageLog;
use crate::upstash::UpstashClient;

/// Builds a [`Limiter`]; from [`Limiter::builder`].
#[must_use = "a builder does nothing until `build()`"]
pub struct LimiterBuilder {
    client: Arc<UpstashClient>,
    name: String,
    algorithm: Algorithm,
    spec: LimitSpec,
    prefix: Option<String>,
    policy: FailurePolicy,
    clock: Arc<dyn Clock>,
    block_cache_capacity: usize,
    breaker: Option<Arc<CircuitBreaker>>,
    overrides: Option<usize>,
}

impl LimiterBuilder {
    /// The first key segment (default `edgecache`; `@upstash/ratelimit` for
    /// the Upstash-compatible algorithms). Exact algorithms: 1 to 64 of
    /// `A-Z a-z 0-9 _ - .`; Upstash-compatible: any non-empty text, as the JS
    /// library takes it.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// What to answer when Redis cannot (default [`FailurePolicy::FailOpen`]).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How many blocked identifiers the in-isolate block cache holds (LRU;
    /// default [`DEFAULT_BLOCK_CACHE_CAPACITY`]); 0 turns it off.
    pub fn block_cache_capacity(mut self, identifiers: usize) -> Self {
        self.block_cache_capacity = identifiers;
        self
    }

    /// The local clock of the block cache (default [`SystemClock`]) and of the
    /// Upstash-compatible algorithms' window index. Decisions of the exact
    /// algorithms use Redis's clock whatever this says.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Shares `breaker` with others that call the same database (the cache):
    /// while it is open, checks answer at once by the failure policy
    /// ([`Reason::CircuitOpen`](super::Reason::CircuitOpen)) instead of each
    /// waiting out a timeout. Without one, every check goes to Redis.
    pub fn circuit_breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Lets identifiers have limits of their own
    /// ([`Limiter::set_override`]), at most `max` of them (plan tiers, a
    /// customer's raise). Each check then reads its identifier's override
    /// inside its own script: one more `GET` there, no round trip. Off by
    /// default; not for the Upstash-compatible algorithms.
    pub fn overrides(mut self, max: usize) -> Self {
        self.overrides = Some(max);
        self
    }

    /// The limiter.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field: `name` not 1 to 64 of
    /// `A-Z a-z 0-9 _ - .`; `window_ms` over 30
    /// days; `limit × window_ms` over 2^50; GCRA with more than one unit per
    /// microsecond; `burst` outside `1..=limit` or set for another algorithm;
    /// a bad `prefix`; `overrides` for an Upstash-compatible algorithm.
    pub fn build(self) -> Result<Limiter, ConfigError> {
        let (prefix, burst) = validate(&self.name, self.algorithm, self.spec, self.prefix.as_deref())?;
        if self.overrides.is_some() && self.algorithm.is_upstash_compatible() {
            return Err(ConfigError::new("overrides", "the Upstash-compatible algorithms have none"));
        }
        let local = (self.policy == FailurePolicy::Local)
            .then(|| LocalLimits::new(self.algorithm, self.spec.limit(), self.spec.window_ms(), burst));
        Ok(Limiter {
            client: self.client,
            name: Arc::from(self.name.as_str()),
            prefix,
            algorithm: self.algorithm,
            spec: self.spec,
            burst,
            policy: self.policy,
            blocks: BlockCache::new(self.block_cache_capacity, self.clock.clone()),
            breaker: self.breaker,
            clock: self.clock,
            outage: OutageLog::for_subject("rate limiter", "answering by its failure policy"),
            counters: Default::default(),
            local,
            overrides: self.overrides.map(SeenOverrides::new),
        })
    }
}

impl Limiter {
    /// A limiter with every default: prefix `edgecache`, fail-open, block
    /// cache of [`DEFAULT_BLOCK_CACHE_CAPACITY`],
    /// the system clock.
    ///
    /// `name` names the policy (in keys and in the `RateLimit` headers, e.g.
    /// `client`); `spec` allows `limit` units per `window_ms` (see
    /// [`Algorithm`] for what each algorithm makes of them).
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](LimiterBuilder::build).
    pub fn new(
        client: Arc<UpstashClient>,
        name: &str,
        algorithm: Algorithm,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::builder(client, name, algorithm, spec).build()
    }

    /// @upstash/ratelimit v2's `Ratelimit.slidingWindow(limit, window)` on a
    /// database it shares with JS workers: one limit enforced by both.
    ///
    /// Keys: `@upstash/ratelimit:{identifier}:{floor(now_ms / window_ms)}`
    /// (and the previous window's), counters with its TTL (`2·window + 1 s`);
    /// the weighted count `floor((1 − (now % W)/W) · previous) + current` in the
    /// same floating point; a request refused without counting when that is
    /// already `≥ limit`, else counted (`INCRBY cost`) and allowed when the new
    /// total is `≤ limit`. `now` is the caller's clock, as in the JS library.
    ///
    /// What differs from the exact [`Algorithm::SlidingWindow`]: the JS
    /// semantics admit a request of cost > 1 that overshoots into the count
    /// and then refuse it (its quirk, kept so both sides count alike); the
    /// window index comes from each caller's clock (skew moves windows); the
    /// weighted count is floored (admits up to one unit more). The block cache,
    /// fail-open reasons and all-or-nothing checks work as for any limiter.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](LimiterBuilder::build).
    pub fn upstash_compatible_sliding_window(
        client: Arc<UpstashClient>,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashSlidingWindow, spec)
    }

    /// @upstash/ratelimit v2's `Ratelimit.fixedWindow(limit, window)` on a
    /// database it shares with JS workers.
    ///
    /// Keys: `@upstash/ratelimit:{identifier}:{floor(now_ms / window_ms)}`,
    /// a counter `INCRBY cost` with `PEXPIRE window_ms` when the increment
    /// created it; allowed when the new count is `≤ limit`. As in the JS
    /// library, a refused request is counted too (the exact
    /// [`Algorithm::FixedWindow`] does not count it), and the window index
    /// comes from the caller's clock.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](LimiterBuilder::build).
    pub fn upstash_compatible_fixed_window(
        client: Arc<UpstashClient>,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashFixedWindow, spec)
    }

    /// A builder, to set more than [`new`](Self::new) does.
    pub fn builder(client: Arc<UpstashClient>, name: &str, algorithm: Algorithm, spec: LimitSpec) -> LimiterBuilder {
        LimiterBuilder {
            client,
            name: name.to_owned(),
            algorithm,
            spec,
            prefix: None,
            policy: FailurePolicy::FailOpen,
            clock: Arc::new(SystemClock),
            block_cache_capacity: DEFAULT_BLOCK_CACHE_CAPACITY,
            breaker: None,
            overrides: None,
        }
    }
}
