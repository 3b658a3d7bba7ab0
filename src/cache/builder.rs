//! [`CacheBuilder`]: one chain from nothing to a [`Cache`], as moka's
//! `Cache::builder()` is: pick the shared tier, adjust what needs adjusting,
//! `build()`.

use std::sync::Arc;
use std::time::Duration;

use super::config::{CacheConfig, Provider, DEFAULT_KEY_PREFIX, DEFAULT_VERSION_TTL};
use super::l1::{L1Settings, L1};
use super::{Cache, Inner};
use crate::backend::{BackendKind, CacheBackend, MemoryBackend, MemoryBounds, UpstashBackend};
use crate::clock::{Clock, SystemClock};
use crate::failure::{BreakerSettings, CircuitBreaker};
use crate::outage::OutageLog;
use crate::upstash::{UpstashClient, UpstashConfig};
use crate::Ttl;

/// Whether an L1 sits in front of the backend.
#[derive(Debug, Clone, Copy)]
enum L1Choice {
    /// On with [`L1Settings::default`] when the backend is shared
    /// (Upstash); off in front of the memory backend, which is one already.
    ByBackend,
    On(L1Settings),
    Off,
}

/// Builds a [`Cache`]; from [`Cache::builder`] or [`CacheBuilder::from_config`].
///
/// ```
/// use std::time::Duration;
/// use edgecache::{Cache, L1Settings, MemoryBounds};
/// use edgecache::upstash::UpstashConfig;
///
/// # fn demo() -> Result<(), edgecache::ConfigError> {
/// // Upstash, with the in-isolate L1 in front (on by default: 1,000 entries,
/// // 16 MiB, revalidated after 1 s, the staleness bound across isolates).
/// let cache = Cache::builder()
///     .upstash(&UpstashConfig::new("https://eu1-x.upstash.io", "a-token")?)
///     .key_prefix("myapp")
///     .build();
/// assert_eq!(cache.l1_max_staleness_ms(), Some(1_000));
///
/// // A tighter bound, or none at all.
/// let fresher = Cache::builder()
///     .upstash(&UpstashConfig::new("https://eu1-x.upstash.io", "a-token")?)
///     .l1(L1Settings { max_staleness: Duration::from_millis(250), ..L1Settings::default() })
///     .build();
/// assert_eq!(fresher.l1_max_staleness_ms(), Some(250));
///
/// // Each isolate's memory only (tests, or a worker without Upstash).
/// let local = Cache::builder().memory(MemoryBounds::default()).build();
/// assert_eq!(local.l1_max_staleness_ms(), None);
/// # Ok(()) }
/// # demo().unwrap();
/// ```
#[must_use = "a builder does nothing until `build()`"]
pub struct CacheBuilder {
    backend: Option<Arc<dyn CacheBackend>>,
    key_prefix: String,
    l1: L1Choice,
    version_ttl: Ttl,
    breaker: Option<Arc<CircuitBreaker>>,
    breaker_settings: BreakerSettings,
    events_channel: Option<String>,
    clock: Arc<dyn Clock>,
}

