//! Read-through: the cached value, or the loader's, written back fenced;
//! with single-flight, negative caching, grace (stale-if-error,
//! stale-while-revalidate) and XFetch. The algorithm over the read path,
//! the writer and the guarded backend ([`Through`]).

use std::sync::Arc;

use super::entry::{Entry, Judgement};
use super::fence::{Fence, Found};
use super::guarded::GuardedBackend;
use super::loader::{BoxedLoader, LoadError, LoadFailed, Shared};
use super::lookup::{CacheStatus, CachedBytes, Lookup};
use super::options::{EntryOptions, StaleMode, WriteBack};
use super::prefetch::{Prefetch, PrefetchedRead};
use super::reads::{count_negative, release_lease, ReadPath, SharedRead};
use super::refresh::PendingRefresh;
use super::single_flight::{Role, Waited};
use super::stats::Stats;
use super::write::{LoadedFor, PendingWriteBack, Writes};
use crate::backend::{CacheError, LeaseState};
use crate::failure::FailurePolicy;
use crate::keys::EntryKey;

/// How one read through the cache goes, beyond its key and entry options.
#[derive(Default)]
pub struct ReadOptions {
    /// What a cache failure does (default [`FailurePolicy::Degrade`]: the
    /// read goes to the loader, [`CacheStatus::Bypass`]).
    pub policy: FailurePolicy,
    /// What a stale entry does (default: refreshed inline).
    pub stale: StaleMode,
    /// A read already made by [`Cache::prefetch`](crate::Cache::prefetch), to finish.
    pub prefetch: Option<Prefetch>,
    /// When a miss writes back what it loaded (default: before answering).
    pub write_back: WriteBack,
}

/// What [`Cache::read_through`](crate::Cache::read_through) answers: the
/// lookup and, under [`StaleMode::ServeAndDefer`], the refresh to run in the
/// background.
pub struct ReadThrough {
    /// The value (the entry's JSON, `None` for "absent") and where it came from.
    pub lookup: Lookup<CachedBytes>,
    /// A stale (or early-refresh) entry was served: run this with
    /// [`Cache::refresh`](crate::Cache::refresh) after the response. `None`
    /// when another refresh of the key already runs.
    pub refresh: Option<PendingRefresh>,
    /// Under [`WriteBack::Deferred`], a miss's write-back: run it with
    /// [`Cache::finish_write_back`](crate::Cache::finish_write_back) after
    /// the response.
    pub write_back: Option<PendingWriteBack>,
}

/// How often a read joins a flight that ends without a result before it
/// looks up alone.
const MAX_FLIGHT_JOINS: usize = 3;

/// Whether XFetch already picked this read for an early refresh (it rolls
/// once per read: on the L1 entry when there is one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EarlyRefresh {
    Undecided,
    Picked,
}

/// One read through the shared tier.
struct Read<'a> {
    key: &'a EntryKey,
    options: &'a EntryOptions,
    policy: FailurePolicy,
    stale: StaleMode,
    write_back: WriteBack,
    early: EarlyRefresh,
}

/// The components a read through runs over.
pub(super) struct Through<'a> {
    pub guarded: &'a GuardedBackend,
    pub reads: &'a ReadPath,
    pub writes: &'a Writes,
}

