//! Cache backends: where cached bytes live.
//!
//! [`CacheBackend`] is the small key-value surface the cache layers need, with
//! a TTL required on every write. Two implementations: [`UpstashBackend`]
//! (Upstash Redis over REST, shared by every isolate) and [`MemoryBackend`]
//! (bounded, TTL-aware, LRU-evicting, per isolate).

mod memory;
mod upstash;

pub use memory::MemoryBackend;
pub use upstash::UpstashBackend;

use async_trait::async_trait;

use crate::upstash::UpstashError;
use crate::Ttl;

/// Why a backend operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    /// The Upstash request failed.
    #[error(transparent)]
    Upstash(#[from] UpstashError),
    /// The value cannot be stored by this backend (Upstash REST carries
    /// UTF-8 text only); nothing was written.
    #[error("value rejected: {0}")]
    InvalidValue(String),
}

impl CacheError {
    /// True when the backend is unreachable or failing (as opposed to a
    /// request it refused), i.e. when degrading to the backing store is right.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, CacheError::Upstash(e) if e.is_unavailable())
    }
}

/// Which kind of backend answers; shown by health checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    /// [`UpstashBackend`].
    Upstash,
    /// [`MemoryBackend`].
    Memory,
}

impl BackendKind {
    /// `"upstash"` or `"memory"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Upstash => "upstash",
            BackendKind::Memory => "memory",
        }
    }
}

/// A key-value store for cached bytes, with a TTL on every write.
///
/// Futures are `Send` natively and not on wasm32, where nothing of `fetch` is.
#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
pub trait CacheBackend: crate::MaybeSendSync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;

    /// The value of `key`, or `None` when absent or expired.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;

    /// The values of `keys`, in order, in one round trip (`MGET`).
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError>;

    /// Stores `value` under `key` for `ttl`, replacing any value.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot store it; nothing was written then.
    async fn set(&self, key: &str, value: &[u8], ttl: Ttl) -> Result<(), CacheError>;

    /// Deletes `keys`; answers how many existed.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer.
    async fn delete(&self, keys: &[&str]) -> Result<u64, CacheError>;

    /// Succeeds when the backend answers.
    ///
    /// # Errors
    /// [`CacheError`] when it does not.
    async fn ping(&self) -> Result<(), CacheError>;
}
