//! What an operation does when the cache backend fails (seed 003's three
//! tiers), and the circuit breaker that stops paying a timeout per request.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crate::clock::Clock;

/// The failure tier of an operation, chosen per call (seed 003, "Error
/// handling tiers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Tier 1: return the error. For operations where wrong data is worse
    /// than no answer.
    FailClosed,
    /// Tier 2 (the default for cache reads): go on without the cache — reads
    /// go to the backing store, write-backs and invalidations are skipped —
    /// logging one warning per outage and counting every failure.
    #[default]
    Degrade,
    /// Tier 3: allow the operation as if the cache had agreed (a rate limit
    /// allows, an invalidation is dropped), logging and counting it. For a
    /// cache read there is nothing to allow but the read, so it degrades.
    FailOpen,
}

/// Default consecutive failures that open the breaker (`CACHE_BREAKER_FAILURES`).
pub const DEFAULT_BREAKER_FAILURES: u32 = 5;
/// Default time the breaker stays open, in ms (`CACHE_BREAKER_COOLDOWN_MS`).
pub const DEFAULT_BREAKER_COOLDOWN_MS: u64 = 5_000;

/// After `threshold` consecutive backend failures, the cache is skipped for
/// `cooldown_ms` instead of paying a timeout on every request; then calls go
/// through again (half-open), and one more failure opens it again at once.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown_ms: u64,
    consecutive_failures: AtomicU32,
    open_until_ms: AtomicU64,
    clock: Arc<dyn Clock>,
}

impl CircuitBreaker {
    /// A breaker that opens after `threshold` failures for `cooldown_ms`
    /// (`threshold` 0 never opens).
    pub fn new(threshold: u32, cooldown_ms: u64, clock: Arc<dyn Clock>) -> Self {
        CircuitBreaker {
            threshold,
            cooldown_ms,
            consecutive_failures: AtomicU32::new(0),
            open_until_ms: AtomicU64::new(0),
            clock,
        }
    }

    /// True when calls may go to the backend now.
    pub fn allows(&self) -> bool {
        self.clock.now_ms() >= self.open_until_ms.load(Ordering::SeqCst)
    }

    /// Records a successful call: closes the breaker.
    pub fn success(&self) {
        self.consecutive_failures.store(0, Ordering::SeqCst);
        self.open_until_ms.store(0, Ordering::SeqCst);
    }

    /// Records a failed call; opens the breaker at the threshold.
    pub fn failure(&self) {
        let failures = self.consecutive_failures.fetch_add(1, Ordering::SeqCst).saturating_add(1);
        if self.threshold > 0 && failures >= self.threshold {
            let until = self.clock.now_ms().saturating_add(self.cooldown_ms);
            self.open_until_ms.store(until, Ordering::SeqCst);
        }
    }

    /// True while open.
    pub fn is_open(&self) -> bool {
        !self.allows()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn opens_after_the_threshold_for_the_cooldown_then_half_opens() {
        let clock = ManualClock::new(0);
        let breaker = CircuitBreaker::new(3, 1_000, Arc::new(clock.clone()));
        breaker.failure();
        breaker.failure();
        assert!(breaker.allows());
        breaker.failure();
        assert!(!breaker.allows(), "open after 3 consecutive failures");
        clock.advance_ms(999);
        assert!(!breaker.allows());
        clock.advance_ms(1);
        assert!(breaker.allows(), "half-open after the cool-down");
        breaker.failure();
        assert!(!breaker.allows(), "one more failure reopens it");
        clock.advance_ms(1_000);
        breaker.success();
        breaker.failure();
        assert!(breaker.allows(), "a success resets the count");
    }
}
