//! What the model reads and answers: a limit's [`Params`], what Redis holds
//! for an identifier ([`State`]), the answer for one limit ([`Verdict`]),
//! and whether a check only looks or also writes ([`Mode`]).

use crate::ratelimit::Algorithm;

/// Parameters of one limit, as the script receives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The algorithm; the Upstash-compatible ones are not modelled here.
    pub algorithm: Algorithm,
    /// Units allowed per window (token bucket: capacity and refill per window).
    pub limit: u64,
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// GCRA only: units that may be spent at once, `1..=limit`.
    pub burst: u64,
    /// Concurrency only: the lease a check takes (cost 1) or gives back
    /// (cost -1); 0 otherwise.
    pub lease: u64,
}

/// What Redis holds for one identifier, per algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum State {
    /// No key: a fresh identifier (also what an expired key is).
    #[default]
    Empty,
    /// Fixed window: the window index (`now_ms / window_ms`) and units used in it.
    FixedWindow {
        /// Window index.
        window: i64,
        /// Units used in that window.
        used: i64,
    },
    /// Sliding window: the window index, units in it and in the one before.
    SlidingWindow {
        /// Window index.
        window: i64,
        /// Units counted in `window`.
        current: i64,
        /// Units counted in `window - 1`.
        previous: i64,
    },
    /// Sliding log: one score (microseconds) per unit, ascending, unique.
    SlidingLog {
        /// The scores, ascending.
        scores_us: Vec<i64>,
    },
    /// Token bucket: tokens scaled by `window_ms` (one token = `window_ms`
    /// units), as of `at_ms`.
    TokenBucket {
        /// Scaled tokens.
        units: i64,
        /// When `units` was computed, epoch ms.
        at_ms: i64,
    },
    /// GCRA: the theoretical arrival time, epoch microseconds.
    Gcra {
        /// TAT, epoch microseconds.
        tat_us: i64,
    },
    /// Concurrency: the leases held, `(lease id, epoch ms it ends)`, in
    /// the order the sorted set keeps them (by end, then id as text).
    Concurrency {
        /// The leases.
        leases: Vec<(u64, i64)>,
    },
}

/// The answer for one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The request fits (for cost 0: a request of cost 1 would).
    pub ok: bool,
    /// Units left after this request (or now, when nothing was spent), `0..=limit`.
    pub remaining: u64,
    /// Epoch ms when more quota becomes available (see [`Decision::reset_ms`](crate::ratelimit::Decision::reset_ms)).
    pub reset_ms: u64,
    /// When refused: ms until this request would fit, nothing else happening; else 0.
    pub retry_after_ms: u64,
    /// Ms until a request of cost 1 fits (0 if it fits now): how long the
    /// block cache may refuse this identifier without asking.
    pub block_ms: u64,
}

impl Verdict {
    /// A verdict from the scripts' signed integers, each clamped at 0 (the
    /// script never answers a negative count or duration).
    pub(super) fn clamped(ok: bool, remaining: i64, reset_ms: i64, retry_ms: i64, block_ms: i64) -> Verdict {
        let u = |x: i64| x.max(0).unsigned_abs();
        Verdict {
            ok,
            remaining: u(remaining),
            reset_ms: u(reset_ms),
            retry_after_ms: u(retry_ms),
            block_ms: u(block_ms),
        }
    }
}

/// What one pass of an algorithm does, as each Lua algorithm is a pair of
/// functions: [`Peek`](Mode::Peek) reads and decides, writing nothing;
/// [`Commit`](Mode::Commit) writes the spend (or refund) of a check that fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Decide without writing: the state is returned unchanged.
    Peek,
    /// Spend (or refund): the check is known to fit; the verdict is the one
    /// after writing.
    Commit,
}
