//! The in-isolate backend: bounded in entries and bytes, TTL-aware, LRU.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BackendKind, CacheBackend, CacheError, FencedWrite, InvalidationWrite, MemoryUsage};
use crate::clock::{Clock, SystemClock};
use crate::clocked_lru::ClockedLru;
use crate::Ttl;

/// How much an in-isolate table may hold: at most `max_entries` entries and
/// `max_bytes` bytes (keys, values and bookkeeping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBounds {
    /// Most entries (`CACHE_MEMORY_SIZE`, default 1000).
    pub max_entries: usize,
    /// Most bytes (`CACHE_MEMORY_MAX_BYTES`, default 16 MiB).
    pub max_bytes: usize,
}

impl Default for MemoryBounds {
    fn default() -> Self {
        MemoryBounds { max_entries: 1_000, max_bytes: 16 << 20 }
    }
}

/// An in-memory backend within [`MemoryBounds`].
///
/// Over the entry bound the least recently used entry goes; over the byte
/// bound expired entries go first, then the largest (so one big value cannot
/// flush many small ones); a value over a quarter of the byte bound is not
/// kept. An expired entry reads as absent. Memory lives as long as the
/// isolate (Workers recycle isolates at will), so this is a per-isolate
/// cache, not shared between isolates or locations.
pub struct MemoryBackend {
    entries: ClockedLru<Vec<u8>>,
    bounds: MemoryBounds,
}

impl MemoryBackend {
    /// A backend within `bounds` on the system clock.
    pub fn new(bounds: MemoryBounds) -> Self {
        Self::with_clock(bounds, Arc::new(SystemClock))
    }

    /// A backend within `bounds` on `clock` (e.g. a
    /// [`ManualClock`](crate::clock::ManualClock) in tests).
    pub fn with_clock(bounds: MemoryBounds, clock: Arc<dyn Clock>) -> Self {
        MemoryBackend { entries: ClockedLru::new(bounds.max_entries, bounds.max_bytes, clock), bounds }
    }

