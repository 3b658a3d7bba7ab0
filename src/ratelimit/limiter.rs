//! [`Limiter`]: one limit on Upstash, checked in one round trip, with its
//! block cache, failure policy and counters.

use std::collections::HashSet;
use std::sync::Arc;

use super::block_cache::BlockCache;
use super::decision::{Decision, MultiDecision, RateLimitError, Reason};
use super::local::LocalLimits;
use super::prepared::{Check, Prepared, PreparedCheck};
use super::script::{parse_reply, RawVerdict, ARGS_PER_LIMIT, SCRIPT};
use super::stats::{Counters, LimiterStats};
use super::{Algorithm, FailurePolicy, LimitSpec, FAIL_CLOSED_RETRY_AFTER_MS};
use crate::clock::Clock;
use crate::config::ConfigError;
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
}

/// A check Redis did not answer, as [`Limiter::without_redis`] decides it.
pub(super) struct Unanswered<'a> {
    pub limiter: &'a Limiter,
    pub identifier: &'a str,
    pub cost: i64,
    pub guarded: bool,
}

impl<'a> Unanswered<'a> {
    fn of(check: &'a Check<'a>) -> Self {
        Unanswered {
            limiter: check.limiter,
            identifier: &check.identifier,
            cost: check.cost,
            guarded: check.guard.is_some(),
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
    /// A limiter with every default: prefix `edgecache`, fail-open, block
    /// cache of [`DEFAULT_BLOCK_CACHE_CAPACITY`](super::DEFAULT_BLOCK_CACHE_CAPACITY),
    /// the system clock.
    ///
    /// `name` names the policy (in keys and in the `RateLimit` headers, e.g.
    /// `client`); `spec` allows `limit` units per `window_ms` (see
    /// [`Algorithm`] for what each algorithm makes of them).
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](super::LimiterBuilder::build).
    pub fn new(
        client: Arc<UpstashClient>,
        name: &str,
        algorithm: Algorithm,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::builder(client, name, algorithm, spec).build()
    }

    /// @upstash/ratelimit v2's `Ratelimit.slidingWindow(limit, window)` on a
    /// database it shares with JS workers: one limit enforced by both.
    ///
    /// Keys: `@upstash/ratelimit:{identifier}:{floor(now_ms / window_ms)}`
    /// (and the previous window's), counters with its TTL (`2·window + 1 s`);
    /// the weighted count `floor((1 − (now % W)/W) · previous) + current` in the
    /// same floating point; a request refused without counting when that is
    /// already `≥ limit`, else counted (`INCRBY cost`) and allowed when the new
    /// total is `≤ limit`. `now` is the caller's clock, as in the JS library.
    ///
    /// What differs from the exact [`Algorithm::SlidingWindow`]: the JS
    /// semantics admit a request of cost > 1 that overshoots into the count
    /// and then refuse it (its quirk, kept so both sides count alike); the
    /// window index comes from each caller's clock (skew moves windows); the
    /// weighted count is floored (admits up to one unit more). The block cache,
    /// fail-open reasons and all-or-nothing checks work as for any limiter.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](super::LimiterBuilder::build).
    pub fn upstash_compatible_sliding_window(
        client: Arc<UpstashClient>,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashSlidingWindow, spec)
    }

