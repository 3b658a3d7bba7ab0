//! A check prepared as one command ([`PreparedCheck`]), for a caller's own
//! `/pipeline`, so a rate-limit check can share a round trip with a cache
//! read ([`Cache::prefetch`](crate::Cache::prefetch)).

use std::sync::Arc;

use super::decision::{Decision, MultiDecision, Reason};
use super::grants::{new_id, Lease, Op, Reservation, SettleOutcome};
use super::limiter::{Limiter, Unanswered};
use super::script::{parse_reply, ScriptReply, SCRIPT};
use crate::failure::CircuitBreaker;
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};

/// One limit of an all-or-nothing check: which limiter, for which
/// identifier, at what cost, on what [`Guard`], and what it does: spend
/// ([`new`](Self::new)), take or give back a concurrency slot
/// ([`acquire`](Self::acquire), [`release`](Self::release)), or reserve and
/// settle units ([`reserve`](Self::reserve), [`settle`](Self::settle)).
#[derive(Debug, Clone)]
pub struct Check<'a> {
    /// The limit.
    pub limiter: &'a Limiter,
    /// Whom it counts (an IP, a tenant id).
    pub identifier: String,
    /// Units to spend (see [`Limiter::limit`]).
    pub cost: i64,
    /// The condition this limit counts under, if any.
    pub guard: Option<Guard>,
    pub(super) op: Op,
}

impl<'a> Check<'a> {
    /// An unguarded check spending `cost` (negative: a refund; 0: check only).
    pub fn new(limiter: &'a Limiter, identifier: &str, cost: i64) -> Self {
        Check { limiter, identifier: identifier.to_owned(), cost, guard: None, op: Op::Spend }
    }

    /// Takes one of the identifier's in-flight slots of a concurrency
    /// limiter; when the whole check passes, [`lease`](Self::lease) is the
    /// slot to give back.
    pub fn acquire(limiter: &'a Limiter, identifier: &str) -> Self {
        Check { op: Op::Acquire(new_id()), ..Check::new(limiter, identifier, 1) }
    }

    /// Gives back `lease`'s slot (once; again is harmless).
    pub fn release(limiter: &'a Limiter, lease: &Lease) -> Self {
        Check { op: Op::Release(lease.id), ..Check::new(limiter, &lease.identifier, -1) }
    }

    /// Spends `cost` units and, when the whole check passes, records them as
    /// [`reservation`](Self::reservation), to [`settle`](Self::settle) later.
    pub fn reserve(limiter: &'a Limiter, identifier: &str, cost: u64) -> Self {
        let cost = i64::try_from(cost).unwrap_or(i64::MAX);
        Check { op: Op::Reserve(new_id()), ..Check::new(limiter, identifier, cost) }
    }

    /// Settles `reservation`, `used` units having been used: gives back
    /// what it reserved beyond them, once whatever the number of tries. What
    /// it reserved is read from Redis, not from `reservation`, so a
    /// reservation passed through a client cannot be inflated.
    pub fn settle(limiter: &'a Limiter, reservation: &Reservation, used: u64) -> Self {
        let used = i64::try_from(used).unwrap_or(i64::MAX);
        Check { op: Op::Settle(reservation.id), ..Check::new(limiter, &reservation.identifier, used) }
    }

