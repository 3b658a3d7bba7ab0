//! One limit for one identifier: [`Limiter::limit`] (an all-or-nothing call
//! of one check), [`Limiter::prepare`], and the calls outside any check:
//! [`Limiter::get_remaining`] and [`Limiter::reset`].

use super::all_or_nothing::Prepared;
use super::check::Check;
use super::decision::{Decision, RateLimitError};
use super::limiter::Limiter;
use super::script::{parse_reply, Answer, SCRIPT};
use crate::upstash::{Command, UpstashError};

impl Limiter {
    /// Checks one request of `cost` units for `identifier`: one REST round
    /// trip, or none when the block cache knows it is blocked.
    ///
    /// `cost > 0` spends that many units when they fit (a refused request
    /// spends nothing); `cost == 0` only checks (answers for a request of
    /// cost 1, writes nothing); `cost < 0` refunds (never above the limit).
    /// Backend failures answer by the [`FailurePolicy`](super::FailurePolicy),
    /// never as an error.
    ///
    /// # Errors
    /// [`RateLimitError::CostExceedsLimit`] when `|cost|` exceeds
    /// [`max_cost`](Self::max_cost), before any round trip.
    pub async fn limit(&self, identifier: &str, cost: i64) -> Result<Decision, RateLimitError> {
        self.run_one(&Check::new(self, identifier, cost)).await
    }

    /// [`prepare_all`](Self::prepare_all) of one check of this limiter,
    /// spending `cost` for `identifier`.
    ///
    /// # Errors
    /// As [`prepare_all`](Self::prepare_all).
    pub fn prepare<'a>(&'a self, identifier: &str, cost: i64) -> Result<Prepared<'a>, RateLimitError> {
        Limiter::prepare_all(&[Check::new(self, identifier, cost)])
    }

    /// One check alone, as an all-or-nothing call of one: its decision.
    pub(super) async fn run_one(&self, check: &Check<'_>) -> Result<Decision, RateLimitError> {
        let mut all = match Limiter::prepare_all(std::slice::from_ref(check))? {
            Prepared::Decided(decision) => decision,
            Prepared::Check(prepared) => prepared.run().await,
        };
        Ok(all.decisions.pop().flatten().expect("one check has one decision"))
    }

    /// Sends `check` alone, outside an all-or-nothing call (no block cache,
    /// no breaker): one round trip, two after `NOSCRIPT`.
    pub(super) async fn eval_alone(&self, check: &Check<'_>) -> Result<Answer, UpstashError> {
        let (keys, args) = check.alone(None, self.clock.now_ms());
        let reply = self.client.eval(&SCRIPT, &keys, &args).await?;
        let mut reply = parse_reply(reply, 1)?;
        Ok(reply.answers.pop().expect("one answer"))
    }

    /// What a request of cost 1 would get now, without spending anything:
    /// `remaining`, `reset_ms`, and `retry_after_ms` if it would be refused.
    /// Always asks Redis (one round trip), and refreshes the block cache.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails (also logged and counted
    /// in [`outage`](Self::outage)).
    pub async fn get_remaining(&self, identifier: &str) -> Result<Decision, RateLimitError> {
        let answer = self.eval_alone(&Check::new(self, identifier, 0)).await;
        self.record_call("get_remaining", None, &answer);
        Ok(self.after_look(identifier, answer?))
    }

    /// Forgets everything about `identifier`: deletes its keys (one round
    /// trip) and its block-cache entry. For the Upstash-compatible
    /// algorithms, the current and previous windows' keys (the only ones
    /// that count; @upstash/ratelimit's `resetUsedTokens` scans for all).
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn reset(&self, identifier: &str) -> Result<(), RateLimitError> {
        self.blocks.forget(identifier);
        let keys = self.keys(identifier);
        let deleted = self.client.command(&Command::new("DEL").args_from(&keys)).await;
        self.record_call("reset", None, &deleted);
        deleted?;
        Ok(())
    }
}
