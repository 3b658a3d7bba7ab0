//! The decision math of the exact algorithms as pure functions of an injected
//! time: what the Lua scripts in `src/ratelimit/scripts/` compute on Redis,
//! written again in Rust so it can be proved with property tests and used to
//! predict or simulate decisions (e.g. in a caller's own tests).
//!
//! Each function mirrors its script line by line: same state, same integer
//! arithmetic, same rounding (`floor` for what is left, `ceil` for waits). The
//! integration test `lua_matches_the_pure_model` runs random sequences through
//! both and compares every answer.
//!
//! Times are microseconds since the epoch (`now_us`); the fixed window, the
//! sliding window and the token bucket work in whole milliseconds
//! (`now_us / 1000`), the sliding log and GCRA in microseconds.
//!
//! ```
//! use edgecache::ratelimit::model::{decide, Params, State};
//! use edgecache::ratelimit::Algorithm;
//!
//! // 2 per second, fixed window: the third request of a second is refused,
//! // without being counted, until the next window.
//! let params = Params { algorithm: Algorithm::FixedWindow, limit: 2, window_ms: 1_000, burst: 2, lease: 0 };
//! let mut state = State::Empty;
//! let now_us = 1_700_000_000_000_000;
//! for expected in [true, true, false] {
//!     let (verdict, next) = decide(&params, &state, now_us, 1);
//!     assert_eq!(verdict.ok, expected);
//!     state = next;
//! }
//! let (verdict, _) = decide(&params, &state, now_us + 1_000_000, 1);
//! assert!(verdict.ok && verdict.remaining == 1, "a new window");
//! ```

use super::Algorithm;

/// Parameters of one limit, as the script receives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// The algorithm; the Upstash-compatible ones are not modelled here.
    pub algorithm: Algorithm,
    /// Units allowed per window (token bucket: capacity and refill per window).
    pub limit: u64,
    /// The window, in milliseconds.
    pub window_ms: u64,
    /// GCRA only: units that may be spent at once, `1..=limit`.
    pub burst: u64,
    /// Concurrency only: the lease a check takes (cost 1) or gives back
    /// (cost -1); 0 otherwise.
    pub lease: u64,
}

/// What Redis holds for one identifier, per algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum State {
    /// No key: a fresh identifier (also what an expired key is).
    #[default]
    Empty,
    /// Fixed window: the window index (`now_ms / window_ms`) and units used in it.
    FixedWindow {
        /// Window index.
        window: i64,
        /// Units used in that window.
        used: i64,
    },
    /// Sliding window: the window index, units in it and in the one before.
    SlidingWindow {
        /// Window index.
        window: i64,
        /// Units counted in `window`.
        current: i64,
        /// Units counted in `window - 1`.
        previous: i64,
    },
    /// Sliding log: one score (microseconds) per unit, ascending, unique.
    SlidingLog {
        /// The scores, ascending.
        scores_us: Vec<i64>,
    },
    /// Token bucket: tokens scaled by `window_ms` (one token = `window_ms`
    /// units), as of `at_ms`.
    TokenBucket {
        /// Scaled tokens.
        units: i64,
        /// When `units` was computed, epoch ms.
        at_ms: i64,
    },
    /// GCRA: the theoretical arrival time, epoch microseconds.
    Gcra {
        /// TAT, epoch microseconds.
        tat_us: i64,
    },
    /// Concurrency: the leases held, `(lease id, epoch ms it ends)`, in
    /// the order the sorted set keeps them (by end, then id as text).
    Concurrency {
        /// The leases.
        leases: Vec<(u64, i64)>,
    },
}

/// The answer for one limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The request fits (for cost 0: a request of cost 1 would).
    pub ok: bool,
    /// Units left after this request (or now, when nothing was spent), `0..=limit`.
    pub remaining: u64,
    /// Epoch ms when more quota becomes available (see [`super::Decision::reset_ms`]).
    pub reset_ms: u64,
    /// When refused: ms until this request would fit, nothing else happening; else 0.
    pub retry_after_ms: u64,
    /// Ms until a request of cost 1 fits (0 if it fits now): how long the
    /// block cache may refuse this identifier without asking.
    pub block_ms: u64,
}

