//! Per-isolate cooldowns, for limits where local is correct.

use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::clocked_lru::ClockedLru;

/// "At most once per `cooldown_ms` per key, in this isolate": the in-memory
/// map of notification cooldowns that services keep by hand, with bounded
/// memory and a testable clock.
///
/// Use it where a per-instance answer is the right one (a notification
/// already shown by this isolate, a local retry back-off); use a
/// [`Limiter`](super::Limiter) where the limit must hold across isolates.
///
/// Memory: at most `capacity` keys. Entries are kept in the order they
/// started (checks do not reorder them), which with one cooldown length is
/// also the order they expire, so a full map evicts the entry that expires
/// first. An entry still cooling down is evicted only when more than
/// `capacity` keys started within the last `cooldown_ms`; that key may then
/// start again early. Size `capacity` above the keys started per cooldown.
pub struct Cooldowns {
    cooldown_ms: u64,
    /// Key → when its cooldown started; expiring when it ends.
    started: ClockedLru<u64>,
}

impl std::fmt::Debug for Cooldowns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cooldowns")
            .field("cooldown_ms", &self.cooldown_ms)
            .field("keys", &self.len())
            .finish_non_exhaustive()
    }
}

impl Cooldowns {
    /// Cooldowns of `cooldown_ms` for at most `capacity` keys, on the system clock.
    pub fn new(cooldown_ms: u64, capacity: NonZeroUsize) -> Self {
        Cooldowns::with_clock(cooldown_ms, capacity, Arc::new(SystemClock))
    }

    /// The same on `clock` (e.g. a [`ManualClock`](crate::clock::ManualClock) in tests).
    pub fn with_clock(cooldown_ms: u64, capacity: NonZeroUsize, clock: Arc<dyn Clock>) -> Self {
        let capacity = capacity.get();
        Cooldowns { cooldown_ms, started: ClockedLru::new(capacity, capacity.saturating_mul(256), clock) }
    }

    /// Starts the cooldown of `key` if it is not cooling down.
    ///
    /// # Errors
    /// `Err(remaining_ms)`, the milliseconds left, when `key` started less
    /// than `cooldown_ms` ago; nothing changes then.
    pub fn try_start(&self, key: &str) -> Result<(), u64> {
        let mut started = self.started.lock();
        let now = started.now_ms();
        // `peek`: checking a key does not make it look recently started.
        if let Some(at) = started.peek(key) {
            return Err((at + self.cooldown_ms).saturating_sub(now));
        }
        started.put(key, now, now + self.cooldown_ms);
        Ok(())
    }

    /// Milliseconds left in `key`'s cooldown; 0 when it is not cooling down.
    pub fn remaining_ms(&self, key: &str) -> u64 {
        let mut started = self.started.lock();
        let now = started.now_ms();
        started.peek(key).map_or(0, |at| (at + self.cooldown_ms).saturating_sub(now))
    }

    /// Ends `key`'s cooldown now.
    pub fn clear(&self, key: &str) {
        self.started.remove(key);
    }

    /// How many keys are held (expired ones included until read or evicted).
    pub fn len(&self) -> usize {
        self.started.len()
    }

    /// True when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn cooldowns(ms: u64, cap: usize) -> (Cooldowns, ManualClock) {
        let clock = ManualClock::new(1_000_000);
        let c = Cooldowns::with_clock(ms, NonZeroUsize::new(cap).unwrap(), Arc::new(clock.clone()));
        (c, clock)
    }

    #[test]
    fn second_start_within_the_cooldown_says_how_long_is_left() {
        let (c, clock) = cooldowns(3_600_000, 10);
        assert_eq!(c.try_start("user-1"), Ok(()));
        clock.advance_ms(600_000);
        assert_eq!(c.try_start("user-1"), Err(3_000_000));
        assert_eq!(c.remaining_ms("user-1"), 3_000_000);
        assert_eq!(c.try_start("user-2"), Ok(()));
        clock.advance_ms(3_000_000);
        assert_eq!(c.remaining_ms("user-1"), 0);
        assert_eq!(c.try_start("user-1"), Ok(()));
        assert_eq!(c.try_start("user-1"), Err(3_600_000));
        c.clear("user-1");
        assert_eq!(c.try_start("user-1"), Ok(()));
    }

    #[test]
    fn memory_is_bounded_and_evicts_what_expires_first() {
        let (c, clock) = cooldowns(1_000, 3);
        for key in ["a", "b", "c"] {
            c.try_start(key).unwrap();
            clock.advance_ms(100);
        }
        // Checking "a" does not make it look recent.
        assert!(c.try_start("a").is_err());
        c.try_start("d").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.remaining_ms("a"), 0, "a, the oldest, was evicted");
        assert!(c.try_start("b").is_err() && c.try_start("c").is_err());
    }
}
