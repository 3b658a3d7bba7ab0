//! [`Cache`]: the configured backend, shared by every cached store of an isolate.

use std::sync::Arc;

use crate::backend::{CacheBackend, CacheError, MemoryBackend, UpstashBackend};
use crate::config::{CacheConfig, ConfigError, Provider};
use crate::keys::KeySpace;
use crate::outage::OutageLog;
use crate::upstash::UpstashClient;

/// The cache an application builds once (per isolate) and hands to each
/// [`CachingStore`](crate::CachingStore): the backend, its key prefix and its
/// outage log. Cloning is cheap and shares all three.
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Option<Arc<dyn CacheBackend>>,
    key_prefix: String,
    outage: OutageLog,
}

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
    /// Why the backend is unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Cache {
    /// Builds the cache that `config` describes: the single factory (seed 003).
    ///
    /// `CACHE_ENABLED=false` gives a disabled cache; `provider` picks Upstash
    /// or the in-memory backend of `memory_size` entries.
    pub fn from_config(config: &CacheConfig) -> Cache {
        let backend: Option<Arc<dyn CacheBackend>> =
            match (config.enabled, config.provider, &config.upstash) {
                (false, _, _) => None,
                (true, Provider::Upstash, Some(upstash)) => Some(Arc::new(UpstashBackend::new(
                    Arc::new(UpstashClient::new(upstash)),
                ))),
                (true, _, _) => Some(Arc::new(MemoryBackend::new(config.memory_size))),
            };
        Cache::build(backend, &config.key_prefix)
    }

    /// A cache over `backend` whose keys start with `key_prefix`.
    pub fn new(backend: Arc<dyn CacheBackend>, key_prefix: &str) -> Cache {
        Cache::build(Some(backend), key_prefix)
    }

    /// A cache that caches nothing: every read goes to the backing store
    /// (`x-cache: bypass`).
    pub fn disabled() -> Cache {
        Cache::build(None, crate::config::DEFAULT_KEY_PREFIX)
    }

    fn build(backend: Option<Arc<dyn CacheBackend>>, key_prefix: &str) -> Cache {
        Cache {
            inner: Arc::new(Inner {
                backend,
                key_prefix: key_prefix.to_owned(),
                outage: OutageLog::default(),
            }),
        }
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

    /// Notes the outcome of a backend call in the outage log and passes it on.
    pub(crate) fn observe<T>(
        &self,
        operation: &str,
        result: Result<T, CacheError>,
    ) -> Result<T, CacheError> {
        match &result {
            Ok(_) => self.inner.outage.success(),
            Err(error) => self.inner.outage.failure(operation, error),
        }
        result
    }

    /// Pings the backend and reports its health and latency.
    pub async fn health(&self) -> Health {
        let Some(backend) = self.backend() else {
            return Health {
                healthy: true,
                backend: "none",
                latency_ms: 0,
                error: None,
            };
        };
        let started_ms = crate::clock::now_ms();
        let result = self.observe("ping", backend.ping().await);
        let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
        Health {
            healthy: result.is_ok(),
            backend: backend.kind().as_str(),
            latency_ms,
            error: result.err().map(|e| e.to_string()),
        }
    }
}
