//! [`Limiter`]: one limit on Upstash, checked in one round trip, with its
//! block cache, failure policy and counters.

use std::collections::HashSet;
use std::sync::Arc;

use super::algorithm::{Algorithm, LimitSpec};
use super::block_cache::BlockCache;
use super::decision::{Decision, MultiDecision, RateLimitError, Reason, Settled};
use super::deny::{screen_args, Screen};
use super::failure_policy::FailurePolicy;
use super::grants::{Lease, Op, Reservation, SettleOutcome};
use super::local::{LocalCheck, LocalLimits};
use super::prepared::{Check, Prepared, PreparedCheck};
use super::script::{parse_reply, RawVerdict, ARGS_PER_LIMIT, SCRIPT};
use super::seen_overrides::SeenOverrides;
use super::settings::FAIL_CLOSED_RETRY_AFTER_MS;
use super::stats::{Counters, LimiterStats};
use crate::clock::Clock;
use crate::failure::CircuitBreaker;
use crate::keys::escape_id;
use crate::outage::OutageLog;
use crate::upstash::{Command, UpstashClient, UpstashError};

/// One rate limit (an algorithm, `limit` units per `window_ms`) enforced on
/// Upstash Redis for any number of identifiers.
///
/// Keys are `{prefix}:rl:{name}:{algorithm code}:{escaped identifier}` (one
/// per identifier, with a TTL), or @upstash/ratelimit's layout for the
/// Upstash-compatible algorithms. Keep a limiter per isolate (its block cache
/// and counters live in it); it is cheap to share by reference.
///
/// The REST client's timeout
/// ([`UpstashConfig::timeout_ms`](crate::upstash::UpstashConfig::timeout_ms))
/// bounds every call, and aborts the fetch; give the limiter a client built
/// with [`RateLimitConfig::upstash_config`](super::RateLimitConfig::upstash_config)
/// for `RATE_LIMIT_TIMEOUT_MS` (default 1000 ms).
pub struct Limiter {
    pub(super) client: Arc<UpstashClient>,
    pub(super) name: Arc<str>,
    pub(super) prefix: String,
    pub(super) algorithm: Algorithm,
    pub(super) spec: LimitSpec,
    pub(super) burst: u64,
    pub(super) policy: FailurePolicy,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) blocks: BlockCache,
    pub(super) breaker: Option<Arc<CircuitBreaker>>,
    pub(super) outage: OutageLog,
    pub(super) counters: Counters,
    /// Under [`FailurePolicy::Local`]: this isolate's own counts.
    pub(super) local: Option<LocalLimits>,
    /// With overrides on: at most this many, and the ones this isolate saw.
    pub(super) overrides: Option<SeenOverrides>,
}

/// A check Redis did not answer, as [`Limiter::without_redis`] decides it.
pub(super) struct Unanswered<'a> {
    pub limiter: &'a Limiter,
    pub identifier: &'a str,
    pub cost: i64,
    pub guarded: bool,
    pub op: Op,
}

impl<'a> Unanswered<'a> {
    pub(super) fn of(check: &'a Check<'a>) -> Self {
        // A settle's cost is the units used, not a spend: without Redis it spends nothing.
        let cost = if matches!(check.op, Op::Settle(_)) { 0 } else { check.cost };
        Unanswered {
            limiter: check.limiter,
            identifier: &check.identifier,
            cost,
            guarded: check.guard.is_some(),
            op: check.op,
        }
    }
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("algorithm", &self.algorithm)
            .field("spec", &self.spec)
            .field("burst", &self.burst)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The limit as a rate.
    pub fn spec(&self) -> LimitSpec {
        self.spec
    }

    /// Units allowed per window (the limit).
    pub fn quota(&self) -> u64 {
        self.spec.limit()
    }

