//! The in-isolate tier in front of the shared one.
//!
//! An L1 entry remembers when it was last validated against the shared
//! tier's versions; it answers (with no round trip) only while that was less
//! than `max_staleness_ms` ago and the entry is fresh. So after an
//! invalidation in any isolate, no isolate serves the old value for longer
//! than `max_staleness_ms`.
//!
//! An invalidation made in this isolate drops the L1 entries it names (by
//! key, or by a version key they carry: a tag, a namespace epoch) at once,
//! and is logged: a fill whose shared read began before it and that concerns
//! what it named is dropped, so a racing read cannot undo it. Fills of other
//! keys go on.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::entry::Entry;
use crate::backend::{MemoryBounds, MemoryUsage};
use crate::clock::Clock;
use crate::clocked_lru::{ClockedLru, Weigh};

/// The in-isolate tier (L1) in front of a shared backend: its memory
/// bounds and the staleness bound it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Settings {
    /// Its memory bounds (`CACHE_MEMORY_SIZE`, `CACHE_MEMORY_MAX_BYTES`).
    pub bounds: MemoryBounds,
    /// An entry last validated against the shared tier this long ago is
    /// validated again before it is served (`CACHE_L1_MAX_STALENESS_MS`,
    /// whole milliseconds): the staleness bound across isolates.
    pub max_staleness: Duration,
}

impl Default for L1Settings {
    /// [`MemoryBounds::default`] and a staleness bound of
    /// [`DEFAULT_L1_MAX_STALENESS_MS`](super::config::DEFAULT_L1_MAX_STALENESS_MS).
    fn default() -> Self {
        L1Settings {
            bounds: MemoryBounds::default(),
            max_staleness: Duration::from_millis(super::config::DEFAULT_L1_MAX_STALENESS_MS),
        }
    }
}

/// Invalidations remembered for racing fills; a fill whose read began
/// before the oldest of them is dropped.
const LOGGED_INVALIDATIONS: usize = 256;

#[derive(Clone)]
struct Slot {
    entry: Entry,
    version_keys: Arc<[String]>,
}

impl Weigh for Slot {
    fn weight_bytes(&self) -> usize {
        self.entry.weight_bytes() + self.version_keys.iter().map(String::len).sum::<usize>()
    }
}

/// Where the invalidation log stood when a shared read began; see [`L1::mark`].
pub(crate) type Mark = u64;

pub(crate) struct L1 {
    slots: ClockedLru<Slot>,
    bounds: MemoryBounds,
    max_staleness_ms: u64,
    log: Mutex<InvalidationLog>,
}

#[derive(Default)]
struct InvalidationLog {
    next: Mark,
    /// `(mark, names)` of the latest invalidations, oldest first.
    recent: VecDeque<(Mark, Vec<String>)>,
}

impl L1 {
    pub fn new(settings: L1Settings, clock: Arc<dyn Clock>) -> Self {
        L1 {
            slots: ClockedLru::new(settings.bounds.max_entries, settings.bounds.max_bytes, clock),
            bounds: settings.bounds,
            max_staleness_ms: u64::try_from(settings.max_staleness.as_millis()).unwrap_or(u64::MAX),
            log: Mutex::new(InvalidationLog::default()),
        }
    }

    pub fn max_staleness_ms(&self) -> u64 {
        self.max_staleness_ms
    }

    pub fn usage(&self) -> MemoryUsage {
        MemoryUsage {
            entries: self.slots.len(),
            bytes: self.slots.bytes(),
            max_entries: self.bounds.max_entries,
            max_bytes: self.bounds.max_bytes,
        }
    }

    /// The entry of `key` if it was validated less than the staleness bound
    /// ago and is still fresh.
    pub fn get(&self, key: &str) -> Option<Entry> {
        self.slots.get(key).map(|slot| slot.entry)
    }

    /// Marks the start of a shared read: hand it to [`put`](Self::put).
    pub fn mark(&self) -> Mark {
        crate::sync::lock(&self.log).next
    }

