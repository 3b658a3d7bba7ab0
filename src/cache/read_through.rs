//! Read-through ([`Cache::remember_bytes`], [`Cache::read_through`]; typed in `typed.rs`): the cached
//! value, or the loader's, written back fenced; with single-flight, negative
//! caching, grace (stale-if-error, stale-while-revalidate) and XFetch.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::entry::{Entry, Judgement};
use super::loaded::Loaded;
use super::lookup::{CacheStatus, CachedBytes, Lookup};
use super::options::{EntryOptions, StaleMode};
use super::prefetch::{Prefetch, PrefetchedRead};
use super::read::{Fence, Found};
use super::refresh::PendingRefresh;
use super::single_flight::{Role, Waited};
use super::stats::Stats;
use super::Cache;
use crate::backend::{CacheError, LeaseState};
use crate::failure::FailurePolicy;
use crate::keys::EntryKey;
use crate::Ttl;

/// The error a loader may fail with: anything a [`CacheError`] converts into
/// (what a read answers under [`FailurePolicy::FailClosed`]), `Clone`
/// (single-flight hands the leader's error to the reads that waited for it,
/// as moka's `try_get_with` does) and `Display` (for the log). Implemented
/// for every such type, e.g. [`StoreError`](crate::StoreError).
pub trait LoadError: From<CacheError> + Clone + std::fmt::Display + crate::MaybeSendSync + 'static {}

impl<E: From<CacheError> + Clone + std::fmt::Display + crate::MaybeSendSync + 'static> LoadError for E {}

/// How one read through the cache goes, beyond its key and entry options.
#[derive(Default)]
pub struct ReadOptions {
    /// What a cache failure does (default [`FailurePolicy::Degrade`]: the
    /// read goes to the loader, [`CacheStatus::Bypass`]).
    pub policy: FailurePolicy,
    /// What a stale entry does (default: refreshed inline).
    pub stale: StaleMode,
    /// A read already made by [`Cache::prefetch`], to finish.
    pub prefetch: Option<Prefetch>,
}

/// What [`Cache::read_through`] answers: the lookup and, under
/// [`StaleMode::ServeAndDefer`], the refresh to run in the background.
pub struct ReadThrough {
    /// The value (the entry's JSON, `None` for "absent") and where it came from.
    pub lookup: Lookup<CachedBytes>,
    /// A stale (or early-refresh) entry was served: run this with
    /// [`Cache::refresh`] after the response. `None` when another refresh of
    /// the key already runs.
    pub refresh: Option<PendingRefresh>,
}

/// The error a leader hands its followers, whatever the loader's type.
#[cfg(not(target_arch = "wasm32"))]
type AnyError = Arc<dyn Any + Send + Sync>;
/// The error a leader hands its followers, whatever the loader's type.
#[cfg(target_arch = "wasm32")]
type AnyError = Arc<dyn Any>;

/// What single-flight hands from a leader to its followers.
pub(super) type Shared = Result<Lookup<CachedBytes>, AnyError>;

/// A loader's future, its type erased.
#[cfg(not(target_arch = "wasm32"))]
pub(super) type BoxedLoad<'a, E> = Pin<Box<dyn Future<Output = Result<Loaded<CachedBytes>, E>> + Send + 'a>>;
/// A loader's future, its type erased.
#[cfg(target_arch = "wasm32")]
pub(super) type BoxedLoad<'a, E> = Pin<Box<dyn Future<Output = Result<Loaded<CachedBytes>, E>> + 'a>>;

/// A loader, its type erased: the read path below the public entries is
/// compiled once per error type, not once per caller's closure (each copy
/// of an async state machine costs the Worker's wasm size).
#[cfg(not(target_arch = "wasm32"))]
pub(super) type BoxedLoader<'a, E> = Box<dyn FnOnce() -> BoxedLoad<'a, E> + Send + 'a>;
/// A loader, its type erased (see the native definition).
#[cfg(target_arch = "wasm32")]
pub(super) type BoxedLoader<'a, E> = Box<dyn FnOnce() -> BoxedLoad<'a, E> + 'a>;