    /// The window, in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.spec.window_ms()
    }

    /// GCRA's burst (units that may be spent at once); `limit` for the others.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    /// The largest `|cost|` a check may ask: the limit (GCRA: the burst;
    /// concurrency: 1, a slot). An override's larger limit does not raise it.
    pub fn max_cost(&self) -> u64 {
        match self.algorithm {
            Algorithm::Gcra => self.burst,
            Algorithm::Concurrency => 1,
            _ => self.spec.limit(),
        }
    }

    /// The failure policy.
    pub fn failure_policy(&self) -> FailurePolicy {
        self.policy
    }

    /// The REST client.
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.client
    }

    /// The outage log (is Redis failing now, how often it failed, the last error).
    pub fn outage(&self) -> &OutageLog {
        &self.outage
    }

    /// What this limiter answered so far.
    pub fn stats(&self) -> LimiterStats {
        self.counters.snapshot()
    }

    /// The Redis keys this limiter uses for `identifier` (now, for the
    /// Upstash-compatible algorithms, whose keys hold the window index).
    pub fn keys(&self, identifier: &str) -> Vec<String> {
        self.keys_at(identifier, self.clock.now_ms())
    }

    pub(super) fn keys_at(&self, identifier: &str, client_now_ms: u64) -> Vec<String> {
        let k = client_now_ms / self.spec.window_ms();
        match self.algorithm {
            Algorithm::UpstashFixedWindow => vec![format!("{}:{identifier}:{k}", self.prefix)],
            Algorithm::UpstashSlidingWindow => vec![
                format!("{}:{identifier}:{k}", self.prefix),
                format!("{}:{identifier}:{}", self.prefix, k.saturating_sub(1)),
            ],
            _ => vec![format!("{}:rl:{}:{}:{}", self.prefix, self.name, self.algorithm.code(), escape_id(identifier))],
        }
    }

    /// Checks one request of `cost` units for `identifier`: one REST round
    /// trip, or none when the block cache knows it is blocked.
    ///
    /// `cost > 0` spends that many units when they fit (a refused request
    /// spends nothing); `cost == 0` only checks (answers for a request of
    /// cost 1, writes nothing); `cost < 0` refunds (never above the limit).
    /// Backend failures answer by the [`FailurePolicy`], never as an error.
    ///
    /// # Errors
    /// [`RateLimitError::CostExceedsLimit`] when `|cost|` exceeds
    /// [`max_cost`](Self::max_cost), before any round trip.
    pub async fn limit(&self, identifier: &str, cost: i64) -> Result<Decision, RateLimitError> {
        let mut all = Limiter::limit_all(&[(self, identifier, cost)]).await?;
        Ok(all.decisions.pop().flatten().expect("one check has one decision"))
    }

    /// Checks several limits for one request, all-or-nothing, in one REST
    /// round trip: the request is counted against every limit only if every
    /// limit has room; otherwise against none. Limits may use different
    /// algorithms; the call runs on the first limiter's client (they must
    /// share a database).
    ///
    /// # Errors
    /// [`RateLimitError::CostExceedsLimit`] for a cost a limit can never
    /// grant; [`RateLimitError::DuplicateCheck`] when two checks name the
    /// same key. Both before any round trip.
    pub async fn limit_all(checks: &[(&Limiter, &str, i64)]) -> Result<MultiDecision, RateLimitError> {
        match Limiter::prepare_all(checks)? {
            Prepared::Decided(decision) => Ok(decision),
            Prepared::Check(check) => Ok(check.run().await),
        }
    }

    /// [`prepare_all`](Self::prepare_all) for this limiter alone.
    ///
    /// # Errors
    /// As [`prepare_all`](Self::prepare_all).
    pub fn prepare<'a>(&'a self, identifier: &str, cost: i64) -> Result<Prepared<'a>, RateLimitError> {
        Limiter::prepare_all(&[(self, identifier, cost)])
    }

    /// Prepares an all-or-nothing check of several limits as one command, for
    /// a caller's own pipeline (see [`PreparedCheck`]); or answers it already
    /// when the block cache refuses one of them (then nothing is sent).
    ///
    /// # Errors
    /// As [`limit_all`](Self::limit_all).
    pub fn prepare_all<'a>(checks: &[(&'a Limiter, &str, i64)]) -> Result<Prepared<'a>, RateLimitError> {
        let checks: Vec<Check<'a>> = checks.iter().map(|(limiter, id, cost)| Check::new(limiter, id, *cost)).collect();
        Limiter::prepare_checks(&checks)
    }

    /// [`prepare_all`](Self::prepare_all) for checks that may carry a
    /// [`Guard`](super::Guard): a guarded limit is left out of the block
    /// cache (whether it applies is Redis's to say) and, when its guard does
    /// not hold, is neither checked nor spent (its decision is `None`).
    ///
    /// # Errors
    /// As [`limit_all`](Self::limit_all).
    pub fn prepare_checks<'a>(checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
        Limiter::prepare_with(None, checks)
    }

    /// [`prepare_checks`](Self::prepare_checks), refusing the whole call
    /// first when `screen` finds the identifier or the address on its
    /// [`DenyList`](super::DenyList): inside the same script, so one round
    /// trip still (an empty `checks` is still sent, to screen; a call the
    /// block cache refuses is not, and answers its refusal). A denied call
    /// checks and spends nothing; every decision says [`Reason::DenyList`].
    ///
    /// # Errors
    /// As [`limit_all`](Self::limit_all).
    pub fn prepare_screened<'a>(screen: &Screen<'_>, checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
        Limiter::prepare_with(Some(screen), checks)
    }

    fn prepare_with<'a>(screen: Option<&Screen<'_>>, checks: &[Check<'a>]) -> Result<Prepared<'a>, RateLimitError> {
        if checks.is_empty() && screen.is_none() {
            return Ok(Prepared::Decided(MultiDecision {
                success: true,
                decisions: Vec::new(),
                denied_until_ms: None,
            }));
        }
        for check in checks {
            check.limiter.check_operation(check)?;
        }
        if screen.is_none() {
            // The block cache: any unguarded limit known to refuse decides the whole check.
            let blocked: Vec<Option<Decision>> = checks
                .iter()
                .map(|c| if c.guard.is_some() { None } else { c.limiter.cached_block(&c.identifier, c.cost) })
                .collect();
            if blocked.iter().any(Option::is_some) {
                return Ok(Prepared::Decided(MultiDecision {
                    success: false,
                    decisions: blocked,
                    denied_until_ms: None,
                }));
            }
        }
        // An open breaker: no request, every limit answers by its failure policy.
        if checks.iter().any(|c| c.limiter.breaker_open()) {
            let unanswered: Vec<Unanswered<'_>> = checks.iter().map(Unanswered::of).collect();
            let reasons = vec![Reason::CircuitOpen; checks.len()];
            return Ok(Prepared::Decided(Limiter::without_redis(&unanswered, &reasons)));
        }
        let (mut keys, mut args) = header(None, checks.len(), screen);
        let mut seen = HashSet::new();
        for check in checks {
            let (own, check_args) = check.limiter.encode(check, check.limiter.clock.now_ms());
            if !seen.insert(check.limiter.keys_at(&check.identifier, check.limiter.clock.now_ms())[0].clone()) {
                let key = check.limiter.keys_at(&check.identifier, check.limiter.clock.now_ms()).swap_remove(0);
                return Err(RateLimitError::DuplicateCheck { key });
            }
            keys.extend(own);
            args.extend(check_args);
        }
        match (screen, checks.first()) {
            (Some(screen), None) => Ok(Prepared::Check(PreparedCheck::screen_only(screen.list.client(), keys, args))),
            _ => Ok(Prepared::Check(PreparedCheck::new(checks, keys, args))),
        }
    }

    /// Refuses, before any round trip, an operation this limiter cannot do.
    fn check_operation(&self, check: &Check<'_>) -> Result<(), RateLimitError> {
        let unsupported = |operation| RateLimitError::Unsupported {
            limiter: self.name.to_string(),
            operation,
            algorithm: self.algorithm,
        };
        let concurrency = self.algorithm == Algorithm::Concurrency;
        match check.op {
            Op::Acquire(_) | Op::Release(_) if !concurrency => return Err(unsupported("a lease")),
            Op::Spend if concurrency && check.cost != 0 => return Err(unsupported("spending without a lease")),
            Op::Reserve(_) | Op::Settle(_) if !self.algorithm.settles() => return Err(unsupported("a reservation")),
            _ => {}
        }
        if check.cost.unsigned_abs() > self.max_cost() && !matches!(check.op, Op::Settle(_)) {
            let max_cost = self.max_cost();
            return Err(RateLimitError::CostExceedsLimit {
                limiter: self.name.to_string(),
                cost: check.cost,
                max_cost,
            });
        }
        Ok(())
    }

    /// The keys and the script arguments of `check`, in the script's order:
    /// the guard's key, the override's, the limit's own, the reservation's.
    pub(super) fn encode(&self, check: &Check<'_>, client_now_ms: u64) -> (Vec<String>, [String; ARGS_PER_LIMIT]) {
        let mut keys: Vec<String> = check.guard.iter().map(|g| g.key.clone()).collect();
        if self.overrides.is_some() {
            keys.push(self.override_key(&check.identifier));
        }
        keys.extend(self.keys_at(&check.identifier, client_now_ms));
        let reservation = match check.op {
            Op::Reserve(id) | Op::Settle(id) => {
                keys.push(self.reservation_key(&check.identifier, id));
                if matches!(check.op, Op::Reserve(_)) {
                    "r"
                } else {
                    "s"
                }
            }
            _ => "",
        };
        let extra = match (self.algorithm, check.op) {
            (_, Op::Acquire(lease) | Op::Release(lease)) => lease,
            // 0: the burst follows the limit, an override's included.
            (Algorithm::Gcra, _) if self.burst == self.spec.limit() => 0,
            (Algorithm::Gcra, _) => self.burst,
            (Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow, _) => client_now_ms,
            _ => 0,
        };
        let args = [
            self.algorithm.code().to_owned(),
            keys.len().to_string(),
            self.spec.limit().to_string(),
            self.spec.window_ms().to_string(),
            check.cost.to_string(),
            extra.to_string(),
            check.guard.as_ref().map_or_else(String::new, |g| g.text.clone()),
            if self.overrides.is_some() { "1" } else { "" }.to_owned(),
            reservation.to_owned(),
        ];
        (keys, args)
    }

    /// The key of `identifier`'s reservation `id`.
    fn reservation_key(&self, identifier: &str, id: u64) -> String {
        format!("{}:rl:{}:resv:{}:{id:016x}", self.prefix, self.name, escape_id(identifier))
    }

    /// Takes one of `identifier`'s in-flight slots
    /// ([`Algorithm::Concurrency`]): one round trip. The lease is `Some`
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
    /// [`settles`](Algorithm::settles); [`RateLimitError::CostExceedsLimit`].
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
    /// round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] unless the algorithm
    /// [`settles`](Algorithm::settles).
    pub async fn settle(&self, reservation: &Reservation, used: u64) -> Result<Settled, RateLimitError> {
        let check = Check::settle(self, reservation, used);
        self.check_operation(&check)?;
        let (mut keys, mut args) = header(None, 1, None);
        let (own, check_args) = self.encode(&check, self.clock.now_ms());
        keys.extend(own);
        args.extend(check_args);
        let outcome = self.client.eval(&SCRIPT, &keys, &args).await.and_then(|reply| parse_reply(reply, 1));
        Ok(match outcome {
            Ok(mut reply) => {
                let raw = reply.verdicts.pop().expect("one verdict");
                let outcome = SettleOutcome::from_script(raw.refunded);
                let refund = -i64::try_from(outcome.refunded()).unwrap_or(i64::MAX);
                let decision =
                    Decision { settled: Some(outcome), ..self.after_round_trip(&check.identifier, refund, true, raw) };
                Settled { outcome, decision }
            }
            Err(error) => {
                let reason = self.failure_reason(&error);
                let decision = self.by_failure_policy(&Unanswered::of(&check), reason, false);
                Settled {
                    outcome: SettleOutcome::NotAnswered,
                    decision: Decision { settled: Some(SettleOutcome::NotAnswered), ..decision },
                }
            }
        })
    }

    /// One check alone, as [`limit`](Self::limit) runs it.
    async fn run_one(&self, check: &Check<'_>) -> Result<Decision, RateLimitError> {
        let mut all = match Limiter::prepare_checks(std::slice::from_ref(check))? {
            Prepared::Decided(decision) => decision,
            Prepared::Check(prepared) => prepared.run().await,
        };
        Ok(all.decisions.pop().flatten().expect("one check has one decision"))
    }

    /// What a request of cost 1 would get now, without spending anything:
    /// `remaining`, `reset_ms`, and `retry_after_ms` if it would be refused.
    /// Always asks Redis (one round trip), and refreshes the block cache.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails (also logged and counted
    /// in [`outage`](Self::outage)).
    pub async fn get_remaining(&self, identifier: &str) -> Result<Decision, RateLimitError> {
        let (mut keys, mut args) = header(None, 1, None);
        let (own, check_args) = self.encode(&Check::new(self, identifier, 0), self.clock.now_ms());
        keys.extend(own);
        args.extend(check_args);
        let outcome = self.client.eval(&SCRIPT, &keys, &args).await.and_then(|reply| parse_reply(reply, 1));
        match outcome {
            Ok(mut reply) => {
                self.outage.success();
                let raw = reply.verdicts.pop().expect("one verdict");
                self.saw_limit(identifier, &raw);
                self.record_block(identifier, 0, raw.block_ms);
                Ok(self.decision(raw, Reason::None))
            }
            Err(error) => {
                self.outage.failure(&format!("rate limit {} get_remaining", self.name), &error);
                Err(error.into())
            }
        }
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
        match self.client.command(&Command::new("DEL").args_from(&keys)).await {
            Ok(_) => {
                self.outage.success();
                Ok(())
            }
            Err(error) => {
                self.outage.failure(&format!("rate limit {} reset", self.name), &error);
                Err(error.into())
            }
        }
    }

    /// The one constructor of a [`Decision`]: `verdict` as this limiter
    /// answers it, for `reason`.
    pub(super) fn decision(&self, verdict: RawVerdict, reason: Reason) -> Decision {
        Decision {
            success: verdict.ok,
            limit: verdict.limit,
            remaining: verdict.remaining.min(verdict.limit),
            reset_ms: verdict.reset_ms,
            retry_after_ms: if verdict.ok { 0 } else { verdict.retry_ms },
            reason,
            now_ms: verdict.now_ms,
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

    /// Records Redis's verdict on one check of an all-or-nothing call.
    pub(super) fn after_round_trip(&self, identifier: &str, cost: i64, all_ok: bool, raw: RawVerdict) -> Decision {
        self.outage.success();
        self.saw_limit(identifier, &raw);
        self.record_block(identifier, cost, raw.block_ms);
        Counters::bump(match (all_ok, raw.ok) {
            (true, _) => &self.counters.allowed,
            (false, true) => &self.counters.denied_by_other,
            (false, false) => &self.counters.denied,
        });
        self.counters.count_reason(Reason::None);
        self.count_decision(all_ok, Reason::None);
        self.decision(raw, Reason::None)
    }

    /// Why Redis did not answer, logged once per outage: a refused token is a
    /// misconfiguration (logged as an error), anything else an outage.
    pub(super) fn failure_reason(&self, error: &UpstashError) -> Reason {
        let operation = format!("rate limit {} ({:?})", self.name, self.policy);
        if error.is_misconfiguration() {
            self.outage.misconfiguration(&operation, error);
            Reason::BackendMisconfigured
        } else {
            self.outage.failure(&operation, error);
            match error {
                UpstashError::Timeout { .. } => Reason::Timeout,
                _ => Reason::BackendError,
            }
        }
    }

    /// What `checks` answer when Redis did not, each limit by its failure
    /// policy, for the reason at the same index. Limits under
    /// [`FailurePolicy::Local`] decide all-or-nothing among themselves, as
    /// the script would have: each peeks first, and they spend only if all
    /// fit. A guarded check under `Local` is skipped: its guard needs Redis,
    /// and spending without it would let anyone spend that identifier's quota.
    pub(super) fn without_redis(checks: &[Unanswered<'_>], reasons: &[Reason]) -> MultiDecision {
        let local_fits = |c: &Unanswered<'_>| match &c.limiter.local {
            Some(local) if !c.guarded => local.peek(&c.limiter.local_check(c), c.limiter.clock.now_ms()).ok,
            _ => true,
        };
        let commit = checks.iter().all(local_fits);
        let decisions: Vec<Option<Decision>> = checks
            .iter()
            .zip(reasons)
            .map(|(c, reason)| {
                (!(c.guarded && c.limiter.local.is_some())).then(|| c.limiter.by_failure_policy(c, *reason, commit))
            })
            .collect();
        let success = decisions.iter().flatten().all(|d| d.success);
        MultiDecision { success, decisions, denied_until_ms: None }
    }

    /// `check` as the local fallback runs it: with the override this
    /// isolate last saw for the identifier, and the lease of a concurrency check.
    fn local_check<'c>(&self, check: &Unanswered<'c>) -> LocalCheck<'c> {
        let lease = match check.op {
            Op::Acquire(id) | Op::Release(id) => id,
            _ => 0,
        };
        let rate = self.overrides.as_ref().and_then(|seen| seen.get(check.identifier));
        LocalCheck { identifier: check.identifier, cost: check.cost, lease, rate }
    }

    /// What the failure policy answers for `check`, Redis having failed for
    /// `reason`. Under `Local`, the check spends only when `commit` (every
    /// local limit of the call fits).
    pub(super) fn by_failure_policy(&self, check: &Unanswered<'_>, reason: Reason, commit: bool) -> Decision {
        let now_ms = self.clock.now_ms();
        if let Some(local) = &self.local {
            let call = self.local_check(check);
            let verdict = if commit { local.decide(&call, now_ms) } else { local.peek(&call, now_ms) };
            let ok = verdict.ok && commit;
            Counters::bump(if ok { &self.counters.local_allowed } else { &self.counters.local_denied });
            // Counted under its cause (why Redis did not answer) and as a local decision.
            self.counters.count_reason(reason);
            self.counters.count_reason(Reason::LocalFallback);
            self.count_decision(ok, Reason::LocalFallback);
            let (limit, window_ms) = call.rate.unwrap_or((self.spec.limit(), self.spec.window_ms()));
            let raw = RawVerdict {
                skipped: false,
                ok,
                remaining: verdict.remaining,
                reset_ms: verdict.reset_ms,
                retry_ms: verdict.retry_after_ms,
                block_ms: 0,
                now_ms,
                limit,
                window_ms,
                refunded: 0,
            };
            return self.decision(raw, Reason::LocalFallback);
        }
        let (limit, window_ms) = (self.spec.limit(), self.spec.window_ms());
        let verdict = match self.policy {
            FailurePolicy::FailOpen | FailurePolicy::Local => {
                Counters::bump(&self.counters.failed_open);
                RawVerdict::allow_all(limit, window_ms, now_ms)
            }
            FailurePolicy::FailClosed => {
                Counters::bump(&self.counters.failed_closed);
                RawVerdict::refuse_for(limit, window_ms, FAIL_CLOSED_RETRY_AFTER_MS, now_ms)
            }
        };
        self.counters.count_reason(reason);
        self.count_decision(verdict.ok, reason);
        self.decision(verdict, reason)
    }

    /// A decision of a call the deny list refused: nothing checked or spent.
    pub(super) fn denied(&self, raw: RawVerdict) -> Decision {
        Counters::bump(&self.counters.denied);
        self.counters.count_reason(Reason::DenyList);
        self.count_decision(false, Reason::DenyList);
        let raw = RawVerdict { limit: self.spec.limit(), window_ms: self.spec.window_ms(), ..raw };
        self.decision(raw, Reason::DenyList)
    }

    /// Notes the limit Redis used for `identifier`: an override's, kept for
    /// the local fallback, or the limiter's own (forgetting any override).
    fn saw_limit(&self, identifier: &str, raw: &RawVerdict) {
        if let Some(seen) = &self.overrides {
            let own = raw.limit == self.spec.limit() && raw.window_ms == self.spec.window_ms();
            seen.note(identifier, (!own && raw.limit > 0).then_some((raw.limit, raw.window_ms)));
        }
    }

    /// The circuit breaker this limiter shares, if any.
    pub fn circuit_breaker(&self) -> Option<&Arc<CircuitBreaker>> {
        self.breaker.as_ref()
    }

    /// True while this limiter's breaker skips calls.
    pub(super) fn breaker_open(&self) -> bool {
        self.breaker.as_ref().is_some_and(|breaker| !breaker.allows())
    }

    /// The block cache's answer for a request of `cost` (>= 0) if it knows
    /// the identifier is blocked; refunds always go to Redis (and unblock).
    fn cached_block(&self, identifier: &str, cost: i64) -> Option<Decision> {
        if cost < 0 {
            return None;
        }
        let until = self.blocks.blocked_until(identifier)?;
        Counters::bump(&self.counters.cache_blocked);
        self.counters.count_reason(Reason::CacheBlock);
        self.count_decision(false, Reason::CacheBlock);
        let now_ms = self.clock.now_ms();
        let (limit, window_ms) = (self.spec.limit(), self.spec.window_ms());
        let raw = RawVerdict::refuse_for(limit, window_ms, until.saturating_sub(now_ms), now_ms);
        Some(self.decision(raw, Reason::CacheBlock))
    }

    /// Records what Redis said: blocked for `block_ms` (a request of cost 1
    /// cannot pass before), or not blocked. A refund's answer never blocks.
    fn record_block(&self, identifier: &str, cost: i64, block_ms: u64) {
        self.blocks.record(identifier, if cost >= 0 { block_ms } else { 0 });
    }
}

/// The keys and arguments before the limits': the time (`now_us`, or the
/// server's clock), the number of limits, and the deny-list check.
pub(super) fn header(now_us: Option<u64>, limits: usize, screen: Option<&Screen<'_>>) -> (Vec<String>, Vec<String>) {
    let mut args = vec![now_us.map_or_else(String::new, |t| t.to_string()), limits.to_string()];
    match screen {
        Some(screen) => {
            let [member, bits] = screen_args(screen.identifier, screen.address.as_ref());
            args.extend([member, bits]);
            (screen.list.keys().to_vec(), args)
        }
        None => {
            args.push(String::new());
            (Vec::new(), args)
        }
    }
}