    /// Keeps `entry`, just validated against the shared tier by a read that
    /// began at `read_mark`, unless an invalidation since then named `key` or
    /// one of `version_keys`.
    pub fn put(&self, key: &str, entry: Entry, version_keys: &[String], read_mark: Mark) {
        let log = crate::sync::lock(&self.log);
        let forgotten = log.recent.front().is_some_and(|(oldest, _)| read_mark < *oldest);
        let named = log
            .recent
            .iter()
            .filter(|(mark, _)| *mark >= read_mark)
            .any(|(_, names)| names.iter().any(|name| name == key || version_keys.contains(name)));
        if forgotten || named {
            return;
        }
        let expires_at_ms = (self.slots.now_ms() + self.max_staleness_ms).min(entry.fresh_until_ms);
        let slot = Slot { entry, version_keys: version_keys.into() };
        // Under the log's lock, so an invalidation cannot slip in between the
        // check and the put.
        self.slots.put(key, slot, expires_at_ms);
        drop(log);
    }

    /// Drops the entries with any of `keys`, or that carry any of
    /// `version_keys`, and logs the invalidation for racing fills.
    pub fn forget(&self, keys: &[String], version_keys: &[String]) {
        let mut log = crate::sync::lock(&self.log);
        let mark = log.next;
        log.next += 1;
        log.recent.push_back((mark, keys.iter().chain(version_keys).cloned().collect()));
        if log.recent.len() > LOGGED_INVALIDATIONS {
            log.recent.pop_front();
        }
        self.slots.lock().remove_where(|key, slot| {
            keys.iter().any(|k| k == key) || slot.version_keys.iter().any(|v| version_keys.contains(v))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn l1() -> (L1, ManualClock) {
        let clock = ManualClock::new(1_000);
        let settings = L1Settings { bounds: MemoryBounds::default(), max_staleness: Duration::from_millis(100) };
        (L1::new(settings, Arc::new(clock.clone())), clock)
    }

    fn entry(fresh_until_ms: u64) -> Entry {
        Entry::decode(format!(r#"{{"v":1,"f":{fresh_until_ms},"s":{{}}}}"#).as_bytes()).unwrap()
    }

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    #[test]
    fn entries_answer_within_the_staleness_bound_and_while_fresh() {
        let (l1, clock) = l1();
        l1.put("a", entry(10_000), &[], l1.mark());
        l1.put("b", entry(1_050), &[], l1.mark());
        clock.advance_ms(60);
        assert!(l1.get("a").is_some());
        assert!(l1.get("b").is_none(), "past its TTL");
        clock.advance_ms(40);
        assert!(l1.get("a").is_none(), "validated 100 ms ago: revalidate");
    }

    #[test]
    fn an_invalidation_drops_and_fences_only_what_it_names() {
        let (l1, _) = l1();
        let mark = l1.mark();
        l1.put("a", entry(10_000), &tags(&["tag:x"]), mark);
        l1.put("b", entry(10_000), &tags(&["tag:y"]), mark);
        l1.forget(&[], &tags(&["tag:x"]));
        assert!(l1.get("a").is_none(), "carries the tag");
        assert!(l1.get("b").is_some(), "does not");
        // Fills whose reads began before the invalidation:
        l1.put("a2", entry(10_000), &tags(&["tag:x"]), mark);
        l1.put("c", entry(10_000), &tags(&["tag:z"]), mark);
        assert!(l1.get("a2").is_none(), "a racing fill of an invalidated tag is dropped");
        assert!(l1.get("c").is_some(), "fills of other keys go on");
        l1.forget(&tags(&["c"]), &[]);
        assert!(l1.get("c").is_none(), "by key");
        l1.put("a2", entry(10_000), &tags(&["tag:x"]), l1.mark());
        assert!(l1.get("a2").is_some(), "a read that began after it fills");
    }

    #[test]
    fn a_fill_older_than_the_log_is_dropped() {
        let (l1, _) = l1();
        let mark = l1.mark();
        for i in 0..=LOGGED_INVALIDATIONS {
            l1.forget(&[format!("other{i}")], &[]);
        }
        l1.put("a", entry(10_000), &[], mark);
        assert!(l1.get("a").is_none());
    }
}