/// `loader`, boxed.
pub(super) fn boxed<'a, E, F, Fut>(loader: F) -> BoxedLoader<'a, E>
where
    F: FnOnce() -> Fut + crate::MaybeSend + 'a,
    Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend + 'a,
    E: 'a,
{
    Box::new(move || Box::pin(async move { loader().await.map(Loaded::new) }))
}

/// `loader`, which gives its value's TTL and tags, boxed.
pub(super) fn boxed_adaptive<'a, E, F, Fut>(loader: F) -> BoxedLoader<'a, E>
where
    F: FnOnce() -> Fut + crate::MaybeSend + 'a,
    Fut: Future<Output = Result<Loaded<CachedBytes>, E>> + crate::MaybeSend + 'a,
{
    Box::new(move || Box::pin(loader()))
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

/// Whose read of the shared tier a lookup finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SharedRead {
    /// This read's own (leased when the entry has leases).
    Own,
    /// A prefetch's, which took no lease it could have.
    Prefetched,
}

/// One read through the shared tier.
struct Read<'a> {
    key: &'a EntryKey,
    options: &'a EntryOptions,
    policy: FailurePolicy,
    stale: StaleMode,
    early: EarlyRefresh,
}

/// Why a load did not produce a value.
pub(super) enum LoadFailed<E> {
    /// The loader failed.
    Loader(E),
    /// The write-back failed under [`FailurePolicy::FailClosed`].
    Cache(CacheError),
}

