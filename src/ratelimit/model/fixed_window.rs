//! Fixed window (`scripts/fixed_window.lua`): at most `limit` units in each
//! window `[k·W, (k+1)·W)` aligned to the epoch, in whole milliseconds.
//! See [`Algorithm::FixedWindow`](crate::ratelimit::Algorithm::FixedWindow).

use super::math::floor_div;
use super::state::{Mode, State, Verdict};

/// One fixed-window check of `cost` at `now_us`, as the script's
/// `fixed_window` peek or commit.
pub(super) fn fixed_window(limit: i64, w: i64, state: &State, now_us: i64, cost: i64, mode: Mode) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let k = floor_div(now, w);
    let n = match state {
        State::FixedWindow { window, used } if *window == k => *used,
        _ => 0,
    };
    let end = (k + 1) * w;
    let report = |n: i64| {
        let block = if n >= limit { end - now } else { 0 };
        (n, (limit - n).clamp(0, limit), block)
    };
    if mode == Mode::Commit {
        let (n2, remaining, block) = report((n + cost).clamp(0, limit));
        let next = State::FixedWindow { window: k, used: n2 };
        return (Verdict::clamped(true, remaining, end, 0, block), next);
    }
    let (_, remaining, block) = report(n);
    let ok = cost < 0 || n + cost.max(1) <= limit;
    let retry = if ok { 0 } else { end - now };
    (Verdict::clamped(ok, remaining, end, retry, block), state.clone())
}
