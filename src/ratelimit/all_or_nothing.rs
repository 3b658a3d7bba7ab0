//! The multi-limit check: several [`Check`]s, all-or-nothing, in one
//! `EVALSHA` (the driver of `scripts/driver.lua` peeks at every limit, then
//! commits all of them or none). Prepared here ([`Limiter::prepare_all`]):
//! refused at once by a block cache or an open breaker, else encoded as one
//! command ([`PreparedCheck`]) to send alone or in a caller's `/pipeline`;
//! finished here ([`PreparedCheck::decide`]): Redis's reply, or each
//! limit's failure policy, all-or-nothing among the local fallbacks too.
//!
//! This file depends on [`Limiter`] one way: it calls the limiter's
//! answers (`answers.rs`) and a check's encoding (`check.rs`); neither calls
//! back here.

use std::collections::HashSet;
use std::sync::Arc;

use super::check::{header, Check};
use super::decision::{Decision, MultiDecision, RateLimitError, Reason};
use super::deny::Screen;
use super::limiter::Limiter;
use super::model::Mode;
use super::script::{parse_reply, ScriptReply, SCRIPT};
use crate::failure::CircuitBreaker;
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};

impl Limiter {
    /// Checks several limits for one request, all-or-nothing, in one REST
    /// round trip: the request is counted against every limit only if every
    /// limit has room; otherwise against none. Limits may use different
    /// algorithms; the call runs on the first limiter's client (they must
    /// share a database). One decision per check, in order (`None` for a
    /// check not asked: see [`MultiDecision::decisions`]).
    ///
    /// ```no_run
    /// # use edgecache::ratelimit::{Check, Limiter, MultiDecision, RateLimitError};
    /// # async fn demo(per_ip: &Limiter, per_tenant: &Limiter) -> Result<MultiDecision, RateLimitError> {
    /// Limiter::limit_all(&[Check::new(per_ip, "203.0.113.7", 1), Check::new(per_tenant, "acme", 1)]).await
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`RateLimitError::CostExceedsLimit`] for a cost a limit can never
    /// grant; [`RateLimitError::Unsupported`] for an operation a limiter's
    /// algorithm does not have; [`RateLimitError::DuplicateCheck`] when two
    /// checks name the same key. All before any round trip.
    pub async fn limit_all(checks: &[Check<'_>]) -> Result<MultiDecision, RateLimitError> {
        match Limiter::prepare_all(checks)? {
            Prepared::Decided(decision) => Ok(decision),
            Prepared::Check(check) => Ok(check.run().await),
        }
    }

    /// Prepares an all-or-nothing check of several limits as one command, for
    /// a caller's own pipeline (see [`PreparedCheck`]); or answers it already
    /// when the block cache refuses one of them, or a limiter's circuit
    /// breaker is open (then nothing is sent). A guarded check
    /// ([`Check::guarded`]) is left out of the block cache (whether it
    /// applies is Redis's to say) and, when its guard does not hold, is
    /// neither checked nor spent (its decision is `None`).
    ///
    /// # Errors
    /// As [`limit_all`](Self::limit_all).
    pub fn prepare_all<'a>(checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
        prepare(None, checks)
    }

    /// [`prepare_all`](Self::prepare_all), refusing the whole call first
    /// when `screen` finds the identifier or the address on its
    /// [`DenyList`](super::DenyList): inside the same script, so one round
    /// trip still (an empty `checks` is still sent, to screen; a call the
    /// block cache refuses is not, and answers its refusal). A denied call
    /// checks and spends nothing; every decision says [`Reason::DenyList`].
    ///
    /// # Errors
    /// As [`limit_all`](Self::limit_all).
    pub fn prepare_screened<'a>(screen: &Screen<'_>, checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
        prepare(Some(screen), checks)
    }
}

/// The multi-limit check up to the round trip: validation, the block cache,
/// the breakers, then the keys and arguments of one script call.
fn prepare<'a>(screen: Option<&Screen<'_>>, checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
    if checks.is_empty() && screen.is_none() {
        return Ok(Prepared::Decided(MultiDecision { success: true, decisions: Vec::new(), denied_until_ms: None }));
    }
    for check in checks {
        check.validate()?;
    }
    if screen.is_none() {
        // The block cache: any unguarded limit known to refuse decides the whole check.
        let blocked: Vec<Option<Decision>> = checks
            .iter()
            .map(|c| if c.guard.is_some() { None } else { c.limiter.cached_block(&c.identifier, c.cost) })
            .collect();
        if blocked.iter().any(Option::is_some) {
            return Ok(Prepared::Decided(MultiDecision { success: false, decisions: blocked, denied_until_ms: None }));
        }
    }
    // An open breaker: no request, every limit answers by its failure policy.
    if checks.iter().any(|c| c.limiter.breaker_open()) {
        return Ok(Prepared::Decided(without_redis(checks, &vec![Reason::CircuitOpen; checks.len()])));
    }
    let (mut keys, mut args) = header(None, checks.len(), screen);
    let mut seen = HashSet::new();
    for check in checks {
        let limiter = check.limiter;
        let (own, check_args) = check.encode(limiter.clock.now_ms());
        if !seen.insert(limiter.keys_at(&check.identifier, limiter.clock.now_ms())[0].clone()) {
            let key = limiter.keys_at(&check.identifier, limiter.clock.now_ms()).swap_remove(0);
            return Err(RateLimitError::DuplicateCheck { key });
        }
        keys.extend(own);
        args.extend(check_args);
    }
    let client = match (screen, checks.first()) {
        (Some(screen), None) => screen.list.client().clone(),
        (_, Some(first)) => first.limiter.client.clone(),
        (None, None) => unreachable!("an empty unscreened call is decided above"),
    };
    Ok(Prepared::Check(PreparedCheck { checks: checks.to_vec(), client, keys, args }))
}

