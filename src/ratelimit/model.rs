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
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EXACT: [Algorithm; 5] = [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::SlidingLog,
        Algorithm::TokenBucket,
        Algorithm::Gcra,
    ];

    /// An epoch time in microseconds around 2026, at any sub-millisecond offset.
    const T0: i64 = 1_780_000_000_000_000;

    fn params() -> impl Strategy<Value = Params> {
        (0usize..5, 1u64..=12, 1u64..=3_000, 1u64..=12).prop_map(|(a, limit, window_ms, b)| Params {
            algorithm: EXACT[a],
            limit,
            window_ms,
            burst: b.min(limit),
        })
    }

    /// Steps: (microseconds to wait, cost in -limit..=limit).
    fn steps() -> impl Strategy<Value = Vec<(i64, i64)>> {
        prop::collection::vec((0i64..1_500_000, -3i64..=12), 0..40)
    }

    /// Replays `steps` from `start`, clamping costs to the limit (the Rust API
    /// refuses larger ones before any round trip).
    fn replay(p: &Params, start: i64, steps: &[(i64, i64)]) -> (State, i64, Vec<Verdict>) {
        let mut state = State::Empty;
        let mut now = start;
        let mut verdicts = Vec::new();
        for (dt, cost) in steps {
            now += dt;
            let cost = (*cost).clamp(-(p.limit as i64), max_cost(p));
            let (v, next) = decide(p, &state, now, cost);
            state = next;
            verdicts.push(v);
        }
        (state, now, verdicts)
    }

    fn max_cost(p: &Params) -> i64 {
        if p.algorithm == Algorithm::Gcra {
            p.burst as i64
        } else {
            p.limit as i64
        }
    }

    fn upper(p: &Params) -> u64 {
        if p.algorithm == Algorithm::Gcra {
            p.burst
        } else {
            p.limit
        }
    }

    proptest! {
        // No regression files: they would land outside src/ratelimit.
        #![proptest_config(ProptestConfig {
            cases: 2_000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Never allowed before `retry_after_ms`, allowed exactly at it.
        #[test]
        fn refused_until_retry_after_then_allowed(
            p in params(), start in 0i64..1_000_000, s in steps(), wait in 0i64..4_000_000, cost in 1i64..=12,
        ) {
            let (state, now, _) = replay(&p, T0 + start, &s);
            let now = now + wait;
            let cost = cost.min(max_cost(&p));
            let v = peek(&p, &state, now, cost);
            if v.ok {
                prop_assert_eq!(v.retry_after_ms, 0);
            } else {
                let retry = v.retry_after_ms as i64;
                prop_assert!(retry > 0, "{v:?}");
                let at = now + retry * 1000;
                prop_assert!(peek(&p, &state, at, cost).ok, "not allowed at retry_after: {v:?}");
                prop_assert!(!peek(&p, &state, at - 1000, cost).ok, "allowed 1 ms before retry_after: {v:?}");
                prop_assert!(!peek(&p, &state, now + (retry - 1) * 1000 / 2, cost).ok);
            }
        }

        /// The block cache may refuse any cost >= 1 for `block_ms`: a request
        /// of cost 1 is refused until then and allowed at it.
        #[test]
        fn block_ms_is_exactly_when_one_unit_frees(
            p in params(), s in steps(), wait in 0i64..4_000_000, cost in 0i64..=12,
        ) {
            let (state, now, _) = replay(&p, T0, &s);
            let now = now + wait;
            let v = peek(&p, &state, now, cost.min(max_cost(&p)));
            let one = peek(&p, &state, now, 1);
            prop_assert_eq!(v.block_ms, one.retry_after_ms);
            if v.block_ms > 0 {
                let b = v.block_ms as i64;
                prop_assert!(peek(&p, &state, now + b * 1000, 1).ok);
                prop_assert!(!peek(&p, &state, now + b * 1000 - 1000, 1).ok);
            }
        }

        /// `remaining` stays within [0, limit] (GCRA: [0, burst]) whatever
        /// happens, refunds included, and a refund never raises it above that.
        #[test]
        fn remaining_stays_within_zero_and_limit(p in params(), s in steps()) {
            let (_, _, verdicts) = replay(&p, T0, &s);
            for v in verdicts {
                prop_assert!(v.remaining <= upper(&p), "{v:?} for {p:?}");
            }
        }

        /// A refused request and a check (cost 0) leave the state as it was.
        #[test]
        fn rejection_and_checks_leave_state_unchanged(
            p in params(), s in steps(), wait in 0i64..2_000_000, cost in 0i64..=12,
        ) {
            let (state, now, _) = replay(&p, T0, &s);
            let cost = cost.min(max_cost(&p));
            let (v, next) = decide(&p, &state, now + wait, cost);
            if !v.ok || cost == 0 {
                prop_assert_eq!(next, state);
            }
        }

        /// An allowed request reports what is left after it: asking again
        /// with cost 0 at the same time gives the same remaining.
        #[test]
        fn remaining_after_commit_is_what_a_check_then_sees(
            p in params(), s in steps(), cost in 1i64..=12,
        ) {
            let (state, now, _) = replay(&p, T0, &s);
            let (v, next) = decide(&p, &state, now, cost.min(max_cost(&p)));
            if v.ok {
                let check = peek(&p, &next, now, 0);
                prop_assert_eq!(check.remaining, v.remaining);
                prop_assert_eq!(check.block_ms, v.block_ms);
            }
        }

        /// Admissions never exceed what each algorithm promises: fixed window
        /// at most `limit` per window; sliding log at most `limit` in any
        /// trailing window; token bucket and GCRA at most
        /// `burst + floor(t / interval)` in any span of length t; sliding
        /// window below `2 * limit` in any window.
        #[test]
        fn admissions_stay_within_each_algorithm_bound(
            p in params(), steps in prop::collection::vec((0i64..400_000, 1i64..=3), 0..120),
        ) {
            let mut state = State::Empty;
            let mut now = T0;
            let mut admitted: Vec<(i64, i64)> = Vec::new();
            for (dt, cost) in steps {
                now += dt;
                let cost = cost.min(max_cost(&p));
                let (v, next) = decide(&p, &state, now, cost);
                state = next;
                if v.ok {
                    admitted.push((now, cost));
                }
            }
            check_bounds(&p, &admitted)?;
        }
    }

    fn check_bounds(p: &Params, admitted: &[(i64, i64)]) -> Result<(), TestCaseError> {
        let l = p.limit as i64;
        let wus = p.window_ms as i64 * 1000;
        for (i, (start, _)) in admitted.iter().enumerate() {
            let mut sum = 0;
            for (at, cost) in &admitted[i..] {
                let span = at - start;
                sum += cost;
                match p.algorithm {
                    Algorithm::FixedWindow => {
                        let w = p.window_ms as i64;
                        if floor_div(*at / 1000, w) == floor_div(start / 1000, w) {
                            prop_assert!(sum <= l, "{sum} > {l} in one fixed window");
                        }
                    }
                    Algorithm::SlidingLog => {
                        if span < wus {
                            prop_assert!(sum <= l, "{sum} > {l} within {span} us");
                        }
                    }
                    Algorithm::SlidingWindow => {
                        if span < wus {
                            prop_assert!(sum < 2 * l, "{sum} >= 2 * {l} within {span} us");
                        }
                    }
                    Algorithm::TokenBucket => {
                        // Refill is per whole ms: span in ms, plus the ms the
                        // first admission may sit at the end of.
                        let span_ms = *at / 1000 - start / 1000;
                        let bound = l + floor_div(span_ms * l, p.window_ms as i64);
                        prop_assert!(sum <= bound, "{sum} > {bound} within {span_ms} ms");
                    }
                    Algorithm::Gcra => {
                        let t = gcra_interval_us(p.limit, p.window_ms) as i64;
                        let bound = p.burst as i64 + floor_div(span, t);
                        prop_assert!(sum <= bound, "{sum} > {bound} within {span} us");
                    }
                    _ => unreachable!(),
                }
            }
        }
        Ok(())
    }

    #[test]
    fn gcra_with_burst_one_paces_to_the_limit_per_window() {
        let p = Params { algorithm: Algorithm::Gcra, limit: 4, window_ms: 1_000, burst: 1 };
        let (v, s) = decide(&p, &State::Empty, T0, 1);
        assert!(v.ok);
        let (v2, _) = decide(&p, &s, T0 + 1_000, 1);
        assert!(!v2.ok);
        assert_eq!(v2.retry_after_ms, 249); // 250 ms interval, 1 ms already gone
        assert!(decide(&p, &s, T0 + 250_000, 1).0.ok);
    }

    #[test]
    fn token_bucket_refills_continuously_not_in_steps() {
        let p = Params { algorithm: Algorithm::TokenBucket, limit: 10, window_ms: 1_000, burst: 10 };
        let (v, s) = decide(&p, &State::Empty, T0, 10);
        assert!(v.ok);
        assert_eq!(v.remaining, 0);
        // One token per 100 ms, not ten at the end of the window.
        assert_eq!(peek(&p, &s, T0 + 99_000, 1).retry_after_ms, 1);
        assert!(peek(&p, &s, T0 + 100_000, 1).ok);
        assert_eq!(peek(&p, &s, T0 + 300_000, 0).remaining, 3);
    }

    #[test]
    fn fixed_window_refusal_does_not_count() {
        let p = Params { algorithm: Algorithm::FixedWindow, limit: 3, window_ms: 60_000, burst: 3 };
        let t = 1_800_000_000_000_000; // a window boundary
        let (_, s) = decide(&p, &State::Empty, t, 2);
        let (refused, s2) = decide(&p, &s, t + 1, 2);
        assert!(!refused.ok);
        assert_eq!(s2, s);
        let (v, _) = decide(&p, &s2, t + 2, 1);
        assert!(v.ok);
        assert_eq!(v.remaining, 0);
    }
}
