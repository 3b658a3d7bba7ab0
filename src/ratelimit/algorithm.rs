//! [`Algorithm`]: the rate-limiting algorithms, their sources and
//! guarantees; and [`LimitSpec`], one limit as a rate.

use std::num::NonZeroU64;
use std::time::Duration;

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
    /// Concurrency: at most `L` requests in flight at once across every
    /// isolate, not a rate. Each holder takes a lease
    /// ([`Limiter::acquire`](super::Limiter::acquire)) and gives it back
    /// ([`Limiter::release`](super::Limiter::release)); a lease not given
    /// back ends by itself after `W`, so a crashed holder's slot returns.
    /// One sorted set per identifier (lease id → when it ends); a refusal's
    /// `retry_after_ms` is when the earliest lease ends. Exact: a slot is
    /// taken only inside the script, so `L + 1` concurrent acquires never
    /// all succeed.
    Concurrency,
    /// @upstash/ratelimit v2's `fixedWindow`, key for key and count for count
    /// (see [`Limiter::upstash_compatible_fixed_window`](super::Limiter::upstash_compatible_fixed_window)).
    UpstashFixedWindow,
    /// @upstash/ratelimit v2's `slidingWindow`, key for key and count for count
    /// (see [`Limiter::upstash_compatible_sliding_window`](super::Limiter::upstash_compatible_sliding_window)).
    UpstashSlidingWindow,
}

impl Algorithm {
    /// Every algorithm, the Upstash-compatible ones last.
    pub const ALL: [Algorithm; 8] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::SlidingLog,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
        Algorithm::Concurrency,
        Algorithm::UpstashFixedWindow,
        Algorithm::UpstashSlidingWindow,
    ];

    /// The exact rate algorithms, in the order of the `RATE_LIMIT_ALGORITHM` names.
    pub const EXACT: [Algorithm; 5] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::SlidingLog,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
    ];

    /// The configuration name: `fixed-window`, `sliding-window`,
    /// `sliding-log`, `token-bucket`, `gcra`, `concurrency`,
    /// `upstash-fixed-window`, `upstash-sliding-window`.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fixed-window",
            Algorithm::SlidingWindow => "sliding-window",
            Algorithm::SlidingLog => "sliding-log",
            Algorithm::TokenBucket => "token-bucket",
            Algorithm::Gcra => "gcra",
            Algorithm::Concurrency => "concurrency",
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

    /// True for the algorithms whose spending a [`Reservation`](super::Reservation)
    /// can settle: fixed and sliding window (within the window the units were
    /// spent in), token bucket and GCRA. Not the sliding log (a refund there
    /// cannot tell the reserved entries from later ones), nor concurrency or
    /// the Upstash-compatible ones.
    pub fn settles(self) -> bool {
        matches!(self, Algorithm::FixedWindow | Algorithm::SlidingWindow | Algorithm::TokenBucket | Algorithm::Gcra)
    }

    /// The code the script dispatches on (also a key segment).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Algorithm::FixedWindow => "fw",
            Algorithm::SlidingWindow => "sw",
            Algorithm::SlidingLog => "sl",
            Algorithm::TokenBucket => "tb",
            Algorithm::Gcra => "gcra",
            Algorithm::Concurrency => "cc",
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

/// One limit as a rate: `limit` units per window, as governor's `Quota` and
/// tower's `Rate` are. A value type that cannot hold a zero limit or a zero
/// window.
///
/// ```
/// use std::num::NonZeroU64;
/// use std::time::Duration;
/// use edgecache::ratelimit::LimitSpec;
///
/// let hundred = NonZeroU64::new(100).unwrap();
/// let per_minute = LimitSpec::per_minute(hundred);
/// assert_eq!((per_minute.limit(), per_minute.window()), (100, Duration::from_secs(60)));
/// assert_eq!(LimitSpec::per_window(hundred, Duration::from_secs(60)), Some(per_minute));
/// assert_eq!(LimitSpec::per_window(hundred, Duration::ZERO), None, "no zero window");
/// assert_eq!(LimitSpec::per_window(hundred, Duration::from_micros(1_500)), None, "whole milliseconds");
/// // GCRA only: at most 10 at once, then paced at 100 per minute.
/// let paced = per_minute.allow_burst(NonZeroU64::new(10).unwrap());
/// assert_eq!(paced.burst(), Some(10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    limit: NonZeroU64,
    window_ms: NonZeroU64,
    burst: Option<NonZeroU64>,
}

impl LimitSpec {
    const fn with_window_ms(limit: NonZeroU64, window_ms: u64) -> Self {
        match NonZeroU64::new(window_ms) {
            Some(window_ms) => LimitSpec { limit, window_ms, burst: None },
            None => panic!("a window is at least 1 ms"),
        }
    }

    /// `limit` units per second.
    pub const fn per_second(limit: NonZeroU64) -> Self {
        Self::with_window_ms(limit, 1_000)
    }

    /// `limit` units per minute.
    pub const fn per_minute(limit: NonZeroU64) -> Self {
        Self::with_window_ms(limit, 60_000)
    }

    /// `limit` units per hour.
    pub const fn per_hour(limit: NonZeroU64) -> Self {
        Self::with_window_ms(limit, 3_600_000)
    }

    /// `limit` units per `window`; `None` unless `window` is a whole,
    /// non-zero number of milliseconds (the scripts count in ms). The upper
    /// bounds (30 days, `limit × window_ms` at most 2^50) are checked by
    /// [`LimiterBuilder::build`](super::LimiterBuilder::build).
    pub fn per_window(limit: NonZeroU64, window: Duration) -> Option<Self> {
        if window.subsec_nanos() % 1_000_000 != 0 {
            return None;
        }
        let window_ms = u64::try_from(window.as_millis()).ok()?;
        Some(LimitSpec { limit, window_ms: NonZeroU64::new(window_ms)?, burst: None })
    }

    /// For [`Algorithm::Gcra`] only: the units that may be spent at once
    /// (its tolerance, Generic Cell Rate Algorithm, ITU-T I.371), `1..=limit`;
    /// by default `limit`. With 1, requests are paced evenly and no window
    /// holds more than `limit`. A limiter of another algorithm refuses a
    /// spec with a burst when it is built, as it refuses a burst above the
    /// limit.
    #[must_use]
    pub const fn allow_burst(self, burst: NonZeroU64) -> Self {
        LimitSpec { burst: Some(burst), ..self }
    }

    /// Units allowed per window, as the non-zero number it is.
    pub const fn limit_nonzero(&self) -> NonZeroU64 {
        self.limit
    }

    /// Units allowed per window.
    pub const fn limit(&self) -> u64 {
        self.limit.get()
    }

    /// The window.
    pub const fn window(&self) -> Duration {
        Duration::from_millis(self.window_ms.get())
    }

    /// The window, in milliseconds.
    pub const fn window_ms(&self) -> u64 {
        self.window_ms.get()
    }

    /// The GCRA burst, when one was set with [`allow_burst`](Self::allow_burst).
    pub fn burst(&self) -> Option<u64> {
        self.burst.map(NonZeroU64::get)
    }
}
