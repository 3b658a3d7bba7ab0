//! [`CacheBuilder`]: a cache's settings beyond its backend, and the single
//! factory [`Cache::from_config`].

use std::sync::Arc;

use super::config::{CacheConfig, Provider};
use super::l1::L1;
use super::{Cache, Inner};
use crate::backend::{CacheBackend, MemoryBackend, MemoryBounds, UpstashBackend};
use crate::clock::{Clock, SystemClock};
use crate::failure::{BreakerSettings, CircuitBreaker};
use crate::outage::OutageLog;
use crate::upstash::UpstashClient;
use crate::Ttl;

/// Default TTL of the tag and epoch versions an invalidation sets
/// (`CACHE_TAG_TTL_SECONDS`): one day. Entries written later extend the
/// versions they carry to their own lifetime, so this only needs to cover
/// the time until the next write.
pub const DEFAULT_VERSION_TTL: Ttl = Ttl::secs(86_400);

/// The in-isolate tier (L1) in front of a shared backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Settings {
    /// Its memory bounds (`CACHE_MEMORY_SIZE`, `CACHE_MEMORY_MAX_BYTES`).
    pub bounds: MemoryBounds,
    /// An entry last validated against the shared tier this long ago is
    /// validated again before it is served (`CACHE_L1_MAX_STALENESS_MS`):
    /// the staleness bound across isolates.
    pub max_staleness_ms: u64,
}

/// Settings of a [`Cache`] beyond its backend; from [`Cache::builder`].
pub struct CacheBuilder {
    backend: Option<Arc<dyn CacheBackend>>,
    key_prefix: String,
    l1: Option<L1Settings>,
    version_ttl: Ttl,
    breaker: Option<Arc<CircuitBreaker>>,
    breaker_settings: BreakerSettings,
    events_channel: Option<String>,
    clock: Arc<dyn Clock>,
}

impl CacheBuilder {
    /// Keys start with `prefix` (default `edgecache`).
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    /// Puts an in-isolate tier in front of the backend (none by default; a
    /// `max_staleness_ms` of 0 means none).
    pub fn l1(mut self, settings: L1Settings) -> Self {
        self.l1 = (settings.max_staleness_ms > 0).then_some(settings);
        self
    }

    /// TTL of the tag and epoch versions an invalidation sets (default
    /// [`DEFAULT_VERSION_TTL`]).
    pub fn version_ttl(mut self, ttl: Ttl) -> Self {
        self.version_ttl = ttl;
        self
    }

    /// The circuit breaker's settings (default [`BreakerSettings::default`]),
    /// for a breaker of this cache's own.
    pub fn circuit_breaker_settings(mut self, settings: BreakerSettings) -> Self {
        self.breaker_settings = settings;
        self
    }

    /// Shares `breaker` with others that call the same database (a rate
    /// limiter), so an outage any of them sees stops them all from paying
    /// timeouts.
    pub fn circuit_breaker(mut self, breaker: Arc<CircuitBreaker>) -> Self {
        self.breaker = Some(breaker);
        self
    }

    /// Publishes an [`InvalidationEvent`](super::InvalidationEvent) on
    /// `channel` with every invalidation.
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
        let breaker =
            self.breaker.unwrap_or_else(|| Arc::new(CircuitBreaker::new(self.breaker_settings, self.clock.clone())));
        Cache {
            inner: Arc::new(Inner {
                backend: self.backend,
                l1: self.l1.map(|settings| L1::new(settings, self.clock.clone())),
                key_prefix: self.key_prefix,
                version_ttl: self.version_ttl,
                events_channel: self.events_channel,
                outage: OutageLog::default(),
                breaker,
                stats: Default::default(),
                flights: super::single_flight::SingleFlight::new(),
                refreshing: super::refresh::RefreshClaims::new(self.clock.clone()),
                health: super::health::HealthChecks::new(),
                created: super::created::CreatedVersions::new(self.clock.clone()),
                clock: self.clock,
            }),
        }
    }
}

impl Cache {
    /// A builder over `backend` (`None`: caching off).
    pub fn builder(backend: Option<Arc<dyn CacheBackend>>) -> CacheBuilder {
        CacheBuilder {
            backend,
            key_prefix: super::config::DEFAULT_KEY_PREFIX.to_owned(),
            l1: None,
            version_ttl: DEFAULT_VERSION_TTL,
            breaker: None,
            breaker_settings: BreakerSettings::default(),
            events_channel: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Builds the cache that `config` describes: the one factory, whatever
    /// the provider.
    ///
    /// `CACHE_ENABLED=false` gives a disabled cache. With Upstash, an L1
    /// within the memory bounds sits in front unless `l1_max_staleness_ms`
    /// is 0; with the memory provider, the memory backend is the only tier.
    pub fn from_config(config: &CacheConfig) -> Cache {
        Self::builder_from_config(config).build()
    }

    /// [`from_config`](Self::from_config), as a builder to adjust (e.g. to
    /// share a circuit breaker).
    pub fn builder_from_config(config: &CacheConfig) -> CacheBuilder {
        let upstash = config.upstash.as_ref().filter(|_| config.enabled && config.provider == Provider::Upstash);
        let backend: Option<Arc<dyn CacheBackend>> = match (config.enabled, upstash) {
            (false, _) => None,
            (true, Some(upstash)) => Some(Arc::new(UpstashBackend::new(Arc::new(UpstashClient::new(upstash))))),
            (true, None) => Some(Arc::new(MemoryBackend::new(config.memory))),
        };
        let mut builder = Cache::builder(backend)
            .key_prefix(&config.key_prefix)
            .version_ttl(config.version_ttl)
            .circuit_breaker_settings(config.breaker);
        if upstash.is_some() {
            builder = builder.l1(L1Settings { bounds: config.memory, max_staleness_ms: config.l1_max_staleness_ms });
        }
        if let Some(channel) = &config.events_channel {
            builder = builder.events_channel(channel);
        }
        builder
    }

    /// A cache over `backend` whose keys start with `key_prefix`, no L1.
    pub fn new(backend: Arc<dyn CacheBackend>, key_prefix: &str) -> Cache {
        Cache::builder(Some(backend)).key_prefix(key_prefix).build()
    }

    /// A cache that caches nothing: every read goes to the backing store.
    pub fn disabled() -> Cache {
        Cache::builder(None).build()
    }
}
