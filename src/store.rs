//! The [`Store`] trait and the [`CachingStore`] decorator (cache-aside reads,
//! invalidate- or update-after-write).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::backend::CacheError;
use crate::cache::{Cache, EntryOptions, Invalidation, Refresh, StaleMode};
use crate::failure::FailurePolicy;
use crate::keys::{EntryKey, KeySpace};
use crate::Ttl;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The backing store (the source of truth) failed.
    #[error("backing store failed: {message}")]
    Backing {
        /// What the backing store said.
        message: String,
    },
    /// The cache failed and the operation's policy does not degrade.
    #[error("cache failed: {0}")]
    Cache(#[from] CacheError),
    /// A value could not be serialized for the cache, or a cached one decoded.
    #[error("cannot encode value: {message}")]
    Codec {
        /// The serializer's message.
        message: String,
    },
}

impl StoreError {
    /// A backing-store failure with `message`.
    pub fn backing(message: impl std::fmt::Display) -> Self {
        StoreError::Backing { message: message.to_string() }
    }
}

/// A keyed store of typed values: the interface both a backing store (D1,
/// an API) and its cached decorator implement (seed 003, "Interface Pattern").
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
pub trait Store: crate::MaybeSendSync {
    /// The stored type; serde's JSON form is what the cache holds.
    type Value: Serialize + DeserializeOwned + crate::MaybeSendSync;

    /// The value of `id`, or `None` when there is none.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn get(&self, id: &str) -> Result<Option<Self::Value>, StoreError>;

    /// Writes `value` as `id` and answers the value as stored (a store may
    /// normalise it, e.g. stamp an update time).
    ///
    /// # Errors
    /// [`StoreError`] when the write did not commit.
    async fn set(&self, id: &str, value: &Self::Value) -> Result<Self::Value, StoreError>;

    /// Deletes `id`; answers whether it existed.
    ///
    /// # Errors
    /// [`StoreError`] when the delete did not commit.
    async fn delete(&self, id: &str) -> Result<bool, StoreError>;

    /// Writes `value` as `id` and records `pending` (the cache invalidation
    /// this write needs) in the same transaction: a transactional outbox, so
    /// an invalidation that cannot run now (cache down) is not lost. Answers
    /// the stored value and a ticket for [`complete_recorded`](Self::complete_recorded).
    ///
    /// The default writes with [`set`](Self::set) and records nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the write did not commit (then nothing was recorded).
    async fn set_recording(
        &self,
        id: &str,
        value: &Self::Value,
        pending: &Invalidation,
    ) -> Result<(Self::Value, Option<i64>), StoreError> {
        let _ = pending;
        Ok((self.set(id, value).await?, None))
    }

    /// Marks the recorded invalidation `ticket` as applied (deletes it from
    /// the outbox). The default does nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the outbox cannot be updated; the invalidation then
    /// runs again on the next drain, which is harmless.
    async fn complete_recorded(&self, ticket: i64) -> Result<(), StoreError> {
        let _ = ticket;
        Ok(())
    }
}

/// Where a read's answer came from; sent as the `x-cache` response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from the cache (either tier).
    Hit,
    /// Not in the cache: read from the backing store (and written back).
    Miss,
    /// Answered from an entry past its TTL, within its grace period: while a
    /// refresh runs, or because the backing store failed.
    Stale,
    /// The cache was off or failing: read from the backing store only.
    Bypass,
}

impl CacheStatus {
    /// `"hit"`, `"miss"`, `"stale"` or `"bypass"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
            CacheStatus::Stale => "stale",
            CacheStatus::Bypass => "bypass",
        }
    }
}

/// A value with the [`CacheStatus`] of the read that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<T> {
    /// What the read answered.
    pub value: T,
    /// Where it came from.
    pub status: CacheStatus,
}

/// What a write through a [`CachingStore`] does to the cached entry after
/// the backing store commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WritePolicy {
    /// Delete the entry (and bump its tags); the next read loads it again
    /// (seed 003, Pattern 1).
    #[default]
    InvalidateAfterWrite,
    /// Invalidate as above, then put the value the backing store answered
    /// into the cache (seed 001: "If the updated object is returned, update
    /// the cache directly").
    UpdateAfterWrite,
}

/// A boxed future that a [`Background`] runs after the response: `Send` natively.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
/// A boxed future that a [`Background`] runs after the response.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture = Pin<Box<dyn Future<Output = ()> + 'static>>;

/// Runs work after the response is sent: `ctx.wait_until` on Workers,
/// `tokio::spawn` natively. Used for stale-while-revalidate refreshes.
pub trait Background: crate::MaybeSendSync {
    /// Runs `task` to completion in the background.
    fn spawn(&self, task: BoxFuture);
}

type TagsFn = dyn Fn(&str) -> Vec<String> + Send + Sync;

