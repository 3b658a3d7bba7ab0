//! [`CachingStore`]: a [`ReadStore`] or [`Store`] behind the cache:
//! read-through, tags, and after each write invalidate- or update-after-write.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{ReadStore, Store, StoreError};
use crate::cache::DEFAULT_TTL_SECS;
use crate::cache::{
    Cache, CachedBytes, EntryOptions, Invalidation, Lookup, PendingRefresh, Prefetch, ReadOptions, StaleMode, WriteBack,
};
use crate::config::ConfigError;
use crate::failure::FailurePolicy;
use crate::keys::{EntryKey, KeySpace};
use crate::Ttl;

/// What a write through a [`CachingStore`] does to the cached entry after
/// the backing store commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WritePolicy {
    /// Invalidate the entry and its tags; the next read loads it again.
    /// The simplest rule that is always right.
    #[default]
    InvalidateAfterWrite,
    /// Invalidate as above, then put the value the backing store answered
    /// into the cache (when the write returns the updated object, the next
    /// read needs no load).
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

/// A store that caches another: read-through with single-flight, tags,
/// fenced write-back, and after each write to the backing store,
/// invalidation (or update) of the entry and its tags. Over a [`Store`] it
/// is a `Store`; over a [`ReadStore`] (a view that cannot be written), a
/// `ReadStore`.
///
/// Reads follow their [`FailurePolicy`] (default [`Degrade`](FailurePolicy::Degrade):
/// a failing cache sends reads to the backing store, `CacheStatus::Bypass`,
/// logged once per outage). A write commits to the backing store first; a
/// cache failure after it is logged and counted, and fails the write only
/// under `FailClosed`.
///
/// ```
/// use edgecache::{Cache, CachingStore, MemoryBounds, ReadStore, Store, StoreError, Ttl};
///
/// struct Db;
///
/// impl ReadStore for Db {
///     type Value = String;
///     async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
///         Ok(Some(id.to_uppercase()))
///     }
/// }
///
/// impl Store for Db {
///     async fn set(&self, _: &str, value: &String) -> Result<String, StoreError> {
///         Ok(value.clone())
///     }
///     async fn delete(&self, _: &str) -> Result<bool, StoreError> {
///         Ok(true)
///     }
/// }
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let cache = Cache::builder().memory(MemoryBounds::default()).build();
/// let users = CachingStore::builder(Db, &cache)
///     .key_space("auth", "user")
///     .ttl(Ttl::secs(300))
///     .tags(|id| vec![format!("user:{id}")])
///     .build()?;
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // miss: loads and caches
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // hit
/// cache.invalidate_tags(&["user:ada"], Default::default()).await?; // O(1)
/// # Ok(()) }
/// # futures_executor::block_on(demo()).unwrap();
/// ```
pub struct CachingStore<S> {
    shared: Arc<Shared<S>>,
}

struct Shared<S> {
    inner: S,
    cache: Cache,
    keys: KeySpace,
    settings: Settings,
}

/// How a [`CachingStore`] caches: what its builder sets.
struct Settings {
    options: EntryOptions,
    tags: Option<Box<TagsFn>>,
    write_policy: WritePolicy,
    read_policy: FailurePolicy,
    write_failure_policy: FailurePolicy,
    background: Option<Arc<dyn Background>>,
}

/// Builds a [`CachingStore`]; from [`CachingStore::builder`].
#[must_use = "a builder does nothing until `build()`"]
pub struct CachingStoreBuilder<S> {
    inner: S,
    cache: Cache,
    key_space: Option<(String, String)>,
    settings: Settings,
}

