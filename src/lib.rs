//! # edgecache
//!
//! Caching and rate limiting for Rust on Cloudflare Workers, over the
//! Upstash Redis REST API.
//!
//! - [`Cache`], from [`Cache::builder`]: two tiers (an in-isolate L1, then
//!   Upstash), read-through with single-flight, TTLs, tags, fenced writes and
//!   a stated staleness bound; a typed API (`get`, `set`, `remember`).
//! - [`Store`] and [`CachingStore`]: your store (D1, an API) and its cached
//!   decorator, itself a `Store` (cache-aside reads; invalidate- or
//!   update-after-write).
//! - [`ratelimit::Limiter`]: fixed and sliding windows, sliding log, token
//!   bucket and GCRA, each check one REST round trip.
//! - [`dedup::Dedup`]: claims an id once across every isolate.
//! - [`FailurePolicy`] (the cache's) and [`ratelimit::FailurePolicy`] (a
//!   limiter's): what each operation does when Upstash fails.
//! - [`upstash::UpstashClient`]: the REST client underneath.
//!
//! The library is platform-free: it builds for `wasm32-unknown-unknown`
//! (where the REST client calls the Workers `fetch`) and natively (reqwest),
//! so its logic is tested with `cargo test`. The reference worker of this
//! repository lives behind the `worker-app` feature, so depending on
//! edgecache never exports a fetch handler into your worker. The README
//! wires a whole worker; `examples/user-worker` is that worker.
//!
//! ## A cached store
//!
//! Build the cache and your cached stores once per isolate (a
//! `thread_local`: building is synchronous, so no request ever waits on
//! another to finish it) and use them per request. Here over each isolate's
//! memory, so it runs anywhere; `.upstash(&config)` instead of `.memory(..)`
//! shares the cache between isolates, with an L1 in front.
//!
//! ```
//! use edgecache::{Cache, CachingStore, MemoryBounds, ReadStore, Store, StoreError, Ttl, CacheStatus};
//!
//! /// Your backing store: D1, an API, anything keyed.
//! struct Users;
//!
//! impl ReadStore for Users {
//!     type Value = String;
//!     async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
//!         Ok(Some(format!("user {id}"))) // SELECT body FROM users WHERE id = ?1
//!     }
//! }
//!
//! impl Store for Users {
//!     async fn set(&self, _id: &str, value: &String) -> Result<String, StoreError> {
//!         Ok(value.clone()) // INSERT ... ON CONFLICT (id) DO UPDATE
//!     }
//!     async fn delete(&self, _id: &str) -> Result<bool, StoreError> {
//!         Ok(true) // DELETE FROM users WHERE id = ?1
//!     }
//! }
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cache = Cache::builder().memory(MemoryBounds::default()).key_prefix("myapp").build();
//! let users = CachingStore::builder(Users, &cache).key_space("accounts", "user").ttl(Ttl::secs(300)).build()?;
//!
//! assert_eq!(users.get_traced("ada").await?.status, CacheStatus::Miss); // loaded from Users
//! assert_eq!(users.get_traced("ada").await?.status, CacheStatus::Hit);
//! users.set("ada", &"Ada".to_string()).await?; // writes Users, then invalidates
//! assert_eq!(users.get_traced("ada").await?.status, CacheStatus::Miss);
//! # Ok(()) }
//! # futures_executor::block_on(demo()).unwrap();
//! ```

#![warn(missing_docs)]

/// A Lua script of this crate as Redis receives it: `src/$path` without its
/// comment lines, blank lines and indentation (`build.rs` strips them).
macro_rules! lua {
    ($path:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/lua/", $path))
    };
}

pub mod backend;
pub mod backoff;
pub mod cache;
pub mod clock;
mod clocked_lru;
pub mod config;
mod counters;
pub mod dedup;
pub mod event_channel;
pub mod failure;
pub mod fleet;
pub mod keys;
pub mod outage;
mod random;
pub mod ratelimit;
pub mod store;
mod sync;
pub mod trace;
pub mod ttl;
pub mod upstash;

#[cfg(feature = "worker-app")]
pub mod app;

/// The README's Rust examples, compiled by `cargo test --doc`.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// The root holds what wiring a worker needs; the rest stays under its module
// (`cache::SetOptions`, `ratelimit::Limiter`, `backend::UpstashBackend`, …).
pub use backend::{CacheError, MemoryBounds};
pub use cache::{Cache, CacheBuilder, CacheConfig, CacheStatus, EntryOptions, Invalidation, L1Settings, Lookup};
pub use config::ConfigError;
pub use failure::FailurePolicy;
pub use store::{Background, CachingStore, CachingStoreBuilder, ReadStore, Store, StoreError, WritePolicy};
pub use ttl::Ttl;
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
