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
//! (where reqwest uses the Workers `fetch`) and natively, so its logic is
//! tested with `cargo test`. The reference worker of this repository lives
//! behind the `worker-app` feature, so depending on edgecache never exports a
//! fetch handler into your worker.
//!
//! ## In your worker
//!
//! ```ignore
//! use edgecache::{Cache, CacheConfig, CachingStore, Env as ConfigEnv, Store};
//! use worker::*;
//!
//! #[event(fetch)]
//! async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
//!     // Reads UPSTASH_REDIS_REST_URL / _TOKEN, CACHE_* ; fails naming a bad variable.
//!     let config = CacheConfig::from_env(&ConfigEnv::new(|k| env.var(k).ok().map(|v| v.to_string())), &["USER"])
//!         .map_err(|e| Error::RustError(e.to_string()))?;
//!     let cache = Cache::from_config(&config); // keep it per isolate (e.g. in a thread_local)
//!     let users = CachingStore::new(MyD1UserStore::new(env.d1("DB")?), &cache,
//!         cache.key_space("auth", "user").unwrap(), config.ttl("USER"));
//!     let lookup = users.get_traced("ada").await.map_err(|e| Error::RustError(e.to_string()))?;
//!     let mut res = Response::from_json(&lookup.value)?;
//!     res.headers_mut().set("x-cache", lookup.status.as_str())?;
//!     Ok(res)
//! }
//! ```

#![warn(missing_docs)]

pub mod backend;
pub mod cache;
pub mod clock;
mod clocked_lru;
pub mod config;
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
    InvalidationEvent, L1Settings, LoadError, Lookup, PendingRefresh, Prefetch, Prefetched, Provider, ReadOptions,
    ReadThrough, StaleMode, Stats, StatsSnapshot, DEFAULT_VERSION_TTL,
};
pub use config::{ConfigError, Env};
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
