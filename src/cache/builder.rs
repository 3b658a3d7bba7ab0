//! [`CacheBuilder`]: one chain from nothing to a [`Cache`](crate::Cache), as
//! moka's `Cache::builder()` is: pick the shared tier, adjust what needs
//! adjusting, `build()` (the façade's, which assembles the components).

use std::sync::Arc;
use std::time::Duration;

use super::config::{CacheConfig, Provider, DEFAULT_KEY_PREFIX, DEFAULT_VERSION_TTL};
use super::guarded::GuardedBackend;
use super::health::HealthChecks;
use super::invalidator::Invalidator;
use super::l1::{L1Settings, L1};
use super::reads::ReadPath;
use super::write::Writes;
use crate::backend::{BackendKind, CacheBackend, MemoryBackend, MemoryBounds, UpstashBackend};
use crate::clock::{Clock, SystemClock};
use crate::failure::{BreakerSettings, CircuitBreaker};
use crate::upstash::{UpstashClient, UpstashConfig};
use crate::Ttl;

/// What a built cache is made of: the components, each owning its state,
/// and what the façade answers itself.
pub(super) struct Parts {
    pub guarded: GuardedBackend,
    pub reads: ReadPath,
    pub writes: Writes,
    pub invalidator: Invalidator,
    pub health: HealthChecks,
    pub key_prefix: String,
    pub clock: Arc<dyn Clock>,
}

/// Whether an L1 sits in front of the backend.
#[derive(Debug, Clone, Copy)]
enum L1Choice {
    /// On with [`L1Settings::default`] when the backend is shared
    /// (Upstash); off in front of the memory backend, which is one already.
    ByBackend,
    On(L1Settings),
    Off,
}

/// Builds a [`Cache`](crate::Cache); from [`Cache::builder`](crate::Cache::builder)
/// or [`CacheBuilder::from_config`].
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
    /// Nothing chosen yet: no backend, every default.
    pub(super) fn new() -> Self {
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

    /// The breaker given, or one of the cache's own with the settings given.
    #[cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]
    fn breaker(&self) -> Arc<CircuitBreaker> {
        self.breaker.clone().unwrap_or_else(|| Arc::new(CircuitBreaker::new(self.breaker_settings, self.clock.clone())))
    }

    /// The L1 to put in front of the backend: on by default when the
    /// backend is shared (Upstash), never in front of another.
    fn l1_settings(&self) -> Option<L1Settings> {
        let shared = self.backend.as_ref().is_some_and(|backend| backend.kind() == BackendKind::Upstash);
        match self.l1 {
            L1Choice::On(settings) if shared => Some(settings),
            L1Choice::ByBackend if shared => Some(L1Settings::default()),
            _ => None,
        }
    }

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
    /// environments that share a database. Checked by
    /// [`Cache::key_space`](crate::Cache::key_space):
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
    /// [`DEFAULT_VERSION_TTL`], one day).
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

    /// Publishes an [`InvalidationEvent`](super::events::InvalidationEvent) on
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
    /// adjust before `build()` (e.g. to share a circuit
    /// breaker).
    ///
    /// `CACHE_ENABLED=false` gives a cache that caches nothing. With Upstash,
    /// an L1 within the memory bounds sits in front unless
    /// `CACHE_L1_MAX_STALENESS_MS` is 0; with the memory provider, the memory
    /// backend is the only tier.
    pub fn from_config(config: &CacheConfig) -> Self {
        let mut builder = CacheBuilder::new()
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

    /// The components this builder describes.
    pub(super) fn parts(self) -> Parts {
        let l1 = self.l1_settings().map(|settings| L1::new(settings, self.clock.clone()));
        let breaker = self.breaker();
        Parts {
            guarded: GuardedBackend::new(self.backend, breaker),
            reads: ReadPath::new(l1, self.clock.clone()),
            writes: Writes::new(&self.key_prefix, self.clock.clone()),
            invalidator: Invalidator::new(&self.key_prefix, self.version_ttl, self.events_channel),
            health: HealthChecks::new(),
            key_prefix: self.key_prefix,
            clock: self.clock,
        }
    }
}
