//! The façade: [`Cache`]'s public methods, documented here, each delegating
//! to the component that owns the state it needs. Components never import
//! this file.

use std::future::Future;
use std::sync::Arc;

use super::builder::{CacheBuilder, Parts};
use super::config::CacheConfig;
use super::fence::Fence;
use super::health::{self, Health};
use super::invalidation::Invalidation;
use super::invalidator::BreakerRule;
use super::l1::L1;
use super::loaded::Loaded;
use super::loader::{boxed, LoadError};
use super::lookup::{CachedBytes, Lookup};
use super::options::EntryOptions;
use super::prefetch::{self, Prefetched, PrefetchedMany};
use super::read_through::{ReadOptions, ReadThrough, Through};
use super::refresh::PendingRefresh;
use super::stats::StatsSnapshot;
use super::warm::{WarmReport, Warmer};
use super::write::{LoadedFor, PendingWriteBack};
use crate::backend::{CacheBackend, CacheError, MemoryUsage};
use crate::config::ConfigError;
use crate::failure::{CircuitBreaker, FailurePolicy};
use crate::keys::{EntryKey, KeySpace};
use crate::outage::OutageLog;
use crate::upstash::Command;

/// The cache an application builds once per isolate and hands to each
/// [`CachingStore`](crate::CachingStore). Cloning is cheap and shares it all:
/// backend, L1, stats, outage log, circuit breaker, single-flight table.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Parts>,
}

impl CacheBuilder {
    /// The cache. Without a backend ([`upstash`](Self::upstash), [`memory`](Self::memory)
    /// or [`backend`](Self::backend)) it caches nothing: every read goes to the backing store.
    // On wasm32 nothing of `fetch` is Send/Sync; the Arc only shares within the isolate's thread.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn build(self) -> Cache {
        Cache { inner: Arc::new(self.parts()) }
    }
}

impl Cache {
    /// A builder: pick the shared tier ([`upstash`](CacheBuilder::upstash),
    /// [`memory`](CacheBuilder::memory)), adjust, [`build`](CacheBuilder::build).
    pub fn builder() -> CacheBuilder {
        CacheBuilder::new()
    }

    /// The cache that `config` describes: [`CacheBuilder::from_config`], built.
    pub fn from_config(config: &CacheConfig) -> Cache {
        CacheBuilder::from_config(config).build()
    }

    /// A cache that caches nothing: every read goes to the backing store.
    pub fn disabled() -> Cache {
        Cache::builder().build()
    }

    /// The backend, or `None` when caching is off.
    pub fn backend(&self) -> Option<&Arc<dyn CacheBackend>> {
        self.inner.guarded.backend()
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
        self.inner.guarded.outage()
    }

