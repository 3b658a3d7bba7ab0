//! The in-isolate backend: bounded by entry count, TTL-aware, LRU-evicting.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lru::LruCache;

use super::{BackendKind, CacheBackend, CacheError, FencedWrite, InvalidationWrite};
use crate::clock::{Clock, SystemClock};
use crate::Ttl;

struct Entry {
    value: Vec<u8>,
    expires_at_ms: u64,
}

/// An in-memory backend holding at most `capacity` entries.
///
/// When full, a write evicts the least recently used entry; an expired entry
/// reads as absent and is dropped when read. Memory lives as long as the
/// isolate (Workers recycle isolates at will), so this is a per-isolate cache,
/// not shared between isolates or locations.
pub struct MemoryBackend {
    entries: Mutex<LruCache<String, Entry>>,
    clock: Arc<dyn Clock>,
}

impl MemoryBackend {
    /// A backend of `capacity` entries on the system clock.
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self::with_clock(capacity, Arc::new(SystemClock))
    }

    /// A backend of `capacity` entries on `clock` (e.g. a
    /// [`ManualClock`](crate::clock::ManualClock) in tests).
    pub fn with_clock(capacity: NonZeroUsize, clock: Arc<dyn Clock>) -> Self {
        MemoryBackend { entries: Mutex::new(LruCache::new(capacity)), clock }
    }

    /// How many entries are held now (expired ones included until read or evicted).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Entry>> {
        // A panic while holding the lock cannot leave an entry half-written.
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self, entries: &mut LruCache<String, Entry>, key: &str, now_ms: u64) -> Option<Vec<u8>> {
        match entries.get(key) {
            Some(entry) if entry.expires_at_ms > now_ms => Some(entry.value.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl CacheBackend for MemoryBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Memory
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let now_ms = self.clock.now_ms();
        Ok(self.read(&mut self.lock(), key, now_ms))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        let now_ms = self.clock.now_ms();
        let mut entries = self.lock();
        Ok(keys.iter().map(|key| self.read(&mut entries, key, now_ms)).collect())
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Ttl) -> Result<(), CacheError> {
        let expires_at_ms = self.clock.now_ms().saturating_add(ttl.as_millis());
        self.lock().put(key.to_owned(), Entry { value: value.to_vec(), expires_at_ms });
        Ok(())
    }

    async fn delete(&self, keys: &[&str]) -> Result<u64, CacheError> {
        let now_ms = self.clock.now_ms();
        let mut entries = self.lock();
        Ok(keys.iter().filter_map(|key| entries.pop(*key)).filter(|entry| entry.expires_at_ms > now_ms).count() as u64)
    }

    async fn set_fenced(&self, write: &FencedWrite<'_>) -> Result<bool, CacheError> {
        let now_ms = self.clock.now_ms();
        let mut entries = self.lock();
        for check in write.versions {
            let current = self.read(&mut entries, check.key, now_ms);
            if current.as_deref() != check.seen.map(str::as_bytes) {
                return Ok(false);
            }
        }
        let version_expiry_ms = now_ms.saturating_add(write.version_ttl.as_millis());
        for check in write.versions {
            match check.seen {
                None => {
                    let entry = Entry { value: check.create.as_bytes().to_vec(), expires_at_ms: version_expiry_ms };
                    entries.put(check.key.to_owned(), entry);
                }
                Some(_) => {
                    if let Some(entry) = entries.get_mut(check.key) {
                        entry.expires_at_ms = entry.expires_at_ms.max(version_expiry_ms);
                    }
                }
            }
        }
        let expires_at_ms = now_ms.saturating_add(write.ttl.as_millis());
        entries.put(write.key.to_owned(), Entry { value: write.value.to_vec(), expires_at_ms });
        Ok(true)
    }

    async fn invalidate(&self, write: &InvalidationWrite<'_>) -> Result<(), CacheError> {
        let expires_at_ms = self.clock.now_ms().saturating_add(write.version_ttl.as_millis());
        let mut entries = self.lock();
        for key in write.deletes {
            entries.pop(*key);
        }
        for (key, version) in write.bumps {
            entries.put((*key).to_owned(), Entry { value: version.as_bytes().to_vec(), expires_at_ms });
        }
        // Nobody outside this isolate listens to its memory: nothing to publish.
        Ok(())
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // The memory backend never awaits, so one poll completes it.
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut context) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("memory backend future was pending"),
        }
    }

    fn backend(capacity: usize) -> (MemoryBackend, ManualClock) {
        let clock = ManualClock::new(1_000_000);
        (MemoryBackend::with_clock(NonZeroUsize::new(capacity).unwrap(), Arc::new(clock.clone())), clock)
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
}
