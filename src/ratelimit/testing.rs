//! Test hooks, behind the `testing` feature: checks at a chosen time, so
//! tests can drive the scripts through time without waiting.

use super::check::Check;
use super::decision::{Decision, Reason};
use super::grants::Op;
use super::limiter::Limiter;
use super::script::{parse_reply, SCRIPT};
use crate::upstash::UpstashError;

impl Limiter {
    /// Runs one check at `now_us` (microseconds since the epoch) instead of
    /// Redis's clock; no block cache, no counters.
    ///
    /// # Errors
    /// Any [`UpstashError`], as is.
    pub async fn limit_at(&self, identifier: &str, cost: i64, now_us: u64) -> Result<Decision, UpstashError> {
        self.run_at(&Check::new(self, identifier, cost), now_us).await
    }

    /// Runs `check` (of this limiter) at `now_us`, as [`limit_at`](Self::limit_at) does.
    ///
    /// # Errors
    /// Any [`UpstashError`], as is.
    pub async fn run_at(&self, check: &Check<'_>, now_us: u64) -> Result<Decision, UpstashError> {
        let (keys, args) = check.alone(Some(now_us), now_us / 1000);
        let reply = self.client.eval(&SCRIPT, &keys, &args).await?;
        let mut reply = parse_reply(reply, 1)?;
        Ok(self.decision(reply.answers.pop().expect("one answer"), Reason::None))
    }
}

impl<'a> Check<'a> {
    /// [`Check::acquire`] of a chosen lease id (below 2^52), so a test can
    /// follow it in the pure model.
    pub fn acquire_as(limiter: &'a Limiter, identifier: &str, lease: u64) -> Self {
        Check { op: Op::Acquire(lease), ..Check::new(limiter, identifier, 1) }
    }

    /// [`Check::release`] of a chosen lease id.
    pub fn release_as(limiter: &'a Limiter, identifier: &str, lease: u64) -> Self {
        Check { op: Op::Release(lease), ..Check::new(limiter, identifier, -1) }
    }
}