/// A [`Store`] that caches another: read-through with single-flight, tags,
/// fenced write-back, and after each write to the backing store,
/// invalidation (or update) of the entry and its tags.
///
/// Reads follow their [`FailurePolicy`] (default [`Degrade`](FailurePolicy::Degrade):
/// a failing cache sends reads to the backing store, `CacheStatus::Bypass`,
/// logged once per outage). A write commits to the backing store first; a
/// cache failure after it is logged and counted, and fails the write only
/// under `FailClosed`.
///
/// ```
/// # use edgecache::{Cache, CachingStore, Store, StoreError, Ttl, MemoryBackend};
/// # use std::{num::NonZeroUsize, sync::Arc};
/// # struct Db;
/// # #[async_trait::async_trait]
/// # impl Store for Db {
/// #     type Value = String;
/// #     async fn get(&self, id: &str) -> Result<Option<String>, StoreError> { Ok(Some(id.to_uppercase())) }
/// #     async fn set(&self, _: &str, v: &String) -> Result<String, StoreError> { Ok(v.clone()) }
/// #     async fn delete(&self, _: &str) -> Result<bool, StoreError> { Ok(true) }
/// # }
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = Cache::new(Arc::new(MemoryBackend::new(NonZeroUsize::new(100).unwrap())), "myapp");
/// let users = CachingStore::new(Db, &cache, cache.key_space("auth", "user")?, Ttl::secs(300))
///     .with_tags(|id| vec![format!("user:{id}")]);
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // miss: loads and caches
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // hit
/// cache.invalidate_tags(&["user:ada"], Default::default()).await?; // O(1)
/// # Ok(()) }
/// ```
pub struct CachingStore<S> {
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    inner: S,
    cache: Cache,
    keys: KeySpace,
    options: EntryOptions,
    tags: Option<Box<TagsFn>>,
    write_policy: WritePolicy,
    read_policy: FailurePolicy,
    write_failure_policy: FailurePolicy,
    background: Option<Arc<dyn Background>>,
}