    /// The same check, counting only while `guard` holds.
    pub fn guarded(mut self, guard: Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    /// Redis's answer to this check, recorded by its limiter.
    fn answer(&self, all_ok: bool, raw: super::script::RawVerdict) -> Decision {
        match self.op {
            Op::Settle(_) => {
                let outcome = SettleOutcome::from_script(raw.refunded);
                let refund = -i64::try_from(outcome.refunded()).unwrap_or(i64::MAX);
                let decision = self.limiter.after_round_trip(&self.identifier, refund, all_ok, raw);
                Decision { settled: Some(outcome), ..decision }
            }
            _ => self.limiter.after_round_trip(&self.identifier, self.cost, all_ok, raw),
        }
    }

    /// The slot an [`acquire`](Self::acquire) takes: held once the check's
    /// decision is a success.
    pub fn lease(&self) -> Option<Lease> {
        match self.op {
            Op::Acquire(id) => {
                Some(Lease { limiter: self.limiter.name.clone(), identifier: self.identifier.clone(), id })
            }
            _ => None,
        }
    }

    /// The units a [`reserve`](Self::reserve) records: held once the check's
    /// decision is a success.
    pub fn reservation(&self) -> Option<Reservation> {
        match self.op {
            Op::Reserve(id) => Some(Reservation {
                limiter: self.limiter.name.clone(),
                identifier: self.identifier.clone(),
                id,
                cost: self.cost.unsigned_abs(),
            }),
            _ => None,
        }
    }
}

/// A condition on one limit of a check, decided by Redis inside the check's
/// own script (no round trip added): the limit counts only when the string
/// value at `key` contains `text`. Otherwise it is skipped, neither checked
/// nor spent, and its decision is `None`; the other limits are checked as
/// usual.
///
/// For a limit only an authenticated caller may spend, checked in the same
/// round trip as the read that authenticates it: guard the per-tenant limit
/// on the cached credential record naming that tenant. An unknown or
/// revoked credential (no record) or another tenant's (no match) spends
/// nothing; the caller runs the skipped limit once it has authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    /// The key whose string value is looked at (declared in `KEYS`).
    pub key: String,
    /// What it must contain, byte for byte.
    pub text: String,
}

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
/// # let per_ip = Limiter::new(client.clone(), "client", Algorithm::Gcra, LimitSpec::per_minute(100.try_into()?))?;
/// # let per_tenant = Limiter::new(client.clone(), "tenant", Algorithm::Gcra, LimitSpec::per_minute(1000.try_into()?))?;
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
    checks: Vec<Check<'a>>,
    client: Arc<UpstashClient>,
    keys: Vec<String>,
    args: Vec<String>,
}

impl<'a> PreparedCheck<'a> {
    pub(super) fn new(checks: &[Check<'a>], keys: Vec<String>, args: Vec<String>) -> Self {
        PreparedCheck { checks: checks.to_vec(), client: checks[0].limiter.client.clone(), keys, args }
    }

    /// A deny-list screen with no limit to check.
    pub(super) fn screen_only(client: &Arc<UpstashClient>, keys: Vec<String>, args: Vec<String>) -> Self {
        PreparedCheck { checks: Vec::new(), client: client.clone(), keys, args }
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
        &self.client
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
    /// each limit answers by its [`FailurePolicy`](super::FailurePolicy), the outage is logged
    /// once, and counted. (A `NOSCRIPT` passed here counts as a failure too;
    /// use [`resolve`](Self::resolve) to retry it.)
    pub fn decide(self, outcome: Result<Reply, UpstashError>) -> MultiDecision {
        let n = self.checks.len();
        let outcome = outcome.and_then(|reply| parse_reply(reply, n));
        self.record_in_breakers(&outcome);
        match outcome {
            Ok(ScriptReply { denied_until_ms: Some(until), verdicts, .. }) => {
                let decisions =
                    self.checks.iter().zip(verdicts).map(|(check, raw)| Some(check.limiter.denied(raw))).collect();
                MultiDecision { success: false, decisions, denied_until_ms: Some(until) }
            }
            Ok(ScriptReply { all_ok, verdicts, .. }) => {
                let decisions = self
                    .checks
                    .iter()
                    .zip(verdicts)
                    .map(|(check, raw)| (!raw.skipped).then(|| check.answer(all_ok, raw)))
                    .collect();
                MultiDecision { success: all_ok, decisions, denied_until_ms: None }
            }
            Err(error) => {
                let reasons: Vec<Reason> = self.checks.iter().map(|c| c.limiter.failure_reason(&error)).collect();
                let unanswered: Vec<Unanswered<'_>> = self.checks.iter().map(Unanswered::of).collect();
                Limiter::without_redis(&unanswered, &reasons)
            }
        }
    }

    /// Tells each distinct breaker of the checked limiters how the call went:
    /// an answer closes it, an outage (no answer, 5xx, timeout) counts
    /// towards opening it; a refused token neither (it fails fast anyway).
    fn record_in_breakers<T>(&self, outcome: &Result<T, UpstashError>) {
        let mut seen: Vec<&Arc<CircuitBreaker>> = Vec::new();
        for breaker in self.checks.iter().filter_map(|c| c.limiter.circuit_breaker()) {
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