    /// The circuit breaker in front of the backend.
    pub fn circuit_breaker(&self) -> &Arc<CircuitBreaker> {
        self.inner.guarded.breaker()
    }

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.guarded.stats().snapshot()
    }

    /// What the cache holds in the isolate's memory: L1 in front of Upstash,
    /// or the memory backend; `None` when it holds nothing there.
    pub fn memory_usage(&self) -> Option<MemoryUsage> {
        let backend = || self.backend().and_then(|backend| backend.memory_usage());
        self.inner.reads.l1_usage().or_else(backend)
    }

    /// The L1 staleness bound in ms; `None` without an L1.
    pub fn l1_max_staleness_ms(&self) -> Option<u64> {
        self.inner.reads.l1().map(L1::max_staleness_ms)
    }

    fn through(&self) -> Through<'_> {
        Through { guarded: &self.inner.guarded, reads: &self.inner.reads, writes: &self.inner.writes }
    }

    /// Reads `key` (L1, then L2) and says what it found, with the fence for a
    /// later [`write_fenced`](Self::write_fenced): cache-aside by hand. The
    /// lookup's value is the entry's JSON; `None` when there is no usable entry.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails (or caching is off).
    pub async fn read(&self, key: &EntryKey) -> Result<(Option<Lookup<CachedBytes>>, Fence), CacheError> {
        self.inner.reads.read(&self.inner.guarded, key).await
    }

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
    /// and [`StaleMode::ServeAndDefer`](super::StaleMode::ServeAndDefer), under which a stale entry (or one
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
        self.through().read_through(key, options, read, boxed(loader)).await
    }

    /// Loads `key` anew and writes it back, fenced on the read that served
    /// the stale entry; then releases the claim. Failures are logged.
    pub async fn refresh<E, F, Fut>(&self, key: &EntryKey, refresh: PendingRefresh, options: &EntryOptions, loader: F)
    where
        E: std::fmt::Display,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend,
    {
        self.through().refresh(key, refresh, options, boxed(loader)).await;
    }

    /// Runs a miss's write-back left for after the response ([`ReadThrough::write_back`]);
    /// answers whether it was written (if not, the read's L1 copy goes).
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails (logged and counted as any write).
    pub async fn finish_write_back(&self, pending: PendingWriteBack) -> Result<bool, CacheError> {
        let Parts { guarded, reads, writes, .. } = &*self.inner;
        writes.finish_write_back(guarded, reads, pending).await
    }

    /// Sends `command` (any command, e.g. a rate-limit check) and the shared-tier
    /// read of `key` in ONE REST request (`/pipeline`): one round trip for both.
    /// Answers the command's outcome and the read, to finish once the caller
    /// has decided to go on (say, the request was not rate limited). When the
    /// read needs no round trip, the command is not sent (send it alone) and
    /// the fresh L1 entry is the prefetch, so finishing it cannot pay a second
    /// round trip. Nothing is prefetched when the backend is not Upstash, when
    /// caching is off, or while the circuit breaker is open. `timeout_ms` caps
    /// the request's timeout below the cache client's (e.g. `RATE_LIMIT_TIMEOUT_MS`).
    pub async fn prefetch(&self, key: &EntryKey, command: &Command, timeout_ms: Option<u64>) -> Prefetched {
        let mut many = self.prefetch_many(&[key], Some(command), timeout_ms).await;
        Prefetched { command: many.command, prefetch: many.prefetches.pop() }
    }

    /// [`prefetch`](Self::prefetch) of several keys, beside one command or
    /// none: each key fresh in L1 is taken from there, the others are read
    /// in one `/pipeline` (one `MGET` each, after `command`). Nothing is sent
    /// when every key is fresh in L1.
    pub async fn prefetch_many(
        &self,
        keys: &[&EntryKey],
        command: Option<&Command>,
        timeout_ms: Option<u64>,
    ) -> PrefetchedMany {
        prefetch::prefetch_many(&self.inner.guarded, &self.inner.reads, keys, command, timeout_ms).await
    }

    /// Writes `value` (JSON; `None` caches "absent", which needs a
    /// `negative_ttl`) unless an invalidation moved a version since the read
    /// that produced `fence`. Answers whether it was written.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails, or the value is not JSON.
    pub async fn write_fenced(
        &self,
        key: &EntryKey,
        fence: &Fence,
        value: Option<&[u8]>,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        let loaded = Loaded::new(value.map(<[u8]>::to_vec));
        let Parts { guarded, reads, writes, .. } = &*self.inner;
        writes.write_back(guarded, reads, key, fence, LoadedFor::untimed(&loaded), options).await
    }

    /// Update-after-write (write-through): after the backing store committed
    /// `value` for `key`, applies `invalidation` (the entry and its tags, in
    /// one round trip), then puts `value` in the cache, fenced on the
    /// versions the invalidation set, so a later writer's invalidation is
    /// never undone by this (older) value. Answers whether the invalidation
    /// was applied; the put is best effort (logged and counted).
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`], from either step.
    pub async fn update_after_write(
        &self,
        key: &EntryKey,
        invalidation: &Invalidation,
        value: &[u8],
        options: &EntryOptions,
        policy: FailurePolicy,
    ) -> Result<bool, CacheError> {
        let Some(bumped) = self.invalidate_versions(invalidation, policy, BreakerRule::Respect).await? else {
            return Ok(false);
        };
        let put = async {
            let (_, mut fence) = self.read(key).await?;
            fence.pin(&key.version_keys, &bumped);
            self.write_fenced(key, &fence, Some(value), options).await
        };
        match put.await {
            Err(error) if policy == FailurePolicy::FailClosed => Err(error),
            _ => Ok(true),
        }
    }

    /// Writes `entries` (the entry's keys and its JSON, `None` for "absent")
    /// into the cache, [`WARM_BATCH`](super::WARM_BATCH) at a time: per batch one round trip
    /// reads every entry with its versions, and one writes the entries that
    /// are not already fresh, each fenced on the versions its read saw (two
    /// round trips; three when Redis lost the script). Entries already fresh
    /// are skipped, and so are entries a concurrent write or invalidation
    /// moved in between.
    ///
    /// # Errors
    /// [`CacheError`] when caching is off or the breaker is open; a batch
    /// whose round trip fails counts its entries as failed.
    pub async fn warm_bytes(
        &self,
        entries: &[(EntryKey, CachedBytes)],
        options: &EntryOptions,
    ) -> Result<WarmReport, CacheError> {
        let Parts { guarded, reads, writes, .. } = &*self.inner;
        Warmer { guarded, reads, writes }.warm_bytes(entries, options).await
    }

    /// Applies `invalidation` in one round trip: bumps the versions of its
    /// keys, tags and namespaces (which makes every entry stamped with an
    /// older one unusable; a backend may also delete the keys' entries, see
    /// [`InvalidationWrite`](crate::backend::InvalidationWrite)), and publishes its event when
    /// an events channel is set. This isolate forgets the same at once: its L1
    /// copies and its in-flight lookups of what it names (a read that starts
    /// after this call is never handed a result loaded before it). Answers
    /// whether the backend applied it.
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`]; otherwise failures
    /// are logged, counted and answered as `Ok(false)`.
    pub async fn invalidate(&self, invalidation: &Invalidation, policy: FailurePolicy) -> Result<bool, CacheError> {
        Ok(self.invalidate_versions(invalidation, policy, BreakerRule::Respect).await?.is_some())
    }

    /// Applies invalidations left in an outbox by an outage: as
    /// [`invalidate`](Self::invalidate) under `Degrade`, but sent even while
    /// the circuit breaker is open (a drain doubles as a recovery probe), so
    /// the outbox empties as soon as the backend answers. Answers whether it ran.
    pub async fn apply_pending(&self, invalidation: &Invalidation) -> bool {
        let applied = self.invalidate_versions(invalidation, FailurePolicy::Degrade, BreakerRule::Bypass).await;
        matches!(applied, Ok(Some(_)))
    }

    /// Invalidates every entry written under any of `tags`.
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn invalidate_tags(&self, tags: &[&str], policy: FailurePolicy) -> Result<bool, CacheError> {
        let invalidation = Invalidation { tags: tags.iter().map(|t| t.to_string()).collect(), ..Default::default() };
        self.invalidate(&invalidation, policy).await
    }

    /// Clears a namespace by bumping its epoch (no keys are listed or deleted;
    /// old entries expire by TTL).
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn clear(&self, space: &KeySpace, policy: FailurePolicy) -> Result<bool, CacheError> {
        let invalidation = Invalidation { namespaces: vec![space.as_str().to_owned()], ..Default::default() };
        self.invalidate(&invalidation, policy).await
    }

    /// Clears everything under this cache's key prefix with one version bump
    /// (the prefix's epoch, which every entry carries and every read checks
    /// in its one `MGET`): no keys are listed or deleted; old entries expire
    /// by TTL.
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn clear_all(&self, policy: FailurePolicy) -> Result<bool, CacheError> {
        self.invalidate(&Invalidation::everything(&self.inner.key_prefix), policy).await
    }

    /// [`invalidate`](Self::invalidate), answering the versions it set
    /// (`None` when it was not applied).
    async fn invalidate_versions(
        &self,
        invalidation: &Invalidation,
        policy: FailurePolicy,
        breaker: BreakerRule,
    ) -> Result<Option<Vec<(String, String)>>, CacheError> {
        let Parts { guarded, reads, invalidator, .. } = &*self.inner;
        invalidator.invalidate_versions(guarded, reads, invalidation, policy, breaker).await
    }

    /// Subscribes to this cache's events channel and answers, once the
    /// subscription is active, the future that applies every invalidation
    /// published on it to this isolate's L1 and in-flight lookups. Run it
    /// (e.g. `tokio::spawn`); it ends when the server ends the stream. A
    /// message that is not an invalidation event is logged and skipped.
    ///
    /// # Errors
    /// [`CacheError::NotConfigured`] when the cache has no events channel or
    /// no Upstash backend; the backend's error when the subscription fails.
    #[cfg(not(target_arch = "wasm32"))]
    pub async fn follow_invalidations(&self) -> Result<impl Future<Output = ()> + Send + 'static, CacheError> {
        let cache = self.clone();
        let forget = move |invalidation: &Invalidation| {
            cache.inner.invalidator.forget_locally(&cache.inner.reads, invalidation);
        };
        super::follow::follow(self.inner.invalidator.events_channel(), self.backend(), forget).await
    }

    /// The isolate's latest health check if it ran less than `max_age_ms`
    /// ago; otherwise a new one. Concurrent callers share one check (the
    /// others wait for it on their own timers), so however many ask, the
    /// backend sees at most one check per `max_age_ms` per isolate.
    pub async fn health(&self, max_age_ms: u64) -> Health {
        let Parts { guarded, health, key_prefix, clock, .. } = &*self.inner;
        health.health(guarded, key_prefix, clock.as_ref(), max_age_ms).await
    }

    /// Checks the backend now: writes a short-lived key and reads it back in
    /// one round trip, bypassing the circuit breaker. The outcome does not
    /// move the breaker (a check that passes must not close it while real
    /// reads fail); a refused token is logged as an error and counted.
    pub async fn check_health(&self) -> Health {
        let Parts { guarded, key_prefix, clock, .. } = &*self.inner;
        health::check(guarded, key_prefix, clock.as_ref()).await
    }

    /// The components, for the typed layer on top (`typed.rs`).
    pub(super) fn parts(&self) -> &Parts {
        &self.inner
    }
}