impl CacheBuilder {
    /// Caches in Upstash over a client of its own, with an L1 in front
    /// ([`L1Settings::default`] unless [`l1`](Self::l1) or
    /// [`without_l1`](Self::without_l1) says otherwise).
    // On wasm32 nothing of `fetch` is Send/Sync; the Arc only shares within
    // the isolate's one thread.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn upstash(self, config: &UpstashConfig) -> Self {
        self.upstash_client(Arc::new(UpstashClient::new(config)))
    }

    /// Caches in Upstash over `client`, shared with others (a limiter, a
    /// [`Dedup`](crate::dedup::Dedup)); an L1 in front as with
    /// [`upstash`](Self::upstash).
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn upstash_client(self, client: Arc<UpstashClient>) -> Self {
        self.backend(Arc::new(UpstashBackend::new(client)))
    }

    /// Caches in this isolate's memory only, within `bounds`: no L1 (the
    /// memory backend is one), and nothing shared between isolates.
    pub fn memory(self, bounds: MemoryBounds) -> Self {
        self.backend(Arc::new(MemoryBackend::new(bounds)))
    }

    /// Caches in a backend of your own. An L1 sits in front by default when
    /// it reports [`BackendKind::Upstash`] (a shared tier).
    pub fn backend(mut self, backend: Arc<dyn CacheBackend>) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Keys start with `prefix` (default `edgecache`): separate apps or
    /// environments that share a database. Checked by [`Cache::key_space`]:
    /// 1 to 64 of `A-Z a-z 0-9 _ - .`.
    pub fn key_prefix(mut self, prefix: &str) -> Self {
        self.key_prefix = prefix.to_owned();
        self
    }

    /// The in-isolate tier in front of a shared backend, with `settings`; a
    /// `max_staleness` of zero means none. Ignored in front of the memory
    /// backend.
    pub fn l1(mut self, settings: L1Settings) -> Self {
        self.l1 = if settings.max_staleness.is_zero() { L1Choice::Off } else { L1Choice::On(settings) };
        self
    }

    /// No in-isolate tier: every read asks the backend (one round trip), so
    /// an invalidation anywhere is seen at once.
    pub fn without_l1(mut self) -> Self {
        self.l1 = L1Choice::Off;
        self
    }

    /// TTL of the tag and epoch versions an invalidation sets (default
    /// [`DEFAULT_VERSION_TTL`](super::DEFAULT_VERSION_TTL), one day).
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

    /// The builder that `config` describes (`CACHE_*`, `UPSTASH_*`), to
    /// adjust before [`build`](Self::build) (e.g. to share a circuit
    /// breaker).
    ///
    /// `CACHE_ENABLED=false` gives a cache that caches nothing. With Upstash,
    /// an L1 within the memory bounds sits in front unless
    /// `CACHE_L1_MAX_STALENESS_MS` is 0; with the memory provider, the memory
    /// backend is the only tier.
    pub fn from_config(config: &CacheConfig) -> Self {
        let mut builder = Cache::builder()
            .key_prefix(&config.key_prefix)
            .version_ttl(config.version_ttl)
            .circuit_breaker_settings(config.breaker)
            .l1(L1Settings { bounds: config.memory, max_staleness: Duration::from_millis(config.l1_max_staleness_ms) });
        let upstash = config.upstash.as_ref().filter(|_| config.provider == Provider::Upstash);
        builder = match (config.enabled, upstash) {
            (false, _) => builder,
            (true, Some(upstash)) => builder.upstash(upstash),
            (true, None) => builder.memory(config.memory),
        };
        if let Some(channel) = &config.events_channel {
            builder = builder.events_channel(channel);
        }
        builder
    }

    /// The cache. Without a backend ([`upstash`](Self::upstash),
    /// [`memory`](Self::memory) or [`backend`](Self::backend)) it caches
    /// nothing: every read goes to the backing store.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    pub fn build(self) -> Cache {
        let breaker =
            self.breaker.unwrap_or_else(|| Arc::new(CircuitBreaker::new(self.breaker_settings, self.clock.clone())));
        let shared = self.backend.as_ref().is_some_and(|backend| backend.kind() == BackendKind::Upstash);
        let l1 = match self.l1 {
            L1Choice::On(settings) if shared => Some(settings),
            L1Choice::ByBackend if shared => Some(L1Settings::default()),
            _ => None,
        };
        Cache {
            inner: Arc::new(Inner {
                backend: self.backend,
                l1: l1.map(|settings| L1::new(settings, self.clock.clone())),
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
    /// A builder: pick the shared tier ([`upstash`](CacheBuilder::upstash),
    /// [`memory`](CacheBuilder::memory)), adjust, [`build`](CacheBuilder::build).
    pub fn builder() -> CacheBuilder {
        CacheBuilder {
            backend: None,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            l1: L1Choice::ByBackend,
            version_ttl: DEFAULT_VERSION_TTL,
            breaker: None,
            breaker_settings: BreakerSettings::default(),
            events_channel: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The cache that `config` describes: [`CacheBuilder::from_config`], built.
    pub fn from_config(config: &CacheConfig) -> Cache {
        CacheBuilder::from_config(config).build()
    }

    /// A cache that caches nothing: every read goes to the backing store.
    pub fn disabled() -> Cache {
        Cache::builder().build()
    }
}