/// What `checks` answer when Redis did not, each limit by its failure
/// policy, for the reason at the same index. Limits under
/// [`FailurePolicy::Local`](super::FailurePolicy::Local) decide
/// all-or-nothing among themselves, as the script would have: each peeks
/// first, and they spend only if all fit. A guarded check under `Local` is
/// skipped: its guard needs Redis, and spending without it would let anyone
/// spend that identifier's quota.
fn without_redis(checks: &[Check<'_>], reasons: &[Reason]) -> MultiDecision {
    let mode = if checks.iter().all(|c| c.limiter.fits_locally(c)) { Mode::Commit } else { Mode::Peek };
    let decisions: Vec<Option<Decision>> = checks
        .iter()
        .zip(reasons)
        .map(|(c, reason)| {
            (!(c.guard.is_some() && c.limiter.local.is_some())).then(|| c.limiter.by_failure_policy(c, *reason, mode))
        })
        .collect();
    let success = decisions.iter().flatten().all(|d| d.success);
    MultiDecision { success, decisions, denied_until_ms: None }
}

/// A check ready to be sent, from [`Limiter::prepare_all`]; or the answer
/// already, when the block cache (or an open circuit breaker) knew it.
#[derive(Debug)]
pub enum Prepared<'a> {
    /// Decided without Redis (the block cache refused, or a breaker is
    /// open): nothing to send.
    Decided(MultiDecision),
    /// Send [`PreparedCheck::command`], then [`PreparedCheck::decide`] on its outcome.
    Check(PreparedCheck<'a>),
}

/// A rate-limit check as one Redis command (`EVALSHA`), for a caller's own
/// `/pipeline` or `/multi-exec` request beside other commands.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use edgecache::ratelimit::{Algorithm, Check, LimitSpec, Limiter, Prepared};
/// # use edgecache::upstash::{Command, UpstashClient, UpstashConfig};
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// # let client = Arc::new(UpstashClient::new(&UpstashConfig::new("https://eu1-x.upstash.io", "token")?));
/// # let per_ip = Limiter::new(client.clone(), "client", Algorithm::Gcra, LimitSpec::per_minute(100.try_into()?))?;
/// # let per_tenant = Limiter::new(client.clone(), "tenant", Algorithm::Gcra, LimitSpec::per_minute(1000.try_into()?))?;
/// let checks = [Check::new(&per_ip, "203.0.113.7", 1), Check::new(&per_tenant, "acme", 1)];
/// let check = match Limiter::prepare_all(&checks)? {
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
    checks: Vec<Check<'a>>,
    client: Arc<UpstashClient>,
    keys: Vec<String>,
    args: Vec<String>,
}

impl PreparedCheck<'_> {
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
    /// [`resolve`](Self::resolve) use); the deny list's for a screen with no
    /// limit to check.
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.client
    }

    /// Sends the check alone: `EVALSHA`, then `EVAL` on `NOSCRIPT` (one
    /// round trip, two once after Redis lost the script).
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
    /// each limit answers by its [`FailurePolicy`](super::FailurePolicy), the outage is logged
    /// once, and counted. (A `NOSCRIPT` passed here counts as a failure too;
    /// use [`resolve`](Self::resolve) to retry it.)
    pub fn decide(self, outcome: Result<Reply, UpstashError>) -> MultiDecision {
        let n = self.checks.len();
        let outcome = outcome.and_then(|reply| parse_reply(reply, n));
        self.record(&outcome);
        match outcome {
            Ok(ScriptReply { denied_until_ms: Some(until), answers, .. }) => {
                let decisions =
                    self.checks.iter().zip(answers).map(|(check, answer)| Some(check.limiter.denied(answer))).collect();
                MultiDecision { success: false, decisions, denied_until_ms: Some(until) }
            }
            Ok(ScriptReply { all_ok, answers, .. }) => {
                let decisions = self
                    .checks
                    .iter()
                    .zip(answers)
                    .map(|(check, answer)| (!answer.skipped).then(|| check.answer(all_ok, answer)))
                    .collect();
                MultiDecision { success: all_ok, decisions, denied_until_ms: None }
            }
            Err(error) => {
                let reasons: Vec<Reason> = self.checks.iter().map(|_| Limiter::reason_of(&error)).collect();
                without_redis(&self.checks, &reasons)
            }
        }
    }

    /// Records how the call went for each checked limiter (its outage log),
    /// and once in each distinct circuit breaker among theirs.
    fn record<T>(&self, outcome: &Result<T, UpstashError>) {
        let mut seen: Vec<&Arc<CircuitBreaker>> = Vec::new();
        for check in &self.checks {
            let breaker = check.limiter.circuit_breaker().filter(|breaker| {
                let first = !seen.iter().any(|known| Arc::ptr_eq(known, breaker));
                if first {
                    seen.push(breaker);
                }
                first
            });
            check.limiter.record_call("check", breaker.map(|b| &**b), outcome);
        }
    }
}
