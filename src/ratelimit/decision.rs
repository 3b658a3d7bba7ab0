//! What a check answers: [`Decision`] for one limit, [`MultiDecision`] for
//! several checked all-or-nothing, [`Settled`] for a settle, [`Reason`], and
//! [`RateLimitError`]. Their response headers are `headers.rs`'s.

use std::sync::Arc;

use super::algorithm::Algorithm;
use super::grants::SettleOutcome;
use crate::upstash::UpstashError;

/// Why a decision is what it is, beyond the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reason {
    /// Redis decided (one round trip).
    #[default]
    None,
    /// The in-isolate block cache refused without a round trip: the
    /// identifier was known to be blocked until a later time.
    CacheBlock,
    /// Redis did not answer within the client's timeout; the failure policy decided.
    Timeout,
    /// Redis (or the REST endpoint) failed otherwise; the failure policy decided.
    BackendError,
    /// The database refused the token (HTTP 401, or `NOPERM`: a read-only
    /// token); the failure policy decided. Logged as an error: a
    /// configuration to fix, not an outage to wait out.
    BackendMisconfigured,
    /// The circuit breaker is open after repeated failures: no request was
    /// sent, the failure policy decided at once.
    CircuitOpen,
    /// Redis failed (for any of the reasons above, logged and counted in
    /// the outage log) and [`FailurePolicy::Local`](super::FailurePolicy::Local)
    /// decided: this isolate enforced the limit on its own.
    LocalFallback,
    /// The identifier or the client's address is on the [`DenyList`](super::DenyList):
    /// refused inside the check's own script, nothing checked or spent;
    /// `retry_after_ms` is when the entry ends.
    DenyList,
}

impl Reason {
    /// Every reason, in declaration order.
    pub const ALL: [Reason; 8] = [
        Reason::None,
        Reason::CacheBlock,
        Reason::Timeout,
        Reason::BackendError,
        Reason::BackendMisconfigured,
        Reason::CircuitOpen,
        Reason::LocalFallback,
        Reason::DenyList,
    ];

    /// `none`, `cache_block`, `timeout`, `backend_error`,
    /// `backend_misconfigured`, `circuit_open`, `local_fallback` or `deny_list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::None => "none",
            Reason::CacheBlock => "cache_block",
            Reason::Timeout => "timeout",
            Reason::BackendError => "backend_error",
            Reason::BackendMisconfigured => "backend_misconfigured",
            Reason::CircuitOpen => "circuit_open",
            Reason::LocalFallback => "local_fallback",
            Reason::DenyList => "deny_list",
        }
    }

    /// True when the failure policy, not Redis, decided.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            Reason::Timeout
                | Reason::BackendError
                | Reason::BackendMisconfigured
                | Reason::CircuitOpen
                | Reason::LocalFallback
        )
    }
}

/// The answer to one limit check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The request may proceed. For a check (cost 0): a request of cost 1 would.
    pub success: bool,
    /// The configured limit, units per window (also when the backend failed).
    pub limit: u64,
    /// Units left after this request, `0..=limit`; never negative. Unchanged
    /// by a refused request.
    pub remaining: u64,
    /// Epoch ms when more quota becomes available: the end of the current
    /// window (fixed window, sliding window, Upstash-compatible), or when the
    /// next unit frees (sliding log, token bucket, GCRA); "now" when nothing
    /// is in use.
    pub reset_ms: u64,
    /// Refused: ms until this same request would pass if nothing else
    /// happened (exact, for every exact algorithm); 0 when allowed.
    pub retry_after_ms: u64,
    /// Why: decided by Redis, by the block cache, or by the failure policy.
    pub reason: Reason,
    /// The time the decision was taken, epoch ms: Redis's clock, or the
    /// caller's for the Upstash-compatible algorithms and for answers given
    /// without Redis (block cache, failure). `reset_ms - now_ms` is the wait.
    pub now_ms: u64,
    /// The name of the limiter that decided (the policy name of the
    /// `RateLimit` headers).
    pub limiter: Arc<str>,
    /// For a [`Check::settle`](super::Check::settle): what became of the
    /// reservation; `None` for every other check.
    pub settled: Option<SettleOutcome>,
}

/// A call that cannot be a rate-limit check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// `|cost|` exceeds what the limit can ever grant (the limit; GCRA: its
    /// burst). Refused before any round trip: such a request could never pass,
    /// and is not a lock-out of the identifier.
    #[error("rate limit {limiter}: cost {cost} can never pass a limit of {max_cost} units")]
    CostExceedsLimit {
        /// The limiter's name.
        limiter: String,
        /// The cost asked.
        cost: i64,
        /// The largest `|cost|` the limiter accepts.
        max_cost: u64,
    },
    /// The same key was named twice in one all-or-nothing check (the same
    /// limiter and identifier, or two limiters sharing name, prefix and algorithm).
    #[error("rate limit check names key {key} twice")]
    DuplicateCheck {
        /// The key named twice.
        key: String,
    },
    /// The operation does not apply to this limiter's algorithm: a lease
    /// ([`Limiter::acquire`](super::Limiter::acquire)) needs
    /// [`Algorithm::Concurrency`](super::Algorithm::Concurrency) (and a
    /// concurrency limit is spent only through leases); a reservation needs
    /// an algorithm that [`settles`](super::Algorithm::settles); overrides
    /// need [`LimiterBuilder::overrides`](super::LimiterBuilder::overrides)
    /// and an exact algorithm.
    #[error("rate limit {limiter}: {operation} does not apply to its algorithm {algorithm}")]
    Unsupported {
        /// The limiter's name.
        limiter: String,
        /// What was asked.
        operation: &'static str,
        /// The limiter's algorithm.
        algorithm: Algorithm,
    },
    /// An override that cannot be stored: the limiter holds its maximum
    /// number of overrides already, or the override's limit and window are
    /// out of the limiter's bounds (the message says which).
    #[error("rate limit {limiter}: override refused: {message}")]
    OverrideRefused {
        /// The limiter's name.
        limiter: String,
        /// Why.
        message: String,
    },
    /// Redis failed on a call that is not a check (`get_remaining`, `reset`),
    /// where there is no failure policy to answer instead.
    #[error(transparent)]
    Backend(#[from] UpstashError),
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
    /// another check of the same call, so this one was not asked, or when
    /// this check's [`Guard`](super::Guard) did not hold. A limit
    /// that had room reports `success: true` with its (unspent) remaining
    /// even when another refused.
    pub decisions: Vec<Option<Decision>>,
    /// When the call was screened and refused by the
    /// [`DenyList`](super::DenyList): the ms its entry ends. Nothing was
    /// checked or spent.
    pub denied_until_ms: Option<u64>,
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
        if self.denied_until_ms.is_some() {
            return Reason::DenyList;
        }
        self.evaluated().map(|d| d.reason).find(|r| *r != Reason::None).unwrap_or(Reason::None)
    }
}

/// What [`Limiter::settle`](super::Limiter::settle) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settled {
    /// What became of the reservation.
    pub outcome: SettleOutcome,
    /// The limit after the refund (Redis's answer, or the failure policy's
    /// with its reason).
    pub decision: Decision,
}
