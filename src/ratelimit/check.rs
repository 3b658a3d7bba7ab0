//! [`Check`]: one limit of a rate-limit call (which limiter, whom, at what
//! cost, on what [`Guard`], doing what), its checks before any round trip,
//! and its keys and arguments as the script takes them.

use super::algorithm::Algorithm;
use super::decision::RateLimitError;
use super::deny::{screen_args, Screen};
use super::grants::{new_id, Lease, Op, Reservation};
use super::limiter::Limiter;
use super::script::ARGS_PER_LIMIT;
use crate::keys::escape_id;

/// One limit of a rate-limit call, the one shape every call takes
/// ([`Limiter::limit_all`], [`Limiter::prepare_all`],
/// [`Limiter::prepare_screened`], and [`Limiter::limit`] and the grant calls
/// inside): which limiter, for which identifier, at what cost (units of the
/// limiter's [`LimitSpec`](super::LimitSpec)), on what [`Guard`], and what
/// it does: spend ([`new`](Self::new)), take or give back a concurrency slot
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
    /// What the check does: spend, acquire, release, reserve, settle.
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

    /// Refuses, before any round trip, an operation its limiter cannot do.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] for an operation the limiter's
    /// algorithm does not have; [`RateLimitError::CostExceedsLimit`] for a
    /// `|cost|` above [`Limiter::max_cost`] (a settle's cost is units used,
    /// not spent: it has no bound).
    pub(super) fn validate(&self) -> Result<(), RateLimitError> {
        let limiter = self.limiter;
        let unsupported = |operation| RateLimitError::Unsupported {
            limiter: limiter.name.to_string(),
            operation,
            algorithm: limiter.algorithm,
        };
        let concurrency = limiter.algorithm == Algorithm::Concurrency;
        match self.op {
            Op::Acquire(_) | Op::Release(_) if !concurrency => return Err(unsupported("a lease")),
            Op::Spend if concurrency && self.cost != 0 => return Err(unsupported("spending without a lease")),
            Op::Reserve(_) | Op::Settle(_) if !limiter.algorithm.settles() => return Err(unsupported("a reservation")),
            _ => {}
        }
        if self.cost.unsigned_abs() > limiter.max_cost() && !matches!(self.op, Op::Settle(_)) {
            let max_cost = limiter.max_cost();
            return Err(RateLimitError::CostExceedsLimit {
                limiter: limiter.name.to_string(),
                cost: self.cost,
                max_cost,
            });
        }
        Ok(())
    }

    /// The units this check spends when Redis did not answer: its cost, but
    /// nothing for a settle (whose cost is the units used, not a spend).
    pub(super) fn cost_without_redis(&self) -> i64 {
        if matches!(self.op, Op::Settle(_)) {
            0
        } else {
            self.cost
        }
    }

    /// The keys and the script arguments of this check, in the script's
    /// order (`scripts/driver.lua`): the guard's key, the override's, the
    /// limit's own, the reservation's; `client_now_ms` is the caller's clock
    /// (which only the Upstash-compatible keys and arguments read).
    pub(super) fn encode(&self, client_now_ms: u64) -> (Vec<String>, [String; ARGS_PER_LIMIT]) {
        let (check, limiter) = (self, self.limiter);
        let mut keys: Vec<String> = check.guard.iter().map(|g| g.key.clone()).collect();
        if limiter.overrides.is_some() {
            keys.push(limiter.override_key(&check.identifier));
        }
        keys.extend(limiter.keys_at(&check.identifier, client_now_ms));
        let reservation = match check.op {
            Op::Reserve(id) | Op::Settle(id) => {
                keys.push(self.reservation_key(id));
                if matches!(check.op, Op::Reserve(_)) {
                    "r"
                } else {
                    "s"
                }
            }
            _ => "",
        };
        let extra = match (limiter.algorithm, check.op) {
            (_, Op::Acquire(lease) | Op::Release(lease)) => lease,
            // 0: the burst follows the limit, an override's included.
            (Algorithm::Gcra, _) if limiter.burst == limiter.spec.limit() => 0,
            (Algorithm::Gcra, _) => limiter.burst,
            (Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow, _) => client_now_ms,
            _ => 0,
        };
        let args = [
            limiter.algorithm.code().to_owned(),
            keys.len().to_string(),
            limiter.spec.limit().to_string(),
            limiter.spec.window_ms().to_string(),
            check.cost.to_string(),
            extra.to_string(),
            check.guard.as_ref().map_or_else(String::new, |g| g.text.clone()),
            if limiter.overrides.is_some() { "1" } else { "" }.to_owned(),
            reservation.to_owned(),
        ];
        (keys, args)
    }

    /// The keys and arguments of this check sent alone, outside an
    /// all-or-nothing call: at the server's time, or at `now_us` (µs, a
    /// test's) with the caller's clock read as `client_now_ms`.
    pub(super) fn alone(&self, now_us: Option<u64>, client_now_ms: u64) -> (Vec<String>, Vec<String>) {
        let (mut keys, mut args) = header(now_us, 1, None);
        let (own, check_args) = self.encode(client_now_ms);
        keys.extend(own);
        args.extend(check_args);
        (keys, args)
    }

    /// The key of this check's reservation `id`.
    fn reservation_key(&self, id: u64) -> String {
        let limiter = self.limiter;
        format!("{}:rl:{}:resv:{}:{id:016x}", limiter.prefix, limiter.name, escape_id(&self.identifier))
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
