//! The local fallback ([`FailurePolicy::Local`](super::FailurePolicy::Local)):
//! while Redis fails, each isolate enforces the limit on its own, with the
//! same algorithm run in memory (the pure model the scripts mirror), so an
//! outage neither opens the door nor shuts it.
//!
//! Guarantee: with `n` isolates serving an identifier, at most `n × limit`
//! units pass per window during an outage (each isolate admits up to the
//! limit), and never more than `limit` within one isolate. An identifier's
//! override applies as this isolate last saw it from Redis. State is bounded
//! (least recently used identifiers go first) and starts empty: what Redis
//! had counted before the outage is not known here.

use std::sync::Mutex;

use lru::LruCache;

use super::algorithm::Algorithm;
use super::model::{self, Mode, Params, State, Verdict};

/// Most identifiers one limiter tracks locally per isolate.
pub const LOCAL_FALLBACK_CAPACITY: usize = 10_000;

/// One check as the local fallback runs it.
pub(super) struct LocalCheck<'a> {
    /// Whom it counts.
    pub identifier: &'a str,
    /// Units to spend (negative: a refund; 0: only look).
    pub cost: i64,
    /// Concurrency: the lease taken or given back; else 0.
    pub lease: u64,
    /// An override's `(limit, window_ms)`, when the identifier has one.
    pub rate: Option<(u64, u64)>,
}

/// Per-identifier state of one limiter during an outage.
pub(super) struct LocalLimits {
    params: Params,
    states: Mutex<LruCache<String, State>>,
}

impl LocalLimits {
    /// Local limits with the limiter's parameters. The Upstash-compatible
    /// algorithms run as the exact algorithm of the same shape.
    pub fn new(algorithm: Algorithm, limit: u64, window_ms: u64, burst: u64) -> Self {
        let algorithm = match algorithm {
            Algorithm::UpstashFixedWindow => Algorithm::FixedWindow,
            Algorithm::UpstashSlidingWindow => Algorithm::SlidingWindow,
            other => other,
        };
        let capacity = std::num::NonZeroUsize::new(LOCAL_FALLBACK_CAPACITY).expect("non-zero");
        LocalLimits {
            params: Params { algorithm, limit, window_ms, burst: burst.clamp(1, limit.max(1)), lease: 0 },
            states: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The limiter's parameters for `check`: its lease, and its override's rate.
    fn params(&self, check: &LocalCheck<'_>) -> Params {
        let mut params = Params { lease: check.lease, ..self.params };
        if let Some((limit, window_ms)) = check.rate {
            // A burst equal to the limit follows the override's limit.
            let burst = if params.burst == params.limit { limit } else { params.burst.min(limit) };
            params = Params { limit, window_ms, burst: burst.max(1), ..params };
        }
        params
    }

    /// The verdict for `check` at `now_ms`. [`Mode::Peek`] spends
    /// nothing; [`Mode::Commit`] decides as [`model::decide`] does (peek,
    /// then spend from this isolate's own state when it fits).
    pub fn run(&self, check: &LocalCheck<'_>, now_ms: u64, mode: Mode) -> Verdict {
        let mut states = crate::sync::lock(&self.states);
        let state = states.get(check.identifier).cloned().unwrap_or_default();
        let now_us = now_ms as i64 * 1000;
        match mode {
            Mode::Peek => model::peek(&self.params(check), &state, now_us, check.cost),
            Mode::Commit => {
                let (verdict, next) = model::decide(&self.params(check), &state, now_us, check.cost);
                states.put(check.identifier.to_owned(), next);
                verdict
            }
        }
    }
}
