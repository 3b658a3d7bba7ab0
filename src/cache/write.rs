//! Fenced writes: an entry is stored only if no version it was read under
//! moved since (memcache leases on Redis; see the module docs of `cache`).

use std::sync::Arc;

use serde_json::value::RawValue;

use super::created::{new_version, CreatedVersions};
use super::entry::Entry;
use super::fence::Fence;
use super::guarded::GuardedBackend;
use super::loaded::{Loaded, MAX_ADAPTIVE_TAGS};
use super::lookup::CachedBytes;
use super::options::EntryOptions;
use super::reads::{release_lease, ReadPath};
use super::stats::Stats;
use crate::backend::{AdaptiveTags, CacheError, FencedWrite, VersionCheck};
use crate::clock::Clock;
use crate::keys::{entry_version_key, lease_key, tag_invalidated_key, tag_key, tag_members_key, EntryKey};
use crate::Ttl;

/// A load to write back: what the loader gave (value, TTL, tags) and how
/// long it took, in ms (XFetch's delta; 0 for a value not just loaded).
#[derive(Clone, Copy)]
pub(super) struct LoadedFor<'a> {
    pub loaded: &'a Loaded<CachedBytes>,
    pub delta_ms: u64,
}

impl<'a> LoadedFor<'a> {
    /// `loaded`, not timed (a caller's own value).
    pub fn untimed(loaded: &'a Loaded<CachedBytes>) -> Self {
        LoadedFor { loaded, delta_ms: 0 }
    }
}

/// The writer: the versions this isolate gives absent version keys, and the
/// key prefix its tag keys live under.
pub(super) struct Writes {
    created: CreatedVersions,
    key_prefix: String,
}

impl Writes {
    pub fn new(key_prefix: &str, clock: Arc<dyn Clock>) -> Self {
        Writes { created: CreatedVersions::new(clock), key_prefix: key_prefix.to_owned() }
    }

    /// Writes an entry back after `load`, with the TTL and tags the loader
    /// gave, if any; keeps it in
    /// `reads`' L1 when written. Answers whether it was written (`false`:
    /// fenced out, or "absent" is not cached).
    pub async fn write_back(
        &self,
        guarded: &GuardedBackend,
        reads: &ReadPath,
        key: &EntryKey,
        fence: &Fence,
        load: LoadedFor<'_>,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        // The fenced script releases the read's lease; every other way out
        // releases it here, so no other isolate waits for a write that will
        // not come.
        let prepared = match self.prepare_write(key, fence, load, options, reads.now_ms()) {
            Ok(Some(prepared)) => prepared,
            other => {
                release_lease(guarded, key, fence).await;
                return other.map(|_| false);
            }
        };
        let written = store(guarded, key, fence, &prepared).await?;
        if written {
            reads.l1_put(key, prepared.entry, fence);
        }
        Ok(written)
    }

    /// [`write_back`](Self::write_back) for after the response: prepares the
    /// entry, keeps it in `reads`' L1 now, and answers the write to run
    /// later with [`finish_write_back`](Self::finish_write_back). `None`
    /// when there is nothing to write ("absent" not cached) or the value
    /// cannot be held, or without an L1 to serve the entry meanwhile (the
    /// memory backend is itself in the isolate): the caller then writes back
    /// inline.
    pub fn defer_write_back(
        &self,
        reads: &ReadPath,
        key: &EntryKey,
        fence: &Fence,
        load: LoadedFor<'_>,
        options: &EntryOptions,
    ) -> Option<PendingWriteBack> {
        reads.l1()?;
        let prepared = self.prepare_write(key, fence, load, options, reads.now_ms()).ok()??;
        reads.l1_put(key, prepared.entry.clone(), fence);
        Some(PendingWriteBack { key: key.clone(), fence: fence.clone(), prepared })
    }

    /// Runs a deferred write-back. Unless it is written, the L1 copy
    /// [`defer_write_back`](Self::defer_write_back) kept goes: a refusal
    /// means a write came between the read and now, so that copy may be
    /// older than the store. Answers whether it was written.
    pub async fn finish_write_back(
        &self,
        guarded: &GuardedBackend,
        reads: &ReadPath,
        pending: PendingWriteBack,
    ) -> Result<bool, CacheError> {
        let PendingWriteBack { key, fence, prepared } = pending;
        let written = store(guarded, &key, &fence, &prepared).await;
        if !matches!(written, Ok(true)) {
            reads.forget(std::slice::from_ref(&key.key), &[]);
        }
        written
    }

