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

mod concurrency;
mod fixed_window;
mod gcra;
mod math;
mod sliding_log;
mod sliding_window;
mod state;
mod token_bucket;

pub use gcra::gcra_interval_us;
#[cfg(test)]
use math::floor_div;
pub(crate) use state::Mode;
pub use state::{Params, State, Verdict};

use crate::ratelimit::Algorithm;

/// Decides a request of `cost` at `now_us`: peek, then commit when it fits
/// and `cost != 0`. Returns the verdict and the state after it; a refused
/// request (and a check, `cost == 0`) returns `state` unchanged.
pub fn decide(params: &Params, state: &State, now_us: i64, cost: i64) -> (Verdict, State) {
    let verdict = run(params, state, now_us, cost, Mode::Peek).0;
    if verdict.ok && cost != 0 {
        run(params, state, now_us, cost, Mode::Commit)
    } else {
        (verdict, state.clone())
    }
}

/// The verdict for a request of `cost` at `now_us`, writing nothing.
pub fn peek(params: &Params, state: &State, now_us: i64, cost: i64) -> Verdict {
    run(params, state, now_us, cost, Mode::Peek).0
}

/// One pass of `params.algorithm` in `mode`: the verdict and the state after
/// it (unchanged by [`Mode::Peek`]). A commit writes whatever `cost` says:
/// call it only for a check that a peek found to fit, as [`decide`] does.
///
/// # Panics
/// For the Upstash-compatible algorithms, which are not modelled.
pub(crate) fn run(params: &Params, state: &State, now_us: i64, cost: i64, mode: Mode) -> (Verdict, State) {
    let limit = params.limit as i64;
    let window = params.window_ms as i64;
    match params.algorithm {
        Algorithm::FixedWindow => fixed_window::fixed_window(limit, window, state, now_us, cost, mode),
        Algorithm::SlidingWindow => sliding_window::sliding_window(limit, window, state, now_us, cost, mode),
        Algorithm::SlidingLog => sliding_log::sliding_log(limit, window, state, now_us, cost, mode),
        Algorithm::TokenBucket => token_bucket::token_bucket(limit, window, state, now_us, cost, mode),
        Algorithm::Gcra => gcra::gcra(limit, window, params.burst as i64, state, now_us, cost, mode),
        Algorithm::Concurrency => concurrency::concurrency(limit, window, params.lease, state, now_us, cost, mode),
        Algorithm::UpstashFixedWindow | Algorithm::UpstashSlidingWindow => {
            panic!("the Upstash-compatible algorithms are not modelled")
        }
    }
}

#[cfg(test)]
mod tests;
