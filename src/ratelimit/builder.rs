//! [`LimiterBuilder`], and the checks every limiter's settings pass.

use std::sync::Arc;

use super::block_cache::BlockCache;
use super::limiter::Limiter;
use super::local::LocalLimits;
use super::overrides::SeenOverrides;
use super::{Algorithm, FailurePolicy, LimitSpec};
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;
use crate::failure::CircuitBreaker;
use crate::keys::check_segment;
use crate::outage::OutageLog;
use crate::upstash::UpstashClient;

/// Default capacity of a limiter's block cache, in identifiers.
pub const DEFAULT_BLOCK_CACHE_CAPACITY: usize = 10_000;

/// `retry_after_ms` of a refusal by [`FailurePolicy::FailClosed`]: Redis gave
/// no time, so clients are asked to come back in one second.
pub const FAIL_CLOSED_RETRY_AFTER_MS: u64 = 1_000;

/// @upstash/ratelimit's default key prefix, the default of the
/// Upstash-compatible algorithms.
pub const UPSTASH_DEFAULT_PREFIX: &str = "@upstash/ratelimit";

/// Default key prefix of the exact algorithms.
const DEFAULT_PREFIX: &str = "edgecache";

/// The largest `limit × window_ms`: keeps every number the scripts compute an
/// exact integer in Lua's doubles (below 2^53).
const MAX_LIMIT_TIMES_WINDOW: u128 = 1 << 50;

/// The longest window, in milliseconds (30 days).
const MAX_WINDOW_MS: u64 = 30 * 24 * 3_600_000;

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

/// Checks a limiter's settings; answers the prefix to use and the burst.
pub(crate) fn validate(
    name: &str,
    algorithm: Algorithm,
    spec: LimitSpec,
    prefix: Option<&str>,
) -> Result<(String, u64), ConfigError> {
    let (limit, window_ms, burst) = (spec.limit(), spec.window_ms(), spec.burst());
    check_segment("name", name)?;
    if window_ms > MAX_WINDOW_MS {
        return Err(ConfigError::new("window_ms", format!("must be 1 ms to 30 days, got {window_ms} ms")));
    }
    if u128::from(limit) * u128::from(window_ms) > MAX_LIMIT_TIMES_WINDOW {
        return Err(ConfigError::new(
            "limit",
            format!("limit × window_ms must be at most 2^50, got {limit} × {window_ms}"),
        ));
    }
    if algorithm == Algorithm::Gcra && limit > window_ms * 1000 {
        return Err(ConfigError::new("limit", "GCRA allows at most one unit per microsecond"));
    }
    let burst = match (algorithm, burst) {
        (Algorithm::Gcra, Some(b)) if (1..=limit).contains(&b) => b,
        (Algorithm::Gcra, Some(b)) => {
            return Err(ConfigError::new("burst", format!("must be 1 to the limit {limit}, got {b}")))
        }
        (_, None) => limit,
        (other, Some(_)) => return Err(ConfigError::new("burst", format!("applies to gcra only, not {other}"))),
    };
    let prefix = match prefix {
        Some(p) => p.to_owned(),
        None if algorithm.is_upstash_compatible() => UPSTASH_DEFAULT_PREFIX.to_owned(),
        None => DEFAULT_PREFIX.to_owned(),
    };
    if algorithm.is_upstash_compatible() {
        if prefix.is_empty() {
            return Err(ConfigError::new("prefix", "cannot be empty"));
        }
    } else {
        check_segment("prefix", &prefix)?;
    }
    Ok((prefix, burst))
}