    /// The entry to write for `load` at `now_ms`, stamped with the
    /// versions `fence` saw (new ones where a version was missing); `None`
    /// when "absent" is not cached. The loader's TTL, if it gave one,
    /// replaces the options' (the value's, or a cached "absent"'s).
    pub fn prepare_write(
        &self,
        key: &EntryKey,
        fence: &Fence,
        load: LoadedFor<'_>,
        options: &EntryOptions,
        now_ms: u64,
    ) -> Result<Option<PreparedWrite>, CacheError> {
        let LoadedFor { loaded, delta_ms } = load;
        if loaded.tags.len() > MAX_ADAPTIVE_TAGS {
            let count = loaded.tags.len();
            return Err(CacheError::InvalidValue(format!("{count} tags; at most {MAX_ADAPTIVE_TAGS} per value")));
        }
        let value = loaded.value.as_deref();
        let ttl = match loaded.ttl {
            Some(ttl) => Some(options.jittered(ttl)),
            None => options.ttl_for(value),
        };
        let Some(ttl) = ttl else { return Ok(None) };
        let raw = raw_json(value)?;
        let created = self.created_versions(key, fence, now_ms);
        let seen = fence.seen.clone();
        let versions = key
            .version_keys
            .iter()
            .zip(&seen)
            .zip(&created)
            .map(|((k, seen), new)| (k.clone(), seen.clone().unwrap_or(new.clone())))
            .collect();
        let prefix = &self.key_prefix;
        let tag_keys = loaded.tags.iter().map(|tag| tag_key(prefix, tag)).collect();
        let adaptive_tags =
            loaded.tags.iter().map(|tag| (tag_members_key(prefix, tag), tag_invalidated_key(prefix, tag))).collect();
        let refuse_within_ms = now_ms.saturating_sub(fence.read_at_ms) + ADAPTIVE_TAG_MARGIN_MS;
        let entry = Entry { value: raw, fresh_until_ms: now_ms + ttl.as_millis(), delta_ms, versions, tag_keys };
        let payload = entry.encode();
        let stored_ttl = options.stored_ttl(ttl);
        let member = entry_version_key(&key.key);
        let lease = fence.lease_token.clone().map(|token| (lease_key(&key.key), token));
        Ok(Some(PreparedWrite {
            entry,
            payload,
            stored_ttl,
            seen,
            created,
            adaptive_tags,
            member,
            refuse_within_ms,
            lease,
        }))
    }

    /// Per version key of `key`, the version to create if it is absent
    /// (empty where the read saw one): the one version this isolate gives
    /// that key (see `created.rs`).
    fn created_versions(&self, key: &EntryKey, fence: &Fence, now_ms: u64) -> Vec<String> {
        key.version_keys
            .iter()
            .zip(&fence.seen)
            .map(|(k, seen)| match seen {
                Some(_) => String::new(),
                None => self.created.for_key(k, || new_version(now_ms)),
            })
            .collect()
    }
}

/// The fenced write of `prepared`; the read's lease is released when it
/// fails (the fenced script releases it otherwise), and a refusal counted.
async fn store(
    guarded: &GuardedBackend,
    key: &EntryKey,
    fence: &Fence,
    prepared: &PreparedWrite,
) -> Result<bool, CacheError> {
    let checks = prepared.checks(key);
    let written = match guarded.gate() {
        Ok(backend) => guarded.observe("write", backend.set_fenced(&prepared.fenced(key, &checks)).await),
        Err(error) => Err(error),
    };
    if written.is_err() {
        release_lease(guarded, key, fence).await;
    }
    let written = written?;
    if !written {
        Stats::bump(&guarded.stats().fenced_refusals);
    }
    Ok(written)
}

/// A write-back left for after the response ([`WriteBack::Deferred`](super::WriteBack::Deferred)):
/// the entry a miss loaded, prepared and fenced on the read that missed,
/// and already in this isolate's L1. Run it with
/// [`Cache::finish_write_back`](crate::Cache::finish_write_back).
pub struct PendingWriteBack {
    key: EntryKey,
    fence: Fence,
    prepared: PreparedWrite,
}

/// `value` as the entry holds it.
fn raw_json(value: Option<&[u8]>) -> Result<Option<Box<RawValue>>, CacheError> {
    let Some(bytes) = value else { return Ok(None) };
    let text = std::str::from_utf8(bytes).map_err(|_| CacheError::InvalidValue("value is not UTF-8 JSON".into()))?;
    RawValue::from_string(text.to_owned()).map(Some).map_err(|e| CacheError::InvalidValue(e.to_string()))
}

/// Added to the time since a read when a write-back checks whether one of
/// its adaptive tags was invalidated meanwhile: covers the network between
/// this isolate and the backend's clock, which the check runs on.
const ADAPTIVE_TAG_MARGIN_MS: u64 = 1_000;

/// An entry ready to be written, fenced on the versions a read saw.
pub(super) struct PreparedWrite {
    pub entry: Entry,
    payload: Vec<u8>,
    stored_ttl: Ttl,
    seen: Vec<Option<String>>,
    created: Vec<String>,
    /// Per adaptive tag: its member set and last-invalidated keys.
    adaptive_tags: Vec<(String, String)>,
    /// What joins them: the entry's own version key.
    member: String,
    refuse_within_ms: u64,
    /// The lease to release: `(lease key, token)`.
    lease: Option<(String, String)>,
}

