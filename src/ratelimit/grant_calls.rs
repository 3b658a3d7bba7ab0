//! The calls that grant more than a yes, each one round trip: a [`Lease`]
//! on an in-flight slot ([`Limiter::acquire`], [`Limiter::release`]) and a
//! [`Reservation`] of units settled once ([`Limiter::reserve`],
//! [`Limiter::settle`]).

use super::check::Check;
use super::decision::{Decision, RateLimitError, Settled};
use super::grants::{Lease, Reservation, SettleOutcome};
use super::limiter::Limiter;
use super::model::Mode;

impl Limiter {
    /// Takes one of `identifier`'s in-flight slots
    /// ([`Algorithm::Concurrency`](super::Algorithm::Concurrency)): one round trip. The lease is `Some`
    /// when the decision is a success; a refusal's `retry_after_ms` is when
    /// the earliest lease ends. Give the lease back with
    /// [`release`](Self::release).
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] for another algorithm.
    pub async fn acquire(&self, identifier: &str) -> Result<(Decision, Option<Lease>), RateLimitError> {
        let check = Check::acquire(self, identifier);
        let decision = self.run_one(&check).await?;
        let lease = decision.success.then(|| check.lease()).flatten();
        Ok((decision, lease))
    }

    /// Gives back `lease`'s slot: one round trip. Releasing twice, or after
    /// the lease ended, frees nothing more.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] for another algorithm.
    pub async fn release(&self, lease: &Lease) -> Result<Decision, RateLimitError> {
        self.run_one(&Check::release(self, lease)).await
    }

    /// Spends `cost` units for `identifier` now and records them, to
    /// [`settle`](Self::settle) once the real cost is known: one round trip.
    /// The reservation is `Some` when the decision is a success.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] unless the algorithm
    /// [`settles`](super::Algorithm::settles); [`RateLimitError::CostExceedsLimit`].
    pub async fn reserve(
        &self,
        identifier: &str,
        cost: u64,
    ) -> Result<(Decision, Option<Reservation>), RateLimitError> {
        let check = Check::reserve(self, identifier, cost);
        let decision = self.run_one(&check).await?;
        let reservation = decision.success.then(|| check.reservation()).flatten();
        Ok((decision, reservation))
    }

    /// Settles `reservation`, `used` units having been used: gives back
    /// what was reserved beyond `used` the first time (never above the limit;
    /// nothing when `used` is as much or more), and nothing on any later
    /// try ([`SettleOutcome::AlreadySettled`]), so a settle retried after a
    /// lost reply refunds once. What was reserved is read from Redis. One
    /// round trip, outside the block cache and the circuit breaker; when
    /// Redis fails, the decision is the failure policy's and the outcome
    /// [`SettleOutcome::NotAnswered`].
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] unless the algorithm
    /// [`settles`](super::Algorithm::settles).
    pub async fn settle(&self, reservation: &Reservation, used: u64) -> Result<Settled, RateLimitError> {
        let check = Check::settle(self, reservation, used);
        check.validate()?;
        let answer = self.eval_alone(&check).await;
        self.record_call("settle", None, &answer);
        Ok(match answer {
            Ok(answer) => {
                let decision = check.answer(true, answer);
                let outcome = decision.settled.expect("a settle's decision says what it did");
                Settled { outcome, decision }
            }
            Err(error) => {
                let reason = Limiter::reason_of(&error);
                let decision = self.by_failure_policy(&check, reason, Mode::Peek);
                Settled {
                    outcome: SettleOutcome::NotAnswered,
                    decision: Decision { settled: Some(SettleOutcome::NotAnswered), ..decision },
                }
            }
        })
    }
}
