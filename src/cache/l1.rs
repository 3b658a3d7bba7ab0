//! The in-isolate tier in front of the shared one.
//!
//! An L1 entry remembers when it was last validated against the shared
//! tier's versions; it answers (with no round trip) only while that was less
//! than `max_staleness_ms` ago and the entry is fresh. So after an
//! invalidation in any isolate, no isolate serves the old value for longer
//! than `max_staleness_ms`.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use lru::LruCache;

use super::entry::Entry;

struct Slot {
    entry: Entry,
    version_keys: Vec<String>,
    validated_at_ms: u64,
}

pub(crate) struct L1 {
    slots: Mutex<LruCache<String, Slot>>,
    max_staleness_ms: u64,
    /// Moves on every local invalidation; a fill whose read began before it
    /// is dropped, so an invalidation cannot be undone by a racing read.
    generation: AtomicU64,
}

impl L1 {
    pub fn new(capacity: NonZeroUsize, max_staleness_ms: u64) -> Self {
        L1 { slots: Mutex::new(LruCache::new(capacity)), max_staleness_ms, generation: AtomicU64::new(0) }
    }

    pub fn max_staleness_ms(&self) -> u64 {
        self.max_staleness_ms
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<String, Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The entry of `key` if it was validated less than the staleness bound
    /// ago and is still fresh.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<Entry> {
        let mut slots = self.lock();
        let slot = slots.get(key)?;
        if now_ms.saturating_sub(slot.validated_at_ms) < self.max_staleness_ms && now_ms < slot.entry.fresh_until_ms {
            Some(slot.entry.clone())
        } else {
            slots.pop(key);
            None
        }
    }

    /// The current generation: read it before a shared-tier read, hand it to [`put`](Self::put).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Keeps `entry`, validated against the shared tier at `now_ms` by a read
    /// that began at `read_generation`; dropped if an invalidation ran since.
    pub fn put(&self, key: &str, entry: Entry, version_keys: &[String], now_ms: u64, read_generation: u64) {
        let mut slots = self.lock();
        if self.generation() == read_generation {
            let slot = Slot { entry, version_keys: version_keys.to_vec(), validated_at_ms: now_ms };
            slots.put(key.to_owned(), slot);
        }
    }

    /// Drops entries with any of `keys`, or that depend on any of `version_keys`.
    pub fn forget(&self, keys: &[String], version_keys: &[String]) {
        let mut slots = self.lock();
        self.generation.fetch_add(1, Ordering::SeqCst);
        let doomed: Vec<String> = slots
            .iter()
            .filter(|(key, slot)| keys.contains(key) || slot.version_keys.iter().any(|v| version_keys.contains(v)))
            .map(|(key, _)| key.clone())
            .collect();
        for key in doomed {
            slots.pop(&key);
        }
    }
}