    /// @upstash/ratelimit v2's `Ratelimit.fixedWindow(limit, window)` on a
    /// database it shares with JS workers.
    ///
    /// Keys: `@upstash/ratelimit:{identifier}:{floor(now_ms / window_ms)}`,
    /// a counter `INCRBY cost` with `PEXPIRE window_ms` when the increment
    /// created it; allowed when the new count is `≤ limit`. As in the JS
    /// library, a refused request is counted too (the exact
    /// [`Algorithm::FixedWindow`] does not count it), and the window index
    /// comes from the caller's clock.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](super::LimiterBuilder::build).
    pub fn upstash_compatible_fixed_window(
        client: Arc<UpstashClient>,
        spec: LimitSpec,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashFixedWindow, spec)
    }

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

    /// The largest `|cost|` a check may ask: the limit (GCRA: the burst).
    pub fn max_cost(&self) -> u64 {
        if self.algorithm == Algorithm::Gcra {
            self.burst
        } else {
            self.spec.limit()
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
        if checks.is_empty() {
            return Ok(Prepared::Decided(MultiDecision { success: true, decisions: Vec::new() }));
        }
        for check in checks {
            let (limiter, cost) = (check.limiter, check.cost);
            if cost.unsigned_abs() > limiter.max_cost() {
                let max_cost = limiter.max_cost();
                return Err(RateLimitError::CostExceedsLimit { limiter: limiter.name.to_string(), cost, max_cost });
            }
        }
        // The block cache: any unguarded limit known to refuse decides the whole check.
        let blocked: Vec<Option<Decision>> = checks
            .iter()
            .map(|c| if c.guard.is_some() { None } else { c.limiter.cached_block(&c.identifier, c.cost) })
            .collect();
        if blocked.iter().any(Option::is_some) {
            return Ok(Prepared::Decided(MultiDecision { success: false, decisions: blocked }));
        }
        // An open breaker: no request, every limit answers by its failure policy.
        if checks.iter().any(|c| c.limiter.breaker_open()) {
            let unanswered: Vec<Unanswered<'_>> = checks.iter().map(Unanswered::of).collect();
            let reasons = vec![Reason::CircuitOpen; checks.len()];
            return Ok(Prepared::Decided(Limiter::without_redis(&unanswered, &reasons)));
        }
        let mut keys = Vec::new();
        let mut args = vec![String::new(), checks.len().to_string()];
        let mut seen = HashSet::new();
        for check in checks {
            let client_now_ms = check.limiter.clock.now_ms();
            let own = check.limiter.keys_at(&check.identifier, client_now_ms);
            if !seen.insert(own[0].clone()) {
                return Err(RateLimitError::DuplicateCheck { key: own[0].clone() });
            }
            let guard_text = check.guard.as_ref().map_or("", |g| g.text.as_str());
            let nkeys = own.len() + usize::from(check.guard.is_some());
            args.extend(check.limiter.script_args(nkeys, check.cost, client_now_ms, guard_text));
            keys.extend(check.guard.as_ref().map(|g| g.key.clone()));
            keys.extend(own);
        }
        Ok(Prepared::Check(PreparedCheck::new(checks, keys, args)))
    }

    /// The script's arguments for one limit: `nkeys` counts a guard's key.
    pub(super) fn script_args(
        &self,
        nkeys: usize,
        cost: i64,
        client_now_ms: u64,
        guard_text: &str,
    ) -> [String; ARGS_PER_LIMIT] {
        let extra = match self.algorithm {
            Algorithm::Gcra => self.burst,
            Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow => client_now_ms,
            _ => 0,
        };
        [
            self.algorithm.code().to_owned(),
            nkeys.to_string(),
            self.spec.limit().to_string(),
            self.spec.window_ms().to_string(),
            cost.to_string(),
            extra.to_string(),
            guard_text.to_owned(),
        ]
    }

    /// What a request of cost 1 would get now, without spending anything:
    /// `remaining`, `reset_ms`, and `retry_after_ms` if it would be refused.
    /// Always asks Redis (one round trip), and refreshes the block cache.
    ///
    /// # Errors
    /// [`RateLimitError::Backend`] when Redis fails (also logged and counted
    /// in [`outage`](Self::outage)).
    pub async fn get_remaining(&self, identifier: &str) -> Result<Decision, RateLimitError> {
        let client_now_ms = self.clock.now_ms();
        let keys = self.keys_at(identifier, client_now_ms);
        let mut args = vec![String::new(), "1".to_owned()];
        args.extend(self.script_args(keys.len(), 0, client_now_ms, ""));
        let outcome = self.client.eval(&SCRIPT, &keys, &args).await.and_then(|reply| parse_reply(reply, 1));
        match outcome {
            Ok((_, mut raws)) => {
                self.outage.success();
                let raw = raws.pop().expect("one verdict");
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
            limit: self.spec.limit(),
            remaining: verdict.remaining.min(self.spec.limit()),
            reset_ms: verdict.reset_ms,
            retry_after_ms: if verdict.ok { 0 } else { verdict.retry_ms },
            reason,
            now_ms: verdict.now_ms,
            limiter: self.name.clone(),
        }
    }

    /// Records Redis's verdict on one check of an all-or-nothing call.
    pub(super) fn after_round_trip(&self, identifier: &str, cost: i64, all_ok: bool, raw: RawVerdict) -> Decision {
        self.outage.success();
        self.record_block(identifier, cost, raw.block_ms);
        Counters::bump(match (all_ok, raw.ok) {
            (true, _) => &self.counters.allowed,
            (false, true) => &self.counters.denied_by_other,
            (false, false) => &self.counters.denied,
        });
        self.counters.count_reason(Reason::None);
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
            Some(local) if !c.guarded => local.peek(c.identifier, c.cost, c.limiter.clock.now_ms()).ok,
            _ => true,
        };
        let commit = checks.iter().all(local_fits);
        let decisions: Vec<Option<Decision>> = checks
            .iter()
            .zip(reasons)
            .map(|(c, reason)| {
                (!(c.guarded && c.limiter.local.is_some()))
                    .then(|| c.limiter.by_failure_policy(c.identifier, c.cost, *reason, commit))
            })
            .collect();
        let success = decisions.iter().flatten().all(|d| d.success);
        MultiDecision { success, decisions }
    }

    /// What the failure policy answers for a check of `cost` for
    /// `identifier`, Redis having failed for `reason`. Under `Local`, the
    /// check spends only when `commit` (every local limit of the call fits).
    pub(super) fn by_failure_policy(&self, identifier: &str, cost: i64, reason: Reason, commit: bool) -> Decision {
        let now_ms = self.clock.now_ms();
        if let Some(local) = &self.local {
            let verdict =
                if commit { local.decide(identifier, cost, now_ms) } else { local.peek(identifier, cost, now_ms) };
            let ok = verdict.ok && commit;
            Counters::bump(if ok { &self.counters.local_allowed } else { &self.counters.local_denied });
            // Counted under its cause (why Redis did not answer) and as a local decision.
            self.counters.count_reason(reason);
            self.counters.count_reason(Reason::LocalFallback);
            let raw = RawVerdict {
                skipped: false,
                ok,
                remaining: verdict.remaining,
                reset_ms: verdict.reset_ms,
                retry_ms: verdict.retry_after_ms,
                block_ms: 0,
                now_ms,
            };
            return self.decision(raw, Reason::LocalFallback);
        }
        let verdict = match self.policy {
            FailurePolicy::FailOpen | FailurePolicy::Local => {
                Counters::bump(&self.counters.failed_open);
                RawVerdict::allow_all(self.spec.limit(), now_ms)
            }
            FailurePolicy::FailClosed => {
                Counters::bump(&self.counters.failed_closed);
                RawVerdict::refuse_for(FAIL_CLOSED_RETRY_AFTER_MS, now_ms)
            }
        };
        self.counters.count_reason(reason);
        self.decision(verdict, reason)
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
        let now_ms = self.clock.now_ms();
        Some(self.decision(RawVerdict::refuse_for(until.saturating_sub(now_ms), now_ms), Reason::CacheBlock))
    }

    /// Records what Redis said: blocked for `block_ms` (a request of cost 1
    /// cannot pass before), or not blocked. A refund's answer never blocks.
    fn record_block(&self, identifier: &str, cost: i64, block_ms: u64) {
        self.blocks.record(identifier, if cost >= 0 { block_ms } else { 0 });
    }
}
