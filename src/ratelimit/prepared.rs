//! A check prepared as one command ([`PreparedCheck`]), for a caller's own
//! `/pipeline`, so a rate-limit check can share a round trip with a cache
//! read ([`Cache::prefetch`](crate::Cache::prefetch)).

use std::sync::Arc;

use super::decision::{Decision, MultiDecision};
use super::limiter::Limiter;
use super::script::{parse_reply, SCRIPT};
use crate::failure::CircuitBreaker;
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};

/// A check ready to be sent, from [`Limiter::prepare_all`]; or the answer
/// already, when the block cache knew it.
#[derive(Debug)]
pub enum Prepared<'a> {
    /// The block cache refused: nothing to send.
    Decided(MultiDecision),
    /// Send [`PreparedCheck::command`], then [`PreparedCheck::decide`] on its outcome.
    Check(PreparedCheck<'a>),
}

/// A rate-limit check as one Redis command (`EVALSHA`), for a caller's own
/// `/pipeline` or `/multi-exec` request beside other commands.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use edgecache::ratelimit::{Algorithm, LimitSpec, Limiter, Prepared};
/// # use edgecache::upstash::{Command, UpstashClient, UpstashConfig};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// # let client = Arc::new(UpstashClient::new(&UpstashConfig::new("https://eu1-x.upstash.io", "token")?));
/// # let per_ip = Limiter::new(client.clone(), "client", Algorithm::Gcra, LimitSpec::new(100, 60_000))?;
/// # let per_tenant = Limiter::new(client.clone(), "tenant", Algorithm::Gcra, LimitSpec::new(1000, 60_000))?;
/// let check = match Limiter::prepare_all(&[(&per_ip, "203.0.113.7", 1), (&per_tenant, "acme", 1)])? {
///     Prepared::Decided(refused) => return Ok(()), // the block cache refused: answer 429
///     Prepared::Check(check) => check,
/// };
/// let read = Command::new("MGET").arg("app:llm:policy:acme");
/// let mut outcomes = client.pipeline(&[read, check.command()]).await?;
/// let decision = check.resolve(outcomes.pop().expect("two outcomes")).await; // EVAL once after NOSCRIPT
/// # let _ = decision;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PreparedCheck<'a> {
    checks: Vec<(&'a Limiter, String, i64)>,
    keys: Vec<String>,
    args: Vec<String>,
}

impl<'a> PreparedCheck<'a> {
    pub(super) fn new(checks: &[(&'a Limiter, &str, i64)], keys: Vec<String>, args: Vec<String>) -> Self {
        let checks = checks.iter().map(|(limiter, id, cost)| (*limiter, (*id).to_owned(), *cost)).collect();
        PreparedCheck { checks, keys, args }
    }

    /// `EVALSHA` of the rate-limit script: put it in a pipeline.
    pub fn command(&self) -> Command {
        SCRIPT.evalsha_command(&self.keys, &self.args)
    }

    /// `EVAL` of the same, to send when the `EVALSHA` answered `NOSCRIPT`
    /// ([`UpstashError::is_noscript`]); it also loads the script.
    pub fn eval_command(&self) -> Command {
        SCRIPT.eval_command(&self.keys, &self.args)
    }

    /// The client of the first limiter (the one [`run`](Self::run) and
    /// [`resolve`](Self::resolve) use).
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.checks[0].0.client
    }

    /// Sends the check alone: `EVALSHA`, then `EVAL` on `NOSCRIPT`.
    pub async fn run(self) -> MultiDecision {
        let client = self.client().clone();
        let outcome = client.eval(&SCRIPT, &self.keys, &self.args).await;
        self.decide(outcome)
    }

    /// [`decide`](Self::decide), after sending [`eval_command`](Self::eval_command)
    /// once on the first limiter's client if `outcome` is `NOSCRIPT`.
    pub async fn resolve(self, outcome: Result<Reply, UpstashError>) -> MultiDecision {
        match outcome {
            Err(e) if e.is_noscript() => {
                let client = self.client().clone();
                let retried = client.command(&self.eval_command()).await;
                self.decide(retried)
            }
            other => self.decide(other),
        }
    }

    /// The decisions, from the outcome of [`command`](Self::command) (or of
    /// [`eval_command`](Self::eval_command)). An `Err` is a backend failure:
    /// each limit answers by its [`FailurePolicy`](crate::FailurePolicy), the outage is logged
    /// once, and counted. (A `NOSCRIPT` passed here counts as a failure too;
    /// use [`resolve`](Self::resolve) to retry it.)
    pub fn decide(self, outcome: Result<Reply, UpstashError>) -> MultiDecision {
        let n = self.checks.len();
        let outcome = outcome.and_then(|reply| parse_reply(reply, n));
        self.record_in_breakers(&outcome);
        match outcome {
            Ok((all_ok, raws)) => {
                let decisions = self
                    .checks
                    .iter()
                    .zip(raws)
                    .map(|((limiter, id, cost), raw)| Some(limiter.after_round_trip(id, *cost, all_ok, raw)))
                    .collect();
                MultiDecision { success: all_ok, decisions }
            }
            Err(error) => {
                let decisions: Vec<Option<Decision>> =
                    self.checks.iter().map(|(limiter, _, _)| Some(limiter.after_failure(&error))).collect();
                let success = decisions.iter().flatten().all(|d| d.success);
                MultiDecision { success, decisions }
            }
        }
    }

    /// Tells each distinct breaker of the checked limiters how the call went:
    /// an answer closes it, an outage (no answer, 5xx, timeout) counts
    /// towards opening it; a refused token neither (it fails fast anyway).
    fn record_in_breakers<T>(&self, outcome: &Result<T, UpstashError>) {
        let mut seen: Vec<&Arc<CircuitBreaker>> = Vec::new();
        for breaker in self.checks.iter().filter_map(|(limiter, _, _)| limiter.circuit_breaker()) {
            if seen.iter().any(|known| Arc::ptr_eq(known, breaker)) {
                continue;
            }
            seen.push(breaker);
            match outcome {
                Ok(_) => breaker.success(),
                Err(error) if error.is_unavailable() => breaker.failure(),
                Err(_) => {}
            }
        }
    }
}
