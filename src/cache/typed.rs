//! The typed API, a layer on top of the façade ([`Cache`]'s `get`, `set`,
//! `remember`, `remember_adaptive`, `warm`): values in and out as serde
//! types, stored as JSON (so a TypeScript worker using @upstash/redis on the
//! same database reads them too). It sits above the façade (the façade
//! never calls it) and reaches the components through `Cache::parts`: a thin
//! layer over the byte-level reads and fenced writes; nothing skips the fence.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::builder::Parts;
use super::facade::Cache;
use super::invalidation::Invalidation;
use super::loaded::Loaded;
use super::loader::boxed_adaptive;
use super::lookup::CachedBytes;
use super::options::EntryOptions;
use super::read_through::{ReadOptions, Through};
use super::warm::WarmReport;
use super::write::LoadedFor;
use crate::backend::CacheError;
use crate::failure::FailurePolicy;
use crate::keys::EntryKey;
use crate::Ttl;

/// How [`Cache::set`](crate::Cache::set) stores a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetOptions {
    /// How long the value stays fresh.
    pub ttl: Ttl,
    /// Adaptive tags (see [`Loaded`](super::loaded::Loaded)); the key's own tags apply as well.
    pub tags: Vec<String>,
}

impl SetOptions {
    /// Fresh for `ttl`, no adaptive tags.
    pub fn ttl(ttl: Ttl) -> Self {
        SetOptions { ttl, tags: Vec::new() }
    }

    /// Adds the adaptive tag `tag`.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }
}

/// Why a typed [`Cache::remember`](crate::Cache::remember) failed.
#[derive(Debug)]
pub enum RememberError<E> {
    /// The loader failed (and no stale entry could stand in). Shared: reads
    /// of the same key that waited for this load get the same error.
    Load(Arc<E>),
    /// The cache failed under [`FailurePolicy::FailClosed`](crate::FailurePolicy::FailClosed); or the value
    /// does not serialize, or a cached one does not decode as the type
    /// asked for ([`CacheError::InvalidValue`]: the entry is invalidated, so
    /// the next read loads anew).
    Cache(CacheError),
}

impl<E> Clone for RememberError<E> {
    fn clone(&self) -> Self {
        match self {
            RememberError::Load(error) => RememberError::Load(error.clone()),
            RememberError::Cache(error) => RememberError::Cache(error.clone()),
        }
    }
}

impl<E> From<CacheError> for RememberError<E> {
    fn from(error: CacheError) -> Self {
        RememberError::Cache(error)
    }
}

