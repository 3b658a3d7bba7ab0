//! [`Cache`]: the two-tier cache an isolate builds once and shares between
//! its cached stores.
//!
//! # Reads: one round trip, whatever the number of tags
//! An entry is stored with the versions it was written under: its
//! namespace's epoch and one version per tag. A read is one `MGET` of the
//! entry and those version keys; the entry is usable only if every version
//! is still the one it carries. Invalidating a tag or clearing a namespace
//! sets a new random version: O(1), no `KEYS`, no `SCAN`. A version key that
//! is missing (evicted, expired) invalidates the entries stamped with it; it
//! is never read as "0", so eviction cannot resurrect invalidated entries.
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

mod entry;
mod invalidation;
mod l1;
mod single_flight;
mod stats;

pub use invalidation::{EventError, Invalidation, InvalidationEvent};
pub use stats::{Stats, StatsSnapshot};

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;

use serde_json::value::RawValue;

use self::entry::{Entry, Judgement};
use self::l1::L1;
use self::single_flight::{Role, SingleFlight, Waited};
use crate::backend::{
    CacheBackend, CacheError, FencedWrite, InvalidationWrite, MemoryBackend, UpstashBackend, VersionCheck,
};
use crate::clock::{Clock, SystemClock};
use crate::config::{CacheConfig, ConfigError, Provider};
use crate::failure::{CircuitBreaker, FailurePolicy};
use crate::keys::{entry_version_key, epoch_key, tag_key, EntryKey, KeySpace};
use crate::outage::OutageLog;
use crate::store::{CacheStatus, Lookup, StoreError};
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};
use crate::Ttl;

/// How long entries live, per cached store or call.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryOptions {
    /// Time an entry is fresh.
    pub ttl: Ttl,
    /// Time a loader's "absent" is cached (negative caching); `None`: not cached.
    pub negative_ttl: Option<Ttl>,
    /// Time past `ttl` an entry may still be served stale: while a refresh
    /// runs (stale-while-revalidate) or when the loader fails (stale-if-error).
    pub grace: Option<Ttl>,
    /// Up to this percentage is taken off each entry's TTL at random, so
    /// entries written together do not expire together. 0 to 50.
    pub jitter_percent: u8,
    /// XFetch's `beta` (1.0 is the paper's default); `None`: no early refresh.
    pub early_refresh_beta: Option<f64>,
}

impl EntryOptions {
    /// Entries fresh for `ttl`; absent values not cached, no grace, no jitter.
    pub fn new(ttl: Ttl) -> Self {
        EntryOptions { ttl, negative_ttl: None, grace: None, jitter_percent: 0, early_refresh_beta: None }
    }

    /// Caches "absent" for `ttl`.
    pub fn negative_ttl(mut self, ttl: Ttl) -> Self {
        self.negative_ttl = Some(ttl);
        self
    }

    /// Serves entries up to `grace` past their TTL (stale-while-revalidate, stale-if-error).
    pub fn grace(mut self, grace: Ttl) -> Self {
        self.grace = Some(grace);
        self
    }

    /// Takes up to `percent` (capped at 50) off each TTL at random.
    pub fn jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = percent.min(50);
        self
    }

    /// Refreshes early with probability rising towards expiry (XFetch, `beta` > 0).
    pub fn early_refresh(mut self, beta: f64) -> Self {
        self.early_refresh_beta = (beta > 0.0 && beta.is_finite()).then_some(beta);
        self
    }

    fn jittered(&self, ttl: Ttl) -> Ttl {
        if self.jitter_percent == 0 {
            return ttl;
        }
        let max_cut = ttl.as_millis() * u64::from(self.jitter_percent) / 100;
        let cut = (max_cut as f64 * crate::random::unit_interval()) as u64;
        Ttl::try_from_millis(ttl.as_millis() - cut.min(ttl.as_millis() - 1)).unwrap_or(ttl)
    }
}

/// What [`Cache::remember`] may do when an entry is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StaleMode {
    /// Refresh now; serve the stale value only if the loader fails.
    RefreshInline,
    /// Serve the stale value; the caller refreshes in the background.
    ServeAndDefer,
}

/// The versions a read saw, one per version key (`None`: absent); a later
/// write is fenced on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    seen: Vec<Option<String>>,
    /// The L1 generation when the read began.
    l1_generation: u64,
}