impl<S: Store + 'static> CachingStore<S> {
    /// Caches `inner` in `cache` under `keys`, each entry fresh for `ttl`.
    pub fn new(inner: S, cache: &Cache, keys: KeySpace, ttl: Ttl) -> Self {
        Self::with_options(inner, cache, keys, EntryOptions::new(ttl))
    }

    /// Caches `inner` with full [`EntryOptions`] (negative TTL, grace, jitter, early refresh).
    pub fn with_options(inner: S, cache: &Cache, keys: KeySpace, options: EntryOptions) -> Self {
        CachingStore {
            shared: Arc::new(Shared {
                inner,
                cache: cache.clone(),
                keys,
                options,
                tags: None,
                write_policy: WritePolicy::default(),
                read_policy: FailurePolicy::Degrade,
                write_failure_policy: FailurePolicy::Degrade,
                background: None,
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared<S> {
        Arc::get_mut(&mut self.shared).expect("configured before first use")
    }

    /// Tags entry `id` with `tags(id)`; invalidating any of them invalidates it.
    pub fn with_tags(mut self, tags: impl Fn(&str) -> Vec<String> + Send + Sync + 'static) -> Self {
        self.shared_mut().tags = Some(Box::new(tags));
        self
    }

    /// Sets what writes do to the cached entry (default: invalidate).
    pub fn with_write_policy(mut self, write_policy: WritePolicy) -> Self {
        self.shared_mut().write_policy = write_policy;
        self
    }

    /// Sets the failure tiers of reads and of the invalidation after writes
    /// (both default to [`FailurePolicy::Degrade`]).
    pub fn with_failure_policy(mut self, reads: FailurePolicy, invalidations: FailurePolicy) -> Self {
        let shared = self.shared_mut();
        shared.read_policy = reads;
        shared.write_failure_policy = invalidations;
        self
    }

    /// Refreshes stale entries in `background` while serving them
    /// (stale-while-revalidate); without it, a stale entry is refreshed inline.
    pub fn with_background(mut self, background: Arc<dyn Background>) -> Self {
        self.shared_mut().background = Some(background);
        self
    }

    /// The backing store.
    pub fn inner(&self) -> &S {
        &self.shared.inner
    }

    /// The cache key of `id`.
    pub fn key(&self, id: &str) -> String {
        self.shared.keys.key(id)
    }

    /// The keys of entry `id`: its own, its namespace epoch and its tags.
    pub fn entry_key(&self, id: &str) -> EntryKey {
        let tags = self.shared.tags.as_ref().map(|tags| tags(id)).unwrap_or_default();
        self.shared.keys.entry(id, tags)
    }

    /// What a write of `id` invalidates: its entry and its tags.
    pub fn invalidation_for(&self, id: &str) -> Invalidation {
        let entry = self.entry_key(id);
        Invalidation { keys: vec![entry.key], tags: entry.tags, namespaces: Vec::new() }
    }

    /// Reads `id` through the cache and says where the answer came from.
    ///
    /// # Errors
    /// [`StoreError`] when the backing store fails (and no stale entry can
    /// stand in), or a cache error under `FailClosed`.
    pub async fn get_traced(&self, id: &str) -> Result<Lookup<Option<S::Value>>, StoreError> {
        self.get_traced_ahead(id, None).await
    }

    /// [`get_traced`](Self::get_traced), finishing a shared-tier read that
    /// [`Cache::read_along`] already made (sharing a round trip with another
    /// command); a read-ahead of another key is ignored.
    ///
    /// # Errors
    /// As [`get_traced`](Self::get_traced).
    pub async fn get_traced_ahead(
        &self,
        id: &str,
        ahead: Option<crate::cache::ReadAhead>,
    ) -> Result<Lookup<Option<S::Value>>, StoreError> {
        let shared = &self.shared;
        let key = self.entry_key(id);
        let mode = if shared.background.is_some() { StaleMode::ServeAndDefer } else { StaleMode::RefreshInline };
        let (lookup, refresh) = shared
            .cache
            .remember_with(&key, &shared.options, shared.read_policy, mode, ahead, || load(shared, id))
            .await?;
        if let (Some(fence), Some(background)) = (refresh, &shared.background) {
            background.spawn(self.refresh_task(id.to_owned(), key, fence));
        }
        let value = match lookup.value {
            Some(bytes) => {
                Some(serde_json::from_slice(&bytes).map_err(|e| StoreError::Codec { message: e.to_string() })?)
            }
            None => None,
        };
        Ok(Lookup { value, status: lookup.status })
    }

    fn refresh_task(&self, id: String, key: EntryKey, refresh: Refresh) -> BoxFuture {
        let shared = self.shared.clone();
        Box::pin(async move {
            let cache = shared.cache.clone();
            cache.refresh(&key, &refresh, &shared.options, || load(&shared, &id)).await;
        })
    }

    /// Invalidates (and under `UpdateAfterWrite`, re-caches) `id` after a
    /// write; answers whether the invalidation was applied.
    async fn after_write(&self, id: &str, stored: Option<&S::Value>) -> Result<bool, StoreError> {
        let shared = &self.shared;
        let bumped =
            shared.cache.invalidate_versions(&self.invalidation_for(id), shared.write_failure_policy, true).await?;
        let Some(bumped) = bumped else { return Ok(false) };
        if let (WritePolicy::UpdateAfterWrite, Some(value)) = (shared.write_policy, stored) {
            let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Codec { message: e.to_string() })?;
            let key = self.entry_key(id);
            let put = async {
                // Fenced on the versions this write just set: if another write
                // invalidated after it, this (older) value is refused.
                let (_, mut fence) = shared.cache.read(&key).await?;
                fence.pin(&key.version_keys, &bumped);
                shared.cache.write_fenced(&key, &fence, Some(&bytes), &shared.options).await
            };
            if let Err(error) = put.await {
                if shared.write_failure_policy == FailurePolicy::FailClosed {
                    return Err(StoreError::Cache(error));
                }
            }
        }
        Ok(true)
    }
}

/// Runs the backing store's read and encodes it for the cache.
async fn load<S: Store>(shared: &Shared<S>, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
    match shared.inner.get(id).await? {
        Some(value) => serde_json::to_vec(&value).map(Some).map_err(|e| StoreError::Codec { message: e.to_string() }),
        None => Ok(None),
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl<S: Store + 'static> Store for CachingStore<S> {
    type Value = S::Value;

    async fn get(&self, id: &str) -> Result<Option<S::Value>, StoreError> {
        Ok(self.get_traced(id).await?.value)
    }

    /// Writes to the backing store, recording the invalidation in its outbox
    /// when it has one ([`Store::set_recording`]), then invalidates; once the
    /// invalidation is applied, the outbox entry is completed. If the cache is
    /// down, the entry stays for a later drain (see [`Cache::invalidate`]).
    async fn set(&self, id: &str, value: &S::Value) -> Result<S::Value, StoreError> {
        let inner = &self.shared.inner;
        let (stored, ticket) = inner.set_recording(id, value, &self.invalidation_for(id)).await?;
        let applied = self.after_write(id, Some(&stored)).await?;
        if let (true, Some(ticket)) = (applied, ticket) {
            if let Err(error) = inner.complete_recorded(ticket).await {
                log::warn!("edgecache: outbox entry {ticket} stays for the next drain: {error}");
            }
        }
        Ok(stored)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let existed = self.shared.inner.delete(id).await?;
        self.after_write(id, None).await?;
        Ok(existed)
    }
}