impl Cache {
    /// Read-through with single-flight: answers the cached value of `key`, or
    /// runs `loader` (once per isolate for concurrent misses of one key),
    /// writes its result back (fenced) and answers it. The loader answers the
    /// value's JSON, or `None` for "absent" (cached for `negative_ttl`).
    ///
    /// A stale entry (within `grace`) is refreshed now; it is served only if
    /// the loader fails (stale-if-error). With `early_refresh_beta`, a fresh
    /// entry near expiry may be refreshed early (XFetch).
    ///
    /// # Errors
    /// The loader's error (when no stale entry can stand in); a cache error,
    /// converted into `E`, only under [`FailurePolicy::FailClosed`].
    pub async fn remember_bytes<E, F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        policy: FailurePolicy,
        loader: F,
    ) -> Result<Lookup<CachedBytes>, E>
    where
        E: LoadError,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend,
    {
        let read = ReadOptions { policy, ..ReadOptions::default() };
        Ok(self.read_through(key, options, read, loader).await?.lookup)
    }

    /// [`remember_bytes`](Self::remember_bytes) with every option: a prefetch to finish,
    /// and [`StaleMode::ServeAndDefer`], under which a stale entry (or one
    /// XFetch picked) is served at once with a [`PendingRefresh`] for the
    /// caller to run in the background (stale-while-revalidate).
    ///
    /// # Errors
    /// As [`remember_bytes`](Self::remember_bytes).
    pub async fn read_through<E, F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        read: ReadOptions,
        loader: F,
    ) -> Result<ReadThrough, E>
    where
        E: LoadError,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend,
    {
        self.read_through_boxed(key, options, read, boxed(loader)).await
    }

    pub(super) async fn read_through_boxed<E: LoadError>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        read: ReadOptions,
        loader: BoxedLoader<'_, E>,
    ) -> Result<ReadThrough, E> {
        let stats = &self.inner.stats;
        if self.inner.backend.is_none() {
            Stats::bump(&stats.bypasses);
            return Ok(answer(loader().await?.value, CacheStatus::Bypass));
        }
        // L1 freshness is decided once per read: by the prefetch when there is one.
        let (local, prefetched) = match read.prefetch.and_then(|prefetch| prefetch.take_for(&key.key)) {
            Some(PrefetchedRead::Local(entry)) => (Some(entry), None),
            Some(PrefetchedRead::Shared(found)) => (None, Some(found)),
            None => (self.l1_get(&key.key), None),
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
        let read = Read { key, options, policy: read.policy, stale: read.stale, early };
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
            let follower = match self.inner.flights.join(&read.key.key, &read.key.version_keys) {
                Role::Leader(led) => {
                    leader = Some(led);
                    break;
                }
                Role::Follower(follower) => follower,
            };
            match follower.wait().await {
                Waited::Ready(Ok(lookup)) => {
                    Stats::bump(&self.inner.stats.coalesced);
                    return Ok(ReadThrough { lookup, refresh: None });
                }
                Waited::Ready(Err(error)) => match error.downcast_ref::<E>() {
                    Some(error) => {
                        Stats::bump(&self.inner.stats.coalesced);
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
        let source = if prefetched.is_some() { SharedRead::Prefetched } else { SharedRead::Own };
        let found = match (prefetched, read.options.lease) {
            (Some(found), _) => found,
            (None, Some(lease_ttl)) => self.read_shared_leased(read.key, lease_ttl).await,
            (None, None) => self.read_shared(read.key).await,
        };
        let found = match read.options.lease {
            Some(lease_ttl) => match found {
                Ok(found) => self.settle_lease(read, found, lease_ttl, source).await,
                Err(error) => Err(error),
            },
            None => found,
        };
        let Found { entry, judgement, fence, lease } = match found {
            Ok(found) => found,
            Err(error) if read.policy == FailurePolicy::FailClosed => return Err(E::from(error)),
            Err(_) => {
                Stats::bump(&self.inner.stats.bypasses);
                return Ok(answer(loader().await?.value, CacheStatus::Bypass));
            }
        };
        if let (Some(entry), Judgement::Stale, LeaseState::HeldByOther) = (&entry, judgement, lease) {
            // Another isolate holds the lease and refreshes it.
            Stats::bump(&self.inner.stats.stale_served);
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
                self.release_lease(read.key, &fence).await;
            }
            return Ok(served);
        }
        self.load_or_serve_stale(read, &fence, usable.map(|(entry, _)| entry), loader).await
    }

    /// After a read of an entry with leases: reads again taking the lease
    /// when the read could not (a prefetch) and the entry was not fresh; when another
    /// isolate holds it, answers a stale entry as it is (served below) or
    /// waits for the leaseholder's value, and past the lease's TTL lets this
    /// read load it.
    async fn settle_lease(
        &self,
        read: &Read<'_>,
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
            found = self.read_shared_leased(read.key, lease_ttl).await?;
            if found.judgement == Judgement::Fresh {
                return Ok(found);
            }
        }
        match found.lease {
            LeaseState::Taken => Stats::bump(&self.inner.stats.leases_taken),
            LeaseState::HeldByOther => Stats::bump(&self.inner.stats.lease_waits),
            LeaseState::NotNeeded => {}
        }
        match (found.lease, found.judgement) {
            // Another isolate loads: wait for its value (a stale entry is
            // served as it is, below).
            (LeaseState::HeldByOther, Judgement::Unusable) => {
                self.wait_for_leaseholder(read.key, found, lease_ttl).await
            }
            _ => Ok(found),
        }
    }

    /// Polls the shared tier with leased reads (paced by
    /// [`LEASE_WAITER`](crate::backoff::LEASE_WAITER), one round trip each) until the leaseholder's value is there, or its
    /// lease is gone and this read took it (it loads then), or `lease_ttl`
    /// has passed (it loads without one).
    async fn wait_for_leaseholder(&self, key: &EntryKey, mut last: Found, lease_ttl: Ttl) -> Result<Found, CacheError> {
        let deadline_ms = self.now_ms() + lease_ttl.as_millis();
        let mut backoff = crate::backoff::LEASE_WAITER;
        while self.now_ms() < deadline_ms {
            // A timer of this request's own: no waiting on another request's I/O.
            backoff.pause().await;
            last = self.read_shared_leased(key, lease_ttl).await?;
            if last.lease == LeaseState::Taken {
                Stats::bump(&self.inner.stats.leases_taken);
            }
            if last.judgement == Judgement::Fresh || last.lease != LeaseState::HeldByOther {
                break;
            }
        }
        Ok(last)
    }

    fn fresh_hit(&self, key: &EntryKey, entry: Entry, fence: &Fence) -> ReadThrough {
        Stats::bump(&self.inner.stats.l2_hits);
        count_negative(&self.inner.stats, &entry);
        let value = entry.value_bytes();
        self.l1_put(key, entry, fence);
        answer(value, CacheStatus::Hit)
    }

    /// Serves `entry` now and claims its background refresh (one per key at a time).
    fn serve_and_defer(&self, key: &EntryKey, entry: &Entry, status: CacheStatus, fence: Fence) -> ReadThrough {
        let stats = &self.inner.stats;
        Stats::bump(if status == CacheStatus::Stale { &stats.stale_served } else { &stats.l2_hits });
        let refresh = self.claim_refresh(&key.key, fence);
        ReadThrough { lookup: Lookup { value: entry.value_bytes(), status }, refresh }
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
        match (self.load_once(read.key, fence, read.options, read.policy, loader).await, stale) {
            (Ok(value), _) => Ok(answer(value, CacheStatus::Miss)),
            (Err(LoadFailed::Cache(error)), _) => Err(E::from(error)),
            (Err(LoadFailed::Loader(error)), Some(entry)) => {
                log::warn!("edgecache: loader failed for {}, serving the stale entry: {error}", read.key.key);
                Stats::bump(&self.inner.stats.stale_served);
                Ok(answer(entry.value_bytes(), CacheStatus::Stale))
            }
            (Err(LoadFailed::Loader(error)), None) => Err(error),
        }
    }

    /// Runs the loader and writes its result back, fenced on the read.
    pub(super) async fn load_once<E>(
        &self,
        key: &EntryKey,
        fence: &Fence,
        options: &EntryOptions,
        policy: FailurePolicy,
        loader: BoxedLoader<'_, E>,
    ) -> Result<CachedBytes, LoadFailed<E>> {
        Stats::bump(&self.inner.stats.misses);
        let started_ms = self.now_ms();
        let loaded = loader().await;
        let delta_ms = self.now_ms().saturating_sub(started_ms);
        Stats::add(&self.inner.stats.load_ms, delta_ms);
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                self.release_lease(key, fence).await;
                return Err(LoadFailed::Loader(error));
            }
        };
        if let Err(error) = self.write_back(key, fence, &loaded, delta_ms, options).await {
            if let CacheError::InvalidValue(reason) = &error {
                // Not an outage (the outage log covers those): a value this
                // cache cannot hold, which would otherwise miss silently forever.
                log::warn!("edgecache: not caching {}: {reason}", key.key);
            }
            if policy == FailurePolicy::FailClosed {
                return Err(LoadFailed::Cache(error));
            }
        }
        Ok(loaded.value)
    }
}

fn answer(value: CachedBytes, status: CacheStatus) -> ReadThrough {
    ReadThrough { lookup: Lookup { value, status }, refresh: None }
}

/// Counts a hit on a cached "absent".
pub(super) fn count_negative(stats: &Stats, entry: &Entry) {
    if entry.value.is_none() {
        Stats::bump(&stats.negative_hits);
    }
}

/// XFetch's dice for `entry` under `options` (false without early refresh).
fn refresh_early(options: &EntryOptions, entry: &Entry, now_ms: u64) -> bool {
    options
        .early_refresh_beta
        .is_some_and(|beta| entry.should_refresh_early(now_ms, beta, crate::random::unit_interval()))
}