impl Fence {
    /// Takes `versions` (key, version) as seen, for the keys among
    /// `version_keys`: a writer fences on the versions it set itself.
    pub(crate) fn pin(&mut self, version_keys: &[String], versions: &[(String, String)]) {
        for (slot, key) in self.seen.iter_mut().zip(version_keys) {
            if let Some((_, version)) = versions.iter().find(|(k, _)| k == key) {
                *slot = Some(version.clone());
            }
        }
    }
}

/// A background refresh that [`Cache::remember_with`] handed to its caller:
/// the fence of the read, and the token of the refresh claim on the key.
pub(crate) struct Refresh {
    pub fence: Fence,
    token: u64,
}

/// A read made ahead by [`Cache::read_along`]: the L1 entry it found fresh,
/// or what the shared tier answered. The read that finishes it
/// ([`CachingStore::get_traced_ahead`](crate::CachingStore::get_traced_ahead))
/// takes it as is, so one request decides L1 freshness once.
pub struct ReadAhead {
    key: String,
    found: Ahead,
}

enum Ahead {
    /// L1 held the entry fresh when the request looked.
    Local(Entry),
    /// The shared tier's answer.
    Shared(Result<Found, CacheError>),
}

/// What [`Cache::read_along`] did.
#[derive(Default)]
pub struct ReadAlong {
    /// The rider's outcome; `None` when it was not sent (send it alone).
    pub rider: Option<Result<Reply, UpstashError>>,
    /// The read of the key, to finish with
    /// [`CachingStore::get_traced_ahead`](crate::CachingStore::get_traced_ahead);
    /// `None` when nothing was read ahead.
    pub ahead: Option<ReadAhead>,
}

/// The keys one read fetches: the entry, then its version keys.
fn read_keys(key: &EntryKey) -> Vec<&str> {
    std::iter::once(key.key.as_str()).chain(key.version_keys.iter().map(String::as_str)).collect()
}

/// What a read of the shared tier found.
struct Found {
    entry: Option<Entry>,
    judgement: Judgement,
    fence: Fence,
}

/// The loaded value's JSON (`None`: absent), as single-flight hands it round.
type Loaded = Result<Option<Vec<u8>>, StoreError>;

/// What single-flight hands from the leader to the reads that waited for it.
type SharedLookup = Result<Lookup<Option<Vec<u8>>>, StoreError>;

/// Settings of a [`Cache`] beyond its backend; see [`Cache::builder`].
pub struct CacheBuilder {
    backend: Option<Arc<dyn CacheBackend>>,
    key_prefix: String,
    l1: Option<(NonZeroUsize, u64)>,
    version_ttl: Ttl,
    breaker: (u32, u64),
    events_channel: Option<String>,
    clock: Arc<dyn Clock>,
}

impl CacheBuilder {
    /// Keys start with `prefix` (default `edgecache`).
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    /// Puts an in-isolate tier of `capacity` entries in front of the backend,
    /// revalidating entries last validated `max_staleness_ms` ago (0: no L1).
    pub fn l1(mut self, capacity: NonZeroUsize, max_staleness_ms: u64) -> Self {
        self.l1 = (max_staleness_ms > 0).then_some((capacity, max_staleness_ms));
        self
    }

    /// TTL of tag and epoch versions (default 1 day); keep it above every
    /// entry's TTL + grace, or entries expire early (safely) with their versions.
    pub fn version_ttl(mut self, ttl: Ttl) -> Self {
        self.version_ttl = ttl;
        self
    }

    /// Opens the circuit breaker after `failures` consecutive backend failures
    /// for `cooldown_ms` (defaults 5 and 5000; 0 failures: never).
    pub fn circuit_breaker(mut self, failures: u32, cooldown_ms: u64) -> Self {
        self.breaker = (failures, cooldown_ms);
        self
    }

    /// Publishes an [`InvalidationEvent`] on `channel` with every invalidation.
    pub fn events_channel(mut self, channel: &str) -> Self {
        self.events_channel = Some(channel.to_owned());
        self
    }

    /// The clock for TTLs and staleness (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The cache.
    // On wasm32 the backend is not Send/Sync (nothing of `fetch` is) and the
    // Arc is only for shared ownership within the isolate's one thread.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn build(self) -> Cache {
        let breaker = CircuitBreaker::new(self.breaker.0, self.breaker.1, self.clock.clone());
        Cache {
            inner: Arc::new(Inner {
                backend: self.backend,
                l1: self.l1.map(|(capacity, staleness)| L1::new(capacity, staleness)),
                key_prefix: self.key_prefix,
                version_ttl: self.version_ttl,
                events_channel: self.events_channel,
                clock: self.clock,
                outage: OutageLog::default(),
                breaker,
                stats: Stats::default(),
                flights: SingleFlight::new(),
                refreshing: Default::default(),
            }),
        }
    }
}

