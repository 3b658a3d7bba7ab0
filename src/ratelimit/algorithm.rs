//! [`Algorithm`]: the rate-limiting algorithms, their sources and
//! guarantees; and [`LimitSpec`], one limit as a rate.

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
    /// (see [`Limiter::upstash_compatible_fixed_window`](super::Limiter::upstash_compatible_fixed_window)).
    UpstashFixedWindow,
    /// @upstash/ratelimit v2's `slidingWindow`, key for key and count for count
    /// (see [`Limiter::upstash_compatible_sliding_window`](super::Limiter::upstash_compatible_sliding_window)).
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

/// One limit as a rate: `limit` units per `window_ms` (as tower's `Rate` is
/// a number of requests per duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSpec {
    /// Units allowed per window.
    pub limit: u64,
    /// The window, in milliseconds.
    pub window_ms: u64,
}

impl LimitSpec {
    /// `limit` units per `window_ms` milliseconds.
    pub const fn new(limit: u64, window_ms: u64) -> Self {
        LimitSpec { limit, window_ms }
    }
}
