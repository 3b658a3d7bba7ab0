//! Prefetch: the cache read of a request sent ahead, in the same REST
//! request (`/pipeline`) as another command the request needs (a rate-limit
//! check), so the request pays one round trip for both.

use super::entry::Entry;
use super::fence::{judge, read_keys, Found};
use super::guarded::GuardedBackend;
use super::reads::ReadPath;
use crate::backend::{CacheError, ReadsBeside};
use crate::keys::EntryKey;
use crate::upstash::{Command, Reply, UpstashError};

/// A read made ahead by [`Cache::prefetch`](crate::Cache::prefetch): the L1 entry it found fresh, or
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

/// What [`Cache::prefetch`](crate::Cache::prefetch) did.
#[derive(Default)]
pub struct Prefetched {
    /// The other command's outcome; `None` when it was not sent (send it alone).
    pub command: Option<Result<Reply, UpstashError>>,
    /// The read of the key; `None` when nothing was prefetched.
    pub prefetch: Option<Prefetch>,
}

/// What [`Cache::prefetch_many`](crate::Cache::prefetch_many) did.
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

/// Reads `keys` beside `command` in one request: each key fresh in `reads`'
/// L1 from there, the others through the backend's
/// [`get_many_beside`](crate::backend::CacheBackend::get_many_beside), each
/// judged and its outcome recorded. Nothing is sent when every key is fresh
/// in L1, and nothing prefetched when the backend cannot send reads beside a
/// command, when caching is off, or while the breaker is open.
pub(super) async fn prefetch_many(
    guarded: &GuardedBackend,
    reads: &ReadPath,
    keys: &[&EntryKey],
    command: Option<&Command>,
    timeout_ms: Option<u64>,
) -> PrefetchedMany {
    let Some(backend) = guarded.backend().filter(|backend| backend.reads_beside()) else {
        return PrefetchedMany::default();
    };
    if !guarded.breaker().allows() {
        return PrefetchedMany::default();
    }
    let local: Vec<Option<Entry>> = keys.iter().map(|key| reads.l1_get(&key.key)).collect();
    let to_read: Vec<&EntryKey> = keys.iter().zip(&local).filter(|(_, l)| l.is_none()).map(|(k, _)| *k).collect();
    let mut prefetches: Vec<Prefetch> = keys
        .iter()
        .zip(local)
        .filter_map(|(key, entry)| Some(Prefetch { key: key.key.clone(), found: PrefetchedRead::Local(entry?) }))
        .collect();
    if to_read.is_empty() {
        return PrefetchedMany { command: None, prefetches };
    }
    let mark = reads.l1_mark();
    let read_keys: Vec<Vec<&str>> = to_read.iter().map(|key| read_keys(key)).collect();
    let ReadsBeside { command: outcome, reads: values } =
        backend.get_many_beside(command, &read_keys, timeout_ms).await;
    match values {
        Ok(values) => {
            for (key, values) in to_read.iter().zip(values) {
                let found = guarded.observe("read", values).map(|values| judge(key, values, mark, reads.now_ms()));
                prefetches.push(Prefetch { key: key.key.clone(), found: PrefetchedRead::Shared(found) });
            }
        }
        Err(failed) => {
            let _ = guarded.observe::<()>("read", Err(failed.clone()));
            for key in &to_read {
                let found = PrefetchedRead::Shared(Err(failed.clone()));
                prefetches.push(Prefetch { key: key.key.clone(), found });
            }
        }
    }
    PrefetchedMany { command: outcome, prefetches }
}