impl Through<'_> {
    fn stats(&self) -> &Stats {
        self.guarded.stats()
    }

    fn now_ms(&self) -> u64 {
        self.reads.now_ms()
    }

    /// Reads `key` through the cache: L1, then the shared tier (shared by
    /// concurrent reads of the key), then `loader`, written back fenced.
    pub async fn read_through<E: LoadError>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        read: ReadOptions,
        loader: BoxedLoader<'_, E>,
    ) -> Result<ReadThrough, E> {
        let stats = self.stats();
        if self.guarded.backend().is_none() {
            Stats::bump(&stats.bypasses);
            return Ok(answer(loader().await?.value, CacheStatus::Bypass));
        }
        // L1 freshness is decided once per read: by the prefetch when there is one.
        // A shared read prefetched before this isolate's L1 got the entry (a
        // miss that another read just loaded, its write-back still on the
        // way) gives way to L1: an L1 entry put since is as fresh.
        let (local, prefetched) = match read.prefetch.and_then(|prefetch| prefetch.take_for(&key.key)) {
            Some(PrefetchedRead::Local(entry)) => (Some(entry), None),
            Some(PrefetchedRead::Shared(found)) => match self.reads.l1_get(&key.key) {
                Some(entry) => (Some(entry), None),
                None => (None, Some(found)),
            },
            None => (self.reads.l1_get(&key.key), None),
        };
        let mut early = EarlyRefresh::Undecided;
        if let Some(entry) = local {
            if !refresh_early(options, &entry, self.now_ms()) {
                Stats::bump(&stats.l1_hits);
                count_negative(stats, &entry);
                return Ok(answer(entry.value_bytes(), CacheStatus::Hit));
            }
            // Refreshed through the shared tier without rolling again.
            early = EarlyRefresh::Picked;
        }
        let read = Read { key, options, policy: read.policy, stale: read.stale, write_back: read.write_back, early };
        self.coalesced(&read, prefetched, loader).await
    }

    /// The shared tier's part, shared by concurrent reads of the key in this
    /// isolate: one MGET, at most one loader run, one write-back. Followers
    /// wait on their own timers (see `single_flight.rs`); a flight that ends
    /// without a result (invalidated, or its leader cancelled) is joined
    /// again, a few times at most, then this read looks up alone.
    async fn coalesced<E: LoadError>(
        &self,
        read: &Read<'_>,
        prefetched: Option<Result<Found, CacheError>>,
        loader: BoxedLoader<'_, E>,
    ) -> Result<ReadThrough, E> {
        let mut leader = None;
        for _ in 0..MAX_FLIGHT_JOINS {
            let follower = match self.reads.flights().join(&read.key.key, &read.key.version_keys) {
                Role::Leader(led) => {
                    leader = Some(led);
                    break;
                }
                Role::Follower(follower) => follower,
            };
            match follower.wait().await {
                Waited::Ready(Ok(lookup)) => {
                    Stats::bump(&self.stats().coalesced);
                    return Ok(ReadThrough { lookup, refresh: None, write_back: None });
                }
                Waited::Ready(Err(error)) => match error.downcast_ref::<E>() {
                    Some(error) => {
                        Stats::bump(&self.stats().coalesced);
                        return Err(error.clone());
                    }
                    // A leader whose loader fails otherwise: look up alone.
                    None => break,
                },
                Waited::TakenOver(led) => {
                    leader = Some(led);
                    break;
                }
                Waited::Ended => {}
            }
        }
        let result = self.lookup_shared(read, prefetched, loader).await;
        if let Some(leader) = leader {
            let shared: Shared = match &result {
                Ok(read) => Ok(read.lookup.clone()),
                Err(error) => Err(Arc::new(error.clone())),
            };
            leader.finish(&shared, self.now_ms());
        }
        result
    }

    /// Reads the shared tier (or takes the prefetch), judges the entry, and
    /// answers it, or loads and writes back.
    async fn lookup_shared<E: LoadError>(
        &self,
        read: &Read<'_>,
        prefetched: Option<Result<Found, CacheError>>,
        loader: BoxedLoader<'_, E>,
    ) -> Result<ReadThrough, E> {
        let (guarded, reads) = (self.guarded, self.reads);
        let source = if prefetched.is_some() { SharedRead::Prefetched } else { SharedRead::Own };
        let found = match (prefetched, read.options.lease) {
            (Some(found), _) => found,
            (None, Some(lease_ttl)) => reads.read_shared_leased(guarded, read.key, lease_ttl).await,
            (None, None) => reads.read_shared(guarded, read.key).await,
        };
        let found = match read.options.lease {
            Some(lease_ttl) => match found {
                Ok(found) => reads.settle_lease(guarded, read.key, found, lease_ttl, source).await,
                Err(error) => Err(error),
            },
            None => found,
        };
        let Found { entry, judgement, fence, lease } = match found {
            Ok(found) => found,
            Err(error) if read.policy == FailurePolicy::FailClosed => return Err(E::from(error)),
            Err(_) => {
                Stats::bump(&self.stats().bypasses);
                return Ok(answer(loader().await?.value, CacheStatus::Bypass));
            }
        };
        if let (Some(entry), Judgement::Stale, LeaseState::HeldByOther) = (&entry, judgement, lease) {
            // Another isolate holds the lease and refreshes it.
            Stats::bump(&self.stats().stale_served);
            return Ok(answer(entry.value_bytes(), CacheStatus::Stale));
        }
        let usable = match (entry, judgement) {
            (Some(entry), Judgement::Fresh) => {
                if read.early == EarlyRefresh::Undecided && !refresh_early(read.options, &entry, self.now_ms()) {
                    return Ok(self.fresh_hit(read.key, entry, &fence));
                }
                // Fresh, but picked for early refresh: still a hit if served.
                Some((entry, CacheStatus::Hit))
            }
            (Some(entry), Judgement::Stale) => Some((entry, CacheStatus::Stale)),
            _ => None,
        };
        if let (Some((entry, status)), StaleMode::ServeAndDefer) = (&usable, read.stale) {
            let leased = fence.lease_token.is_some();
            let served = self.serve_and_defer(read.key, entry, *status, fence.clone());
            if leased && served.refresh.is_none() {
                // Another refresh of this isolate runs: this read's lease goes.
                release_lease(guarded, read.key, &fence).await;
            }
            return Ok(served);
        }
        self.load_or_serve_stale(read, &fence, usable.map(|(entry, _)| entry), loader).await
    }

    fn fresh_hit(&self, key: &EntryKey, entry: Entry, fence: &Fence) -> ReadThrough {
        Stats::bump(&self.stats().l2_hits);
        count_negative(self.stats(), &entry);
        let value = entry.value_bytes();
        self.reads.l1_put(key, entry, fence);
        answer(value, CacheStatus::Hit)
    }

    /// Serves `entry` now and claims its background refresh (one per key at a time).
    fn serve_and_defer(&self, key: &EntryKey, entry: &Entry, status: CacheStatus, fence: Fence) -> ReadThrough {
        let stats = self.stats();
        Stats::bump(if status == CacheStatus::Stale { &stats.stale_served } else { &stats.l2_hits });
        let refresh = self.reads.refreshing().claim(&key.key, fence);
        ReadThrough { lookup: Lookup { value: entry.value_bytes(), status }, refresh, write_back: None }
    }

    /// Loads and writes back; when the loader fails, serves `stale` if there
    /// is one (stale-if-error).
    async fn load_or_serve_stale<E: LoadError>(
        &self,
        read: &Read<'_>,
        fence: &Fence,
        stale: Option<Entry>,
        loader: BoxedLoader<'_, E>,
    ) -> Result<ReadThrough, E> {
        let defer = read.write_back == WriteBack::Deferred && read.policy == FailurePolicy::Degrade;
        match (self.load_once(read.key, fence, read.options, read.policy, defer, loader).await, stale) {
            (Ok((value, write_back)), _) => {
                Ok(ReadThrough { lookup: Lookup { value, status: CacheStatus::Miss }, refresh: None, write_back })
            }
            (Err(LoadFailed::Cache(error)), _) => Err(E::from(error)),
            (Err(LoadFailed::Loader(error)), Some(entry)) => {
                log::warn!("edgecache: loader failed for {}, serving the stale entry: {error}", read.key.key);
                Stats::bump(&self.stats().stale_served);
                Ok(answer(entry.value_bytes(), CacheStatus::Stale))
            }
            (Err(LoadFailed::Loader(error)), None) => Err(error),
        }
    }

    /// Runs the loader and writes its result back, fenced on the read: now,
    /// or (`defer`) after the response, answering the write to run then.
    async fn load_once<E>(
        &self,
        key: &EntryKey,
        fence: &Fence,
        options: &EntryOptions,
        policy: FailurePolicy,
        defer: bool,
        loader: BoxedLoader<'_, E>,
    ) -> Result<(CachedBytes, Option<PendingWriteBack>), LoadFailed<E>> {
        Stats::bump(&self.stats().misses);
        let started_ms = self.now_ms();
        let loaded = loader().await;
        let delta_ms = self.now_ms().saturating_sub(started_ms);
        Stats::add(&self.stats().load_ms, delta_ms);
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                release_lease(self.guarded, key, fence).await;
                return Err(LoadFailed::Loader(error));
            }
        };
        let load = LoadedFor { loaded: &loaded, delta_ms };
        if defer {
            if let Some(pending) = self.writes.defer_write_back(self.reads, key, fence, load, options) {
                return Ok((loaded.value, Some(pending)));
            }
        }
        let written = self.writes.write_back(self.guarded, self.reads, key, fence, load, options).await;
        if let Err(error) = written {
            if let CacheError::InvalidValue(reason) = &error {
                // Not an outage (the outage log covers those): a value this
                // cache cannot hold, which would otherwise miss silently forever.
                log::warn!("edgecache: not caching {}: {reason}", key.key);
            }
            if policy == FailurePolicy::FailClosed {
                return Err(LoadFailed::Cache(error));
            }
        }
        Ok((loaded.value, None))
    }

    /// Loads `key` anew and writes it back, fenced on the read that served
    /// the stale entry; then releases the claim. Failures are logged.
    pub async fn refresh<E: std::fmt::Display>(
        &self,
        key: &EntryKey,
        refresh: PendingRefresh,
        options: &EntryOptions,
        loader: BoxedLoader<'_, E>,
    ) {
        let loaded = self.load_once(key, refresh.fence(), options, FailurePolicy::Degrade, false, loader).await;
        if let Err(LoadFailed::Loader(error)) = loaded {
            log::warn!("edgecache: background refresh of {} failed: {error}", key.key);
        }
        self.reads.refreshing().release(&key.key, &refresh);
    }
}

fn answer(value: CachedBytes, status: CacheStatus) -> ReadThrough {
    ReadThrough { lookup: Lookup { value, status }, refresh: None, write_back: None }
}

/// XFetch's dice for `entry` under `options` (false without early refresh).
fn refresh_early(options: &EntryOptions, entry: &Entry, now_ms: u64) -> bool {
    options
        .early_refresh_beta
        .is_some_and(|beta| entry.should_refresh_early(now_ms, beta, crate::random::unit_interval()))
}
