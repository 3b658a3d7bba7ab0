//! Test hooks, behind the `testing` feature: checks at a chosen time, so
//! tests can drive the scripts through time without waiting.

use super::decision::{Decision, Reason};
use super::grants::Op;
use super::limiter::{header, Limiter};
use super::prepared::Check;
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
        let (mut keys, mut args) = header(Some(now_us), 1, None);
        let (own, check_args) = self.encode(check, now_us / 1000);
        keys.extend(own);
        args.extend(check_args);
        let reply = self.client.eval(&SCRIPT, &keys, &args).await?;
        let mut reply = parse_reply(reply, 1)?;
        Ok(self.decision(reply.verdicts.pop().expect("one verdict"), Reason::None))
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
