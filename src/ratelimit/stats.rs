//! [`LimiterStats`]: what a limiter answered, counted per isolate.

use super::decision::Reason;

crate::counters::counter_table! {
    /// A limiter's counts as it answers (relaxed atomics: counts, not synchronisation).
    #[derive(Debug, Default)]
    pub(super) struct Counters;
    /// Counts of what a limiter answered, since it was built.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct LimiterStats {
        /// Requests Redis admitted (every limit of the check passed; quota spent).
        allowed,
        /// Requests Redis refused because this limit had no room.
        denied,
        /// Requests this limit had room for, refused because another limit of
        /// the same all-or-nothing check had none (nothing spent here either).
        denied_by_other,
        /// Requests refused by the block cache, without a round trip.
        cache_blocked,
        /// Requests allowed because Redis failed ([`FailurePolicy::FailOpen`](super::FailurePolicy::FailOpen)).
        failed_open,
        /// Requests refused because Redis failed ([`FailurePolicy::FailClosed`](super::FailurePolicy::FailClosed)).
        failed_closed,
        /// Requests this isolate admitted on its own while Redis failed
        /// ([`FailurePolicy::Local`](super::FailurePolicy::Local)).
        local_allowed,
        /// Requests this isolate refused on its own while Redis failed.
        local_denied,
    }
    arrays {
        /// Decisions by [`Reason`], in the order of [`Reason::ALL`]. A decision
        /// of the local fallback counts twice: under the cause (why Redis did
        /// not answer) and under [`Reason::LocalFallback`].
        by_reason: [8],
        /// Decisions that allowed, by the decision's [`Reason`] (in the order of
        /// [`Reason::ALL`]).
        allowed_by_reason: [8],
        /// Decisions that refused, by the decision's [`Reason`].
        refused_by_reason: [8],
    }
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

impl Counters {
    /// Counts one decision under `reason` (see [`LimiterStats::by_reason`]).
    pub(super) fn count_reason(&self, reason: Reason) {
        let index = Reason::ALL.iter().position(|r| *r == reason).expect("every reason is listed");
        Counters::bump(&self.by_reason[index]);
    }

    /// Counts one decision: allowed or refused, and why.
    pub(super) fn count_decision(&self, allowed: bool, reason: Reason) {
        let index = Reason::ALL.iter().position(|r| *r == reason).expect("every reason is listed");
        Counters::bump(if allowed { &self.allowed_by_reason[index] } else { &self.refused_by_reason[index] });
    }
}