/// The cache an application builds once per isolate and hands to each
/// [`CachingStore`](crate::CachingStore). Cloning is cheap and shares it all:
/// backend, L1, stats, outage log, circuit breaker, single-flight table.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Option<Arc<dyn CacheBackend>>,
    l1: Option<L1>,
    key_prefix: String,
    version_ttl: Ttl,
    events_channel: Option<String>,
    clock: Arc<dyn Clock>,
    outage: OutageLog,
    breaker: CircuitBreaker,
    stats: Stats,
    flights: SingleFlight<SharedLookup>,
    /// Keys with a background refresh under way: its token, and since when (ms).
    refreshing: std::sync::Mutex<std::collections::HashMap<String, (u64, u64)>>,
}

/// How often a read joins a flight that ends without a result before it
/// looks up alone.
const MAX_FLIGHT_JOINS: usize = 3;

/// A refresh claim older than this (ms) may be taken over: its task never ran.
const REFRESH_CLAIM_MS: u64 = 30_000;

/// The cache's health, as `GET /health` reports it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// True when the backend answered (or caching is off: nothing to fail).
    pub healthy: bool,
    /// `"upstash"`, `"memory"` or `"none"` (caching off).
    pub backend: &'static str,
    /// How long the `PING` took, in milliseconds.
    pub latency_ms: u64,
    /// Why the backend is unhealthy, or the last failure seen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn new_version(now_ms: u64) -> String {
    format!("{now_ms:x}.{:016x}", crate::random::random_u64())
}

