//! Cache backends: where cached bytes live.
//!
//! [`CacheBackend`] is the small key-value surface the cache layers need, with
//! a TTL required on every write. Two implementations: [`UpstashBackend`]
//! (Upstash Redis over REST, shared by every isolate) and [`MemoryBackend`]
//! (bounded, TTL-aware, LRU-evicting, per isolate).

mod memory;
mod upstash;

pub use memory::{MemoryBackend, MemoryBounds};
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
    /// The circuit breaker is open: the backend failed repeatedly and is
    /// skipped for a cool-down; no request was sent.
    #[error("cache backend skipped: circuit breaker open after repeated failures")]
    CircuitOpen,
    /// Caching is off (`CACHE_ENABLED=false`).
    #[error("caching is disabled")]
    Disabled,
    /// The cache is not set up for the operation (e.g. following
    /// invalidations without an events channel); what is missing.
    #[error("not configured: {0}")]
    NotConfigured(String),
}

impl CacheError {
    /// True when the backend is unreachable or failing (as opposed to a
    /// request it refused), i.e. when degrading to the backing store is right.
    pub fn is_unavailable(&self) -> bool {
        match self {
            CacheError::Upstash(e) => e.is_unavailable(),
            CacheError::CircuitOpen => true,
            CacheError::InvalidValue(_) | CacheError::Disabled | CacheError::NotConfigured(_) => false,
        }
    }

    /// True when the backend refused the token (HTTP 401, `NOPERM`): a
    /// misconfiguration, not an outage.
    pub fn is_misconfiguration(&self) -> bool {
        matches!(self, CacheError::Upstash(e) if e.is_misconfiguration())
    }

    /// What went wrong, safe to show to a client (see [`UpstashError::summary`]).
    pub fn summary(&self) -> String {
        match self {
            CacheError::Upstash(e) => e.summary(),
            other => other.to_string(),
        }
    }
}

impl crate::failure::BackendFailure for CacheError {
    /// Nothing sent (breaker open, caching off): not made; a refused token:
    /// misconfigured; any other failure (an outage, a refused command, a
    /// value this backend cannot hold): an outage.
    fn outcome(&self) -> crate::failure::Outcome {
        use crate::failure::Outcome;
        match self {
            CacheError::CircuitOpen | CacheError::Disabled => Outcome::NotMade,
            error if error.is_misconfiguration() => Outcome::Misconfigured,
            _ => Outcome::Outage,
        }
    }
}

/// A write that only happens if every version it was read under is still
/// current; see [`CacheBackend::set_fenced`].
#[derive(Debug, Clone, Copy)]
pub struct FencedWrite<'a> {
    /// The entry's key.
    pub key: &'a str,
    /// The entry's bytes.
    pub value: &'a [u8],
    /// The entry's TTL.
    pub ttl: Ttl,
    /// TTL given to version keys this write creates or relies on (they must
    /// outlive the entry).
    pub version_ttl: Ttl,
    /// The versions checked, one per version key.
    pub versions: &'a [VersionCheck<'a>],
    /// Tags the loader named with the value (adaptive tags), if any.
    pub adaptive: Option<AdaptiveTags<'a>>,
    /// The lease the read took, `(lease key, token)`: released by the
    /// write, whether it writes or is refused.
    pub lease: Option<(&'a str, &'a str)>,
}

/// The lease a read asks for ([`CacheBackend::get_many_leased`]).
#[derive(Debug, Clone, Copy)]
pub struct LeaseRequest<'a> {
    /// The lease key.
    pub key: &'a str,
    /// This reader's token.
    pub token: &'a str,
    /// How long the lease holds.
    pub ttl: Ttl,
    /// The reader's clock, ms since the epoch (the clock entries' freshness
    /// is written on).
    pub now_ms: u64,
}

