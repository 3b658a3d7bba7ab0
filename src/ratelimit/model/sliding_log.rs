//! Sliding log (`scripts/sliding_log.lua`): one score (µs) per unit, so never
//! more than `limit` units in any window of `W`.
//! See [`Algorithm::SlidingLog`](crate::ratelimit::Algorithm::SlidingLog).

use super::math::{ceil_div, floor_div};
use super::state::{Mode, State, Verdict};

/// One sliding-log check of `cost` at `now` (µs), as the script's peek or commit.
pub(super) fn sliding_log(limit: i64, w: i64, state: &State, now: i64, cost: i64, mode: Mode) -> (Verdict, State) {
    let wus = w * 1000;
    let floor = now - wus;
    let mut scores: Vec<i64> = match state {
        State::SlidingLog { scores_us } => scores_us.clone(),
        _ => Vec::new(),
    };
    // What the script reads: entries with score > now - W, ascending.
    let report = |scores: &[i64]| {
        let live: Vec<i64> = scores.iter().copied().filter(|s| *s > floor).collect();
        let count = live.len() as i64;
        let reset = match live.first() {
            Some(oldest) => ceil_div(oldest + wus, 1000),
            None => floor_div(now, 1000),
        };
        let wait = |x: i64| {
            let excess = count + x - limit;
            if excess <= 0 {
                0
            } else {
                ceil_div(live[(excess - 1) as usize] + wus - now, 1000)
            }
        };
        (count, reset, wait(1), live)
    };
    if mode == Mode::Commit {
        scores.retain(|s| *s > floor);
        if cost > 0 {
            let mut base = now;
            if let Some(newest) = scores.last() {
                if *newest >= base {
                    base = newest + 1;
                }
            }
            scores.extend((0..cost).map(|i| base + i));
        } else {
            let keep = scores.len().saturating_sub((-cost) as usize);
            scores.truncate(keep);
        }
        let (count, reset, block, _) = report(&scores);
        let next = if scores.is_empty() { State::Empty } else { State::SlidingLog { scores_us: scores } };
        return (Verdict::clamped(true, limit - count, reset, 0, block), next);
    }
    let (count, reset, block, live) = report(&scores);
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let need = cost.max(1);
        let excess = count + need - limit;
        let retry = if excess <= 0 { 0 } else { ceil_div(live[(excess - 1) as usize] + wus - now, 1000) };
        (count + need <= limit, retry)
    };
    (Verdict::clamped(ok, (limit - count).clamp(0, limit), reset, retry, block), state.clone())
}
