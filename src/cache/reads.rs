//! The read path's state and its reads: L1, the single-flight table, the
//! refresh claims, and the shared-tier read (one `MGET` of an entry and its
//! version keys, leased when the entry has leases). Backend calls go through
//! the [`GuardedBackend`] handed in.

use std::sync::Arc;

use super::entry::{Entry, Judgement};
use super::fence::{judge, read_keys, Fence, Found};
use super::guarded::GuardedBackend;
use super::l1::{Mark, L1};
use super::loader::Shared;
use super::lookup::{CacheStatus, CachedBytes, Lookup};
use super::refresh::RefreshClaims;
use super::single_flight::SingleFlight;
use super::stats::Stats;
use crate::backend::{CacheError, LeaseRequest, LeaseState, MemoryUsage};
use crate::clock::Clock;
use crate::keys::{lease_key, EntryKey};
use crate::Ttl;

/// Whose read of the shared tier a lookup finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SharedRead {
    /// This read's own (leased when the entry has leases).
    Own,
    /// A prefetch's, which took no lease it could have.
    Prefetched,
}

/// L1 (if any), the flights of this isolate's loads, and the claims on
/// background refreshes.
pub(super) struct ReadPath {
    l1: Option<L1>,
    flights: SingleFlight<Shared>,
    refreshing: RefreshClaims,
    clock: Arc<dyn Clock>,
}

impl ReadPath {
    pub fn new(l1: Option<L1>, clock: Arc<dyn Clock>) -> Self {
        ReadPath { l1, flights: SingleFlight::new(), refreshing: RefreshClaims::new(clock.clone()), clock }
    }

    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    pub fn l1(&self) -> Option<&L1> {
        self.l1.as_ref()
    }

    pub fn flights(&self) -> &SingleFlight<Shared> {
        &self.flights
    }

    pub fn refreshing(&self) -> &RefreshClaims {
        &self.refreshing
    }

    /// What L1 holds in memory; `None` without one.
    pub fn l1_usage(&self) -> Option<MemoryUsage> {
        self.l1.as_ref().map(L1::usage)
    }

    pub fn l1_get(&self, key: &str) -> Option<Entry> {
        self.l1.as_ref().and_then(|l1| l1.get(key))
    }

    pub fn l1_mark(&self) -> Mark {
        self.l1.as_ref().map_or(0, L1::mark)
    }

    /// Keeps `entry` in L1 unless an invalidation since the fence's read named it.
    pub fn l1_put(&self, key: &EntryKey, entry: Entry, fence: &Fence) {
        if let Some(l1) = &self.l1 {
            if entry.tag_keys.is_empty() {
                l1.put(&key.key, entry, &key.version_keys, fence.l1_mark);
            } else {
                let version_keys: Vec<String> = key.version_keys.iter().chain(&entry.tag_keys).cloned().collect();
                l1.put(&key.key, entry, &version_keys, fence.l1_mark);
            }
        }
    }

    /// Drops this isolate's L1 copies and in-flight lookups of `keys`, or
    /// of entries that carry any of `version_keys`.
    pub fn forget(&self, keys: &[String], version_keys: &[String]) {
        if let Some(l1) = &self.l1 {
            l1.forget(keys, version_keys);
        }
        self.flights
            .end_where(|key, deps| keys.iter().any(|k| k == key) || deps.iter().any(|dep| version_keys.contains(dep)));
    }

