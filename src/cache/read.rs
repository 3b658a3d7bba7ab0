//! The shared-tier read: one `MGET` of an entry and its version keys, the
//! judgement of what it found, and the [`Fence`] a later write checks.

use super::entry::{Entry, Judgement};
use super::l1::Mark;
use super::lookup::{CacheStatus, CachedBytes, Lookup};
use super::read_through::count_negative;
use super::stats::Stats;
use super::Cache;
use crate::backend::{CacheError, LeaseRequest, LeaseState};
use crate::keys::{lease_key, EntryKey};
use crate::Ttl;

/// The versions a read saw, one per version key (`None`: absent); a later
/// [`Cache::write_fenced`] is refused if any of them moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub(super) seen: Vec<Option<String>>,
    /// Where the L1 invalidation log stood when the read began.
    pub(super) l1_mark: Mark,
    /// When the read was judged (ms, this cache's clock): a later write
    /// naming adaptive tags is refused if one was invalidated since.
    pub(super) read_at_ms: u64,
    /// The token of the lease this read took, released by the write.
    pub(super) lease_token: Option<String>,
}

impl Fence {
    /// Takes `versions` (key, version) as seen, for the keys among
    /// `version_keys`: a writer fences on the versions it set itself.
    pub(super) fn pin(&mut self, version_keys: &[String], versions: &[(String, String)]) {
        for (slot, key) in self.seen.iter_mut().zip(version_keys) {
            if let Some((_, version)) = versions.iter().find(|(k, _)| k == key) {
                *slot = Some(version.clone());
            }
        }
    }
}

/// What a read of the shared tier found.
pub(super) struct Found {
    pub entry: Option<Entry>,
    pub judgement: Judgement,
    pub fence: Fence,
    /// Whether the read took the entry's lease (reads with a lease only).
    pub lease: LeaseState,
}

/// The keys one read fetches: the entry, then its version keys.
pub(super) fn read_keys(key: &EntryKey) -> Vec<&str> {
    std::iter::once(key.key.as_str()).chain(key.version_keys.iter().map(String::as_str)).collect()
}

