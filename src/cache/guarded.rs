//! The guarded backend: the backend behind its circuit breaker, with the
//! outage log and the counters every call through it adds to. Every call
//! the cache makes to its backend goes through [`GuardedBackend::gate`]
//! (skipped while the breaker is open) and [`GuardedBackend::observe`] (its
//! outcome recorded once, by [`record_outcome`]).

use std::sync::Arc;

use super::stats::Stats;
use crate::backend::{CacheBackend, CacheError};
use crate::failure::{CircuitBreaker, Outcome};
use crate::outage::{record_outcome, OutageLog};

/// The backend (`None`: caching is off), its breaker, outage log and counters.
pub(super) struct GuardedBackend {
    backend: Option<Arc<dyn CacheBackend>>,
    breaker: Arc<CircuitBreaker>,
    outage: OutageLog,
    stats: Stats,
}

impl GuardedBackend {
    /// `backend` behind `breaker` (possibly shared with others), with a
    /// fresh outage log and counters.
    pub fn new(backend: Option<Arc<dyn CacheBackend>>, breaker: Arc<CircuitBreaker>) -> Self {
        GuardedBackend { backend, breaker, outage: OutageLog::default(), stats: Stats::default() }
    }

    /// The backend, or `None` when caching is off; unguarded.
    pub fn backend(&self) -> Option<&Arc<dyn CacheBackend>> {
        self.backend.as_ref()
    }

    pub fn breaker(&self) -> &Arc<CircuitBreaker> {
        &self.breaker
    }

    pub fn outage(&self) -> &OutageLog {
        &self.outage
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The backend if the breaker lets calls through; counts a skip.
    ///
    /// # Errors
    /// [`CacheError::Disabled`] without a backend, [`CacheError::CircuitOpen`]
    /// while the breaker is open.
    pub fn gate(&self) -> Result<&Arc<dyn CacheBackend>, CacheError> {
        let backend = self.backend.as_ref().ok_or(CacheError::Disabled)?;
        if self.breaker.allows() {
            Ok(backend)
        } else {
            Stats::bump(&self.stats.breaker_skips);
            Err(CacheError::CircuitOpen)
        }
    }

    /// Notes the outcome of a backend call for `operation` (outage log,
    /// breaker, counters) and hands it back. A refused token is counted
    /// apart and does not open the breaker: it fails fast, and only a new
    /// token fixes it.
    pub fn observe<T>(&self, operation: &str, result: Result<T, CacheError>) -> Result<T, CacheError> {
        match record_outcome(&self.outage, Some(&self.breaker), operation, &result) {
            Outcome::Misconfigured => Stats::bump(&self.stats.misconfigured),
            Outcome::Outage => Stats::bump(&self.stats.backend_errors),
            Outcome::Answered | Outcome::NotMade => {}
        }
        result
    }

    /// Notes a refused token seen by a call that must not move the breaker
    /// (the health check); other failures are not noted.
    pub fn note_misconfiguration(&self, operation: &str, error: &CacheError) {
        if error.is_misconfiguration() {
            Stats::bump(&self.stats.misconfigured);
            self.outage.misconfiguration(operation, error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{MemoryBackend, MemoryBounds};
    use crate::clock::ManualClock;
    use crate::failure::BreakerSettings;
    use crate::upstash::UpstashError;

    fn guarded(clock: &ManualClock) -> GuardedBackend {
        let breaker = CircuitBreaker::new(BreakerSettings { failures: 2, cooldown_ms: 1_000 }, Arc::new(clock.clone()));
        GuardedBackend::new(Some(Arc::new(MemoryBackend::new(MemoryBounds::default()))), Arc::new(breaker))
    }

    fn outage() -> CacheError {
        CacheError::Upstash(UpstashError::Transport { status: Some(503), message: "down".into() })
    }

    #[test]
    fn outages_open_the_breaker_and_skips_are_counted() {
        let clock = ManualClock::new(0);
        let guarded = guarded(&clock);
        assert!(guarded.gate().is_ok());
        let _ = guarded.observe::<()>("read", Err(outage()));
        let _ = guarded.observe::<()>("read", Err(outage()));
        assert!(guarded.outage().is_failing());
        assert_eq!(guarded.gate().err(), Some(CacheError::CircuitOpen));
        let stats = guarded.stats().snapshot();
        assert_eq!((stats.backend_errors, stats.breaker_skips), (2, 1));
        clock.advance_ms(1_000);
        assert!(guarded.observe("read", Ok(())).is_ok());
        assert!(!guarded.outage().is_failing() && guarded.breaker().allows());
    }

    #[test]
    fn a_refused_token_is_counted_apart_and_leaves_the_breaker() {
        let clock = ManualClock::new(0);
        let guarded = guarded(&clock);
        let refused = CacheError::Upstash(UpstashError::Unauthorized { status: 401, message: "no".into() });
        for _ in 0..3 {
            let _ = guarded.observe::<()>("read", Err(refused.clone()));
        }
        guarded.note_misconfiguration("health check", &refused);
        guarded.note_misconfiguration("health check", &outage());
        assert!(guarded.breaker().allows());
        assert!(guarded.outage().is_misconfigured());
        assert_eq!(guarded.stats().snapshot().misconfigured, 4);
        assert_eq!(guarded.stats().snapshot().backend_errors, 0);
    }

    #[test]
    fn without_a_backend_calls_are_not_made() {
        let guarded = GuardedBackend::new(
            None,
            Arc::new(CircuitBreaker::new(BreakerSettings::default(), Arc::new(ManualClock::new(0)))),
        );
        assert_eq!(guarded.gate().err(), Some(CacheError::Disabled));
        let _ = guarded.observe::<()>("read", Err(CacheError::Disabled));
        assert_eq!(guarded.stats().snapshot().backend_errors, 0);
    }
}
