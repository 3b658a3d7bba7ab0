//! How a limiter answers one limit: from Redis's [`Answer`], from its block
//! cache, or by its failure policy (the local fallback included); each
//! answer remembered (block cache, overrides seen), counted in the
//! limiter's stats and told to the request's trace. The multi-limit
//! algorithm (`all_or_nothing.rs`) and the single calls use these; they call
//! nothing back.

use super::check::Check;
use super::decision::{Decision, Reason};
use super::failure_policy::FailurePolicy;
use super::grants::{Op, SettleOutcome};
use super::limiter::Limiter;
use super::local::LocalCheck;
use super::model::{Mode, Verdict};
use super::script::Answer;
use super::settings::FAIL_CLOSED_RETRY_AFTER_MS;
use super::stats::Counters;
use crate::failure::{CircuitBreaker, Outcome};
use crate::outage::record_outcome;
use crate::upstash::UpstashError;

impl Limiter {
    /// The one constructor of a [`Decision`]: `answer` as this limiter
    /// gives it, for `reason`. `remaining` is capped at the limit, and
    /// `retry_after_ms` is 0 when allowed.
    pub(super) fn decision(&self, answer: Answer, reason: Reason) -> Decision {
        let Answer { verdict, limit, now_ms, .. } = answer;
        Decision {
            success: verdict.ok,
            limit,
            remaining: verdict.remaining.min(limit),
            reset_ms: verdict.reset_ms,
            retry_after_ms: if verdict.ok { 0 } else { verdict.retry_after_ms },
            reason,
            now_ms,
            limiter: self.name.clone(),
            settled: None,
        }
    }

    /// Counts a decision: in the limiter's stats, and in the trace of the
    /// request being served ([`crate::trace`]).
    fn count_decision(&self, allowed: bool, reason: Reason) {
        self.counters.count_decision(allowed, reason);
        crate::trace::decision(&self.name, allowed, reason.as_str());
    }

    /// Records Redis's answer on one check of `cost` of an all-or-nothing
    /// call (`all_ok`: every limit of the call passed).
    pub(super) fn after_round_trip(&self, identifier: &str, cost: i64, all_ok: bool, answer: Answer) -> Decision {
        self.saw_limit(identifier, &answer);
        self.record_block(identifier, cost, answer.verdict.block_ms);
        Counters::bump(match (all_ok, answer.verdict.ok) {
            (true, _) => &self.counters.allowed,
            (false, true) => &self.counters.denied_by_other,
            (false, false) => &self.counters.denied,
        });
        self.counters.count_reason(Reason::None);
        self.count_decision(all_ok, Reason::None);
        self.decision(answer, Reason::None)
    }

    /// Records how a call to Redis for this limiter (`what`: `"check"`,
    /// `"settle"`, …) went, in its outage log and, when given, in `breaker`:
    /// the one place every backend outcome goes ([`record_outcome`]). A
    /// refused token is a misconfiguration (logged as an error), any other
    /// failure an outage (logged once per outage).
    pub(super) fn record_call<T>(
        &self,
        what: &str,
        breaker: Option<&CircuitBreaker>,
        result: &Result<T, UpstashError>,
    ) -> Outcome {
        let operation =
            if result.is_ok() { String::new() } else { format!("rate limit {} ({:?}) {what}", self.name, self.policy) };
        record_outcome(&self.outage, breaker, &operation, result)
    }

    /// The [`Reason`] a decision made without Redis gives for `error`.
    pub(super) fn reason_of(error: &UpstashError) -> Reason {
        match error {
            error if error.is_misconfiguration() => Reason::BackendMisconfigured,
            UpstashError::Timeout { .. } => Reason::Timeout,
            _ => Reason::BackendError,
        }
    }

    /// `check` as the local fallback runs it: with the override this
    /// isolate last saw for the identifier, and the lease of a concurrency check.
    fn local_check<'c>(&self, check: &'c Check<'_>) -> LocalCheck<'c> {
        let lease = match check.op {
            Op::Acquire(id) | Op::Release(id) => id,
            _ => 0,
        };
        let rate = self.overrides.as_ref().and_then(|seen| seen.get(&check.identifier));
        LocalCheck { identifier: &check.identifier, cost: check.cost_without_redis(), lease, rate }
    }

    /// Whether the local fallback would admit `check` now (true without a
    /// local fallback, and for a guarded check, which it skips): a peek, for
    /// an all-or-nothing call to decide whether its local limits all fit.
    pub(super) fn fits_locally(&self, check: &Check<'_>) -> bool {
        match &self.local {
            Some(local) if check.guard.is_none() => {
                local.run(&self.local_check(check), self.clock.now_ms(), Mode::Peek).ok
            }
            _ => true,
        }
    }

