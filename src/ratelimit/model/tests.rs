//! Property tests of the pure decision logic: every algorithm keeps its
//! bound under any sequence of requests on an injected clock.

use super::*;
use proptest::prelude::*;

const EXACT: [Algorithm; 5] =
    [Algorithm::FixedWindow, Algorithm::SlidingWindow, Algorithm::SlidingLog, Algorithm::TokenBucket, Algorithm::Gcra];

/// An epoch time in microseconds around 2026, at any sub-millisecond offset.
const T0: i64 = 1_780_000_000_000_000;

fn params() -> impl Strategy<Value = Params> {
    (0usize..5, 1u64..=12, 1u64..=3_000, 1u64..=12).prop_map(|(a, limit, window_ms, b)| Params {
        algorithm: EXACT[a],
        limit,
        window_ms,
        burst: b.min(limit),
        lease: 0,
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
    let p = Params { algorithm: Algorithm::Gcra, limit: 4, window_ms: 1_000, burst: 1, lease: 0 };
    let (v, s) = decide(&p, &State::Empty, T0, 1);
    assert!(v.ok);
    let (v2, _) = decide(&p, &s, T0 + 1_000, 1);
    assert!(!v2.ok);
    assert_eq!(v2.retry_after_ms, 249); // 250 ms interval, 1 ms already gone
    assert!(decide(&p, &s, T0 + 250_000, 1).0.ok);
}

#[test]
fn token_bucket_refills_continuously_not_in_steps() {
    let p = Params { algorithm: Algorithm::TokenBucket, limit: 10, window_ms: 1_000, burst: 10, lease: 0 };
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
    let p = Params { algorithm: Algorithm::FixedWindow, limit: 3, window_ms: 60_000, burst: 3, lease: 0 };
    let t = 1_800_000_000_000_000; // a window boundary
    let (_, s) = decide(&p, &State::Empty, t, 2);
    let (refused, s2) = decide(&p, &s, t + 1, 2);
    assert!(!refused.ok);
    assert_eq!(s2, s);
    let (v, _) = decide(&p, &s2, t + 2, 1);
    assert!(v.ok);
    assert_eq!(v.remaining, 0);
}
