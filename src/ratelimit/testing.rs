//! Test hooks, behind the `testing` feature: checks at a chosen time, so
//! tests can drive the scripts through time without waiting.

use super::decision::{Decision, Reason};
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
        let keys = self.keys_at(identifier, now_us / 1000);
        let mut args = vec![now_us.to_string(), "1".to_owned()];
        args.extend(self.script_args(keys.len(), cost, now_us / 1000, ""));
        let reply = self.client.eval(&SCRIPT, &keys, &args).await?;
        let (_, mut raws) = parse_reply(reply, 1)?;
        Ok(self.decision(raws.pop().expect("one verdict"), Reason::None))
    }
}
