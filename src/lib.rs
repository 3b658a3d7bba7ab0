//! # edgecache
//!
//! Caching for Rust on Cloudflare Workers, over the Upstash Redis REST API.
//!
//! - [`upstash::UpstashClient`]: the REST client (single commands, `/pipeline`,
//!   `/multi-exec`, `EVALSHA` with `EVAL` fallback, binary-safe replies,
//!   read-your-writes sync tokens, per-request timeouts that abort the fetch).
//! - [`CacheBackend`]: what a cache stores bytes in, a TTL on every write;
//!   [`UpstashBackend`] and the bounded, LRU [`MemoryBackend`].
//! - [`Store`] and [`CachingStore`]: a store and its cached decorator, itself a
//!   `Store` (cache-aside reads; invalidate- or update-after-write).
//! - [`CacheConfig`] and [`Cache::from_config`]: every setting from the
//!   environment, checked at start-up, and one factory.
//!
//! The library is platform-free: it builds for `wasm32-unknown-unknown`
//! (where the REST client calls the Workers `fetch` through web-sys) and
//! natively (reqwest), so its logic is tested with `cargo test`. The reference worker of this repository lives
//! behind the `worker-app` feature, so depending on edgecache never exports a
//! fetch handler into your worker.
//!
//! ## In your worker
//!
//! A cached store over your own backing store, and a per-client limit, in a
//! few lines. Build them once per isolate (keep them in a `thread_local`, the
//! way the reference worker's `app::state` does: building is synchronous, so no
//! request ever waits on another to finish it) and use them per request.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use async_trait::async_trait;
//! use edgecache::ratelimit::{Algorithm, LimitSpec, Limiter};
//! use edgecache::upstash::{UpstashClient, UpstashConfig};
//! use edgecache::{Cache, CachingStore, ReadStore, Store, StoreError, Ttl, UpstashBackend};
//! use serde_json::{json, Value};
//!
//! /// Your backing store: D1, an API, anything keyed (it would hold a `worker::D1Database`).
//! struct Users;
//!
//! // A worker builds only for wasm32, where `#[async_trait(?Send)]` alone is enough.
//! #[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
//! #[cfg_attr(not(target_arch = "wasm32"), async_trait)]
//! impl ReadStore for Users {
//!     type Value = Value;
//!     async fn get(&self, id: &str) -> Result<Option<Value>, StoreError> {
//!         todo!("SELECT body FROM users WHERE id = ?1")
//!     }
//! }
//!
//! #[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
//! #[cfg_attr(not(target_arch = "wasm32"), async_trait)]
//! impl Store for Users {
//!     async fn set(&self, id: &str, value: &Value) -> Result<Value, StoreError> {
//!         todo!("INSERT ... ON CONFLICT (id) DO UPDATE")
//!     }
//!     async fn delete(&self, id: &str) -> Result<bool, StoreError> {
//!         todo!("DELETE FROM users WHERE id = ?1")
//!     }
//! }
//!
//! # async fn demo(url: &str, token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! // Once per isolate. `UpstashConfig::from_env` and `CacheConfig::from_env`
//! // read the same settings from the Worker's vars, naming any bad one.
//! let client = Arc::new(UpstashClient::new(&UpstashConfig::new(url, token)?));
//! let cache = Cache::new(Arc::new(UpstashBackend::new(client.clone())), "myapp");
//! let users = CachingStore::new(Users, &cache, cache.key_space("accounts", "user")?, Ttl::secs(300));
//! let per_client = Limiter::new(client, "client", Algorithm::Gcra, LimitSpec::new(100, 60_000))?;
//!
//! // Per request: the limit (one round trip), then a cache-aside read (a hit
//! // is one round trip, or none from the isolate's L1) and a write that
//! // invalidates the cached entry.
//! if !per_client.limit("203.0.113.7", 1).await?.success {
//!     return Ok(()); // answer 429 with the decision's RateLimit headers
//! }
//! let ada = users.get("ada").await?;
//! users.set("ada", &json!({ "name": "Ada", "seen": ada.is_some() })).await?;
//! # Ok(()) }
//! ```
//!
//! The reference worker (`src/app/`, feature `worker-app`) wires the same
//! parts from the Worker's vars, with D1 stores, authentication and an admin
//! API; ARCHITECTURE.md walks through it.

#![warn(missing_docs)]

pub mod backend;
pub mod cache;
pub mod clock;
mod clocked_lru;
pub mod config;
pub mod dedup;
pub mod event_channel;
mod failure;
pub mod keys;
mod outage;
mod random;
pub mod ratelimit;
pub mod store;
mod sync;
mod ttl;
pub mod upstash;

#[cfg(feature = "worker-app")]
pub mod app;

pub use backend::{BackendKind, CacheBackend, CacheError, MemoryBackend, MemoryBounds, MemoryUsage, UpstashBackend};
pub use cache::{
    Cache, CacheBuilder, CacheConfig, CacheStatus, CachedBytes, EntryOptions, EventError, Fence, Health, Invalidation,
    InvalidationEvent, L1Settings, LoadError, Loaded, Lookup, PendingRefresh, Prefetch, Prefetched, PrefetchedMany,
    Provider, ReadOptions, ReadThrough, RememberError, SetOptions, StaleMode, Stats, StatsSnapshot, WarmReport,
    DEFAULT_VERSION_TTL, MAX_ADAPTIVE_TAGS, WARM_BATCH,
};
pub use config::{ConfigError, Vars};
pub use failure::{BreakerSettings, CircuitBreaker, FailurePolicy};
pub use keys::{EntryKey, KeySpace};
pub use outage::OutageLog;
pub use store::{Background, BoxFuture, CachingStore, ReadStore, Store, StoreError, WritePolicy};
pub use ttl::{Ttl, ZeroTtl};

/// `Send` natively; nothing on wasm32, where JavaScript values are not.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSend: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + ?Sized> MaybeSend for T {}

/// `Send` natively; nothing on wasm32, where JavaScript values are not.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSend {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSend for T {}

/// `Send + Sync` natively; nothing on wasm32, where JavaScript values are neither.
#[cfg(not(target_arch = "wasm32"))]
pub trait MaybeSendSync: Send + Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send + Sync + ?Sized> MaybeSendSync for T {}

/// `Send + Sync` natively; nothing on wasm32, where JavaScript values are neither.
#[cfg(target_arch = "wasm32")]
pub trait MaybeSendSync {}
#[cfg(target_arch = "wasm32")]
impl<T: ?Sized> MaybeSendSync for T {}
