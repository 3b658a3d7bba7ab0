//! The cache's health: does the backend answer, and does it take writes?
//! Checked at most once per interval per isolate, however many ask.

use std::sync::Mutex;

use super::guarded::GuardedBackend;
use super::single_flight::{Role, SingleFlight, Waited};
use crate::clock::Clock;
use crate::keys::health_key;

/// The cache's health, as `GET /health` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// True when the backend took a write and read it back (or caching is
    /// off: nothing to fail).
    pub healthy: bool,
    /// `"upstash"`, `"memory"` or `"none"` (caching off).
    pub backend: &'static str,
    /// How long the check took, in milliseconds.
    pub latency_ms: u64,
    /// When the check ran, in ms since the Unix epoch.
    pub checked_at_ms: u64,
    /// Why the backend is unhealthy, safe to show (see [`CacheError::summary`](crate::CacheError::summary)).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The isolate's latest health check, and the flight of the one under way.
pub(super) struct HealthChecks {
    last: Mutex<Option<Health>>,
    flights: SingleFlight<Health>,
}

impl HealthChecks {
    pub fn new() -> Self {
        HealthChecks { last: Mutex::new(None), flights: SingleFlight::new() }
    }

    /// The latest check if it ran less than `max_age_ms` ago on `clock`;
    /// otherwise a new one. Concurrent callers share one check (the others
    /// wait for it on their own timers).
    pub async fn health(
        &self,
        guarded: &GuardedBackend,
        key_prefix: &str,
        clock: &dyn Clock,
        max_age_ms: u64,
    ) -> Health {
        let now_ms = clock.now_ms();
        if let Some(last) = crate::sync::lock(&self.last).clone() {
            if now_ms.saturating_sub(last.checked_at_ms) < max_age_ms {
                return last;
            }
        }
        let leader = match self.flights.join("health", &[]) {
            Role::Leader(leader) => leader,
            Role::Follower(follower) => match follower.wait().await {
                Waited::Ready(health) => return health,
                Waited::TakenOver(leader) => leader,
                Waited::Ended => return check(guarded, key_prefix, clock).await,
            },
        };
        let health = check(guarded, key_prefix, clock).await;
        *crate::sync::lock(&self.last) = Some(health.clone());
        leader.finish(&health, clock.now_ms());
        health
    }
}

/// Checks the backend now (dated by `clock`): writes a short-lived key
/// under `key_prefix` and reads it back in one round trip, bypassing the
/// circuit breaker. The outcome does not move the breaker (a check that
/// passes must not close it while real reads fail); a refused token is
/// logged as an error and counted.
pub(super) async fn check(guarded: &GuardedBackend, key_prefix: &str, clock: &dyn Clock) -> Health {
    let checked_at_ms = clock.now_ms();
    let Some(backend) = guarded.backend() else {
        return Health { healthy: true, backend: "none", latency_ms: 0, checked_at_ms, error: None };
    };
    let started_ms = crate::clock::now_ms();
    let result = backend.check_writable(&health_key(key_prefix)).await;
    let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
    if let Err(error) = &result {
        guarded.note_misconfiguration("health check", error);
    }
    Health {
        healthy: result.is_ok(),
        backend: backend.kind().as_str(),
        latency_ms,
        checked_at_ms,
        error: result.err().map(|e| e.summary()),
    }
}