/// Decides a request of `cost` at `now_us`: peek, then commit when it fits
/// and `cost != 0`. Returns the verdict and the state after it; a refused
/// request (and a check, `cost == 0`) returns `state` unchanged.
pub fn decide(params: &Params, state: &State, now_us: i64, cost: i64) -> (Verdict, State) {
    let verdict = run(params, state, now_us, cost, false).0;
    if verdict.ok && cost != 0 {
        run(params, state, now_us, cost, true)
    } else {
        (verdict, state.clone())
    }
}

/// The verdict for a request of `cost` at `now_us`, writing nothing.
pub fn peek(params: &Params, state: &State, now_us: i64, cost: i64) -> Verdict {
    run(params, state, now_us, cost, false).0
}

fn run(params: &Params, state: &State, now_us: i64, cost: i64, commit: bool) -> (Verdict, State) {
    let limit = params.limit as i64;
    let window = params.window_ms as i64;
    match params.algorithm {
        Algorithm::FixedWindow => fixed_window(limit, window, state, now_us, cost, commit),
        Algorithm::SlidingWindow => sliding_window(limit, window, state, now_us, cost, commit),
        Algorithm::SlidingLog => sliding_log(limit, window, state, now_us, cost, commit),
        Algorithm::TokenBucket => token_bucket(limit, window, state, now_us, cost, commit),
        Algorithm::Gcra => gcra(limit, window, params.burst as i64, state, now_us, cost, commit),
        Algorithm::Concurrency => concurrency(limit, window, params.lease, state, now_us, cost, commit),
        Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow => {
            panic!("the Upstash-compatible algorithms are not modelled")
        }
    }
}

/// `floor(a / b)` for `b > 0`.
pub(crate) fn floor_div(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

/// `ceil(a / b)` for `b > 0`.
pub(crate) fn ceil_div(a: i64, b: i64) -> i64 {
    -(-a).div_euclid(b)
}

fn u(x: i64) -> u64 {
    x.max(0) as u64
}

fn verdict(ok: bool, remaining: i64, reset_ms: i64, retry_ms: i64, block_ms: i64) -> Verdict {
    Verdict { ok, remaining: u(remaining), reset_ms: u(reset_ms), retry_after_ms: u(retry_ms), block_ms: u(block_ms) }
}

fn fixed_window(limit: i64, w: i64, state: &State, now_us: i64, cost: i64, commit: bool) -> (Verdict, State) {
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
    if commit {
        let (n2, remaining, block) = report((n + cost).clamp(0, limit));
        let next = State::FixedWindow { window: k, used: n2 };
        return (verdict(true, remaining, end, 0, block), next);
    }
    let (_, remaining, block) = report(n);
    let ok = cost < 0 || n + cost.max(1) <= limit;
    let retry = if ok { 0 } else { end - now };
    (verdict(ok, remaining, end, retry, block), state.clone())
}

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

fn sliding_window(limit: i64, w: i64, state: &State, now_us: i64, cost: i64, commit: bool) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let k = floor_div(now, w);
    let (cur, prev) = match state {
        State::SlidingWindow { window, current, previous } if *window == k => (*current, *previous),
        State::SlidingWindow { window, current, .. } if *window == k - 1 => (0, *current),
        _ => (0, 0),
    };
    let sw = Sw { limit, w, prev, e: now - k * w };
    let reset = (k + 1) * w;
    if commit {
        let cur2 = (cur + cost).max(0);
        let next = State::SlidingWindow { window: k, current: cur2, previous: prev };
        let v = verdict(true, sw.remaining(cur2), reset, 0, sw.wait(cur2, 1));
        return (v, next);
    }
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let need = cost.max(1);
        (sw.fits(cur, need, sw.e), sw.wait(cur, need))
    };
    let v = verdict(ok, sw.remaining(cur), reset, retry, sw.wait(cur, 1));
    (v, state.clone())
}

