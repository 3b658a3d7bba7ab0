//! Counters of what the cache did, per isolate.

crate::counters::counter_table! {
    /// Counters of one [`Cache`](crate::Cache) (so, per isolate on Workers).
    #[derive(Debug, Default)]
    pub struct Stats;
    /// A copy of the counters, as `GET /stats` shows them.
    #[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct StatsSnapshot {
        /// Reads answered by the in-isolate tier (no round trip).
        l1_hits,
        /// Reads answered by the shared tier (one round trip).
        l2_hits,
        /// Reads that ran the loader (the backing store).
        misses,
        /// Reads answered with a stale entry (grace period).
        stale_served,
        /// Reads that waited for another read's loader instead of running their own.
        coalesced,
        /// Hits on a cached "absent" (counted in l1Hits/l2Hits too).
        negative_hits,
        /// Write-backs refused because an invalidation ran since the read.
        fenced_refusals,
        /// Backend calls that failed (outages: no answer, 5xx, timeouts).
        backend_errors,
        /// Backend calls refused for their token (HTTP 401, `NOPERM`).
        misconfigured,
        /// Backend calls skipped while the circuit breaker was open.
        breaker_skips,
        /// Reads that went to the backing store because the cache was off or failing.
        bypasses,
        /// Misses that took the entry's cross-isolate lease and loaded it.
        leases_taken,
        /// Misses that found another isolate's lease and waited for its value
        /// (or served the stale entry) instead of loading.
        lease_waits,
        /// Milliseconds spent in loaders (the backing store), over `misses` loads.
        load_ms,
    }
    derived {
        /// `(l1Hits + l2Hits + staleServed) / (that + misses + bypasses)`; 0 before any read.
        hit_rate: f64 = hit_rate,
    }
}

/// The share of reads the cache answered (see [`StatsSnapshot::hit_rate`]).
fn hit_rate(counts: &StatsSnapshot) -> f64 {
    let hits = counts.l1_hits + counts.l2_hits + counts.stale_served;
    let reads = hits + counts.misses + counts.bypasses;
    if reads == 0 {
        0.0
    } else {
        hits as f64 / reads as f64
    }
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