    /// Reads `key` (L1, then L2): the usable entry's lookup (`None`: none)
    /// and the fence for a later fenced write.
    pub async fn read(
        &self,
        guarded: &GuardedBackend,
        key: &EntryKey,
    ) -> Result<(Option<Lookup<CachedBytes>>, Fence), CacheError> {
        if let Some(entry) = self.l1_get(&key.key) {
            let seen = key.version_keys.iter().map(|k| entry.versions.get(k).cloned()).collect();
            let fence = Fence { seen, l1_mark: self.l1_mark(), read_at_ms: self.now_ms(), lease_token: None };
            return Ok((Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }), fence));
        }
        let found = self.read_shared(guarded, key).await?;
        let lookup = match (&found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) => Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }),
            (Some(entry), Judgement::Stale) => Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Stale }),
            _ => None,
        };
        Ok((lookup, found.fence))
    }

    /// [`read`](Self::read) for a caller that serves a fresh entry and
    /// otherwise goes to its source, counted as a read through is: an L1 or
    /// L2 hit (and a negative hit), a miss (nothing fresh: the caller
    /// loads), or a bypass (the cache is off or failing).
    pub async fn read_fresh_counted(
        &self,
        guarded: &GuardedBackend,
        key: &EntryKey,
    ) -> Result<Option<Lookup<CachedBytes>>, CacheError> {
        let stats = guarded.stats();
        if let Some(entry) = self.l1_get(&key.key) {
            Stats::bump(&stats.l1_hits);
            count_negative(stats, &entry);
            return Ok(Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }));
        }
        let found = self.read_shared(guarded, key).await.inspect_err(|_| Stats::bump(&stats.bypasses))?;
        match (&found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) => {
                Stats::bump(&stats.l2_hits);
                count_negative(stats, entry);
                Ok(Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }))
            }
            _ => {
                Stats::bump(&stats.misses);
                Ok(None)
            }
        }
    }

    /// Reads an entry and its versions from the shared tier: one round trip.
    pub async fn read_shared(&self, guarded: &GuardedBackend, key: &EntryKey) -> Result<Found, CacheError> {
        let backend = guarded.gate()?;
        let mark = self.l1_mark();
        let values = guarded.observe("read", backend.get_many(&read_keys(key)).await)?;
        Ok(judge(key, values, mark, self.now_ms()))
    }

    /// [`read_shared`](Self::read_shared) that takes the entry's lease, for
    /// `lease_ttl`, when the entry is not fresh: still one round trip.
    pub async fn read_shared_leased(
        &self,
        guarded: &GuardedBackend,
        key: &EntryKey,
        lease_ttl: Ttl,
    ) -> Result<Found, CacheError> {
        let backend = guarded.gate()?;
        let mark = self.l1_mark();
        let token = format!("{:016x}", crate::random::random_u64());
        let lease = lease_key(&key.key);
        let request = LeaseRequest { key: &lease, token: &token, ttl: lease_ttl, now_ms: self.now_ms() };
        let read = backend.get_many_leased(&read_keys(key), &request).await;
        let (values, state) = guarded.observe("read", read)?;
        let mut found = judge(key, values, mark, self.now_ms());
        found.lease = state;
        if state == LeaseState::Taken {
            found.fence.lease_token = Some(token);
        }
        Ok(found)
    }

    /// After a read of an entry with leases: reads again taking the lease
    /// when the read could not (a prefetch) and the entry was not fresh; when
    /// another isolate holds it, answers a stale entry as it is (the caller
    /// serves it) or waits for the leaseholder's value, and past the lease's
    /// TTL lets this read load it.
    pub async fn settle_lease(
        &self,
        guarded: &GuardedBackend,
        key: &EntryKey,
        mut found: Found,
        lease_ttl: Ttl,
        source: SharedRead,
    ) -> Result<Found, CacheError> {
        if found.judgement == Judgement::Fresh {
            return Ok(found);
        }
        // Only a prefetch took no lease it could have: a leased read that
        // answers "not needed" comes from a backend without leases (memory).
        if source == SharedRead::Prefetched {
            // Read again with the lease: the entry may have been written meanwhile.
            found = self.read_shared_leased(guarded, key, lease_ttl).await?;
            if found.judgement == Judgement::Fresh {
                return Ok(found);
            }
        }
        let stats = guarded.stats();
        match found.lease {
            LeaseState::Taken => Stats::bump(&stats.leases_taken),
            LeaseState::HeldByOther => Stats::bump(&stats.lease_waits),
            LeaseState::NotNeeded => {}
        }
        match (found.lease, found.judgement) {
            // Another isolate loads: wait for its value (a stale entry is
            // served as it is, by the caller).
            (LeaseState::HeldByOther, Judgement::Unusable) => {
                self.wait_for_leaseholder(guarded, key, found, lease_ttl).await
            }
            _ => Ok(found),
        }
    }

    /// Polls the shared tier with leased reads (paced by
    /// [`LEASE_WAITER`](crate::backoff::LEASE_WAITER), one round trip each)
    /// until the leaseholder's value is there, or its lease is gone and this
    /// read took it (it loads then), or `lease_ttl` has passed (it loads
    /// without one).
    async fn wait_for_leaseholder(
        &self,
        guarded: &GuardedBackend,
        key: &EntryKey,
        mut last: Found,
        lease_ttl: Ttl,
    ) -> Result<Found, CacheError> {
        let deadline_ms = self.now_ms() + lease_ttl.as_millis();
        let mut backoff = crate::backoff::LEASE_WAITER;
        while self.now_ms() < deadline_ms {
            // A timer of this request's own: no waiting on another request's I/O.
            backoff.sleep().await;
            last = self.read_shared_leased(guarded, key, lease_ttl).await?;
            if last.lease == LeaseState::Taken {
                Stats::bump(&guarded.stats().leases_taken);
            }
            if last.judgement == Judgement::Fresh || last.lease != LeaseState::HeldByOther {
                break;
            }
        }
        Ok(last)
    }
}

