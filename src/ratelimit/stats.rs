//! [`LimiterStats`]: what a limiter answered, counted per isolate.

use std::sync::atomic::{AtomicU64, Ordering};

use super::decision::Reason;

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
    /// Decisions that allowed, by the decision's [`Reason`] (in the order of
    /// [`Reason::ALL`]).
    pub allowed_by_reason: [u64; 8],
    /// Decisions that refused, by the decision's [`Reason`].
    pub refused_by_reason: [u64; 8],
}

impl LimiterStats {
    /// Adds these counts to `sample` as `ratelimit_decisions{limiter,
    /// outcome, reason}` (the fleet's series; `limiter` is this limiter's name).
    pub fn add_to(&self, limiter: &str, sample: &mut crate::fleet::Sample) {
        for (outcome, counts) in [("allowed", &self.allowed_by_reason), ("refused", &self.refused_by_reason)] {
            for (reason, n) in Reason::ALL.iter().zip(counts) {
                if *n > 0 {
                    let labels = [("limiter", limiter), ("outcome", outcome), ("reason", reason.as_str())];
                    sample.add("ratelimit_decisions", &labels, *n);
                }
            }
        }
    }
}

#[derive(Debug, Default)]
/// A limiter's counts as it answers (relaxed atomics: counts, not synchronisation).
pub(super) struct Counters {
    /// See [`LimiterStats::allowed`].
    pub(super) allowed: AtomicU64,
    /// See [`LimiterStats::denied`].
    pub(super) denied: AtomicU64,
    /// See [`LimiterStats::denied_by_other`].
    pub(super) denied_by_other: AtomicU64,
    /// See [`LimiterStats::cache_blocked`].
    pub(super) cache_blocked: AtomicU64,
    /// See [`LimiterStats::failed_open`].
    pub(super) failed_open: AtomicU64,
    /// See [`LimiterStats::failed_closed`].
    pub(super) failed_closed: AtomicU64,
    /// See [`LimiterStats::local_allowed`].
    pub(super) local_allowed: AtomicU64,
    /// See [`LimiterStats::local_denied`].
    pub(super) local_denied: AtomicU64,
    /// See [`LimiterStats::by_reason`].
    pub(super) by_reason: [AtomicU64; 8],
    /// `[refused, allowed]` by the decision's reason.
    pub(super) by_outcome: [[AtomicU64; 8]; 2],
}

impl Counters {
    /// Adds one to `counter`.
    pub(super) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one decision under `reason` (see [`LimiterStats::by_reason`]).
    pub(super) fn count_reason(&self, reason: Reason) {
        let index = Reason::ALL.iter().position(|r| *r == reason).expect("every reason is listed");
        Counters::bump(&self.by_reason[index]);
    }

    /// Counts one decision: allowed or refused, and why.
    pub(super) fn count_decision(&self, allowed: bool, reason: Reason) {
        let index = Reason::ALL.iter().position(|r| *r == reason).expect("every reason is listed");
        Counters::bump(&self.by_outcome[usize::from(allowed)][index]);
    }

    /// The counts now.
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
            allowed_by_reason: std::array::from_fn(|i| get(&self.by_outcome[1][i])),
            refused_by_reason: std::array::from_fn(|i| get(&self.by_outcome[0][i])),
        }
    }
}