fn sliding_log(limit: i64, w: i64, state: &State, now: i64, cost: i64, commit: bool) -> (Verdict, State) {
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
    if commit {
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
        return (verdict(true, limit - count, reset, 0, block), next);
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
    (verdict(ok, (limit - count).clamp(0, limit), reset, retry, block), state.clone())
}

fn token_bucket(limit: i64, w: i64, state: &State, now_us: i64, cost: i64, commit: bool) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let cap = limit * w;
    let n = match state {
        State::TokenBucket { units, at_ms } => (units + (now - at_ms).clamp(0, w) * limit).min(cap),
        _ => cap,
    };
    let report = |n: i64| {
        let remaining = floor_div(n, w).clamp(0, limit);
        let reset = if n >= cap { now } else { now + ceil_div((floor_div(n, w) + 1) * w - n, limit) };
        let block = if n >= w { 0 } else { ceil_div(w - n, limit) };
        (remaining, reset, block)
    };
    if commit {
        let n2 = (n - cost * w).min(cap);
        let next = if n2 >= cap { State::Empty } else { State::TokenBucket { units: n2, at_ms: now } };
        let (remaining, reset, block) = report(n2);
        return (verdict(true, remaining, reset, 0, block), next);
    }
    let (remaining, reset, block) = report(n);
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let need = cost.max(1) * w;
        let ok = n >= need;
        (ok, if ok { 0 } else { ceil_div(need - n, limit) })
    };
    (verdict(ok, remaining, reset, retry, block), state.clone())
}

fn concurrency(
    limit: i64,
    ttl: i64,
    lease: u64,
    state: &State,
    now_us: i64,
    cost: i64,
    commit: bool,
) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let mut leases: Vec<(u64, i64)> = match state {
        State::Concurrency { leases } => leases.clone(),
        _ => Vec::new(),
    };
    // What the script reads: leases ending after now.
    let report = |leases: &[(u64, i64)]| {
        let live: Vec<i64> = leases.iter().map(|(_, end)| *end).filter(|end| *end > now).collect();
        let first_end = live.iter().copied().min();
        (live.len() as i64, first_end)
    };
    if commit {
        leases.retain(|(_, end)| *end > now);
        leases.retain(|(id, _)| *id != lease);
        if cost > 0 {
            leases.push((lease, now + ttl));
        }
        leases.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())));
        let (count, first_end) = report(&leases);
        let next = if leases.is_empty() { State::Empty } else { State::Concurrency { leases } };
        return (verdict(true, (limit - count).clamp(0, limit), first_end.unwrap_or(now), 0, 0), next);
    }
    let (count, first_end) = report(&leases);
    let renewing = leases.iter().any(|(id, end)| *id == lease && *end > now);
    let (ok, retry) = if cost < 0 || renewing {
        (true, 0)
    } else {
        let ok = count < limit;
        (ok, if ok { 0 } else { first_end.map_or(0, |end| end - now) })
    };
    (verdict(ok, (limit - count).clamp(0, limit), first_end.unwrap_or(now), retry, 0), state.clone())
}

/// GCRA's emission interval in microseconds for `limit` per `window_ms`.
pub fn gcra_interval_us(limit: u64, window_ms: u64) -> u64 {
    (window_ms * 1000).div_ceil(limit)
}

fn gcra(limit: i64, w: i64, burst: i64, state: &State, now: i64, cost: i64, commit: bool) -> (Verdict, State) {
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
    if commit {
        let tat2 = now.max(tat + cost * t);
        let next = if tat2 <= now { State::Empty } else { State::Gcra { tat_us: tat2 } };
        let (remaining, reset, block) = report(tat2);
        return (verdict(true, remaining, reset, 0, block), next);
    }
    let (remaining, reset, block) = report(tat);
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let late = tat + cost.max(1) * t - tol - now;
        (late <= 0, ceil_div(late.max(0), 1000))
    };
    (verdict(ok, remaining, reset, retry, block), state.clone())
}

#[cfg(test)]
mod tests;
