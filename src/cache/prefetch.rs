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

/// What [`Cache::prefetch_many`] did.
#[derive(Default)]
pub struct PrefetchedMany {
    /// The other command's outcome; `None` when it was not sent (send it
    /// alone) or there was none.
    pub command: Option<Result<Reply, UpstashError>>,
    /// The read of each key (those fresh in L1 first); empty when nothing
    /// was prefetched.
    pub prefetches: Vec<Prefetch>,
}

impl PrefetchedMany {
    /// The prefetched read of `key`, if it was one of them.
    pub fn take(&mut self, key: &EntryKey) -> Option<Prefetch> {
        let at = self.prefetches.iter().position(|p| p.key == key.key)?;
        Some(self.prefetches.swap_remove(at))
    }
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
        let mut many = self.prefetch_many(&[key], Some(command), timeout_ms).await;
        Prefetched { command: many.command, prefetch: many.prefetches.pop() }
    }

    /// [`prefetch`](Self::prefetch) of several keys, beside one command or
    /// none: each key fresh in L1 is taken from there, the others are read
    /// in one `/pipeline` (one `MGET` each, after `command`). Nothing is sent
    /// when every key is fresh in L1.
    pub async fn prefetch_many(
        &self,
        keys: &[&EntryKey],
        command: Option<&Command>,
        timeout_ms: Option<u64>,
    ) -> PrefetchedMany {
        let Some(client) = self.inner.backend.as_ref().and_then(|backend| backend.upstash_client()) else {
            return PrefetchedMany::default();
        };
        if !self.inner.breaker.allows() {
            return PrefetchedMany::default();
        }
        let local: Vec<Option<Entry>> = keys.iter().map(|key| self.l1_get(&key.key)).collect();
        let to_read: Vec<&EntryKey> = keys.iter().zip(&local).filter(|(_, l)| l.is_none()).map(|(k, _)| *k).collect();
        let mut prefetches: Vec<Prefetch> = keys
            .iter()
            .zip(local)
            .filter_map(|(key, entry)| Some(Prefetch { key: key.key.clone(), found: PrefetchedRead::Local(entry?) }))
            .collect();
        if to_read.is_empty() {
            return PrefetchedMany { command: None, prefetches };
        }
        let mut pipeline: Vec<Command> = command.into_iter().cloned().collect();
        pipeline.extend(to_read.iter().map(|key| Command::new("MGET").args_from(read_keys(key))));
        let mark = self.l1_mark();
        let timeout_ms = timeout_ms.map_or(client.timeout_ms(), |t| t.min(client.timeout_ms()));
        let outcome = match client.pipeline_within(&pipeline, timeout_ms).await {
            Ok(mut outcomes) => {
                let reads = outcomes.split_off(usize::from(command.is_some()));
                for (key, read) in to_read.iter().zip(reads) {
                    let values = read
                        .and_then(|reply| {
                            reply.into_array()?.into_iter().map(Reply::into_bytes).collect::<Result<Vec<_>, _>>()
                        })
                        .map_err(CacheError::from);
                    let found = self.observe("read", values).map(|values| self.judge(key, values, mark));
                    prefetches.push(Prefetch { key: key.key.clone(), found: PrefetchedRead::Shared(found) });
                }
                outcomes.pop()
            }
            Err(error) => {
                let failed = CacheError::from(error.clone());
                let _ = self.observe::<()>("read", Err(failed.clone()));
                for key in &to_read {
                    let found = PrefetchedRead::Shared(Err(failed.clone()));
                    prefetches.push(Prefetch { key: key.key.clone(), found });
                }
                command.map(|_| Err(error))
            }
        };
        PrefetchedMany { command: outcome, prefetches }
    }
}
