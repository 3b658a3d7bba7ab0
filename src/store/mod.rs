//! Stores of typed values ([`ReadStore`], [`Store`]) and their cached
//! decorator [`CachingStore`], itself a store: the caller cannot tell a
//! cached store from a bare one.

mod caching;

pub use caching::{Background, BoxFuture, CachingStore, CachingStoreBuilder, WritePolicy};

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::backend::CacheError;
use crate::cache::Invalidation;
use crate::MaybeSend;

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

    /// A serialization failure with `message`.
    pub fn codec(message: impl std::fmt::Display) -> Self {
        StoreError::Codec { message: message.to_string() }
    }
}

/// A keyed source of typed values that can be read: a view, an API, or the
/// read side of a [`Store`].
///
/// Implement it with a plain `async fn` (the future must be `Send` natively;
/// on wasm32, where a Worker's bindings are not, it need not be):
///
/// ```
/// use edgecache::{ReadStore, StoreError};
///
/// struct Greetings;
///
/// impl ReadStore for Greetings {
///     type Value = String;
///     async fn get(&self, id: &str) -> Result<Option<String>, StoreError> {
///         Ok(Some(format!("hello, {id}")))
///     }
/// }
/// # assert_eq!(futures_executor::block_on(Greetings.get("ada")).unwrap().as_deref(), Some("hello, ada"));
/// ```
pub trait ReadStore: crate::MaybeSendSync {
    /// The stored type; serde's JSON form is what the cache holds.
    type Value: Serialize + DeserializeOwned + crate::MaybeSendSync;

    /// The value of `id`, or `None` when there is none.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    fn get(&self, id: &str) -> impl Future<Output = Result<Option<Self::Value>, StoreError>> + MaybeSend;
}

/// A keyed store of typed values that can also be written: the interface
/// both a backing store (D1, an API) and its cached decorator implement.
/// Implemented with plain `async fn`s, as [`ReadStore`] is.
pub trait Store: ReadStore {
    /// Writes `value` as `id` and answers the value as stored (a store may
    /// normalise it, e.g. stamp an update time).
    ///
    /// # Errors
    /// [`StoreError`] when the write did not commit.
    fn set(&self, id: &str, value: &Self::Value) -> impl Future<Output = Result<Self::Value, StoreError>> + MaybeSend;

    /// Deletes `id`; answers whether it existed.
    ///
    /// # Errors
    /// [`StoreError`] when the delete did not commit.
    fn delete(&self, id: &str) -> impl Future<Output = Result<bool, StoreError>> + MaybeSend;

    /// Writes `value` as `id` and records `pending` (the cache invalidation
    /// this write needs) in the same transaction: a transactional outbox, so
    /// an invalidation that cannot run now (cache down) is not lost. Answers
    /// the stored value and a ticket for [`complete_recorded`](Self::complete_recorded).
    ///
    /// The default writes with [`set`](Self::set) and records nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the write did not commit (then nothing was recorded).
    fn set_recording(
        &self,
        id: &str,
        value: &Self::Value,
        pending: &Invalidation,
    ) -> impl Future<Output = Result<(Self::Value, Option<i64>), StoreError>> + MaybeSend {
        let _ = pending;
        async move { Ok((self.set(id, value).await?, None)) }
    }

    /// Deletes `id` and records `pending` in the same transaction, as
    /// [`set_recording`](Self::set_recording) does for writes. Answers
    /// whether `id` existed, and a ticket.
    ///
    /// The default deletes with [`delete`](Self::delete) and records nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the delete did not commit (then nothing was recorded).
    fn delete_recording(
        &self,
        id: &str,
        pending: &Invalidation,
    ) -> impl Future<Output = Result<(bool, Option<i64>), StoreError>> + MaybeSend {
        let _ = pending;
        async move { Ok((self.delete(id).await?, None)) }
    }

    /// Marks the recorded invalidation `ticket` as applied (deletes it from
    /// the outbox). The default does nothing.
    ///
    /// # Errors
    /// [`StoreError`] when the outbox cannot be updated; the invalidation then
    /// runs again on the next drain, which is harmless.
    fn complete_recorded(&self, ticket: i64) -> impl Future<Output = Result<(), StoreError>> + MaybeSend {
        let _ = ticket;
        std::future::ready(Ok(()))
    }
}
