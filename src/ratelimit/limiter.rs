//! [`Limiter`]: one limit on Upstash, its block cache, failure policy and counters.

use std::collections::HashSet;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use lru::LruCache;

use super::script::{parse_reply, RawVerdict, ARGS_PER_LIMIT, SCRIPT};
use super::{Algorithm, Decision, FailurePolicy, RateLimitError, Reason};
use crate::clock::{Clock, SystemClock};
use crate::config::ConfigError;
use crate::keys::escape_id;
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};
use crate::OutageLog;

/// Default capacity of a limiter's block cache, in identifiers.
pub const DEFAULT_BLOCK_CACHE_CAPACITY: usize = 10_000;

/// `retry_after_ms` of a refusal by [`FailurePolicy::FailClosed`]: Redis gave
/// no time, so clients are asked to come back in one second.
pub const FAIL_CLOSED_RETRY_AFTER_MS: u64 = 1_000;

/// @upstash/ratelimit's default key prefix, the default of the
/// Upstash-compatible algorithms.
pub const UPSTASH_DEFAULT_PREFIX: &str = "@upstash/ratelimit";

/// Default key prefix of the exact algorithms.
const DEFAULT_PREFIX: &str = "edgecache";

/// The largest `limit × window_ms`: keeps every number the scripts compute an
/// exact integer in Lua's doubles (below 2^53).
const MAX_LIMIT_TIMES_WINDOW: u128 = 1 << 50;

