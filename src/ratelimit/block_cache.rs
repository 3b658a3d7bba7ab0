//! The block cache: identifiers Redis said cannot pass before a later time,
//! remembered in the isolate so their checks need no round trip until then.

use std::sync::Arc;

use crate::clock::Clock;
use crate::clocked_lru::ClockedLru;

/// Identifiers known to be blocked, each until an epoch ms on the local
/// clock (a duration Redis gave, added to "now": skew between this clock and
/// Redis's cannot move a block). Bounded (LRU); capacity 0 turns it off.
pub(crate) struct BlockCache {
    blocked: Option<ClockedLru<u64>>,
}

impl BlockCache {
    /// A block cache of at most `capacity` identifiers (0: off) on `clock`.
    pub fn new(capacity: usize, clock: Arc<dyn Clock>) -> Self {
        let blocked = (capacity > 0).then(|| ClockedLru::new(capacity, capacity.saturating_mul(256), clock));
        BlockCache { blocked }
    }

    /// Until when `identifier` is blocked, if it still is.
    pub fn blocked_until(&self, identifier: &str) -> Option<u64> {
        self.blocked.as_ref()?.get(identifier)
    }

    /// Records what Redis said: blocked for `block_ms` (0: not blocked).
    pub fn record(&self, identifier: &str, block_ms: u64) {
        let Some(blocked) = &self.blocked else { return };
        let mut blocked = blocked.lock();
        if block_ms > 0 {
            let until = blocked.now_ms() + block_ms;
            blocked.put(identifier, until, until);
        } else {
            blocked.remove(identifier);
        }
    }

    /// Forgets `identifier` (a reset, a new override): its next check asks Redis.
    pub fn forget(&self, identifier: &str) {
        if let Some(blocked) = &self.blocked {
            blocked.remove(identifier);
        }
    }
}
