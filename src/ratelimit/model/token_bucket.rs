//! Token bucket with continuous refill (`scripts/token_bucket.lua`): tokens
//! scaled by `W`, so refill (`limit` per `W`) is exact integer arithmetic.
//! See [`Algorithm::TokenBucket`](crate::ratelimit::Algorithm::TokenBucket).

use super::math::{ceil_div, floor_div};
use super::state::{Mode, State, Verdict};

/// One token-bucket check of `cost` at `now_us`, as the script's peek or commit.
pub(super) fn token_bucket(limit: i64, w: i64, state: &State, now_us: i64, cost: i64, mode: Mode) -> (Verdict, State) {
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
    if mode == Mode::Commit {
        let n2 = (n - cost * w).min(cap);
        let next = if n2 >= cap { State::Empty } else { State::TokenBucket { units: n2, at_ms: now } };
        let (remaining, reset, block) = report(n2);
        return (Verdict::clamped(true, remaining, reset, 0, block), next);
    }
    let (remaining, reset, block) = report(n);
    let (ok, retry) = if cost < 0 {
        (true, 0)
    } else {
        let need = cost.max(1) * w;
        let ok = n >= need;
        (ok, if ok { 0 } else { ceil_div(need - n, limit) })
    };
    (Verdict::clamped(ok, remaining, reset, retry, block), state.clone())
}