impl<S: ReadStore + 'static> CachingStoreBuilder<S> {
    /// Entries live under `{prefix}:{domain}:{entity}:{id}` (required): each
    /// of `domain` and `entity` 1 to 64 of `A-Z a-z 0-9 _ - .`.
    pub fn key_space(mut self, domain: &str, entity: &str) -> Self {
        self.key_space = Some((domain.to_owned(), entity.to_owned()));
        self
    }

    /// Each entry is fresh for `ttl` (default [`DEFAULT_TTL_SECS`], 300 s).
    pub fn ttl(mut self, ttl: Ttl) -> Self {
        self.settings.options.ttl = ttl;
        self
    }

    /// Full [`EntryOptions`] (negative TTL, grace, jitter, early refresh,
    /// lease), replacing [`ttl`](Self::ttl).
    pub fn options(mut self, options: EntryOptions) -> Self {
        self.settings.options = options;
        self
    }

    /// Tags entry `id` with `tags(id)`; invalidating any of them invalidates it.
    pub fn tags(mut self, tags: impl Fn(&str) -> Vec<String> + Send + Sync + 'static) -> Self {
        self.settings.tags = Some(Box::new(tags));
        self
    }

    /// What writes do to the cached entry (default: invalidate).
    pub fn write_policy(mut self, write_policy: WritePolicy) -> Self {
        self.settings.write_policy = write_policy;
        self
    }

    /// What a read does when the cache fails (default
    /// [`FailurePolicy::Degrade`]: it reads the backing store).
    pub fn on_read_failure(mut self, policy: FailurePolicy) -> Self {
        self.settings.read_policy = policy;
        self
    }

    /// What a write does when its invalidation fails after the backing store
    /// committed (default [`FailurePolicy::Degrade`]: the write succeeds, and
    /// an outbox, where the store has one, applies the invalidation later).
    pub fn on_invalidation_failure(mut self, policy: FailurePolicy) -> Self {
        self.settings.write_failure_policy = policy;
        self
    }

    /// Runs work that need not hold the response in `background` (on
    /// Workers, the request's `waitUntil`): refreshes of stale entries while
    /// they are served (stale-while-revalidate), and completing a write's
    /// outbox entry once its invalidation is applied. Without it, both run
    /// inline, before the read or write returns.
    pub fn background(mut self, background: Arc<dyn Background>) -> Self {
        self.settings.background = Some(background);
        self
    }

    /// The cached store.
    ///
    /// # Errors
    /// [`ConfigError`] naming `key_space` when it was not given or a segment
    /// is not plain.
    pub fn build(self) -> Result<CachingStore<S>, ConfigError> {
        let (domain, entity) =
            self.key_space.ok_or_else(|| ConfigError::new("key_space", "is required (domain and entity)"))?;
        let keys = self.cache.key_space(&domain, &entity)?;
        Ok(CachingStore {
            shared: Arc::new(Shared { inner: self.inner, cache: self.cache, keys, settings: self.settings }),
        })
    }
}

impl<S: ReadStore + 'static> CachingStore<S> {
    /// A builder caching `inner` in `cache`: name its
    /// [`key_space`](CachingStoreBuilder::key_space), then adjust and
    /// [`build`](CachingStoreBuilder::build).
    pub fn builder(inner: S, cache: &Cache) -> CachingStoreBuilder<S> {
        CachingStoreBuilder {
            inner,
            cache: cache.clone(),
            key_space: None,
            settings: Settings {
                options: EntryOptions::new(Ttl::secs(DEFAULT_TTL_SECS)),
                tags: None,
                write_policy: WritePolicy::default(),
                read_policy: FailurePolicy::Degrade,
                write_failure_policy: FailurePolicy::Degrade,
                background: None,
            },
        }
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
        let tags = self.shared.settings.tags.as_ref().map(|tags| tags(id)).unwrap_or_default();
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
        self.get_traced_prefetched(id, None).await
    }

    /// [`get_traced`](Self::get_traced), finishing a read that
    /// [`Cache::prefetch`] already made (sharing a round trip with another
    /// command); a prefetch of another key is ignored.
    ///
    /// # Errors
    /// As [`get_traced`](Self::get_traced).
    pub async fn get_traced_prefetched(
        &self,
        id: &str,
        prefetch: Option<Prefetch>,
    ) -> Result<Lookup<Option<S::Value>>, StoreError> {
        let shared = &self.shared;
        let key = self.entry_key(id);
        let stale =
            if shared.settings.background.is_some() { StaleMode::ServeAndDefer } else { StaleMode::RefreshInline };
        // With a Background, a miss's write-back runs after the response.
        let write_back = if shared.settings.background.is_some() { WriteBack::Deferred } else { WriteBack::Inline };
        let read = ReadOptions { policy: shared.settings.read_policy, stale, prefetch, write_back };
        let read = shared.cache.read_through(&key, &shared.settings.options, read, || load(shared, id)).await?;
        if let (Some(refresh), Some(background)) = (read.refresh, &shared.settings.background) {
            background.spawn(self.refresh_task(id.to_owned(), key, refresh));
        }
        if let (Some(pending), Some(background)) = (read.write_back, &shared.settings.background) {
            let cache = shared.cache.clone();
            background.spawn(Box::pin(async move {
                // Logged and counted by the cache; the read has answered.
                let _ = cache.finish_write_back(pending).await;
            }));
        }
        let value = match read.lookup.value {
            Some(bytes) => Some(serde_json::from_slice(&bytes).map_err(StoreError::codec)?),
            None => None,
        };
        Ok(Lookup { value, status: read.lookup.status })
    }

    fn refresh_task(&self, id: String, key: EntryKey, refresh: PendingRefresh) -> BoxFuture {
        let shared = self.shared.clone();
        Box::pin(async move {
            let cache = shared.cache.clone();
            cache.refresh(&key, refresh, &shared.settings.options, || load(&shared, &id)).await;
        })
    }
}