    /// What the failure policy answers for `check`, Redis having failed for
    /// `reason`. Under `Local`, [`Mode::Commit`] spends when the check fits
    /// (every local limit of the call fits), [`Mode::Peek`] only answers and
    /// refuses.
    pub(super) fn by_failure_policy(&self, check: &Check<'_>, reason: Reason, mode: Mode) -> Decision {
        let now_ms = self.clock.now_ms();
        if let Some(local) = &self.local {
            let call = self.local_check(check);
            let verdict = local.run(&call, now_ms, mode);
            let ok = verdict.ok && mode == Mode::Commit;
            Counters::bump(if ok { &self.counters.local_allowed } else { &self.counters.local_denied });
            // Counted under its cause (why Redis did not answer) and as a local decision.
            self.counters.count_reason(reason);
            self.counters.count_reason(Reason::LocalFallback);
            self.count_decision(ok, Reason::LocalFallback);
            let (limit, window_ms) = call.rate.unwrap_or((self.spec.limit(), self.spec.window_ms()));
            let answer = Answer::without_redis(Verdict { ok, block_ms: 0, ..verdict }, limit, window_ms, now_ms);
            return self.decision(answer, Reason::LocalFallback);
        }
        let (limit, window_ms) = (self.spec.limit(), self.spec.window_ms());
        let answer = match self.policy {
            FailurePolicy::FailOpen | FailurePolicy::Local => {
                Counters::bump(&self.counters.failed_open);
                Answer::allow_all(limit, window_ms, now_ms)
            }
            FailurePolicy::FailClosed => {
                Counters::bump(&self.counters.failed_closed);
                Answer::refuse_for(limit, window_ms, FAIL_CLOSED_RETRY_AFTER_MS, now_ms)
            }
        };
        self.counters.count_reason(reason);
        self.count_decision(answer.verdict.ok, reason);
        self.decision(answer, reason)
    }

    /// A decision of a call the deny list refused: nothing checked or spent.
    pub(super) fn denied(&self, answer: Answer) -> Decision {
        Counters::bump(&self.counters.denied);
        self.counters.count_reason(Reason::DenyList);
        self.count_decision(false, Reason::DenyList);
        let answer = Answer { limit: self.spec.limit(), window_ms: self.spec.window_ms(), ..answer };
        self.decision(answer, Reason::DenyList)
    }

    /// Notes the limit Redis used for `identifier`: an override's, kept for
    /// the local fallback, or the limiter's own (forgetting any override).
    fn saw_limit(&self, identifier: &str, answer: &Answer) {
        if let Some(seen) = &self.overrides {
            let own = answer.limit == self.spec.limit() && answer.window_ms == self.spec.window_ms();
            seen.note(identifier, (!own && answer.limit > 0).then_some((answer.limit, answer.window_ms)));
        }
    }

    /// The block cache's answer for a request of `cost` (>= 0) if it knows
    /// the identifier is blocked; refunds always go to Redis (and unblock).
    pub(super) fn cached_block(&self, identifier: &str, cost: i64) -> Option<Decision> {
        if cost < 0 {
            return None;
        }
        let until = self.blocks.blocked_until(identifier)?;
        Counters::bump(&self.counters.cache_blocked);
        self.counters.count_reason(Reason::CacheBlock);
        self.count_decision(false, Reason::CacheBlock);
        let now_ms = self.clock.now_ms();
        let (limit, window_ms) = (self.spec.limit(), self.spec.window_ms());
        let answer = Answer::refuse_for(limit, window_ms, until.saturating_sub(now_ms), now_ms);
        Some(self.decision(answer, Reason::CacheBlock))
    }

    /// Records what Redis said: blocked for `block_ms` (a request of cost 1
    /// cannot pass before), or not blocked. A refund's answer never blocks.
    pub(super) fn record_block(&self, identifier: &str, cost: i64, block_ms: u64) {
        self.blocks.record(identifier, if cost >= 0 { block_ms } else { 0 });
    }

    /// Records Redis's answer to a check alone, outside an all-or-nothing
    /// call ([`get_remaining`](Limiter::get_remaining)): nothing spent,
    /// nothing counted, the block cache refreshed.
    pub(super) fn after_look(&self, identifier: &str, answer: Answer) -> Decision {
        self.saw_limit(identifier, &answer);
        self.record_block(identifier, 0, answer.verdict.block_ms);
        self.decision(answer, Reason::None)
    }
}

impl Check<'_> {
    /// Redis's answer to this check (`all_ok`: every limit of the call
    /// passed), recorded by its limiter; a settle's decision says what it gave back.
    pub(super) fn answer(&self, all_ok: bool, answer: Answer) -> Decision {
        match self.op {
            Op::Settle(_) => {
                let outcome = SettleOutcome::from_script(answer.refunded);
                let refund = -i64::try_from(outcome.refunded()).unwrap_or(i64::MAX);
                let decision = self.limiter.after_round_trip(&self.identifier, refund, all_ok, answer);
                Decision { settled: Some(outcome), ..decision }
            }
            _ => self.limiter.after_round_trip(&self.identifier, self.cost, all_ok, answer),
        }
    }
}