/// What a read with a lease found about the lease
/// ([`CacheBackend::get_many_leased`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// The entry was fresh: no lease was needed.
    NotNeeded,
    /// This reader took the lease: it loads the value.
    Taken,
    /// Another reader holds the lease and is loading the value.
    HeldByOther,
}

/// Tags known only once a value is loaded: the entry joins each tag's member
/// set, unless the tag was invalidated while the value loaded.
#[derive(Debug, Clone, Copy)]
pub struct AdaptiveTags<'a> {
    /// What joins the member sets: the entry's own version key.
    pub member: &'a str,
    /// Per tag, its member set key and its last-invalidated key
    /// ([`tag_members_key`](crate::keys::tag_members_key),
    /// [`tag_invalidated_key`](crate::keys::tag_invalidated_key)).
    pub tags: &'a [(String, String)],
    /// The write is refused if any tag was invalidated less than this many
    /// ms ago by the backend's clock: the time since the read, plus a margin
    /// for the network (a duration, so clocks need not agree).
    pub refuse_within_ms: u64,
}

/// One version a fenced write depends on.
#[derive(Debug, Clone, Copy)]
pub struct VersionCheck<'a> {
    /// The version key.
    pub key: &'a str,
    /// The version the reader saw; `None` when the key was absent.
    pub seen: Option<&'a str>,
    /// The version to create when it was absent and still is.
    pub create: &'a str,
}

/// What one invalidation round trip does, see [`CacheBackend::invalidate`].
#[derive(Debug, Clone, Copy)]
pub struct InvalidationWrite<'a> {
    /// Entry keys the invalidation ends. Their version keys are among
    /// `bumps`, so an entry left in place is unusable to every reader: a
    /// backend may delete it (the memory backend does, to free its bytes) or
    /// let it expire (the Upstash backend does: one billed command less).
    pub deletes: &'a [&'a str],
    /// Version keys to set to a new version: `(key, new version)`.
    pub bumps: &'a [(&'a str, &'a str)],
    /// TTL of the new versions.
    pub version_ttl: Ttl,
    /// `(channel, message)` to `PUBLISH`, if any.
    pub publish: Option<(&'a str, &'a str)>,
    /// Adaptive tags invalidated: `(member set key, last-invalidated key)`;
    /// every member's version is set to `member_version`, the set emptied,
    /// and the time noted.
    pub tag_members: &'a [(String, String)],
    /// The version given to members of `tag_members`.
    pub member_version: &'a str,
}

/// What an in-isolate table holds, against its [`MemoryBounds`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryUsage {
    /// Entries held (expired ones included until read or evicted).
    pub entries: usize,
    /// Bytes held, as weighed (keys, values and bookkeeping).
    pub bytes: usize,
    /// The bound on entries.
    pub max_entries: usize,
    /// The bound on bytes.
    pub max_bytes: usize,
}

/// What one `MGET` answers: one value per key, `None` where absent.
pub type MgetValues = Vec<Option<Vec<u8>>>;

/// What [`CacheBackend::get_many_beside`] answers.
#[derive(Debug)]
pub struct ReadsBeside {
    /// The command's outcome; `None` when none was sent.
    pub command: Option<Result<crate::upstash::Reply, UpstashError>>,
    /// Per read, one value per key (`None`: absent) or that read's error;
    /// or, when the request as a whole failed, its error.
    pub reads: Result<Vec<Result<MgetValues, CacheError>>, CacheError>,
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

