//! [`Cache`]: the two-tier cache an isolate builds once and shares between
//! its cached stores.
//!
//! # Reads: one round trip, whatever the number of tags
//! An entry is stored with the versions it was written under: its
//! namespace's epoch, its own version and one version per tag. A read is one
//! `MGET` of the entry and those version keys; the entry is usable only if
//! every version is still the one it carries. Invalidating a key or a tag,
//! or clearing a namespace, sets a new random version: O(1), no `KEYS`, no
//! `SCAN`. A version key that is missing (evicted, expired) invalidates the
//! entries stamped with it; it is never read as "0", so eviction cannot
//! resurrect invalidated entries.
//!
//! # Writes: fenced
//! A miss loads, then writes back with a Lua script that refuses the write
//! if any version moved since the read (memcache leases, Nishtala et al.,
//! "Scaling Memcache at Facebook", NSDI 2013): a loader that began before an
//! invalidation cannot store its stale result after it.
//!
//! # Two tiers and the staleness bound
//! With Upstash as the shared tier (L2), an in-isolate L1 answers repeated
//! reads with no round trip. An L1 entry is revalidated against L2 (one
//! `MGET`) once it was last validated `l1_max_staleness_ms` ago (default
//! 1000, `CACHE_L1_MAX_STALENESS_MS`). Bound: after an invalidation in any
//! isolate, no isolate serves the old value for longer than
//! `l1_max_staleness_ms` (plus the duration of one in-flight request).
//! Invalidations made in this isolate drop its L1 entries at once.
//!
//! # Requests of one isolate never wait on each other's I/O
//! Workers cancels a request that awaits a promise resolved in another
//! request's context once that request has ended. Everything the requests of
//! an isolate share here is plain data behind short locks: single-flight
//! followers look for their leader's result on timers of their own (see
//! `single_flight.rs`), background refreshes run in the `waitUntil` of the
//! request that served the stale entry, and nothing is initialised lazily by
//! an awaited future.

mod builder;
mod config;
mod created;
mod entry;
mod events;
#[cfg(not(target_arch = "wasm32"))]
mod follow;
mod health;
mod invalidation;
mod l1;
mod loaded;
mod lookup;
mod options;
mod prefetch;
mod read;
mod read_through;
mod refresh;
mod single_flight;
mod stats;
mod typed;
mod warm;
mod write;

pub use crate::failure::FailurePolicy;
pub use builder::CacheBuilder;
pub use config::{
    CacheConfig, Provider, DEFAULT_KEY_PREFIX, DEFAULT_L1_MAX_STALENESS_MS, DEFAULT_NEGATIVE_TTL_SECS,
    DEFAULT_TTL_SECS, DEFAULT_VERSION_TTL,
};
pub use events::{EventError, InvalidationEvent, MAX_EVENT_ITEMS};
pub use health::Health;
pub use invalidation::Invalidation;
pub use l1::L1Settings;
pub use loaded::{Loaded, MAX_ADAPTIVE_TAGS};
pub use lookup::{CacheStatus, CachedBytes, Lookup};
pub use options::{EntryOptions, StaleMode};
pub use prefetch::{Prefetch, Prefetched, PrefetchedMany};
pub use read::Fence;
pub use read_through::{LoadError, ReadOptions, ReadThrough};
pub use refresh::PendingRefresh;
pub use stats::{Stats, StatsSnapshot};
pub use typed::{RememberError, SetOptions};
pub use warm::{WarmReport, WARM_BATCH};

use std::sync::Arc;

use crate::backend::{CacheBackend, CacheError};
use crate::clock::Clock;
use crate::config::ConfigError;
use crate::failure::{CircuitBreaker, Outcome};
use crate::keys::KeySpace;
use crate::outage::OutageLog;
use crate::Ttl;

/// The cache an application builds once per isolate and hands to each
/// [`CachingStore`](crate::CachingStore). Cloning is cheap and shares it all:
/// backend, L1, stats, outage log, circuit breaker, single-flight table.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Option<Arc<dyn CacheBackend>>,
    l1: Option<l1::L1>,
    key_prefix: String,
    version_ttl: Ttl,
    events_channel: Option<String>,
    clock: Arc<dyn Clock>,
    outage: OutageLog,
    breaker: Arc<CircuitBreaker>,
    stats: Stats,
    flights: single_flight::SingleFlight<read_through::Shared>,
    refreshing: refresh::RefreshClaims,
    health: health::HealthChecks,
    created: created::CreatedVersions,
}

impl Cache {
    /// The backend, or `None` when caching is off.
    pub fn backend(&self) -> Option<&Arc<dyn CacheBackend>> {
        self.inner.backend.as_ref()
    }

    /// The first segment of every key (`CACHE_KEY_PREFIX`).
    pub fn key_prefix(&self) -> &str {
        &self.inner.key_prefix
    }

    /// The key namespace `{prefix}:{domain}:{entity}` under this cache's prefix.
    ///
    /// # Errors
    /// [`ConfigError`] when `domain` or `entity` is not a plain segment.
    pub fn key_space(&self, domain: &str, entity: &str) -> Result<KeySpace, ConfigError> {
        KeySpace::new(&self.inner.key_prefix, domain, entity)
    }

    /// The outage log: failures counted, the last error, whether failing now.
    pub fn outage(&self) -> &OutageLog {
        &self.inner.outage
    }

    /// The circuit breaker in front of the backend.
    pub fn circuit_breaker(&self) -> &Arc<CircuitBreaker> {
        &self.inner.breaker
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// What the cache holds in the isolate's memory: L1 in front of Upstash,
    /// or the memory backend; `None` when it holds nothing there.
    pub fn memory_usage(&self) -> Option<crate::backend::MemoryUsage> {
        match &self.inner.l1 {
            Some(l1) => Some(l1.usage()),
            None => self.inner.backend.as_ref().and_then(|backend| backend.memory_usage()),
        }
    }

    /// The L1 staleness bound in ms; `None` without an L1.
    pub fn l1_max_staleness_ms(&self) -> Option<u64> {
        self.inner.l1.as_ref().map(l1::L1::max_staleness_ms)
    }

    fn now_ms(&self) -> u64 {
        self.inner.clock.now_ms()
    }

    /// The backend if the breaker lets calls through.
    fn guarded(&self) -> Result<&Arc<dyn CacheBackend>, CacheError> {
        let backend = self.inner.backend.as_ref().ok_or(CacheError::Disabled)?;
        if self.inner.breaker.allows() {
            Ok(backend)
        } else {
            Stats::bump(&self.inner.stats.breaker_skips);
            Err(CacheError::CircuitOpen)
        }
    }

    /// Notes the outcome of a backend call (outage log, breaker, counters):
    /// see [`record_outcome`](crate::outage::record_outcome). A refused token
    /// is counted apart and does not open the breaker: it fails fast, and
    /// only a new token fixes it.
    fn observe<T>(&self, operation: &str, result: Result<T, CacheError>) -> Result<T, CacheError> {
        let inner = &self.inner;
        match crate::outage::record_outcome(&inner.outage, Some(&inner.breaker), operation, &result) {
            Outcome::Misconfigured => Stats::bump(&inner.stats.misconfigured),
            Outcome::Outage => Stats::bump(&inner.stats.backend_errors),
            Outcome::Answered | Outcome::NotMade => {}
        }
        result
    }
}