impl Cache {
    /// A builder over `backend` (`None`: caching off).
    pub fn builder(backend: Option<Arc<dyn CacheBackend>>) -> CacheBuilder {
        CacheBuilder {
            backend,
            key_prefix: crate::config::DEFAULT_KEY_PREFIX.to_owned(),
            l1: None,
            version_ttl: Ttl::secs(86_400),
            breaker: (crate::failure::DEFAULT_BREAKER_FAILURES, crate::failure::DEFAULT_BREAKER_COOLDOWN_MS),
            events_channel: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Builds the cache that `config` describes: the single factory (seed 003).
    ///
    /// `CACHE_ENABLED=false` gives a disabled cache. With Upstash, an L1 of
    /// `memory_size` entries sits in front unless `l1_max_staleness_ms` is 0;
    /// with the memory provider, the memory backend is the only tier.
    pub fn from_config(config: &CacheConfig) -> Cache {
        let backend: Option<Arc<dyn CacheBackend>> = match (config.enabled, config.provider, &config.upstash) {
            (false, _, _) => None,
            (true, Provider::Upstash, Some(upstash)) => {
                Some(Arc::new(UpstashBackend::new(Arc::new(UpstashClient::new(upstash)))))
            }
            (true, _, _) => Some(Arc::new(MemoryBackend::new(config.memory_size))),
        };
        let shared_tier = config.enabled && config.provider == Provider::Upstash && config.upstash.is_some();
        let mut builder = Cache::builder(backend)
            .key_prefix(&config.key_prefix)
            .version_ttl(config.tag_ttl)
            .circuit_breaker(config.breaker_failures, config.breaker_cooldown_ms);
        if shared_tier {
            builder = builder.l1(config.memory_size, config.l1_max_staleness_ms);
        }
        if let Some(channel) = &config.events_channel {
            builder = builder.events_channel(channel);
        }
        builder.build()
    }

    /// A cache over `backend` whose keys start with `key_prefix`, no L1.
    pub fn new(backend: Arc<dyn CacheBackend>, key_prefix: &str) -> Cache {
        Cache::builder(Some(backend)).key_prefix(key_prefix).build()
    }

    /// A cache that caches nothing: every read goes to the backing store.
    pub fn disabled() -> Cache {
        Cache::builder(None).build()
    }

    /// The backend, or `None` when caching is off.
    pub fn backend(&self) -> Option<&Arc<dyn CacheBackend>> {
        self.inner.backend.as_ref()
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

    /// The counters.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    /// The L1 staleness bound in ms; `None` without an L1.
    pub fn l1_max_staleness_ms(&self) -> Option<u64> {
        self.inner.l1.as_ref().map(L1::max_staleness_ms)
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

    /// Notes the outcome of a backend call (outage log, breaker, counters).
    fn observe<T>(&self, operation: &str, result: Result<T, CacheError>) -> Result<T, CacheError> {
        match &result {
            Ok(_) => {
                self.inner.outage.success();
                self.inner.breaker.success();
            }
            Err(CacheError::CircuitOpen | CacheError::Disabled) => {}
            Err(error) => {
                Stats::bump(&self.inner.stats.backend_errors);
                self.inner.outage.failure(operation, error);
                self.inner.breaker.failure();
            }
        }
        result
    }

    /// Reads an entry and its versions from the shared tier: one round trip.
    async fn read_shared(&self, key: &EntryKey) -> Result<Found, CacheError> {
        let backend = self.guarded()?;
        let generation = self.l1_generation();
        let keys = read_keys(key);
        let values = self.observe("read", backend.get_many(&keys).await)?;
        Ok(self.judge(key, values, generation))
    }

    fn l1_generation(&self) -> u64 {
        self.inner.l1.as_ref().map_or(0, L1::generation)
    }

    fn l1_put(&self, key: &EntryKey, entry: Entry, now_ms: u64, fence: &Fence) {
        if let Some(l1) = &self.inner.l1 {
            l1.put(&key.key, entry, &key.version_keys, now_ms, fence.l1_generation);
        }
    }

    /// Judges what an `MGET` of [`read_keys`] answered.
    fn judge(&self, key: &EntryKey, values: Vec<Option<Vec<u8>>>, l1_generation: u64) -> Found {
        let mut values = values.into_iter();
        let entry = values.next().flatten().and_then(|bytes| Entry::decode(&bytes));
        let seen: Vec<Option<String>> =
            values.map(|v| v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())).collect();
        let judgement = match &entry {
            Some(entry) => entry.judge(&key.version_keys, &seen, self.now_ms()),
            None => Judgement::Unusable,
        };
        Found { entry, judgement, fence: Fence { seen, l1_generation } }
    }

    /// Sends `rider` (any command, e.g. a rate-limit check) and the shared-tier
    /// read of `key` in ONE REST request (`/pipeline`), so a request that needs
    /// both pays one round trip. Answers the rider's outcome and the read, to
    /// finish with [`CachingStore::get_traced_ahead`](crate::CachingStore::get_traced_ahead)
    /// once the caller has decided to go on (say, the request was not rate limited).
    ///
    /// The rider is not sent (send it alone) when the read needs no round
    /// trip: then the fresh L1 entry is the read ahead, so the read that
    /// finishes it cannot find L1 aged past its bound and pay a second round
    /// trip. Nothing is read ahead when the backend is not Upstash, when
    /// caching is off, or while the circuit breaker is open.
    ///
    /// `timeout_ms` caps the request's timeout below the cache client's (the
    /// rider may have a shorter deadline of its own, e.g. `RATE_LIMIT_TIMEOUT_MS`).
    pub async fn read_along(&self, key: &EntryKey, rider: &Command, timeout_ms: Option<u64>) -> ReadAlong {
        let Some(client) = self.inner.backend.as_ref().and_then(|backend| backend.upstash_client()) else {
            return ReadAlong::default();
        };
        if !self.inner.breaker.allows() {
            return ReadAlong::default();
        }
        if let Some(entry) = self.inner.l1.as_ref().and_then(|l1| l1.get(&key.key, self.now_ms())) {
            return ReadAlong {
                rider: None,
                ahead: Some(ReadAhead { key: key.key.clone(), found: Ahead::Local(entry) }),
            };
        }
        let read = Command::new("MGET").args_from(read_keys(key));
        let generation = self.l1_generation();
        let timeout_ms = timeout_ms.map_or(client.timeout_ms(), |t| t.min(client.timeout_ms()));
        match client.pipeline_within(&[rider.clone(), read], timeout_ms).await {
            Ok(mut outcomes) => {
                let read = outcomes.pop().expect("two outcomes");
                let rider = outcomes.pop().expect("two outcomes");
                let values = read
                    .and_then(|reply| {
                        reply.into_array()?.into_iter().map(Reply::into_bytes).collect::<Result<Vec<_>, _>>()
                    })
                    .map_err(CacheError::from);
                let found = self.observe("read", values).map(|values| self.judge(key, values, generation));
                ReadAlong {
                    rider: Some(rider),
                    ahead: Some(ReadAhead { key: key.key.clone(), found: Ahead::Shared(found) }),
                }
            }
            Err(error) => {
                let failed = CacheError::from(error.clone());
                let _ = self.observe::<()>("read", Err(failed.clone()));
                let ahead = ReadAhead { key: key.key.clone(), found: Ahead::Shared(Err(failed)) };
                ReadAlong { rider: Some(Err(error)), ahead: Some(ahead) }
            }
        }
    }

    /// Reads `key` (L1, then L2) and says what it found, with the fence for a
    /// later [`write_fenced`](Self::write_fenced). `value` is the entry's JSON;
    /// `Ok(None)` when there is no usable entry.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails (or caching is off).
    pub async fn read(&self, key: &EntryKey) -> Result<(Option<Lookup<Option<Vec<u8>>>>, Fence), CacheError> {
        if let Some(entry) = self.inner.l1.as_ref().and_then(|l1| l1.get(&key.key, self.now_ms())) {
            let fence = Fence { seen: entry_fence(&entry, &key.version_keys), l1_generation: self.l1_generation() };
            return Ok((Some(Lookup { value: raw_bytes(&entry), status: CacheStatus::Hit }), fence));
        }
        let found = self.read_shared(key).await?;
        let lookup = match (&found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) => Some(Lookup { value: raw_bytes(entry), status: CacheStatus::Hit }),
            (Some(entry), Judgement::Stale) => Some(Lookup { value: raw_bytes(entry), status: CacheStatus::Stale }),
            _ => None,
        };
        Ok((lookup, found.fence))
    }

    /// Writes `value` (JSON; `None` caches "absent", which needs a
    /// `negative_ttl`) unless an invalidation moved a version since the read
    /// that produced `fence`. Answers whether it was written.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails.
    pub async fn write_fenced(
        &self,
        key: &EntryKey,
        fence: &Fence,
        value: Option<&[u8]>,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        self.write_back(key, fence, value, 0, options).await
    }

    async fn write_back(
        &self,
        key: &EntryKey,
        fence: &Fence,
        value: Option<&[u8]>,
        delta_ms: u64,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        let ttl = match value {
            Some(_) => options.jittered(options.ttl),
            None => match options.negative_ttl {
                Some(ttl) => options.jittered(ttl),
                None => return Ok(false),
            },
        };
        let raw = match value {
            Some(bytes) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| CacheError::InvalidValue("value is not UTF-8 JSON".into()))?;
                Some(RawValue::from_string(text.to_owned()).map_err(|e| CacheError::InvalidValue(e.to_string()))?)
            }
            None => None,
        };
        let now_ms = self.now_ms();
        let created: Vec<String> = key.version_keys.iter().map(|_| new_version(now_ms)).collect();
        let versions = key
            .version_keys
            .iter()
            .zip(&fence.seen)
            .zip(&created)
            .map(|((k, seen), created)| (k.clone(), seen.clone().unwrap_or_else(|| created.clone())))
            .collect();
        let entry = Entry { value: raw, fresh_until_ms: now_ms + ttl.as_millis(), delta_ms, versions };
        let checks: Vec<VersionCheck<'_>> = key
            .version_keys
            .iter()
            .zip(&fence.seen)
            .zip(&created)
            .map(|((k, seen), create)| VersionCheck { key: k, seen: seen.as_deref(), create })
            .collect();
        let stored_ttl = Ttl::try_from_millis(ttl.as_millis() + options.grace.map_or(0, Ttl::as_millis)).unwrap_or(ttl);
        let payload = entry.encode();
        let write = FencedWrite {
            key: &key.key,
            value: &payload,
            ttl: stored_ttl,
            version_ttl: self.inner.version_ttl.max(stored_ttl),
            versions: &checks,
        };
        let backend = self.guarded()?;
        let written = self.observe("write", backend.set_fenced(&write).await)?;
        if written {
            self.l1_put(key, entry, now_ms, fence);
        } else {
            Stats::bump(&self.inner.stats.fenced_refusals);
        }
        Ok(written)
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
    /// The loader's error (when no stale entry can stand in); a cache error
    /// only under [`FailurePolicy::FailClosed`].
    pub async fn remember<F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        policy: FailurePolicy,
        loader: F,
    ) -> Result<Lookup<Option<Vec<u8>>>, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Loaded>,
    {
        self.remember_with(key, options, policy, StaleMode::RefreshInline, None, loader).await.map(|(lookup, _)| lookup)
    }

