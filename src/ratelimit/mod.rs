//! Rate limiting on Upstash Redis over REST: exact algorithms, one round trip
//! per check, several limits all-or-nothing, fail-open with a reason, and the
//! IETF `RateLimit` headers.
//!
//! ## In your worker
//!
//! ```ignore
//! use std::sync::Arc;
//! use edgecache::ratelimit::{headers, Limiter, RateLimitConfig};
//! use edgecache::upstash::{UpstashClient, UpstashConfig};
//! use edgecache::Env as ConfigEnv;
//!
//! // Once per isolate (keep it in a thread_local): RATE_LIMIT_*, UPSTASH_*.
//! let vars = ConfigEnv::new(|k| env.var(k).ok().map(|v| v.to_string()));
//! let config = RateLimitConfig::from_env(&vars)?;
//! let upstash = UpstashConfig::from_env(&vars)?.expect("UPSTASH_REDIS_REST_URL");
//! let client = Arc::new(UpstashClient::new(&config.upstash_config(&upstash))); // RATE_LIMIT_TIMEOUT_MS
//! let per_ip = config.client_limiter(client.clone())?;
//! let per_tenant = config.tenant_limiter(client)?;
//!
//! // Per request: both limits, all-or-nothing, one REST round trip.
//! let checked = Limiter::limit_all(&[(&per_ip, ip, 1), (&per_tenant, tenant, 1)]).await?;
//! let mut res = if checked.success { handle(req).await? } else { Response::error("Too Many Requests", 429)? };
//! for (name, value) in checked.headers() { res.headers_mut().set(name, &value)?; }
//! res.headers_mut().set("RateLimit-Policy", &headers::policy_header([&per_ip, &per_tenant]))?;
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
//! [`OutageLog`](crate::OutageLog), and counted ([`Limiter::stats`]). The
//! timeout is the client's ([`UpstashConfig::timeout_ms`](crate::upstash::UpstashConfig::timeout_ms)),
//! which aborts the fetch: build the limiter's client with
//! [`RateLimitConfig::upstash_config`] to apply `RATE_LIMIT_TIMEOUT_MS`.
//!
//! ## What else is here
//!
//! [`headers`] renders `RateLimit-Policy`, `RateLimit` and `Retry-After`;
//! [`Cooldowns`] is a bounded, per-isolate cooldown for cases where local is
//! correct (seed 000's "in-memory Map"); [`RateLimitConfig`] reads every
//! `RATE_LIMIT_*` variable.

mod config;
mod cooldown;
pub mod headers;
mod limiter;
pub mod model;
mod script;

use std::sync::Arc;

pub use config::{LimitSpec, RateLimitConfig};
pub use cooldown::Cooldowns;
pub use limiter::{
    Limiter, LimiterBuilder, LimiterStats, MultiDecision, Prepared, PreparedCheck, DEFAULT_BLOCK_CACHE_CAPACITY,
    FAIL_CLOSED_RETRY_AFTER_MS, UPSTASH_DEFAULT_PREFIX,
};

use crate::upstash::UpstashError;

