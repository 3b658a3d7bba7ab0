//! [`Cache`]: the two-tier cache an isolate builds once and shares between
//! its cached stores. `facade.rs` holds its public methods, each delegating
//! to a component that owns its state (the guarded backend, the read path,
//! the writer, the invalidator, the health checks); `typed.rs` is the serde
//! layer on top of it. ARCHITECTURE.md says which file holds what.
//!
//! # Reads: one round trip, whatever the number of tags
//! An entry is stored with the versions it was written under: its
//! namespace's epoch, its own version and one version per tag. A read is one
//! `MGET` of the entry and those version keys; the entry is usable only if
//! every version is still the one it carries. Invalidating a key or a tag,
//! or clearing a namespace, sets a new random version: O(1), no `KEYS`, no
//! `SCAN`. A version key that is missing (evicted, expired) invalidates the
//! entries stamped with it; it is never read as "0", so eviction cannot
//! resurrect invalidated entries.
//!
//! # Writes: fenced
//! A miss loads, then writes back with a Lua script that refuses the write
//! if any version moved since the read (memcache leases, Nishtala et al.,
//! "Scaling Memcache at Facebook", NSDI 2013): a loader that began before an
//! invalidation cannot store its stale result after it.
//!
//! # Two tiers, and requests that never wait on each other's I/O
//! With Upstash as the shared tier (L2), an in-isolate L1 answers repeated
//! reads with no round trip, within the staleness bound `l1.rs` states
//! (`CACHE_L1_MAX_STALENESS_MS`, default 1000). Everything the requests of
//! an isolate share is plain data behind short locks: single-flight
//! followers poll on timers of their own (`single_flight.rs`), background
//! refreshes run in the `waitUntil` of the request that served the stale
//! entry, and nothing is initialised lazily by an awaited future.

mod builder;
mod config;
mod created;
mod entry;
mod events;
mod facade;
mod fence;
#[cfg(not(target_arch = "wasm32"))]
mod follow;
mod guarded;
mod health;
mod invalidation;
mod invalidator;
mod l1;
mod loaded;
mod loader;
mod lookup;
mod options;
mod prefetch;
mod read_through;
mod reads;
mod refresh;
mod single_flight;
mod stats;
mod typed;
mod warm;
mod write;

pub use crate::failure::FailurePolicy;
pub use builder::CacheBuilder;
pub use config::{
    CacheConfig, Provider, DEFAULT_KEY_PREFIX, DEFAULT_L1_MAX_STALENESS_MS, DEFAULT_NEGATIVE_TTL_SECS,
    DEFAULT_TTL_SECS, DEFAULT_VERSION_TTL,
};
pub use events::{EventError, InvalidationEvent, MAX_EVENT_ITEMS};
pub use facade::Cache;
pub use fence::Fence;
pub use health::Health;
pub use invalidation::Invalidation;
pub use l1::L1Settings;
pub use loaded::{Loaded, MAX_ADAPTIVE_TAGS};
pub use loader::LoadError;
pub use lookup::{CacheStatus, CachedBytes, Lookup};
pub use options::{EntryOptions, StaleMode, WriteBack};
pub use prefetch::{Prefetch, Prefetched, PrefetchedMany};
pub use read_through::{ReadOptions, ReadThrough};
pub use refresh::PendingRefresh;
pub use stats::{Stats, StatsSnapshot};
pub use typed::{RememberError, SetOptions};
pub use warm::{WarmReport, WARM_BATCH};
pub use write::PendingWriteBack;