    /// [`remember`](Self::remember), where a stale entry (or one XFetch picked
    /// for early refresh) may instead be served at once, answering
    /// `Some(refresh)` so the caller refreshes it in the background.
    pub(crate) async fn remember_with<F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        policy: FailurePolicy,
        stale_mode: StaleMode,
        ahead: Option<ReadAhead>,
        loader: F,
    ) -> Result<(Lookup<Option<Vec<u8>>>, Option<Refresh>), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Loaded>,
    {
        let stats = &self.inner.stats;
        if self.inner.backend.is_none() {
            Stats::bump(&stats.bypasses);
            return Ok((Lookup { value: loader().await?, status: CacheStatus::Bypass }, None));
        }
        let now_ms = self.now_ms();
        // L1 freshness is decided once per read: by the read ahead when there is one.
        let (local, prefetched) = match ahead.filter(|ahead| ahead.key == key.key).map(|ahead| ahead.found) {
            Some(Ahead::Local(entry)) => (Some(entry), None),
            Some(Ahead::Shared(found)) => (None, Some(found)),
            None => (self.inner.l1.as_ref().and_then(|l1| l1.get(&key.key, now_ms)), None),
        };
        // XFetch rolls once per read: an L1 entry picked for early refresh
        // is refreshed through the shared tier without rolling again.
        let mut early = false;
        if let Some(entry) = local {
            if !refresh_early(options, &entry, now_ms) {
                Stats::bump(&stats.l1_hits);
                if entry.value.is_none() {
                    Stats::bump(&stats.negative_hits);
                }
                return Ok((Lookup { value: raw_bytes(&entry), status: CacheStatus::Hit }, None));
            }
            early = true;
        }
        // Concurrent reads of one key in this isolate share one lookup: one
        // MGET, at most one loader run, one write-back. Followers wait on
        // their own timers (see single_flight.rs); a flight that ends without
        // a result (invalidated, or its leader cancelled) is joined again, a
        // few times at most, then this read looks up alone.
        let mut leader = None;
        for _ in 0..MAX_FLIGHT_JOINS {
            let follower = match self.inner.flights.join(&key.key) {
                Role::Leader(led) => {
                    leader = Some(led);
                    break;
                }
                Role::Follower(follower) => follower,
            };
            match follower.wait().await {
                Waited::Ready(result) => {
                    Stats::bump(&stats.coalesced);
                    return result.map(|lookup| (lookup, None));
                }
                Waited::TakenOver(led) => {
                    leader = Some(led);
                    break;
                }
                Waited::Ended => {}
            }
        }
        let result = self.lookup_shared(key, options, policy, stale_mode, prefetched, early, loader).await;
        if let Some(leader) = leader {
            let shared = result.as_ref().map(|(lookup, _)| lookup.clone()).map_err(Clone::clone);
            leader.finish(&shared, self.now_ms());
        }
        result
    }

    /// The shared tier's part of [`remember_with`](Self::remember_with): read,
    /// judge, and on a miss load and write back.
    async fn lookup_shared<F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        policy: FailurePolicy,
        stale_mode: StaleMode,
        prefetched: Option<Result<Found, CacheError>>,
        early: bool,
        loader: F,
    ) -> Result<(Lookup<Option<Vec<u8>>>, Option<Refresh>), StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Loaded>,
    {
        let stats = &self.inner.stats;
        let now_ms = self.now_ms();
        let read = match prefetched {
            Some(found) => found,
            None => self.read_shared(key).await,
        };
        let found = match read {
            Ok(found) => found,
            Err(error) => {
                if policy == FailurePolicy::FailClosed {
                    return Err(StoreError::Cache(error));
                }
                Stats::bump(&stats.bypasses);
                return Ok((Lookup { value: loader().await?, status: CacheStatus::Bypass }, None));
            }
        };
        let (usable, status) = match (found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) if !early && !refresh_early(options, &entry, now_ms) => {
                Stats::bump(&stats.l2_hits);
                if entry.value.is_none() {
                    Stats::bump(&stats.negative_hits);
                }
                let value = raw_bytes(&entry);
                self.l1_put(key, entry, now_ms, &found.fence);
                return Ok((Lookup { value, status: CacheStatus::Hit }, None));
            }
            // Fresh, but picked for early refresh: still a hit if served.
            (Some(entry), Judgement::Fresh) => (Some(entry), CacheStatus::Hit),
            (Some(entry), Judgement::Stale) => (Some(entry), CacheStatus::Stale),
            _ => (None, CacheStatus::Miss),
        };
        if let (Some(entry), StaleMode::ServeAndDefer) = (&usable, stale_mode) {
            if status == CacheStatus::Stale {
                Stats::bump(&stats.stale_served);
            } else {
                Stats::bump(&stats.l2_hits);
            }
            // One background refresh per key at a time.
            let refresh = self.claim_refresh(&key.key, now_ms).map(|token| Refresh { fence: found.fence, token });
            return Ok((Lookup { value: raw_bytes(entry), status }, refresh));
        }
        let loaded = self.load_once(key, &found.fence, options, policy, loader).await;
        match (loaded, usable) {
            (Ok(value), _) => Ok((Lookup { value, status: CacheStatus::Miss }, None)),
            // The load worked but the write-back failed under FailClosed.
            (Err(error @ StoreError::Cache(_)), _) => Err(error),
            (Err(error), Some(entry)) => {
                log::warn!("edgecache: loader failed for {}, serving the stale entry: {error}", key.key);
                Stats::bump(&stats.stale_served);
                Ok((Lookup { value: raw_bytes(&entry), status: CacheStatus::Stale }, None))
            }
            (Err(error), None) => Err(error),
        }
    }

    async fn load_once<F, Fut>(
        &self,
        key: &EntryKey,
        fence: &Fence,
        options: &EntryOptions,
        policy: FailurePolicy,
        loader: F,
    ) -> Loaded
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Loaded>,
    {
        Stats::bump(&self.inner.stats.misses);
        let started_ms = self.now_ms();
        let value = loader().await?;
        let delta_ms = self.now_ms().saturating_sub(started_ms);
        if let Err(error) = self.write_back(key, fence, value.as_deref(), delta_ms, options).await {
            if let CacheError::InvalidValue(reason) = &error {
                // Not an outage (the outage log covers those): a value this
                // cache cannot hold, which would otherwise miss silently forever.
                log::warn!("edgecache: not caching {}: {reason}", key.key);
            }
            if policy == FailurePolicy::FailClosed {
                return Err(StoreError::Cache(error));
            }
        }
        Ok(value)
    }

    /// Loads `key` anew and writes it back fenced on the read that served the
    /// stale entry (a background refresh); then releases its claim.
    pub(crate) async fn refresh<F, Fut>(&self, key: &EntryKey, refresh: &Refresh, options: &EntryOptions, loader: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Loaded>,
    {
        if let Err(error) = self.load_once(key, &refresh.fence, options, FailurePolicy::Degrade, loader).await {
            log::warn!("edgecache: background refresh of {} failed: {error}", key.key);
        }
        let mut refreshing = self.inner.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        if refreshing.get(&key.key).is_some_and(|(token, _)| *token == refresh.token) {
            refreshing.remove(&key.key);
        }
    }

    /// Claims the background refresh of `key`, answering the claim's token;
    /// `None` while another refresh of it runs. A claim older than
    /// `REFRESH_CLAIM_MS` (its task never ran) is taken over, and old claims
    /// are swept, so the table stays small.
    fn claim_refresh(&self, key: &str, now_ms: u64) -> Option<u64> {
        let mut refreshing = self.inner.refreshing.lock().unwrap_or_else(|p| p.into_inner());
        if refreshing.len() >= 1_024 {
            refreshing.retain(|_, (_, since)| now_ms.saturating_sub(*since) < REFRESH_CLAIM_MS);
        }
        match refreshing.get(key) {
            Some((_, since)) if now_ms.saturating_sub(*since) < REFRESH_CLAIM_MS => None,
            _ => {
                let token = crate::random::random_u64();
                refreshing.insert(key.to_owned(), (token, now_ms));
                Some(token)
            }
        }
    }

    /// Applies `invalidation` in one round trip: deletes its keys, bumps the
    /// versions of its keys, tags and namespaces, and publishes its event when
    /// an events channel is set. This isolate forgets the same at once: its L1
    /// copies, and its in-flight lookups (a read that starts after this call
    /// is never handed a result loaded before it). Answers whether the backend
    /// applied it.
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`]; otherwise failures
    /// are logged, counted and answered as `Ok(false)`.
    pub async fn invalidate(&self, invalidation: &Invalidation, policy: FailurePolicy) -> Result<bool, CacheError> {
        Ok(self.invalidate_versions(invalidation, policy, true).await?.is_some())
    }

    /// Applies invalidations left in an outbox by an outage: as
    /// [`invalidate`](Self::invalidate) under `Degrade`, but sent even while
    /// the circuit breaker is open (a drain doubles as a recovery probe), so
    /// the outbox empties as soon as the backend answers. Answers whether it ran.
    pub async fn apply_pending(&self, invalidation: &Invalidation) -> bool {
        matches!(self.invalidate_versions(invalidation, FailurePolicy::Degrade, false).await, Ok(Some(_)))
    }

    /// [`invalidate`](Self::invalidate), answering the versions it set
    /// (`None` when it was not applied).
    pub(crate) async fn invalidate_versions(
        &self,
        invalidation: &Invalidation,
        policy: FailurePolicy,
        through_breaker: bool,
    ) -> Result<Option<Vec<(String, String)>>, CacheError> {
        let Some(backend) = self.inner.backend.as_ref() else { return Ok(Some(Vec::new())) };
        if invalidation.is_empty() {
            return Ok(Some(Vec::new()));
        }
        // A key's own version moves too (not only a DEL), so a write fenced on
        // a read from before this invalidation is refused.
        let version_keys: Vec<String> = invalidation
            .keys
            .iter()
            .map(|key| entry_version_key(key))
            .chain(invalidation.tags.iter().map(|tag| tag_key(&self.inner.key_prefix, tag)))
            .chain(invalidation.namespaces.iter().map(|ns| epoch_key(ns)))
            .collect();
        if let Some(l1) = &self.inner.l1 {
            l1.forget(&invalidation.keys, &version_keys);
        }
        self.inner.flights.end_where(|_| true);
        let now_ms = self.now_ms();
        let versions: Vec<String> = version_keys.iter().map(|_| new_version(now_ms)).collect();
        let bumps: Vec<(&str, &str)> =
            version_keys.iter().map(String::as_str).zip(versions.iter().map(String::as_str)).collect();
        let deletes: Vec<&str> = invalidation.keys.iter().map(String::as_str).collect();
        let message =
            self.inner.events_channel.as_ref().map(|_| InvalidationEvent::new(invalidation.clone(), now_ms).to_json());
        let write = InvalidationWrite {
            deletes: &deletes,
            bumps: &bumps,
            version_ttl: self.inner.version_ttl,
            publish: self.inner.events_channel.as_deref().zip(message.as_deref()),
        };
        let result = match if through_breaker { self.guarded() } else { Ok(backend) } {
            Ok(backend) => self.observe("invalidate", backend.invalidate(&write).await),
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => Ok(Some(version_keys.into_iter().zip(versions).collect())),
            Err(error) if policy == FailurePolicy::FailClosed => Err(error),
            Err(CacheError::CircuitOpen) => {
                log::warn!("edgecache: invalidation skipped while the circuit breaker is open");
                Ok(None)
            }
            Err(_) => Ok(None),
        }
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

    /// Pings the backend (bypassing the breaker) and reports its health.
    pub async fn health(&self) -> Health {
        let Some(backend) = self.backend() else {
            return Health { healthy: true, backend: "none", latency_ms: 0, error: None };
        };
        let started_ms = crate::clock::now_ms();
        // Not observed: a PING that answers must not close the breaker while
        // real reads still fail, and /health must not be able to hold it shut.
        let result = backend.ping().await;
        let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
        Health {
            healthy: result.is_ok(),
            backend: backend.kind().as_str(),
            latency_ms,
            error: result.err().map(|e| e.to_string()),
        }
    }
}

/// XFetch's dice for `entry` under `options` (false without early refresh).
fn refresh_early(options: &EntryOptions, entry: &Entry, now_ms: u64) -> bool {
    options
        .early_refresh_beta
        .is_some_and(|beta| entry.should_refresh_early(now_ms, beta, crate::random::unit_interval()))
}

fn raw_bytes(entry: &Entry) -> Option<Vec<u8>> {
    entry.value.as_ref().map(|raw| raw.get().as_bytes().to_vec())
}

fn entry_fence(entry: &Entry, version_keys: &[String]) -> Vec<Option<String>> {
    version_keys.iter().map(|k| entry.versions.get(k).cloned()).collect()
}
