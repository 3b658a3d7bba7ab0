//! The local fallback ([`FailurePolicy::Local`](super::FailurePolicy::Local)):
//! while Redis fails, each isolate enforces the limit on its own, with the
//! same algorithm run in memory (the pure model the scripts mirror), so an
//! outage neither opens the door nor shuts it.
//!
//! Guarantee: with `n` isolates serving an identifier, at most `n × limit`
//! units pass per window during an outage (each isolate admits up to the
//! limit), and never more than `limit` within one isolate. State is bounded
//! (least recently used identifiers go first) and starts empty: what Redis
//! had counted before the outage is not known here.

use std::sync::Mutex;

use lru::LruCache;

use super::model::{self, Params, State, Verdict};
use super::Algorithm;

/// Most identifiers one limiter tracks locally per isolate.
pub const LOCAL_FALLBACK_CAPACITY: usize = 10_000;

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
            params: Params { algorithm, limit, window_ms, burst: burst.clamp(1, limit.max(1)) },
            states: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The verdict for a request of `cost` for `identifier` at `now_ms`,
    /// spending nothing.
    pub fn peek(&self, identifier: &str, cost: i64, now_ms: u64) -> Verdict {
        let mut states = crate::sync::lock(&self.states);
        let state = states.get(identifier).cloned().unwrap_or_default();
        model::peek(&self.params, &state, now_ms as i64 * 1000, cost)
    }

    /// Decides a request of `cost` for `identifier` at `now_ms`, spending
    /// from this isolate's own state when it fits.
    pub fn decide(&self, identifier: &str, cost: i64, now_ms: u64) -> Verdict {
        let mut states = crate::sync::lock(&self.states);
        let state = states.get(identifier).cloned().unwrap_or_default();
        let (verdict, next) = model::decide(&self.params, &state, now_ms as i64 * 1000, cost);
        states.put(identifier.to_owned(), next);
        verdict
    }
}
