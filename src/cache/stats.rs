//! Counters of what the cache did, per isolate.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one [`Cache`](crate::Cache) (so, per isolate on Workers).
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) l1_hits: AtomicU64,
    pub(crate) l2_hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) coalesced: AtomicU64,
    pub(crate) negative_hits: AtomicU64,
    pub(crate) fenced_refusals: AtomicU64,
    pub(crate) backend_errors: AtomicU64,
    pub(crate) misconfigured: AtomicU64,
    pub(crate) breaker_skips: AtomicU64,
    pub(crate) bypasses: AtomicU64,
    pub(crate) leases_taken: AtomicU64,
    pub(crate) lease_waits: AtomicU64,
    pub(crate) load_ms: AtomicU64,
}

/// A copy of the counters, as `GET /stats` shows them.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsSnapshot {
    /// Reads answered by the in-isolate tier (no round trip).
    pub l1_hits: u64,
    /// Reads answered by the shared tier (one round trip).
    pub l2_hits: u64,
    /// Reads that ran the loader (the backing store).
    pub misses: u64,
    /// Reads answered with a stale entry (grace period).
    pub stale_served: u64,
    /// Reads that waited for another read's loader instead of running their own.
    pub coalesced: u64,
    /// Hits on a cached "absent" (counted in l1Hits/l2Hits too).
    pub negative_hits: u64,
    /// Write-backs refused because an invalidation ran since the read.
    pub fenced_refusals: u64,
    /// Backend calls that failed (outages: no answer, 5xx, timeouts).
    pub backend_errors: u64,
    /// Backend calls refused for their token (HTTP 401, `NOPERM`).
    pub misconfigured: u64,
    /// Backend calls skipped while the circuit breaker was open.
    pub breaker_skips: u64,
    /// Reads that went to the backing store because the cache was off or failing.
    pub bypasses: u64,
    /// Misses that took the entry's cross-isolate lease and loaded it.
    pub leases_taken: u64,
    /// Misses that found another isolate's lease and waited for its value
    /// (or served the stale entry) instead of loading.
    pub lease_waits: u64,
    /// Milliseconds spent in loaders (the backing store), over `misses` loads.
    pub load_ms: u64,
    /// `(l1Hits + l2Hits + staleServed) / (that + misses + bypasses)`; 0 before any read.
    pub hit_rate: f64,
}

impl StatsSnapshot {
    /// Adds these counts to `sample` as the fleet's series:
    /// `cache_hits{tier}`, `cache_misses`, `cache_stale_served`,
    /// `cache_coalesced`, `cache_negative_hits`, `cache_bypasses`,
    /// `cache_fenced_refusals`, `cache_errors{kind}`, `loader_runs` and
    /// `loader_duration_ms`.
    pub fn add_to(&self, sample: &mut crate::fleet::Sample) {
        sample.add("cache_hits", &[("tier", "l1")], self.l1_hits);
        sample.add("cache_hits", &[("tier", "l2")], self.l2_hits);
        for (family, value) in [
            ("cache_misses", self.misses),
            ("cache_stale_served", self.stale_served),
            ("cache_coalesced", self.coalesced),
            ("cache_negative_hits", self.negative_hits),
            ("cache_bypasses", self.bypasses),
            ("cache_fenced_refusals", self.fenced_refusals),
            ("loader_runs", self.misses),
            ("loader_duration_ms", self.load_ms),
        ] {
            sample.add(family, &[], value);
        }
        for (kind, value) in [
            ("backend", self.backend_errors),
            ("misconfigured", self.misconfigured),
            ("breaker_skip", self.breaker_skips),
        ] {
            sample.add("cache_errors", &[("kind", kind)], value);
        }
    }
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let hits = get(&self.l1_hits) + get(&self.l2_hits) + get(&self.stale_served);
        let reads = hits + get(&self.misses) + get(&self.bypasses);
        StatsSnapshot {
            l1_hits: get(&self.l1_hits),
            l2_hits: get(&self.l2_hits),
            misses: get(&self.misses),
            stale_served: get(&self.stale_served),
            coalesced: get(&self.coalesced),
            negative_hits: get(&self.negative_hits),
            fenced_refusals: get(&self.fenced_refusals),
            backend_errors: get(&self.backend_errors),
            misconfigured: get(&self.misconfigured),
            breaker_skips: get(&self.breaker_skips),
            bypasses: get(&self.bypasses),
            leases_taken: get(&self.leases_taken),
            lease_waits: get(&self.lease_waits),
            load_ms: get(&self.load_ms),
            hit_rate: if reads == 0 { 0.0 } else { hits as f64 / reads as f64 },
        }
    }
}