impl PreparedWrite {
    /// One check per version key of `key`: the version seen, or the one to create.
    pub fn checks<'a>(&'a self, key: &'a EntryKey) -> Vec<VersionCheck<'a>> {
        key.version_keys
            .iter()
            .zip(&self.seen)
            .zip(&self.created)
            .map(|((k, seen), create)| VersionCheck { key: k, seen: seen.as_deref(), create })
            .collect()
    }

    /// The fenced write of `key` with `checks`. Versions live as long as the
    /// longest-lived entry that carries them: this write creates missing
    /// ones with its own lifetime and extends shorter ones to it, never
    /// more, so a miss on an unknown id leaves nothing behind for longer
    /// than its (negative) entry.
    pub fn fenced<'a>(&'a self, key: &'a EntryKey, checks: &'a [VersionCheck<'a>]) -> FencedWrite<'a> {
        FencedWrite {
            key: &key.key,
            value: &self.payload,
            ttl: self.stored_ttl,
            version_ttl: self.stored_ttl,
            versions: checks,
            // The entry's own version key joins the tags' member sets.
            adaptive: (!self.adaptive_tags.is_empty()).then(|| AdaptiveTags {
                member: &self.member,
                tags: &self.adaptive_tags,
                refuse_within_ms: self.refuse_within_ms,
            }),
            lease: self.lease.as_ref().map(|(key, token)| (key.as_str(), token.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::backend::{MemoryBackend, MemoryBounds};
    use crate::cache::entry::Judgement;
    use crate::cache::invalidation::Invalidation;
    use crate::cache::invalidator::{BreakerRule, Invalidator};
    use crate::cache::l1::{L1Settings, L1};
    use crate::clock::ManualClock;
    use crate::failure::{BreakerSettings, CircuitBreaker, FailurePolicy};
    use crate::keys::KeySpace;

    /// The write side and the read path alone (no `Cache`), over a memory
    /// backend, with an L1 in front, on a manual clock.
    struct Rig {
        guarded: GuardedBackend,
        reads: ReadPath,
        writes: Writes,
        invalidator: Invalidator,
    }

    fn rig() -> Rig {
        let clock = Arc::new(ManualClock::new(1_000));
        let backend = Arc::new(MemoryBackend::with_clock(MemoryBounds::default(), clock.clone()));
        let breaker = Arc::new(CircuitBreaker::new(BreakerSettings::default(), clock.clone()));
        let l1 = L1::new(
            L1Settings { bounds: MemoryBounds::default(), max_staleness: Duration::from_secs(1) },
            clock.clone(),
        );
        Rig {
            guarded: GuardedBackend::new(Some(backend), breaker),
            reads: ReadPath::new(Some(l1), clock.clone()),
            writes: Writes::new("p", clock),
            invalidator: Invalidator::new("p", Ttl::try_from_secs(60).unwrap(), None),
        }
    }

    fn key() -> EntryKey {
        KeySpace::new("p", "d", "e").unwrap().entry("1", vec!["t".into()])
    }

    #[test]
    fn a_write_back_is_read_fresh_and_kept_in_l1_until_forgotten() {
        futures_executor::block_on(async {
            let Rig { guarded, reads, writes, .. } = rig();
            let (key, options) = (key(), EntryOptions::new(Ttl::try_from_secs(60).unwrap()));
            let found = reads.read_shared(&guarded, &key).await.unwrap();
            assert_eq!(found.judgement, Judgement::Unusable);
            let loaded = Loaded::new(Some(b"1".to_vec()));
            let written =
                writes.write_back(&guarded, &reads, &key, &found.fence, LoadedFor::untimed(&loaded), &options);
            assert!(written.await.unwrap());
            assert!(reads.l1_get(&key.key).is_some(), "kept in L1");
            assert_eq!(reads.read_shared(&guarded, &key).await.unwrap().judgement, Judgement::Fresh);
            reads.forget(std::slice::from_ref(&key.key), &[]);
            assert!(reads.l1_get(&key.key).is_none(), "forgotten");
        });
    }

    #[test]
    fn a_write_fenced_on_a_read_from_before_an_invalidation_is_refused() {
        futures_executor::block_on(async {
            let Rig { guarded, reads, writes, invalidator } = rig();
            let (key, options) = (key(), EntryOptions::new(Ttl::try_from_secs(60).unwrap()));
            let before = reads.read_shared(&guarded, &key).await.unwrap().fence;
            let tag = Invalidation { tags: vec!["t".into()], ..Default::default() };
            let applied = invalidator.invalidate_versions(
                &guarded,
                &reads,
                &tag,
                FailurePolicy::FailClosed,
                BreakerRule::Respect,
            );
            assert!(applied.await.unwrap().is_some());
            let loaded = Loaded::new(Some(b"1".to_vec()));
            let written = writes.write_back(&guarded, &reads, &key, &before, LoadedFor::untimed(&loaded), &options);
            assert!(!written.await.unwrap(), "fenced out");
            assert_eq!(guarded.stats().snapshot().fenced_refusals, 1);
            assert!(reads.l1_get(&key.key).is_none());
        });
    }
}
