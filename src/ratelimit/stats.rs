//! [`LimiterStats`]: what a limiter answered, counted per isolate.

use std::sync::atomic::{AtomicU64, Ordering};

use super::Reason;

/// Counts of what a limiter answered, since it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimiterStats {
    /// Requests Redis admitted (every limit of the check passed; quota spent).
    pub allowed: u64,
    /// Requests Redis refused because this limit had no room.
    pub denied: u64,
    /// Requests this limit had room for, refused because another limit of
    /// the same all-or-nothing check had none (nothing spent here either).
    pub denied_by_other: u64,
    /// Requests refused by the block cache, without a round trip.
    pub cache_blocked: u64,
    /// Requests allowed because Redis failed ([`FailurePolicy::FailOpen`](super::FailurePolicy::FailOpen)).
    pub failed_open: u64,
    /// Requests refused because Redis failed ([`FailurePolicy::FailClosed`](super::FailurePolicy::FailClosed)).
    pub failed_closed: u64,
    /// Requests this isolate admitted on its own while Redis failed
    /// ([`FailurePolicy::Local`](super::FailurePolicy::Local)).
    pub local_allowed: u64,
    /// Requests this isolate refused on its own while Redis failed.
    pub local_denied: u64,
    /// Decisions by [`Reason`], in the order of [`Reason::ALL`]. A decision
    /// of the local fallback counts twice: under the cause (why Redis did
    /// not answer) and under [`Reason::LocalFallback`].
    pub by_reason: [u64; 8],
}

#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) allowed: AtomicU64,
    pub(super) denied: AtomicU64,
    pub(super) denied_by_other: AtomicU64,
    pub(super) cache_blocked: AtomicU64,
    pub(super) failed_open: AtomicU64,
    pub(super) failed_closed: AtomicU64,
    pub(super) local_allowed: AtomicU64,
    pub(super) local_denied: AtomicU64,
    pub(super) by_reason: [AtomicU64; 8],
}

impl Counters {
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn count_reason(&self, reason: Reason) {
        let index = Reason::ALL.iter().position(|r| *r == reason).expect("every reason is listed");
        Counters::bump(&self.by_reason[index]);
    }

    pub(super) fn snapshot(&self) -> LimiterStats {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        LimiterStats {
            allowed: get(&self.allowed),
            denied: get(&self.denied),
            denied_by_other: get(&self.denied_by_other),
            cache_blocked: get(&self.cache_blocked),
            failed_open: get(&self.failed_open),
            failed_closed: get(&self.failed_closed),
            local_allowed: get(&self.local_allowed),
            local_denied: get(&self.local_denied),
            by_reason: std::array::from_fn(|i| get(&self.by_reason[i])),
        }
    }
}