/// The rate-limiting algorithms. All but the two `Upstash*` ones are exact:
/// each enforces its contract below to the unit, on the server's clock.
///
/// `L` is the limit, `W` the window (`window_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// Fixed window: at most `L` units in each window `[k·W, (k+1)·W)` (aligned
    /// to the epoch). One hash per identifier `{w, n}`. Simple and O(1), but
    /// up to `2L` in a span of `W` that straddles two windows. A refused
    /// request is not counted (@upstash/ratelimit's `fixedWindow` counts it).
    FixedWindow,
    /// Sliding window, the weighted two-window counter (as in Cloudflare's
    /// "How we built rate limiting capable of scaling to millions of domains",
    /// 2017): at offset `e` into window `k`, the estimate is
    /// `prev · (W − e) / W + cur`, and a request of cost `x` passes when the
    /// estimate plus `x` is at most `L` (integer arithmetic, no rounding).
    /// One hash per identifier `{w, c, p}`.
    ///
    /// **Worst-case overshoot:** it assumes the previous window's units were
    /// spread evenly. If all `prev ≤ L` of them came at the very end of window
    /// `k − 1`, the window of length `W` ending at offset `e` of window `k` holds
    /// them all plus up to `L − prev·(W − e)/W` more: in total at most
    /// `L + ⌊prev · e / W⌋ ≤ L + ⌊L · (W − 1 ms) / W⌋ < 2L` (for `L ≤ W` in
    /// ms, at most `2L − 1`). So any span of `W` sees fewer than `2L` units,
    /// and more than `L` only after such a burst-then-ramp; under evenly spread
    /// traffic it admits `L`. Use [`SlidingLog`](Self::SlidingLog) or
    /// [`Gcra`](Self::Gcra) where the bound must be `L`.
    SlidingWindow,
    /// Sliding log: exact, never more than `L` units in any window of length
    /// `W` (entries count while `score > now − W`, in microseconds). One sorted
    /// set per identifier with one member per unit, so O(`L`) memory per
    /// identifier; members are unique (strictly increasing scores), so two
    /// requests in the same microsecond are two entries.
    SlidingLog,
    /// Token bucket with continuous refill: capacity `L` tokens, refilled at
    /// `L` per `W`, i.e. one token every `W/L` ms, not `L` at once at the end
    /// of an interval (@upstash/ratelimit refills in steps). In any span `t`:
    /// at most `L + ⌊t · L / W⌋` units. Stored as tokens scaled by `W`, so
    /// refill is exact integer arithmetic. One hash per identifier.
    TokenBucket,
    /// GCRA, the Generic Cell Rate Algorithm (ATM Forum Traffic Management
    /// 4.0, "virtual scheduling"; the algorithm of redis-cell and of governor):
    /// one string per identifier, the theoretical arrival time (TAT) in
    /// microseconds. Emission interval `T = ⌈W / L⌉` (µs), tolerance
    /// `burst · T`: in any span `t`, at most `burst + ⌊t / T⌋` units, so at
    /// most `L + burst − 1` in any window of `W`; with `burst = 1`, at most `L`
    /// (strict pacing). Retry-after is exact (`TAT + x·T − burst·T − now`).
    /// Default `burst = L`, which makes it the token bucket above in one
    /// number. The default algorithm: exact, one key and O(1) memory per
    /// identifier, one read and one write per check.
    Gcra,
    /// @upstash/ratelimit v2's `fixedWindow`, key for key and count for count
    /// (see [`Limiter::upstash_compatible_fixed_window`]).
    UpstashFixedWindow,
    /// @upstash/ratelimit v2's `slidingWindow`, key for key and count for count
    /// (see [`Limiter::upstash_compatible_sliding_window`]).
    UpstashSlidingWindow,
}

