//! GCRA, the Generic Cell Rate Algorithm (`scripts/gcra.lua`): ATM Forum
//! Traffic Management 4.0's "virtual scheduling", as in redis-cell: the
//! theoretical arrival time (TAT) in microseconds.
//! See [`Algorithm::Gcra`](crate::ratelimit::Algorithm::Gcra).

use super::math::{ceil_div, floor_div};
use super::state::{Mode, State, Verdict};

/// GCRA's emission interval in microseconds for `limit` per `window_ms`.
pub fn gcra_interval_us(limit: u64, window_ms: u64) -> u64 {
    (window_ms * 1000).div_ceil(limit)
}

/// One GCRA check of `cost` at `now` (µs), with tolerance `burst` units, as
/// the script's peek or commit.
pub(super) fn gcra(limit: i64, w: i64, burst: i64, state: &State, now: i64, cost: i64, mode: Mode) -> (Verdict, State) {
    let t = ceil_div(w * 1000, limit);
    let tol = burst * t;
    let tat = match state {
        State::Gcra { tat_us } => (*tat_us).max(now),
        _ => now,
    };
    let report = |tat: i64| {
        let d = tat - now;
        let remaining = floor_div(tol - d, t).clamp(0, burst);
        let reset = if d <= 0 { floor_div(now, 1000) } else { ceil_div(now + d - (ceil_div(d, t) - 1) * t, 1000) };
        let block = ceil_div((tat + t - tol - now).max(0), 1000);
        (remaining, reset, block)
    };
    if mode == Mode::Commit {
        let tat2 = now.max(tat + cost * t);
        let next = if tat2 <= now { State::Empty } else { State::Gcra { tat_us: tat2 } };
        let (remaining, reset, block) = report(tat2);
        return (Verdict::clamped(true, remaining, reset, 0, block), next);
    }
    let (remaining, reset, block) = report(tat);
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let late = tat + cost.max(1) * t - tol - now;
        (late <= 0, ceil_div(late.max(0), 1000))
    };
    (Verdict::clamped(ok, remaining, reset, retry, block), state.clone())
}
