//! What a cache operation does when its backend fails (fail closed, or
//! degrade to the backing store), and the circuit breaker that stops paying
//! a timeout per request during an outage. A limiter's policy (fail open,
//! fail closed, enforce locally) is `ratelimit::FailurePolicy`.
//!
//! [`Outcome`] is how a backend call ended as the breaker and the outage log
//! see it; an error type says which by [`BackendFailure`], and
//! [`outage::record_outcome`](crate::outage::record_outcome) records a call's
//! result in both at once.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crate::clock::Clock;

/// What a cache operation does when its backend (Upstash) fails, chosen per
/// call. A rate limiter has its own, with other choices:
/// [`ratelimit::FailurePolicy`](crate::ratelimit::FailurePolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Return the error. For operations where wrong data is worse than no
    /// answer (an invalidation that must land, a claim that must hold).
    FailClosed,
    /// Go on without the cache (the default): reads go to the backing store
    /// (`CacheStatus::Bypass`), write-backs and invalidations are skipped
    /// (an outbox, where the store has one, applies them later), a dedup
    /// claim answers `Unchecked`; one warning per outage is logged and every
    /// failure counted.
    #[default]
    Degrade,
}

/// How a call to a backend ended, as the circuit breaker and the outage log
/// see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The backend answered: closes the breaker, ends a logged outage.
    Answered,
    /// No usable answer (transport, 5xx, timeout, …): counts towards opening
    /// the breaker; logged once per outage.
    Outage,
    /// The backend refused the credentials (HTTP 401, `NOPERM`): logged as an
    /// error once per episode, counted apart; the breaker does not move (the
    /// call fails fast anyway, and only a new token fixes it).
    Misconfigured,
    /// The call was not made (breaker open, caching off): nothing to record.
    NotMade,
}

/// An error of a backend call that says which [`Outcome`] it is. Implemented
/// by [`CacheError`](crate::CacheError); the `Display` text is what the
/// outage log keeps as the last error.
pub trait BackendFailure: std::fmt::Display {
    /// The outcome of a call that failed with this error.
    fn outcome(&self) -> Outcome;
}

impl Outcome {
    /// The outcome of `result`: [`Answered`](Self::Answered) for `Ok`, else
    /// what the error says.
    pub fn of<T, E: BackendFailure>(result: &Result<T, E>) -> Outcome {
        match result {
            Ok(_) => Outcome::Answered,
            Err(error) => error.outcome(),
        }
    }
}

/// When a [`CircuitBreaker`] opens, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Consecutive failures that open it (`CACHE_BREAKER_FAILURES`, default
    /// 5); 0 never opens it.
    pub failures: u32,
    /// How long it stays open, in ms (`CACHE_BREAKER_COOLDOWN_MS`, default 5000).
    pub cooldown_ms: u64,
}

impl Default for BreakerSettings {
    fn default() -> Self {
        BreakerSettings { failures: 5, cooldown_ms: 5_000 }
    }
}

/// After `failures` consecutive backend failures, calls are skipped for
/// `cooldown_ms` instead of paying a timeout on every request; then calls go
/// through again (half-open), and one more failure opens it again at once.
/// Share one (`Arc`) between everything that calls the same database.
#[derive(Debug)]
pub struct CircuitBreaker {
    settings: BreakerSettings,
    consecutive_failures: AtomicU32,
    open_until_ms: AtomicU64,
    clock: Arc<dyn Clock>,
}

impl CircuitBreaker {
    /// A breaker with `settings`, on `clock`.
    pub fn new(settings: BreakerSettings, clock: Arc<dyn Clock>) -> Self {
        CircuitBreaker { settings, consecutive_failures: AtomicU32::new(0), open_until_ms: AtomicU64::new(0), clock }
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
        if self.settings.failures > 0 && failures >= self.settings.failures {
            let until = self.clock.now_ms().saturating_add(self.settings.cooldown_ms);
            self.open_until_ms.store(until, Ordering::SeqCst);
        }
    }

    /// Records a call's [`Outcome`]: an answer closes it, an outage counts
    /// towards opening it, anything else leaves it as it is.
    pub fn record(&self, outcome: Outcome) {
        match outcome {
            Outcome::Answered => self.success(),
            Outcome::Outage => self.failure(),
            Outcome::Misconfigured | Outcome::NotMade => {}
        }
    }

    /// True while open.
    pub fn is_open(&self) -> bool {
        !self.allows()
    }

    /// Ms until it half-opens; 0 when it lets calls through.
    pub fn open_for_ms(&self) -> u64 {
        self.open_until_ms.load(Ordering::SeqCst).saturating_sub(self.clock.now_ms())
    }

    /// Consecutive failures seen since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures.load(Ordering::SeqCst)
    }

    /// Its settings.
    pub fn settings(&self) -> BreakerSettings {
        self.settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn opens_after_the_threshold_for_the_cooldown_then_half_opens() {
        let clock = ManualClock::new(0);
        let breaker = CircuitBreaker::new(BreakerSettings { failures: 3, cooldown_ms: 1_000 }, Arc::new(clock.clone()));
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