    /// How many entries are held now (expired ones included until read or evicted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes held now, as weighed.
    pub fn bytes(&self) -> usize {
        self.entries.bytes()
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl CacheBackend for MemoryBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.get(key))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let mut entries = self.entries.lock();
        Ok(keys.iter().map(|key| entries.get(key)).collect())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Ttl) -> Result<(), CacheError> {
        let mut entries = self.entries.lock();
        let expires_at_ms = entries.now_ms().saturating_add(ttl.as_millis());
        entries.put(key, value.to_vec(), expires_at_ms);
        Ok(())
    }

    async fn delete(&self, keys: &[&str]) -> Result<u64, CacheError> {
        let mut entries = self.entries.lock();
        let mut deleted = 0;
        for key in keys {
            // `peek` drops an expired entry and answers `None`: only live ones count.
            if entries.peek(key).is_some() {
                entries.remove(key);
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn set_fenced(&self, write: &FencedWrite<'_>) -> Result<bool, CacheError> {
        let mut entries = self.entries.lock();
        for check in write.versions {
            let current = entries.peek(check.key);
            let current = current.as_deref();
            // A key read absent may hold the version this write would create
            // (another write of this isolate created it; see `cache/created.rs`).
            let created_meanwhile = check.seen.is_none() && current == Some(check.create.as_bytes());
            if current != check.seen.map(str::as_bytes) && !created_meanwhile {
                return Ok(false);
            }
        }
        let now_ms = entries.now_ms();
        if let Some(adaptive) = &write.adaptive {
            let since_ms = now_ms.saturating_sub(adaptive.refuse_within_ms);
            let raced = adaptive.tags.iter().any(|(_, invalidated)| {
                entries.peek(invalidated).and_then(|at| parse_ms(&at)).is_some_and(|at| at >= since_ms)
            });
            if raced {
                return Ok(false);
            }
        }
        let version_expiry_ms = now_ms.saturating_add(write.version_ttl.as_millis());
        for check in write.versions {
            if check.seen.is_none() && entries.peek(check.key).is_none() {
                entries.put(check.key, check.create.as_bytes().to_vec(), version_expiry_ms);
            } else {
                entries.extend(check.key, version_expiry_ms);
            }
        }
        if let Some(adaptive) = &write.adaptive {
            for (members_key, _) in adaptive.tags {
                let mut members = entries.peek(members_key).map(|bytes| decode_members(&bytes)).unwrap_or_default();
                if !members.iter().any(|m| m == adaptive.member) {
                    members.push(adaptive.member.to_owned());
                }
                let expiry_ms = entries.expires_at_ms(members_key).unwrap_or(0).max(version_expiry_ms);
                let kept =
                    entries.put(members_key, serde_json::to_vec(&members).expect("strings serialize"), expiry_ms);
                if !kept {
                    // A member set too large to keep: an entry outside it
                    // would miss the tag's invalidation, so it is not written.
                    return Ok(false);
                }
            }
        }
        entries.put(write.key, write.value.to_vec(), now_ms.saturating_add(write.ttl.as_millis()));
        Ok(true)
    }

    async fn invalidate(&self, write: &InvalidationWrite<'_>) -> Result<(), CacheError> {
        let mut entries = self.entries.lock();
        let expires_at_ms = entries.now_ms().saturating_add(write.version_ttl.as_millis());
        for key in write.deletes {
            entries.remove(key);
        }
        for (key, version) in write.bumps {
            entries.put(key, version.as_bytes().to_vec(), expires_at_ms);
        }
        let now_ms = entries.now_ms();
        for (members_key, invalidated) in write.tag_members {
            for member in entries.peek(members_key).map(|bytes| decode_members(&bytes)).unwrap_or_default() {
                entries.put(&member, write.member_version.as_bytes().to_vec(), expires_at_ms);
            }
            entries.remove(members_key);
            entries.put(invalidated, now_ms.to_string().into_bytes(), expires_at_ms);
        }
        // Nobody outside this isolate listens to its memory: nothing to publish.
        Ok(())
    }

    fn memory_usage(&self) -> Option<MemoryUsage> {
        Some(MemoryUsage {
            entries: self.entries.len(),
            bytes: self.entries.bytes(),
            max_entries: self.bounds.max_entries,
            max_bytes: self.bounds.max_bytes,
        })
    }

    async fn check_writable(&self, _key: &str) -> Result<(), CacheError> {
        // The isolate's own memory: always there, always writable.
        Ok(())
    }
}

/// An adaptive tag's member set as this backend stores it (a JSON array).
fn decode_members(bytes: &[u8]) -> Vec<String> {
    serde_json::from_slice(bytes).unwrap_or_default()
}

/// A time this backend noted (decimal ms).
fn parse_ms(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        futures_executor::block_on(future)
    }

    fn backend(max_entries: usize) -> (MemoryBackend, ManualClock) {
        let clock = ManualClock::new(1_000_000);
        let bounds = MemoryBounds { max_entries, ..MemoryBounds::default() };
        (MemoryBackend::with_clock(bounds, Arc::new(clock.clone())), clock)
    }

    #[test]
    fn entries_expire_at_their_ttl() {
        let (cache, clock) = backend(10);
        block_on(cache.set("k", b"v", Ttl::secs(2))).unwrap();
        clock.advance_ms(1_999);
        assert_eq!(block_on(cache.get("k")).unwrap(), Some(b"v".to_vec()));
        clock.advance_ms(1);
        assert_eq!(block_on(cache.get("k")).unwrap(), None);
        assert!(cache.is_empty(), "an expired entry is dropped when read");
    }

    #[test]
    fn least_recently_used_is_evicted_at_capacity() {
        let (cache, _) = backend(2);
        block_on(cache.set("a", b"1", Ttl::secs(60))).unwrap();
        block_on(cache.set("b", b"2", Ttl::secs(60))).unwrap();
        block_on(cache.get("a")).unwrap(); // a is now more recent than b
        block_on(cache.set("c", b"3", Ttl::secs(60))).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(
            block_on(cache.get_many(&["a", "b", "c"])).unwrap(),
            vec![Some(b"1".to_vec()), None, Some(b"3".to_vec())]
        );
    }

    #[test]
    fn delete_counts_live_entries_only() {
        let (cache, clock) = backend(10);
        block_on(cache.set("live", b"1", Ttl::secs(60))).unwrap();
        block_on(cache.set("dead", b"2", Ttl::secs(1))).unwrap();
        clock.advance_ms(1_000);
        assert_eq!(block_on(cache.delete(&["live", "dead", "never"])).unwrap(), 1);
        assert_eq!(block_on(cache.get("live")).unwrap(), None);
    }

    #[test]
    fn memory_is_bounded_in_bytes() {
        let clock = ManualClock::new(0);
        let bounds = MemoryBounds { max_entries: 1_000_000, max_bytes: 1 << 20 };
        let cache = MemoryBackend::with_clock(bounds, Arc::new(clock));
        let prompt = vec![b'x'; 48 * 1024];
        for i in 0..1_000 {
            block_on(cache.set(&format!("prompt:{i}"), &prompt, Ttl::secs(60))).unwrap();
        }
        assert!(cache.bytes() <= 1 << 20, "{} bytes held", cache.bytes());
        assert!(cache.len() < 30, "{} entries of 48 KiB in 1 MiB", cache.len());
    }
}
