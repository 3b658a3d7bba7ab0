//! The [`Store`] trait and the [`CachingStore`] decorator (cache-aside reads,
//! invalidate- or update-after-write).

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::backend::CacheError;
use crate::cache::Cache;
use crate::keys::KeySpace;
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
    /// A value could not be serialized for the cache.
    #[error("cannot encode value: {message}")]
    Codec {
        /// The serializer's message.
        message: String,
    },
}

impl StoreError {
    /// A backing-store failure with `message`.
    pub fn backing(message: impl std::fmt::Display) -> Self {
        StoreError::Backing {
            message: message.to_string(),
        }
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
}

/// Where a read's answer came from; sent as the `x-cache` response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from the cache.
    Hit,
    /// Not in the cache: read from the backing store (and written back).
    Miss,
    /// The cache was off or failing: read from the backing store only.
    Bypass,
}

impl CacheStatus {
    /// `"hit"`, `"miss"` or `"bypass"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
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
    /// Delete the entry; the next read loads it again (seed 003, Pattern 1).
    #[default]
    InvalidateAfterWrite,
    /// Put the value the backing store answered into the cache (seed 001:
    /// "If the updated object is returned, update the cache directly").
    UpdateAfterWrite,
}

/// A [`Store`] that caches another: cache-aside reads, and after each write
/// to the backing store, invalidation or update of the entry.
///
/// Cache failures never fail a read: the read degrades to the backing store
/// (`CacheStatus::Bypass`) and the outage is logged once (seed 003, Tier 2).
/// A write commits to the backing store first; a cache failure after it is
/// logged and does not undo or fail the write.
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
/// let users = CachingStore::new(Db, &cache, cache.key_space("auth", "user")?, Ttl::secs(300));
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // miss: loads and caches
/// assert_eq!(users.get("ada").await?, Some("ADA".to_string())); // hit
/// # Ok(()) }
/// ```
pub struct CachingStore<S> {
    inner: S,
    cache: Cache,
    keys: KeySpace,
    ttl: Ttl,
    write_policy: WritePolicy,
}

impl<S: Store> CachingStore<S> {
    /// Caches `inner` in `cache` under `keys`, each entry living `ttl`.
    pub fn new(inner: S, cache: &Cache, keys: KeySpace, ttl: Ttl) -> Self {
        CachingStore {
            inner,
            cache: cache.clone(),
            keys,
            ttl,
            write_policy: WritePolicy::default(),
        }
    }

    /// Sets what writes do to the cached entry (default: invalidate).
    pub fn with_write_policy(mut self, write_policy: WritePolicy) -> Self {
        self.write_policy = write_policy;
        self
    }

    /// The backing store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The cache key of `id`.
    pub fn key(&self, id: &str) -> String {
        self.keys.key(id)
    }

    /// Reads `id` through the cache and says where the answer came from.
    ///
    /// # Errors
    /// [`StoreError`] only when the backing store fails; cache failures degrade.
    pub async fn get_traced(&self, id: &str) -> Result<Lookup<Option<S::Value>>, StoreError> {
        let Some(backend) = self.cache.backend() else {
            return Ok(Lookup {
                value: self.inner.get(id).await?,
                status: CacheStatus::Bypass,
            });
        };
        let key = self.keys.key(id);
        match self.cache.observe("get", backend.get(&key).await) {
            Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                Ok(value) => {
                    return Ok(Lookup {
                        value: Some(value),
                        status: CacheStatus::Hit,
                    })
                }
                // Written by an older version of the type: reload and overwrite.
                Err(error) => log::warn!("edgecache: dropping undecodable entry {key}: {error}"),
            },
            Ok(None) => {}
            Err(_) => {
                return Ok(Lookup {
                    value: self.inner.get(id).await?,
                    status: CacheStatus::Bypass,
                })
            }
        }
        let value = self.inner.get(id).await?;
        if let Some(value) = &value {
            self.write_back(&key, value).await;
        }
        Ok(Lookup {
            value,
            status: CacheStatus::Miss,
        })
    }

    async fn write_back(&self, key: &str, value: &S::Value) {
        let Some(backend) = self.cache.backend() else {
            return;
        };
        match serde_json::to_vec(value) {
            Ok(bytes) => {
                let _ = self
                    .cache
                    .observe("set", backend.set(key, &bytes, self.ttl).await);
            }
            Err(error) => log::warn!("edgecache: not caching {key}: {error}"),
        }
    }

    async fn after_write(&self, id: &str, stored: Option<&S::Value>) {
        let Some(backend) = self.cache.backend() else {
            return;
        };
        let key = self.keys.key(id);
        match (self.write_policy, stored) {
            (WritePolicy::UpdateAfterWrite, Some(value)) => self.write_back(&key, value).await,
            _ => {
                let _ = self
                    .cache
                    .observe("delete", backend.delete(&[key.as_str()]).await);
            }
        }
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl<S: Store> Store for CachingStore<S> {
    type Value = S::Value;

    async fn get(&self, id: &str) -> Result<Option<S::Value>, StoreError> {
        Ok(self.get_traced(id).await?.value)
    }

    async fn set(&self, id: &str, value: &S::Value) -> Result<S::Value, StoreError> {
        let stored = self.inner.set(id, value).await?;
        self.after_write(id, Some(&stored)).await;
        Ok(stored)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let existed = self.inner.delete(id).await?;
        self.after_write(id, None).await;
        Ok(existed)
    }
}
