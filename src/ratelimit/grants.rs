//! What a check can grant beyond a yes: a [`Lease`] on a concurrency slot,
//! a [`Reservation`] of units to settle later, what a settle did
//! ([`SettleOutcome`]); and [`Op`], what a check does.

use std::sync::Arc;

use crate::random::random_u64;

/// A new lease or reservation id: random, 52 bits, so that it travels to
/// the script as a Lua number (a double) exactly.
pub(crate) fn new_id() -> u64 {
    random_u64() & ((1 << 52) - 1)
}

/// What one check of a limit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Spends (or refunds, or only checks) `cost` units.
    Spend,
    /// Takes the concurrency slot of this lease id (cost 1).
    Acquire(u64),
    /// Gives back the concurrency slot of this lease id (cost -1).
    Release(u64),
    /// Spends `cost` units and records them under this reservation id.
    Reserve(u64),
    /// Refunds up to `-cost` units of this reservation id, once.
    Settle(u64),
}

/// An in-flight slot of a concurrency limit
/// ([`Algorithm::Concurrency`](super::Algorithm::Concurrency)), from
/// [`Limiter::acquire`](super::Limiter::acquire) or a successful
/// [`Check::acquire`](super::Check::acquire). Give it back with
/// [`Limiter::release`](super::Limiter::release) (after the response, and on
/// every error path); one never given back ends by itself after the
/// limiter's window (its lease TTL). Releasing twice frees one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The limiter's name.
    pub limiter: Arc<str>,
    /// Whose slot it is.
    pub identifier: String,
    /// The lease's id, random: the member of the identifier's slot set.
    pub id: u64,
}

/// Units spent ahead of knowing the real cost (an LLM call's tokens), from
/// [`Limiter::reserve`](super::Limiter::reserve) or a successful
/// [`Check::reserve`](super::Check::reserve). Settle it with
/// [`Limiter::settle`](super::Limiter::settle) once the real cost is known:
/// the difference is refunded, once, never more than was reserved nor above
/// the limit. A reservation never settled simply stays spent; its record
/// lives one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The limiter's name.
    pub limiter: Arc<str>,
    /// Whose units they are.
    pub identifier: String,
    /// The reservation's id, random.
    pub id: u64,
    /// Units reserved.
    pub cost: u64,
}

/// What a settle did to its reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleOutcome {
    /// Settled now: this many units given back (`reserved - used`, or 0
    /// when `used` was as much or more, or when the window the units were
    /// spent in has passed).
    Refunded(u64),
    /// Settled before (a retry): nothing more given back.
    AlreadySettled,
    /// No such reservation: another identifier's or limiter's, or one whose
    /// record ended (a window after it was made).
    Unknown,
    /// Redis did not answer: nothing given back; a retry may still.
    NotAnswered,
}

impl SettleOutcome {
    /// From the script's `refunded` value.
    pub(crate) fn from_script(refunded: i64) -> SettleOutcome {
        match refunded {
            -1 => SettleOutcome::Unknown,
            -2 => SettleOutcome::AlreadySettled,
            n => SettleOutcome::Refunded(n.max(0).unsigned_abs()),
        }
    }

    /// Units given back by this settle.
    pub fn refunded(self) -> u64 {
        match self {
            SettleOutcome::Refunded(n) => n,
            _ => 0,
        }
    }
}