impl<S: Store + 'static> CachingStore<S> {
    /// Invalidates (and under `UpdateAfterWrite`, re-caches) `id` after a
    /// write; answers whether the invalidation was applied.
    async fn after_write(&self, id: &str, stored: Option<&S::Value>) -> Result<bool, StoreError> {
        let shared = &self.shared;
        let invalidation = self.invalidation_for(id);
        let policy = shared.settings.write_failure_policy;
        match (shared.settings.write_policy, stored) {
            (WritePolicy::UpdateAfterWrite, Some(value)) => {
                let bytes = serde_json::to_vec(value).map_err(StoreError::codec)?;
                let key = self.entry_key(id);
                Ok(shared
                    .cache
                    .update_after_write(&key, &invalidation, &bytes, &shared.settings.options, policy)
                    .await?)
            }
            _ => Ok(shared.cache.invalidate(&invalidation, policy).await?),
        }
    }
}

impl<S: Store + 'static> CachingStore<S> {
    /// Completes the outbox entry `ticket` once its invalidation was applied:
    /// in the [`Background`] when there is one (after the response: the
    /// write and its invalidation are done, and an entry left by an isolate
    /// that stops first is applied again by the next drain, which is
    /// harmless), else before the write returns.
    async fn complete(&self, applied: bool, ticket: Option<i64>) {
        let (true, Some(ticket)) = (applied, ticket) else { return };
        let shared = self.shared.clone();
        let task = async move {
            if let Err(error) = shared.inner.complete_recorded(ticket).await {
                log::warn!("edgecache: outbox entry {ticket} stays for the next drain: {error}");
            }
        };
        match &self.shared.settings.background {
            Some(background) => background.spawn(Box::pin(task)),
            None => task.await,
        }
    }
}

/// Runs the backing store's read and encodes it for the cache.
async fn load<S: ReadStore>(shared: &Shared<S>, id: &str) -> Result<CachedBytes, StoreError> {
    match shared.inner.get(id).await? {
        Some(value) => serde_json::to_vec(&value).map(Some).map_err(StoreError::codec),
        None => Ok(None),
    }
}

impl<S: ReadStore + 'static> ReadStore for CachingStore<S> {
    type Value = S::Value;

    async fn get(&self, id: &str) -> Result<Option<S::Value>, StoreError> {
        Ok(self.get_traced(id).await?.value)
    }
}

impl<S: Store + 'static> Store for CachingStore<S> {
    /// Writes to the backing store, recording the invalidation in its outbox
    /// when it has one ([`Store::set_recording`]), then invalidates; once the
    /// invalidation is applied, the outbox entry is completed. If the cache is
    /// down, the entry stays for a later drain (see [`Cache::invalidate`]).
    async fn set(&self, id: &str, value: &S::Value) -> Result<S::Value, StoreError> {
        let (stored, ticket) = self.shared.inner.set_recording(id, value, &self.invalidation_for(id)).await?;
        let applied = self.after_write(id, Some(&stored)).await?;
        self.complete(applied, ticket).await;
        Ok(stored)
    }

    /// Deletes from the backing store, recording the invalidation as
    /// [`set`](Store::set) does ([`Store::delete_recording`]), then invalidates.
    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let (existed, ticket) = self.shared.inner.delete_recording(id, &self.invalidation_for(id)).await?;
        let applied = self.after_write(id, None).await?;
        self.complete(applied, ticket).await;
        Ok(existed)
    }
}