/// Releases the lease `fence`'s read took, if any and if still ours: for a
/// load that ends without the fenced write (which releases it). Best effort:
/// a failure leaves it to expire.
pub(super) async fn release_lease(guarded: &GuardedBackend, key: &EntryKey, fence: &Fence) {
    let (Some(token), Some(backend)) = (&fence.lease_token, guarded.backend()) else { return };
    if let Err(error) = backend.release_lease(&lease_key(&key.key), token).await {
        log::warn!("edgecache: lease of {} left to expire: {error}", key.key);
    }
}

/// Counts a hit on a cached "absent".
pub(super) fn count_negative(stats: &Stats, entry: &Entry) {
    if entry.value.is_none() {
        Stats::bump(&stats.negative_hits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{MemoryBackend, MemoryBounds};
    use crate::clock::ManualClock;
    use crate::failure::{BreakerSettings, CircuitBreaker};
    use crate::keys::KeySpace;
    use crate::upstash::UpstashError;

    #[test]
    fn fresh_reads_count_a_miss_or_a_bypass() {
        futures_executor::block_on(async {
            let clock = Arc::new(ManualClock::new(1_000));
            let backend = Arc::new(MemoryBackend::with_clock(MemoryBounds::default(), clock.clone()));
            let breaker = CircuitBreaker::new(BreakerSettings { failures: 1, cooldown_ms: 1_000 }, clock.clone());
            let guarded = GuardedBackend::new(Some(backend), Arc::new(breaker));
            let reads = ReadPath::new(None, clock);
            let key = KeySpace::new("p", "d", "e").unwrap().entry("1", vec![]);
            assert_eq!(reads.read_fresh_counted(&guarded, &key).await.unwrap(), None);
            let outage = CacheError::Upstash(UpstashError::Timeout { timeout_ms: 1 });
            let _ = guarded.observe::<()>("read", Err(outage));
            let skipped = reads.read_fresh_counted(&guarded, &key).await;
            assert_eq!(skipped.err(), Some(CacheError::CircuitOpen));
            let stats = guarded.stats().snapshot();
            assert_eq!((stats.misses, stats.bypasses, stats.breaker_skips), (1, 1, 1));
            assert_eq!(reads.l1_mark(), 0, "no L1: nothing to mark");
        });
    }
}