    /// Writes `write.value` under `write.key` only if every version key still
    /// holds the version the reader saw (absent counting as its own value);
    /// versions that were absent are created. Answers false when refused.
    /// Atomic: a Lua script on Upstash (one round trip), under one lock in memory.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer; nothing was written then.
    async fn set_fenced(&self, write: &FencedWrite<'_>) -> Result<bool, CacheError>;

    /// [`get_many`](Self::get_many) of an entry (`keys[0]`) and its version
    /// keys that also takes `lease` when the entry is not fresh (judged on
    /// the reader's clock): one round trip. A backend
    /// local to the isolate needs no lease (single-flight coalesces there)
    /// and answers [`LeaseState::NotNeeded`].
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails.
    async fn get_many_leased(
        &self,
        keys: &[&str],
        _lease: &LeaseRequest<'_>,
    ) -> Result<(Vec<Option<Vec<u8>>>, LeaseState), CacheError> {
        Ok((self.get_many(keys).await?, LeaseState::NotNeeded))
    }

    /// Releases the lease `lease_key` if `token` still holds it (a load
    /// that ended without a fenced write, which releases it otherwise).
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails.
    async fn release_lease(&self, _lease_key: &str, _token: &str) -> Result<(), CacheError> {
        Ok(())
    }

    /// Several [`get_many`](Self::get_many)s in one round trip: one answer per
    /// list of keys, in order. The default asks one after the other.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer.
    async fn get_many_batch(&self, reads: &[Vec<&str>]) -> Result<Vec<Vec<Option<Vec<u8>>>>, CacheError> {
        let mut answers = Vec::with_capacity(reads.len());
        for keys in reads {
            answers.push(self.get_many(keys).await?);
        }
        Ok(answers)
    }

    /// Several [`set_fenced`](Self::set_fenced)s in one round trip (two when
    /// a script must be loaded again): one outcome per write, in order. The
    /// default writes one after the other.
    ///
    /// # Errors
    /// [`CacheError`] when the request as a whole fails; a write's own
    /// failure is its outcome.
    async fn set_fenced_batch(&self, writes: &[FencedWrite<'_>]) -> Result<Vec<Result<bool, CacheError>>, CacheError> {
        let mut outcomes = Vec::with_capacity(writes.len());
        for write in writes {
            outcomes.push(self.set_fenced(write).await);
        }
        Ok(outcomes)
    }

    /// Deletes keys, bumps versions and publishes the event, in one round trip.
    ///
    /// # Errors
    /// [`CacheError`] when the backend cannot answer or any part failed.
    async fn invalidate(&self, write: &InvalidationWrite<'_>) -> Result<(), CacheError>;

    /// Succeeds when the backend answers and takes writes: writes a key of
    /// its own under `key` (expiring within seconds) and reads it back, in one
    /// round trip. A read-only or revoked token fails here, where a `PING` would not.
    ///
    /// # Errors
    /// [`CacheError`] when it cannot.
    async fn check_writable(&self, key: &str) -> Result<(), CacheError>;

    /// What this backend holds in the isolate's memory, if it holds anything there.
    fn memory_usage(&self) -> Option<MemoryUsage> {
        None
    }

    /// True when [`get_many_beside`](Self::get_many_beside) can send reads
    /// beside a caller's command in one request (Upstash).
    fn reads_beside(&self) -> bool {
        false
    }

    /// Sends `command` (if any) and `reads` (the keys of one `MGET` each) in
    /// ONE request, the command first (Upstash: one `/pipeline`), within
    /// `timeout_ms` (capped at the client's); for
    /// [`Cache::prefetch`](crate::Cache::prefetch). Only where
    /// [`reads_beside`](Self::reads_beside); elsewhere every read fails with
    /// [`CacheError::NotConfigured`] and the command is not sent.
    async fn get_many_beside(
        &self,
        _command: Option<&crate::upstash::Command>,
        _reads: &[Vec<&str>],
        _timeout_ms: Option<u64>,
    ) -> ReadsBeside {
        let why = "reads beside a command need the Upstash backend";
        ReadsBeside { command: None, reads: Err(CacheError::NotConfigured(why.into())) }
    }

    /// The Upstash client behind this backend, if any: lets a caller send its
    /// own requests on the cache's client (e.g. following invalidations).
    fn upstash_client(&self) -> Option<&std::sync::Arc<crate::upstash::UpstashClient>> {
        None
    }
}