/// The longest window, in milliseconds (30 days).
const MAX_WINDOW_MS: u64 = 30 * 24 * 3_600_000;

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
    client: Arc<UpstashClient>,
    name: Arc<str>,
    prefix: String,
    algorithm: Algorithm,
    limit: u64,
    window_ms: u64,
    burst: u64,
    policy: FailurePolicy,
    clock: Arc<dyn Clock>,
    blocks: Option<Mutex<LruCache<String, u64>>>,
    outage: OutageLog,
    counters: Counters,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("algorithm", &self.algorithm)
            .field("limit", &self.limit)
            .field("window_ms", &self.window_ms)
            .field("burst", &self.burst)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Limiter`]; from [`Limiter::builder`].
pub struct LimiterBuilder {
    client: Arc<UpstashClient>,
    name: String,
    algorithm: Algorithm,
    limit: u64,
    window_ms: u64,
    prefix: Option<String>,
    policy: FailurePolicy,
    clock: Arc<dyn Clock>,
    block_cache_capacity: usize,
    burst: Option<u64>,
}

impl LimiterBuilder {
    /// The first key segment (default `edgecache`; `@upstash/ratelimit` for
    /// the Upstash-compatible algorithms). Exact algorithms: 1 to 64 of
    /// `A-Z a-z 0-9 _ - .`; Upstash-compatible: any non-empty text, as the JS
    /// library takes it.
    pub fn prefix(mut self, prefix: &str) -> Self {
        self.prefix = Some(prefix.to_owned());
        self
    }

    /// What to answer when Redis cannot (default [`FailurePolicy::FailOpen`]).
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How many blocked identifiers the in-isolate block cache holds (LRU;
    /// default [`DEFAULT_BLOCK_CACHE_CAPACITY`]); 0 turns it off.
    pub fn block_cache_capacity(mut self, identifiers: usize) -> Self {
        self.block_cache_capacity = identifiers;
        self
    }

    /// The local clock of the block cache (default [`SystemClock`]) and of the
    /// Upstash-compatible algorithms' window index. Decisions of the exact
    /// algorithms use Redis's clock whatever this says.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// GCRA only: units that may be spent at once, `1..=limit` (default
    /// `limit`). With 1, requests are paced evenly and no window of
    /// `window_ms` holds more than `limit`.
    pub fn burst(mut self, units: u64) -> Self {
        self.burst = Some(units);
        self
    }

    /// The limiter.
    ///
    /// # Errors
    /// [`ConfigError`] naming the field: `name` not 1 to 64 of
    /// `A-Z a-z 0-9 _ - .`; `limit` or `window_ms` zero; `window_ms` over 30
    /// days; `limit × window_ms` over 2^50; GCRA with more than one unit per
    /// microsecond; `burst` outside `1..=limit` or set for another algorithm;
    /// a bad `prefix`.
    pub fn build(self) -> Result<Limiter, ConfigError> {
        let (prefix, burst) =
            validate(&self.name, self.algorithm, self.limit, self.window_ms, self.burst, self.prefix.as_deref())?;
        Ok(Limiter {
            client: self.client,
            name: Arc::from(self.name.as_str()),
            prefix,
            algorithm: self.algorithm,
            limit: self.limit,
            window_ms: self.window_ms,
            burst,
            policy: self.policy,
            clock: self.clock,
            blocks: NonZeroUsize::new(self.block_cache_capacity).map(|cap| Mutex::new(LruCache::new(cap))),
            outage: OutageLog::for_subject("rate limiter", "answering by its failure policy"),
            counters: Counters::default(),
        })
    }
}

/// Checks a limiter's settings; answers the prefix to use and the burst.
pub(crate) fn validate(
    name: &str,
    algorithm: Algorithm,
    limit: u64,
    window_ms: u64,
    burst: Option<u64>,
    prefix: Option<&str>,
) -> Result<(String, u64), ConfigError> {
    if !is_plain_segment(name) {
        return Err(ConfigError::new("name", format!("must be 1 to 64 characters of A-Z a-z 0-9 _ - ., got {name:?}")));
    }
    if limit == 0 {
        return Err(ConfigError::new("limit", "must be at least 1"));
    }
    if window_ms == 0 || window_ms > MAX_WINDOW_MS {
        return Err(ConfigError::new("window_ms", format!("must be 1 ms to 30 days, got {window_ms} ms")));
    }
    if u128::from(limit) * u128::from(window_ms) > MAX_LIMIT_TIMES_WINDOW {
        return Err(ConfigError::new(
            "limit",
            format!("limit × window_ms must be at most 2^50, got {limit} × {window_ms}"),
        ));
    }
    if algorithm == Algorithm::Gcra && limit > window_ms * 1000 {
        return Err(ConfigError::new("limit", "GCRA allows at most one unit per microsecond"));
    }
    let burst = match (algorithm, burst) {
        (Algorithm::Gcra, Some(b)) if (1..=limit).contains(&b) => b,
        (Algorithm::Gcra, Some(b)) => {
            return Err(ConfigError::new("burst", format!("must be 1 to the limit {limit}, got {b}")))
        }
        (_, None) => limit,
        (other, Some(_)) => return Err(ConfigError::new("burst", format!("applies to gcra only, not {other}"))),
    };
    let prefix = match prefix {
        Some(p) => p.to_owned(),
        None if algorithm.is_upstash_compatible() => UPSTASH_DEFAULT_PREFIX.to_owned(),
        None => DEFAULT_PREFIX.to_owned(),
    };
    let prefix_ok = if algorithm.is_upstash_compatible() { !prefix.is_empty() } else { is_plain_segment(&prefix) };
    if !prefix_ok {
        return Err(ConfigError::new("prefix", format!("cannot be used as a key prefix: {prefix:?}")));
    }
    Ok((prefix, burst))
}

fn is_plain_segment(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// Counts of what a limiter answered, since it was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LimiterStats {
    /// Requests Redis admitted (every limit of the check passed; quota spent).
    pub allowed: u64,
    /// Requests Redis refused (this limit, or another in the same
    /// all-or-nothing check, had no room).
    pub denied: u64,
    /// Requests refused by the block cache, without a round trip.
    pub cache_blocked: u64,
    /// Requests allowed because Redis failed ([`FailurePolicy::FailOpen`]).
    pub failed_open: u64,
    /// Requests refused because Redis failed ([`FailurePolicy::FailClosed`]).
    pub failed_closed: u64,
}

#[derive(Debug, Default)]
struct Counters {
    allowed: AtomicU64,
    denied: AtomicU64,
    cache_blocked: AtomicU64,
    failed_open: AtomicU64,
    failed_closed: AtomicU64,
}

impl Counters {
    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The answer to an all-or-nothing check of several limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiDecision {
    /// Every limit passed and the request was counted against all of them;
    /// when false, nothing was counted anywhere (except by an
    /// Upstash-compatible limit that itself refused, as @upstash/ratelimit
    /// counts its refusals).
    pub success: bool,
    /// One entry per check, in order. `None` when the block cache refused
    /// another check of the same call, so this one was not asked. A limit
    /// that had room reports `success: true` with its (unspent) remaining
    /// even when another refused.
    pub decisions: Vec<Option<Decision>>,
}

impl MultiDecision {
    /// The decisions that were made, in order.
    pub fn evaluated(&self) -> impl Iterator<Item = &Decision> + Clone {
        self.decisions.iter().flatten()
    }

    /// Ms until the refused limits would all pass (the largest
    /// `retry_after_ms`); 0 when allowed.
    pub fn retry_after_ms(&self) -> u64 {
        if self.success {
            return 0;
        }
        self.evaluated().filter(|d| !d.success).map(|d| d.retry_after_ms).max().unwrap_or(0)
    }

    /// The first reason other than [`Reason::None`] among the decisions
    /// (a failure or a cache block), else `Reason::None`.
    pub fn reason(&self) -> Reason {
        self.evaluated().map(|d| d.reason).find(|r| *r != Reason::None).unwrap_or(Reason::None)
    }

    /// `RateLimit` (every evaluated policy) and, when refused, `Retry-After`
    /// (seconds, rounded up): see [`super::headers`].
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        super::headers::response_headers(self.evaluated())
    }
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
/// ```ignore
/// let check = match Limiter::prepare_all(&[(&per_ip, ip, 1), (&per_tenant, tenant, 1)])? {
///     Prepared::Decided(refused) => return too_many(refused),
///     Prepared::Check(check) => check,
/// };
/// let mut outcomes = client.pipeline(&[Command::new("MGET").args_from(&keys), check.command()]).await;
/// let limit_outcome = match &mut outcomes {
///     Ok(items) => items.pop().expect("two outcomes"),
///     Err(e) => Err(e.clone()),
/// };
/// let decision = check.resolve(limit_outcome).await; // EVAL once if Redis said NOSCRIPT
/// ```
#[derive(Debug)]
pub struct PreparedCheck<'a> {
    checks: Vec<(&'a Limiter, String, i64)>,
    keys: Vec<String>,
    args: Vec<String>,
}

