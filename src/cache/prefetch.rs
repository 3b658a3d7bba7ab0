//! Prefetch: the cache read of a request sent ahead, in the same REST
//! request (`/pipeline`) as another command the request needs (a rate-limit
//! check), so the request pays one round trip for both.

use super::entry::Entry;
use super::read::{read_keys, Found};
use super::Cache;
use crate::backend::CacheError;
use crate::keys::EntryKey;
use crate::upstash::{Command, Reply, UpstashError};

/// A read made ahead by [`Cache::prefetch`]: the L1 entry it found fresh, or
/// what the shared tier answered. The read that finishes it
/// ([`ReadOptions::prefetch`](super::ReadOptions::prefetch),
/// [`CachingStore::get_traced_prefetched`](crate::CachingStore::get_traced_prefetched))
/// takes it as is, so a request decides L1 freshness once.
pub struct Prefetch {
    key: String,
    found: PrefetchedRead,
}

pub(super) enum PrefetchedRead {
    /// L1 held the entry fresh when the request looked.
    Local(Entry),
    /// The shared tier's answer.
    Shared(Result<Found, CacheError>),
}

impl Prefetch {
    /// What was prefetched, if it was a read of `key`.
    pub(super) fn take_for(self, key: &str) -> Option<PrefetchedRead> {
        (self.key == key).then_some(self.found)
    }
}

/// What [`Cache::prefetch`] did.
#[derive(Default)]
pub struct Prefetched {
    /// The other command's outcome; `None` when it was not sent (send it alone).
    pub command: Option<Result<Reply, UpstashError>>,
    /// The read of the key; `None` when nothing was prefetched.
    pub prefetch: Option<Prefetch>,
}

impl Cache {
    /// Sends `command` (any command, e.g. a rate-limit check) and the
    /// shared-tier read of `key` in ONE REST request (`/pipeline`), so a
    /// request that needs both pays one round trip. Answers the command's
    /// outcome and the read, to finish once the caller has decided to go on
    /// (say, the request was not rate limited).
    ///
    /// The command is not sent (send it alone) when the read needs no round
    /// trip: then the fresh L1 entry is the prefetch, so the read that
    /// finishes it cannot find L1 aged past its bound and pay a second round
    /// trip. Nothing is prefetched when the backend is not Upstash, when
    /// caching is off, or while the circuit breaker is open.
    ///
    /// `timeout_ms` caps the request's timeout below the cache client's (the
    /// command may have a shorter deadline of its own, e.g. `RATE_LIMIT_TIMEOUT_MS`).
    pub async fn prefetch(&self, key: &EntryKey, command: &Command, timeout_ms: Option<u64>) -> Prefetched {
        let Some(client) = self.inner.backend.as_ref().and_then(|backend| backend.upstash_client()) else {
            return Prefetched::default();
        };
        if !self.inner.breaker.allows() {
            return Prefetched::default();
        }
        let prefetch = |found| Some(Prefetch { key: key.key.clone(), found });
        if let Some(entry) = self.l1_get(&key.key) {
            return Prefetched { command: None, prefetch: prefetch(PrefetchedRead::Local(entry)) };
        }
        let read = Command::new("MGET").args_from(read_keys(key));
        let mark = self.l1_mark();
        let timeout_ms = timeout_ms.map_or(client.timeout_ms(), |t| t.min(client.timeout_ms()));
        match client.pipeline_within(&[command.clone(), read], timeout_ms).await {
            Ok(mut outcomes) => {
                let read = outcomes.pop().expect("two outcomes");
                let command = outcomes.pop().expect("two outcomes");
                let values = read
                    .and_then(|reply| {
                        reply.into_array()?.into_iter().map(Reply::into_bytes).collect::<Result<Vec<_>, _>>()
                    })
                    .map_err(CacheError::from);
                let found = self.observe("read", values).map(|values| self.judge(key, values, mark));
                Prefetched { command: Some(command), prefetch: prefetch(PrefetchedRead::Shared(found)) }
            }
            Err(error) => {
                let failed = CacheError::from(error.clone());
                let _ = self.observe::<()>("read", Err(failed.clone()));
                Prefetched { command: Some(Err(error)), prefetch: prefetch(PrefetchedRead::Shared(Err(failed))) }
            }
        }
    }
}
