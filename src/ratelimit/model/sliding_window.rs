//! Sliding window (`scripts/sliding_window.lua`): the weighted two-window
//! counter of Cloudflare's "How we built rate limiting capable of scaling to
//! millions of domains" (2017), in exact integer arithmetic.
//! See [`Algorithm::SlidingWindow`](crate::ratelimit::Algorithm::SlidingWindow).

use super::math::floor_div;
use super::state::{Mode, State, Verdict};

/// The weighted count at offset `e` (ms) into the current window, with
/// `prev` units in the window before: what fits, how long to wait, what is left.
struct Sw {
    limit: i64,
    w: i64,
    prev: i64,
    e: i64,
}

impl Sw {
    fn fits(&self, cur: i64, x: i64, e: i64) -> bool {
        self.prev * (self.w - e) + (cur + x) * self.w <= self.limit * self.w
    }

    fn wait(&self, cur: i64, x: i64) -> i64 {
        let (l, w, p, e) = (self.limit, self.w, self.prev, self.e);
        if self.fits(cur, x, e) {
            return 0;
        }
        let room = l - cur - x;
        if room >= 0 && p > 0 {
            let e2 = w - floor_div(room * w, p);
            if e2 < w {
                return e2 - e;
            }
        }
        if cur == 0 {
            return w - e;
        }
        let e3 = w - floor_div((l - x) * w, cur);
        if e3 < w {
            return w - e + e3;
        }
        2 * w - e
    }

    fn remaining(&self, cur: i64) -> i64 {
        (floor_div(self.limit * self.w - self.prev * (self.w - self.e), self.w) - cur).clamp(0, self.limit)
    }
}

/// One sliding-window check of `cost` at `now_us`, as the script's peek or commit.
pub(super) fn sliding_window(
    limit: i64,
    w: i64,
    state: &State,
    now_us: i64,
    cost: i64,
    mode: Mode,
) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let k = floor_div(now, w);
    let (cur, prev) = match state {
        State::SlidingWindow { window, current, previous } if *window == k => (*current, *previous),
        State::SlidingWindow { window, current, .. } if *window == k - 1 => (0, *current),
        _ => (0, 0),
    };
    let sw = Sw { limit, w, prev, e: now - k * w };
    let reset = (k + 1) * w;
    if mode == Mode::Commit {
        let cur2 = (cur + cost).max(0);
        let next = State::SlidingWindow { window: k, current: cur2, previous: prev };
        let v = Verdict::clamped(true, sw.remaining(cur2), reset, 0, sw.wait(cur2, 1));
        return (v, next);
    }
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let need = cost.max(1);
        (sw.fits(cur, need, sw.e), sw.wait(cur, need))
    };
    let v = Verdict::clamped(ok, sw.remaining(cur), reset, retry, sw.wait(cur, 1));
    (v, state.clone())
}