impl<'a> PreparedCheck<'a> {
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
    /// each limit answers by its [`FailurePolicy`], the outage is logged
    /// once, and counted. (A `NOSCRIPT` passed here counts as a failure too;
    /// use [`resolve`](Self::resolve) to retry it.)
    pub fn decide(self, outcome: Result<Reply, UpstashError>) -> MultiDecision {
        let n = self.checks.len();
        match outcome.and_then(|reply| parse_reply(reply, n)) {
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
}

impl Limiter {
    /// A limiter with every default: prefix `edgecache`, fail-open, block
    /// cache of [`DEFAULT_BLOCK_CACHE_CAPACITY`], the system clock.
    ///
    /// `name` names the policy (in keys and in the `RateLimit` headers, e.g.
    /// `client`); `limit` units are allowed per `window_ms` (see [`Algorithm`]
    /// for what each algorithm makes of them).
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`].
    pub fn new(
        client: Arc<UpstashClient>,
        name: &str,
        algorithm: Algorithm,
        limit: u64,
        window_ms: u64,
    ) -> Result<Limiter, ConfigError> {
        Limiter::builder(client, name, algorithm, limit, window_ms).build()
    }

    /// A builder, to set more than [`new`](Self::new) does.
    pub fn builder(
        client: Arc<UpstashClient>,
        name: &str,
        algorithm: Algorithm,
        limit: u64,
        window_ms: u64,
    ) -> LimiterBuilder {
        LimiterBuilder {
            client,
            name: name.to_owned(),
            algorithm,
            limit,
            window_ms,
            prefix: None,
            policy: FailurePolicy::FailOpen,
            clock: Arc::new(SystemClock),
            block_cache_capacity: DEFAULT_BLOCK_CACHE_CAPACITY,
            burst: None,
        }
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
    /// As [`LimiterBuilder::build`].
    pub fn upstash_compatible_sliding_window(
        client: Arc<UpstashClient>,
        limit: u64,
        window_ms: u64,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashSlidingWindow, limit, window_ms)
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
    /// As [`LimiterBuilder::build`].
    pub fn upstash_compatible_fixed_window(
        client: Arc<UpstashClient>,
        limit: u64,
        window_ms: u64,
    ) -> Result<Limiter, ConfigError> {
        Limiter::new(client, "default", Algorithm::UpstashFixedWindow, limit, window_ms)
    }

    /// The policy name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Units allowed per window (the limit).
    pub fn quota(&self) -> u64 {
        self.limit
    }

    /// The window, in milliseconds.
    pub fn window_ms(&self) -> u64 {
        self.window_ms
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
            self.limit
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
        let c = &self.counters;
        LimiterStats {
            allowed: c.allowed.load(Ordering::Relaxed),
            denied: c.denied.load(Ordering::Relaxed),
            cache_blocked: c.cache_blocked.load(Ordering::Relaxed),
            failed_open: c.failed_open.load(Ordering::Relaxed),
            failed_closed: c.failed_closed.load(Ordering::Relaxed),
        }
    }

    /// The Redis keys this limiter uses for `identifier` (now, for the
    /// Upstash-compatible algorithms, whose keys hold the window index).
    pub fn keys(&self, identifier: &str) -> Vec<String> {
        self.keys_at(identifier, self.clock.now_ms())
    }

    fn keys_at(&self, identifier: &str, client_now_ms: u64) -> Vec<String> {
        let k = client_now_ms / self.window_ms;
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
        if checks.is_empty() {
            return Ok(Prepared::Decided(MultiDecision { success: true, decisions: Vec::new() }));
        }
        for (limiter, _, cost) in checks {
            if cost.unsigned_abs() > limiter.max_cost() {
                return Err(RateLimitError::CostExceedsLimit {
                    policy: limiter.name.to_string(),
                    cost: *cost,
                    max_cost: limiter.max_cost(),
                });
            }
        }
        // The block cache: any limit known to refuse decides the whole check.
        let blocked: Vec<Option<Decision>> =
            checks.iter().map(|(limiter, id, cost)| limiter.cached_block(id, *cost)).collect();
        if blocked.iter().any(Option::is_some) {
            return Ok(Prepared::Decided(MultiDecision { success: false, decisions: blocked }));
        }
        let mut keys = Vec::new();
        let mut args = vec![String::new(), checks.len().to_string()];
        let mut seen = HashSet::new();
        for (limiter, id, cost) in checks {
            let client_now_ms = limiter.clock.now_ms();
            let own = limiter.keys_at(id, client_now_ms);
            if !seen.insert(own[0].clone()) {
                return Err(RateLimitError::DuplicateCheck { key: own[0].clone() });
            }
            args.extend(limiter.script_args(own.len(), *cost, client_now_ms));
            keys.extend(own);
        }
        Ok(Prepared::Check(PreparedCheck {
            checks: checks.iter().map(|(l, id, cost)| (*l, (*id).to_owned(), *cost)).collect(),
            keys,
            args,
        }))
    }

    fn script_args(&self, nkeys: usize, cost: i64, client_now_ms: u64) -> [String; ARGS_PER_LIMIT] {
        let extra = match self.algorithm {
            Algorithm::Gcra => self.burst,
            Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow => client_now_ms,
            _ => 0,
        };
        [
            self.algorithm.code().to_owned(),
            nkeys.to_string(),
            self.limit.to_string(),
            self.window_ms.to_string(),
            cost.to_string(),
            extra.to_string(),
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
        args.extend(self.script_args(keys.len(), 0, client_now_ms));
        let outcome = self.client.eval(&SCRIPT, &keys, &args).await.and_then(|reply| parse_reply(reply, 1));
        match outcome {
            Ok((_, mut raws)) => {
                self.outage.success();
                let raw = raws.pop().expect("one verdict");
                self.remember(identifier, 0, raw.block_ms);
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
        self.forget(identifier);
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

    /// For tests of the scripts only: runs one check at the given time
    /// (microseconds) instead of Redis's clock; no block cache, no counters.
    ///
    /// # Errors
    /// Any [`UpstashError`], as is.
    #[doc(hidden)]
    pub async fn limit_at_for_tests(&self, identifier: &str, cost: i64, now_us: u64) -> Result<Decision, UpstashError> {
        let keys = self.keys_at(identifier, now_us / 1000);
        let mut args = vec![now_us.to_string(), "1".to_owned()];
        args.extend(self.script_args(keys.len(), cost, now_us / 1000));
        let reply = self.client.eval(&SCRIPT, &keys, &args).await?;
        let (_, mut raws) = parse_reply(reply, 1)?;
        Ok(self.decision(raws.pop().expect("one verdict"), Reason::None))
    }

    fn decision(&self, raw: RawVerdict, reason: Reason) -> Decision {
        Decision {
            success: raw.ok,
            limit: self.limit,
            remaining: raw.remaining.min(self.limit),
            reset_ms: raw.reset_ms,
            retry_after_ms: if raw.ok { 0 } else { raw.retry_ms },
            reason,
            now_ms: raw.now_ms,
            policy: self.name.clone(),
        }
    }

    fn after_round_trip(&self, identifier: &str, cost: i64, all_ok: bool, raw: RawVerdict) -> Decision {
        self.outage.success();
        self.remember(identifier, cost, raw.block_ms);
        if all_ok {
            Counters::bump(&self.counters.allowed);
        } else {
            Counters::bump(&self.counters.denied);
        }
        self.decision(raw, Reason::None)
    }

    fn after_failure(&self, error: &UpstashError) -> Decision {
        let reason = match error {
            UpstashError::Timeout { .. } => Reason::Timeout,
            _ => Reason::BackendError,
        };
        let operation = format!("rate limit {} ({:?})", self.name, self.policy);
        self.outage.failure(&operation, error);
        let now = self.clock.now_ms();
        match self.policy {
            FailurePolicy::FailOpen | FailurePolicy::Degrade => {
                Counters::bump(&self.counters.failed_open);
                Decision {
                    success: true,
                    limit: self.limit,
                    remaining: self.limit,
                    reset_ms: now,
                    retry_after_ms: 0,
                    reason,
                    now_ms: now,
                    policy: self.name.clone(),
                }
            }
            FailurePolicy::FailClosed => {
                Counters::bump(&self.counters.failed_closed);
                Decision {
                    success: false,
                    limit: self.limit,
                    remaining: 0,
                    reset_ms: now + FAIL_CLOSED_RETRY_AFTER_MS,
                    retry_after_ms: FAIL_CLOSED_RETRY_AFTER_MS,
                    reason,
                    now_ms: now,
                    policy: self.name.clone(),
                }
            }
        }
    }

    /// The block cache's answer for a request of `cost` (>= 0) if it knows
    /// the identifier is blocked; refunds always go to Redis (and unblock).
    fn cached_block(&self, identifier: &str, cost: i64) -> Option<Decision> {
        let blocks = self.blocks.as_ref()?;
        if cost < 0 {
            return None;
        }
        let now = self.clock.now_ms();
        let mut cache = blocks.lock().unwrap_or_else(|p| p.into_inner());
        let until = *cache.get(identifier)?;
        if until <= now {
            cache.pop(identifier);
            return None;
        }
        drop(cache);
        Counters::bump(&self.counters.cache_blocked);
        Some(Decision {
            success: false,
            limit: self.limit,
            remaining: 0,
            reset_ms: until,
            retry_after_ms: until - now,
            reason: Reason::CacheBlock,
            now_ms: now,
            policy: self.name.clone(),
        })
    }

    /// Records what Redis said: blocked for `block_ms` (a request of cost 1
    /// cannot pass before), or not blocked. Durations only, on the local
    /// clock, so skew between this clock and Redis's cannot move a block.
    fn remember(&self, identifier: &str, cost: i64, block_ms: u64) {
        let Some(blocks) = self.blocks.as_ref() else {
            return;
        };
        let mut cache = blocks.lock().unwrap_or_else(|p| p.into_inner());
        if block_ms > 0 && cost >= 0 {
            cache.put(identifier.to_owned(), self.clock.now_ms() + block_ms);
        } else {
            cache.pop(identifier);
        }
    }

    fn forget(&self, identifier: &str) {
        if let Some(blocks) = self.blocks.as_ref() {
            blocks.lock().unwrap_or_else(|p| p.into_inner()).pop(identifier);
        }
    }
}