impl Cache {
    /// Reads `key` (L1, then L2) and says what it found, with the fence for a
    /// later [`write_fenced`](Self::write_fenced): cache-aside by hand. The
    /// lookup's value is the entry's JSON; `None` when there is no usable entry.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails (or caching is off).
    pub async fn read(&self, key: &EntryKey) -> Result<(Option<Lookup<CachedBytes>>, Fence), CacheError> {
        if let Some(entry) = self.l1_get(&key.key) {
            let seen = key.version_keys.iter().map(|k| entry.versions.get(k).cloned()).collect();
            let fence = Fence { seen, l1_mark: self.l1_mark(), read_at_ms: self.now_ms(), lease_token: None };
            return Ok((Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }), fence));
        }
        let found = self.read_shared(key).await?;
        let lookup = match (&found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) => Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }),
            (Some(entry), Judgement::Stale) => Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Stale }),
            _ => None,
        };
        Ok((lookup, found.fence))
    }

    /// [`read`](Self::read) for a caller that serves a fresh entry and
    /// otherwise goes to its source (the typed [`get`](Self::get)), counted
    /// in [`Stats`] as a read through does: an L1 or L2 hit (and a negative
    /// hit), a miss (nothing fresh: the caller loads), or a bypass (the
    /// cache is off or failing). Answers a fresh entry's lookup, else `None`.
    pub(super) async fn read_fresh_counted(&self, key: &EntryKey) -> Result<Option<Lookup<CachedBytes>>, CacheError> {
        let stats = &self.inner.stats;
        if let Some(entry) = self.l1_get(&key.key) {
            Stats::bump(&stats.l1_hits);
            count_negative(stats, &entry);
            return Ok(Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }));
        }
        let found = self.read_shared(key).await.inspect_err(|_| Stats::bump(&stats.bypasses))?;
        match (&found.entry, found.judgement) {
            (Some(entry), Judgement::Fresh) => {
                Stats::bump(&stats.l2_hits);
                count_negative(stats, entry);
                Ok(Some(Lookup { value: entry.value_bytes(), status: CacheStatus::Hit }))
            }
            _ => {
                Stats::bump(&stats.misses);
                Ok(None)
            }
        }
    }

    /// Reads an entry and its versions from the shared tier: one round trip.
    pub(super) async fn read_shared(&self, key: &EntryKey) -> Result<Found, CacheError> {
        let backend = self.guarded()?;
        let mark = self.l1_mark();
        let values = self.observe("read", backend.get_many(&read_keys(key)).await)?;
        Ok(self.judge(key, values, mark))
    }

    /// [`read_shared`](Self::read_shared) that takes the entry's lease, for
    /// `lease_ttl`, when the entry is not fresh: still one round trip.
    pub(super) async fn read_shared_leased(&self, key: &EntryKey, lease_ttl: Ttl) -> Result<Found, CacheError> {
        let backend = self.guarded()?;
        let mark = self.l1_mark();
        let token = format!("{:016x}", crate::random::random_u64());
        let lease = lease_key(&key.key);
        let request = LeaseRequest { key: &lease, token: &token, ttl: lease_ttl, now_ms: self.now_ms() };
        let read = backend.get_many_leased(&read_keys(key), &request).await;
        let (values, state) = self.observe("read", read)?;
        let mut found = self.judge(key, values, mark);
        found.lease = state;
        if state == LeaseState::Taken {
            found.fence.lease_token = Some(token);
        }
        Ok(found)
    }

    /// Releases the lease `fence`'s read took, if any and if still ours:
    /// for a load that ends without the fenced write (which releases it).
    /// Best effort: a failure leaves it to expire.
    pub(super) async fn release_lease(&self, key: &EntryKey, fence: &Fence) {
        let (Some(token), Some(backend)) = (&fence.lease_token, self.inner.backend.as_ref()) else { return };
        if let Err(error) = backend.release_lease(&lease_key(&key.key), token).await {
            log::warn!("edgecache: lease of {} left to expire: {error}", key.key);
        }
    }

    /// Judges what an `MGET` of [`read_keys`] answered.
    pub(super) fn judge(&self, key: &EntryKey, values: Vec<Option<Vec<u8>>>, l1_mark: Mark) -> Found {
        let mut values = values.into_iter();
        let entry = values.next().flatten().and_then(|bytes| Entry::decode(&bytes));
        let seen: Vec<Option<String>> =
            values.map(|v| v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())).collect();
        let judgement = match &entry {
            Some(entry) => entry.judge(&key.version_keys, &seen, self.now_ms()),
            None => Judgement::Unusable,
        };
        let fence = Fence { seen, l1_mark, read_at_ms: self.now_ms(), lease_token: None };
        Found { entry, judgement, fence, lease: LeaseState::NotNeeded }
    }

    pub(super) fn l1_get(&self, key: &str) -> Option<Entry> {
        self.inner.l1.as_ref().and_then(|l1| l1.get(key))
    }

    pub(super) fn l1_mark(&self) -> Mark {
        self.inner.l1.as_ref().map_or(0, super::l1::L1::mark)
    }

    /// Keeps `entry` in L1 unless an invalidation since the fence's read named it.
    pub(super) fn l1_put(&self, key: &EntryKey, entry: Entry, fence: &Fence) {
        if let Some(l1) = &self.inner.l1 {
            if entry.tag_keys.is_empty() {
                l1.put(&key.key, entry, &key.version_keys, fence.l1_mark);
            } else {
                let version_keys: Vec<String> = key.version_keys.iter().chain(&entry.tag_keys).cloned().collect();
                l1.put(&key.key, entry, &version_keys, fence.l1_mark);
            }
        }
    }
}
