//! [`ClockedLru`]: the one bounded map behind every per-isolate table (the
//! memory backend, L1, the limiter's block cache, cooldowns).
//!
//! Every value has an expiry on the map's [`Clock`]: an expired value reads
//! as absent and is dropped. The map is bounded twice, in entries and in
//! bytes (each entry weighs its key, its value's [`Weigh::weight_bytes`] and
//! [`ENTRY_OVERHEAD_BYTES`]). Over the entry bound, the least recently used
//! entry goes; over the byte bound, expired entries go first, then the
//! largest, so one big value cannot flush many small hot ones. A value
//! weighing more than a quarter of the byte bound is not kept at all.
//! Nothing is preallocated: a large bound costs nothing until it is used.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;

use crate::clock::Clock;

/// Bytes counted per entry on top of its key and value: the map's own
/// bookkeeping (hash slot, list links, size index), roughly.
pub(crate) const ENTRY_OVERHEAD_BYTES: usize = 96;

/// What a value weighs in memory, in bytes (beyond the fixed overhead).
pub(crate) trait Weigh {
    fn weight_bytes(&self) -> usize;
}

impl Weigh for u64 {
    fn weight_bytes(&self) -> usize {
        8
    }
}

impl Weigh for Vec<u8> {
    fn weight_bytes(&self) -> usize {
        self.len()
    }
}

/// A bounded, expiring LRU map with `String` keys, shared by the requests
/// of an isolate (one lock, held only while moving values in and out).
pub(crate) struct ClockedLru<V> {
    slots: Mutex<Slots<V>>,
    clock: Arc<dyn Clock>,
    max_entries: usize,
    max_bytes: usize,
}

struct Slots<V> {
    lru: LruCache<String, Slot<V>>,
    /// `(weight, key)` of every entry, to find the largest.
    by_weight: BTreeSet<(usize, String)>,
    bytes: usize,
}

struct Slot<V> {
    value: V,
    expires_at_ms: u64,
    weight: usize,
}

/// The map, locked, with the time read once: for operations on several keys
/// that must not interleave with other requests (a fenced write).
pub(crate) struct Locked<'a, V> {
    slots: MutexGuard<'a, Slots<V>>,
    now_ms: u64,
    max_entries: usize,
    max_bytes: usize,
}

impl<V: Clone + Weigh> ClockedLru<V> {
    /// A map of at most `max_entries` entries and `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: usize, clock: Arc<dyn Clock>) -> Self {
        let slots = Slots { lru: LruCache::unbounded(), by_weight: BTreeSet::new(), bytes: 0 };
        ClockedLru { slots: Mutex::new(slots), clock, max_entries, max_bytes }
    }

    /// The map, locked.
    pub fn lock(&self) -> Locked<'_, V> {
        Locked {
            slots: crate::sync::lock(&self.slots),
            now_ms: self.clock.now_ms(),
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
        }
    }

    /// The value of `key`, marked as recently used; `None` when absent or expired.
    pub fn get(&self, key: &str) -> Option<V> {
        self.lock().get(key)
    }

    /// Keeps `value` under `key` until `expires_at_ms`; see [`Locked::put`].
    pub fn put(&self, key: &str, value: V, expires_at_ms: u64) -> bool {
        self.lock().put(key, value, expires_at_ms)
    }

    /// Removes `key`; answers its value if it was there (expired or not).
    pub fn remove(&self, key: &str) -> Option<V> {
        self.lock().remove(key)
    }

    /// The clock's time now, in ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Entries held (expired ones included until read or evicted).
    pub fn len(&self) -> usize {
        crate::sync::lock(&self.slots).lru.len()
    }

    /// Bytes held, as weighed.
    pub fn bytes(&self) -> usize {
        crate::sync::lock(&self.slots).bytes
    }
}