impl Algorithm {
    /// Every algorithm, the Upstash-compatible ones last.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::SlidingLog,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
        Algorithm::UpstashFixedWindow,
        Algorithm::UpstashSlidingWindow,
    ];

    /// The exact algorithms, in the order of the `RATE_LIMIT_ALGORITHM` names.
    pub const EXACT: [Algorithm; 5] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::SlidingLog,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
    ];

    /// The configuration name: `fixed-window`, `sliding-window`,
    /// `sliding-log`, `token-bucket`, `gcra`, `upstash-fixed-window`,
    /// `upstash-sliding-window`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingWindow => "sliding-window",
            Algorithm::SlidingLog => "sliding-log",
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::Gcra => "gcra",
            Algorithm::UpstashFixedWindow => "upstash-fixed-window",
            Algorithm::UpstashSlidingWindow => "upstash-sliding-window",
        }
    }

    /// The algorithm named `name` (as [`as_str`](Self::as_str) spells it,
    /// ASCII case-insensitive), or `None`.
    pub fn parse(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// True for the two @upstash/ratelimit-compatible algorithms.
    pub fn is_upstash_compatible(self) -> bool {
        matches!(self, Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow)
    }

    /// The code the script dispatches on (also a key segment).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fw",
            Algorithm::SlidingWindow => "sw",
            Algorithm::SlidingLog => "sl",
            Algorithm::TokenBucket => "tb",
            Algorithm::Gcra => "gcra",
            Algorithm::UpstashFixedWindow => "ufw",
            Algorithm::UpstashSlidingWindow => "usw",
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a limiter answers when Redis cannot (timeout, transport error, 5xx,
/// an error reply): the crate's [`FailurePolicy`](crate::FailurePolicy).
///
/// - `FailOpen` (a limiter's default): allow the request (`success: true`,
///   `remaining == limit`) with the failure as [`Decision::reason`]:
///   availability over enforcement (seed 003's "Tier 3: fail open").
/// - `FailClosed`: refuse (`success: false`, `retry_after_ms ==`
///   [`FAIL_CLOSED_RETRY_AFTER_MS`]) with the failure as the reason:
///   enforcement over availability.
/// - `Degrade`: a limiter has no backing store to fall back to, so it allows
///   as `FailOpen` does.
pub use crate::FailurePolicy;

/// Why a decision is what it is, beyond the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reason {
    /// Redis decided (one round trip).
    #[default]
    None,
    /// The in-isolate block cache refused without a round trip: the
    /// identifier was known to be blocked until a later time.
    CacheBlock,
    /// Redis did not answer within the client's timeout; the failure policy decided.
    Timeout,
    /// Redis (or the REST endpoint) failed otherwise; the failure policy decided.
    BackendError,
}

impl Reason {
    /// `none`, `cacheBlock`, `timeout` or `backendError` (the first three as
    /// @upstash/ratelimit names them).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::None => "none",
            Reason::CacheBlock => "cacheBlock",
            Reason::Timeout => "timeout",
            Reason::BackendError => "backendError",
        }
    }
}

/// The answer to one limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The request may proceed. For a check (cost 0): a request of cost 1 would.
    pub success: bool,
    /// The configured limit, units per window (also when the backend failed).
    pub limit: u64,
    /// Units left after this request, `0..=limit`; never negative. Unchanged
    /// by a refused request.
    pub remaining: u64,
    /// Epoch ms when more quota becomes available: the end of the current
    /// window (fixed window, sliding window, Upstash-compatible), or when the
    /// next unit frees (sliding log, token bucket, GCRA); "now" when nothing
    /// is in use.
    pub reset_ms: u64,
    /// Refused: ms until this same request would pass if nothing else
    /// happened (exact, for every exact algorithm); 0 when allowed.
    pub retry_after_ms: u64,
    /// Why: decided by Redis, by the block cache, or by the failure policy.
    pub reason: Reason,
    /// The time the decision was taken, epoch ms: Redis's clock, or the
    /// caller's for the Upstash-compatible algorithms and for answers given
    /// without Redis (block cache, failure). `reset_ms - now_ms` is the wait.
    pub now_ms: u64,
    /// The limiter's name (the policy name of the `RateLimit` headers).
    pub policy: Arc<str>,
}

/// A call that cannot be a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// `|cost|` exceeds what the limit can ever grant (the limit; GCRA: its
    /// burst). Refused before any round trip: such a request could never pass,
    /// and is not a lock-out of the identifier.
    #[error("rate limit {policy}: cost {cost} can never pass a limit of {max_cost} units")]
    CostExceedsLimit {
        /// The limiter's name.
        policy: String,
        /// The cost asked.
        cost: i64,
        /// The largest `|cost|` the limiter accepts.
        max_cost: u64,
    },
    /// The same key was named twice in one all-or-nothing check (the same
    /// limiter and identifier, or two limiters sharing name, prefix and algorithm).
    #[error("rate limit check names key {key} twice")]
    DuplicateCheck {
        /// The key named twice.
        key: String,
    },
    /// Redis failed on a call that is not a check (`get_remaining`, `reset`),
    /// where there is no failure policy to answer instead.
    #[error(transparent)]
    Backend(#[from] UpstashError),
}