impl<E: fmt::Display> fmt::Display for RememberError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RememberError::Load(error) => write!(f, "loader failed: {error}"),
            RememberError::Cache(error) => write!(f, "{error}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for RememberError<E> {}

/// `value` as the cache holds it: its JSON, with JSON `null` as "absent"
/// (so `Option::None` is negative-cached under `negative_ttl`).
fn encode<T: Serialize>(value: &T) -> Result<CachedBytes, CacheError> {
    let json = serde_json::to_vec(value).map_err(|e| CacheError::InvalidValue(format!("cannot serialize: {e}")))?;
    Ok((json != b"null").then_some(json))
}

/// The cached `bytes` as a `T` ("absent" reads as JSON `null`).
fn decode<T: DeserializeOwned>(bytes: Option<&[u8]>) -> Result<T, CacheError> {
    serde_json::from_slice(bytes.unwrap_or(b"null"))
        .map_err(|e| CacheError::InvalidValue(format!("cached value does not decode as {}: {e}", short_type::<T>())))
}

fn short_type<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

impl Cache {
    /// Cache-aside read: the fresh cached value of `key` as a `T`, `None`
    /// on a miss (or a stale entry). One `MGET` (none when L1 has it).
    /// Counted in [`stats`](Self::stats) like a read through: a hit by tier,
    /// a miss for `None`, a bypass for an error of the cache.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails or caching is off;
    /// [`CacheError::InvalidValue`] when the entry does not decode as `T`.
    pub async fn get<T: DeserializeOwned>(&self, key: &EntryKey) -> Result<Option<T>, CacheError> {
        let parts = self.parts();
        match parts.reads.read_fresh_counted(&parts.guarded, key).await? {
            Some(lookup) => decode(lookup.value.as_deref()).map(Some),
            None => Ok(None),
        }
    }

    /// Write-through: stores `value` for `key`, fenced like every write: it
    /// reads the versions (one `MGET`), then writes only if no invalidation
    /// moved one since (one script): two round trips. Answers whether it was
    /// written (`false`: an invalidation won the race, or `None` with no TTL).
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails, caching is off, or `value`
    /// does not serialize.
    pub async fn set<T: Serialize>(&self, key: &EntryKey, value: &T, options: &SetOptions) -> Result<bool, CacheError> {
        let bytes = encode(value)?;
        let loaded = Loaded { value: bytes, ttl: Some(options.ttl), tags: options.tags.clone() };
        // A "null" is stored as a cached "absent" for the same TTL.
        let entry_options = EntryOptions::new(options.ttl).negative_ttl(options.ttl);
        let Parts { guarded, reads, writes, .. } = self.parts();
        let found = reads.read_shared(guarded, key).await?;
        writes.write_back(guarded, reads, key, &found.fence, LoadedFor::untimed(&loaded), &entry_options).await
    }

    /// Read-through with single-flight, typed: the cached value of `key`, or
    /// `loader`'s, written back fenced (see [`remember_bytes`]). A `T` that
    /// serializes to `null` (e.g. `Option::None`) is cached as "absent" for
    /// `negative_ttl`, or not at all without one. Cache failures degrade to
    /// the loader.
    ///
    /// ```no_run
    /// # async fn example(cache: edgecache::Cache, space: edgecache::keys::KeySpace) -> Result<(), Box<dyn std::error::Error>> {
    /// use edgecache::{EntryOptions, Ttl};
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct Guild { name: String }
    ///
    /// let key = space.entry("123", vec![]);
    /// let options = EntryOptions::new(Ttl::try_from_secs(60)?);
    /// let guild: Guild = cache
    ///     .remember(&key, &options, || async { Ok::<_, std::io::Error>(Guild { name: "ferris".into() }) })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// [`remember_bytes`]: Self::remember_bytes
    ///
    /// # Errors
    /// [`RememberError::Load`] with the loader's error (when no stale entry
    /// can stand in); [`RememberError::Cache`] when a cached value does not
    /// decode as `T`.
    pub async fn remember<T, E, F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        loader: F,
    ) -> Result<T, RememberError<E>>
    where
        T: Serialize + DeserializeOwned,
        E: fmt::Display + crate::MaybeSendSync + 'static,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<T, E>> + crate::MaybeSend,
    {
        self.remember_adaptive(key, options, || async move { loader().await.map(Loaded::new) }).await
    }

    /// [`remember`](Self::remember) for a loader that says how long its value
    /// stays fresh and which (adaptive) tags it carries, as a [`Loaded`]:
    /// "the members of guild 123, for 30 s, tagged `guild:123`".
    ///
    /// # Errors
    /// As [`remember`](Self::remember); a loader naming more than
    /// [`MAX_ADAPTIVE_TAGS`](super::MAX_ADAPTIVE_TAGS) tags is not cached
    /// (logged), its value still answered.
    pub async fn remember_adaptive<T, E, F, Fut>(
        &self,
        key: &EntryKey,
        options: &EntryOptions,
        loader: F,
    ) -> Result<T, RememberError<E>>
    where
        T: Serialize + DeserializeOwned,
        E: fmt::Display + crate::MaybeSendSync + 'static,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<Loaded<T>, E>> + crate::MaybeSend,
    {
        let load = || async move {
            let loaded = loader().await.map_err(|error| RememberError::Load(Arc::new(error)))?;
            Ok::<_, RememberError<E>>(Loaded { value: encode(&loaded.value)?, ttl: loaded.ttl, tags: loaded.tags })
        };
        let Parts { guarded, reads, writes, .. } = self.parts();
        let through = Through { guarded, reads, writes };
        let read = through.read_through(key, options, ReadOptions::default(), boxed_adaptive(load)).await?;
        match decode(read.lookup.value.as_deref()) {
            Ok(value) => Ok(value),
            Err(error) => {
                // A cached value of another shape (the type changed): drop it
                // so the next read loads anew.
                let _ = self.invalidate(&Invalidation::of(key), FailurePolicy::Degrade).await;
                Err(RememberError::Cache(error))
            }
        }
    }

    /// [`warm_bytes`](Self::warm_bytes) for typed values: writes `entries`
    /// a batch of [`WARM_BATCH`](super::WARM_BATCH) at a time, two round
    /// trips per batch (one pipeline of reads, one of fenced writes), not
    /// two per entry.
    ///
    /// # Errors
    /// As [`warm_bytes`](Self::warm_bytes); a value that does not serialize
    /// is counted as failed.
    pub async fn warm<T: Serialize>(
        &self,
        entries: &[(EntryKey, T)],
        options: &EntryOptions,
    ) -> Result<WarmReport, CacheError> {
        let mut failed = 0;
        let encoded: Vec<(EntryKey, CachedBytes)> = entries
            .iter()
            .filter_map(|(key, value)| match encode(value) {
                Ok(bytes) => Some((key.clone(), bytes)),
                Err(_) => {
                    failed += 1;
                    None
                }
            })
            .collect();
        let mut report = self.warm_bytes(&encoded, options).await?;
        report.failed += failed;
        Ok(report)
    }
}