impl<V: Clone + Weigh> Locked<'_, V> {
    /// The time this lock was taken at, in ms.
    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    pub fn get(&mut self, key: &str) -> Option<V> {
        let live = self.slots.lru.get(key).map(|slot| slot.expires_at_ms > self.now_ms)?;
        if live {
            self.slots.lru.peek(key).map(|slot| slot.value.clone())
        } else {
            self.remove(key);
            None
        }
    }

    pub fn peek(&mut self, key: &str) -> Option<V> {
        let live = self.slots.lru.peek(key).map(|slot| slot.expires_at_ms > self.now_ms)?;
        if live {
            self.slots.lru.peek(key).map(|slot| slot.value.clone())
        } else {
            self.remove(key);
            None
        }
    }

    /// Keeps `value` under `key` until `expires_at_ms`, replacing any value,
    /// and evicts what the bounds require. Answers false (and keeps nothing
    /// under `key`) when the value weighs more than a quarter of the byte
    /// bound, or has already expired.
    pub fn put(&mut self, key: &str, value: V, expires_at_ms: u64) -> bool {
        self.remove(key);
        let weight = key.len() + value.weight_bytes() + ENTRY_OVERHEAD_BYTES;
        if weight > self.max_bytes / 4 || expires_at_ms <= self.now_ms {
            return false;
        }
        while self.slots.lru.len() >= self.max_entries {
            let Some((oldest, slot)) = self.slots.lru.pop_lru() else { break };
            self.forget_weight(&oldest, slot.weight);
        }
        if self.slots.bytes + weight > self.max_bytes {
            self.evict_expired();
        }
        while self.slots.bytes + weight > self.max_bytes {
            let Some((_, largest)) = self.slots.by_weight.last().cloned() else { break };
            self.remove(&largest);
        }
        self.slots.bytes += weight;
        self.slots.by_weight.insert((weight, key.to_owned()));
        self.slots.lru.put(key.to_owned(), Slot { value, expires_at_ms, weight });
        true
    }

    /// Moves `key`'s expiry to `expires_at_ms` if that is later; answers
    /// whether `key` is there (unexpired).
    pub fn extend(&mut self, key: &str, expires_at_ms: u64) -> bool {
        match self.slots.lru.peek_mut(key) {
            Some(slot) if slot.expires_at_ms > self.now_ms => {
                slot.expires_at_ms = slot.expires_at_ms.max(expires_at_ms);
                true
            }
            _ => false,
        }
    }

    /// When `key` expires (ms), if it is there (unexpired).
    pub fn expires_at_ms(&mut self, key: &str) -> Option<u64> {
        self.slots.lru.peek(key).map(|slot| slot.expires_at_ms).filter(|&at| at > self.now_ms)
    }

    pub fn remove(&mut self, key: &str) -> Option<V> {
        let slot = self.slots.lru.pop(key)?;
        self.forget_weight(key, slot.weight);
        Some(slot.value)
    }

    /// Removes every entry `doomed` names; answers how many went.
    pub fn remove_where(&mut self, doomed: impl Fn(&str, &V) -> bool) -> usize {
        let keys: Vec<String> =
            self.slots.lru.iter().filter(|(key, slot)| doomed(key, &slot.value)).map(|(key, _)| key.clone()).collect();
        for key in &keys {
            self.remove(key);
        }
        keys.len()
    }

    fn forget_weight(&mut self, key: &str, weight: usize) {
        self.slots.bytes -= weight;
        self.slots.by_weight.remove(&(weight, key.to_owned()));
    }

    fn evict_expired(&mut self) {
        let now_ms = self.now_ms;
        self.remove_where_slot(|slot| slot.expires_at_ms <= now_ms);
    }

    fn remove_where_slot(&mut self, doomed: impl Fn(&Slot<V>) -> bool) {
        let keys: Vec<String> =
            self.slots.lru.iter().filter(|(_, slot)| doomed(slot)).map(|(key, _)| key.clone()).collect();
        for key in keys {
            self.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn map(max_entries: usize, max_bytes: usize) -> (ClockedLru<Vec<u8>>, ManualClock) {
        let clock = ManualClock::new(1_000);
        (ClockedLru::new(max_entries, max_bytes, Arc::new(clock.clone())), clock)
    }

    fn weight(key: &str, len: usize) -> usize {
        key.len() + len + ENTRY_OVERHEAD_BYTES
    }

    #[test]
    fn values_expire_on_the_clock() {
        let (m, clock) = map(10, 1 << 20);
        assert!(m.put("k", b"v".to_vec(), 2_000));
        clock.advance_ms(999);
        assert_eq!(m.get("k"), Some(b"v".to_vec()));
        clock.advance_ms(1);
        assert_eq!(m.get("k"), None);
        assert_eq!((m.len(), m.bytes()), (0, 0), "dropped when read");
    }

    #[test]
    fn the_least_recently_used_goes_at_the_entry_bound() {
        let (m, _) = map(2, 1 << 20);
        m.put("a", vec![1], u64::MAX);
        m.put("b", vec![2], u64::MAX);
        m.get("a");
        m.put("c", vec![3], u64::MAX);
        assert_eq!((m.get("a"), m.get("b"), m.get("c")), (Some(vec![1]), None, Some(vec![3])));
    }

    #[test]
    fn peek_does_not_reorder() {
        let (m, _) = map(2, 1 << 20);
        m.put("a", vec![1], u64::MAX);
        m.put("b", vec![2], u64::MAX);
        m.lock().peek("a");
        m.put("c", vec![3], u64::MAX);
        assert_eq!(m.get("a"), None, "a stayed the oldest");
    }

    #[test]
    fn over_the_byte_bound_expired_then_largest_entries_go() {
        let (m, clock) = map(100, 1_000);
        assert!(m.put("big", vec![0; 140], u64::MAX)); // 239 bytes
        for key in ["s1", "s2", "s3"] {
            assert!(m.put(key, vec![0; 50], u64::MAX)); // 148 each
        }
        assert!(m.put("old", vec![0; 50], 1_500)); // 149, expires first
        assert_eq!(m.bytes(), 832);
        clock.advance_ms(600);
        assert!(m.put("n1", vec![0; 120], u64::MAX)); // 218: over by 50
        assert!(m.lock().peek("old").is_none(), "the expired entry made room");
        assert!(m.lock().peek("big").is_some(), "nothing else had to go");
        assert!(m.put("n2", vec![0; 120], u64::MAX)); // 218 more: over again
        assert!(m.lock().peek("big").is_none(), "then the largest went");
        assert!(["s1", "s2", "s3", "n1", "n2"].iter().all(|k| m.lock().peek(k).is_some()), "and only it");
        assert_eq!(m.bytes(), 880);
    }

    #[test]
    fn a_value_over_a_quarter_of_the_bound_is_not_kept() {
        let (m, _) = map(10, 4_000);
        m.put("k", vec![0; 10], u64::MAX);
        assert!(!m.put("k", vec![0; 1_000], u64::MAX));
        assert_eq!(m.get("k"), None, "the old value is gone too: never serve what was replaced");
        assert_eq!(m.bytes(), 0);
    }

    #[test]
    fn bytes_are_accounted_on_replace_and_remove() {
        let (m, _) = map(10, 1 << 20);
        m.put("k", vec![0; 10], u64::MAX);
        m.put("k", vec![0; 20], u64::MAX);
        assert_eq!(m.bytes(), weight("k", 20));
        m.remove("k");
        assert_eq!(m.bytes(), 0);
    }

    #[test]
    fn a_huge_entry_bound_allocates_nothing_up_front() {
        let (m, _) = map(usize::MAX, usize::MAX);
        assert_eq!(m.len(), 0);
        m.put("k", vec![1], u64::MAX);
        assert_eq!(m.len(), 1);
    }
}
