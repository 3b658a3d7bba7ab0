//! [`Backoff`]: pauses that double from a first one up to a cap, each slept
//! on a timer of the caller's own (`futures-timer`: a `setTimeout` of the
//! current request on wasm32), so a request that polls for another's result
//! never waits on that request's I/O. A leaf: imports nothing of the crate.
//!
//! The cache's two pollers:
//! - [`FLIGHT_FOLLOWER`]: a single-flight follower looking at the flight
//!   table for its leader's result (1 ms, doubling to 16 ms);
//! - [`LEASE_WAITER`]: a read polling Upstash for another isolate's
//!   leaseholder's value (25 ms, doubling to 200 ms; one `MGET` each).

use std::time::Duration;

/// A single-flight follower's pauses between two looks at the flight table:
/// 1 ms, doubling to 16 ms (the most a follower adds to the leader's time
/// once the result is there).
pub const FLIGHT_FOLLOWER: Backoff = Backoff::new(Duration::from_millis(1), Duration::from_millis(16));

/// A lease waiter's pauses between two leased reads of the shared tier:
/// 25 ms, doubling to 200 ms (one round trip each).
pub const LEASE_WAITER: Backoff = Backoff::new(Duration::from_millis(25), Duration::from_millis(200));

/// Pauses that start at `first` and double after each one, up to `max`,
/// counting the time handed out. A `Copy` value: take a fresh one per wait
/// (`let mut backoff = LEASE_WAITER;`). Whole milliseconds.
///
/// ```
/// use std::time::Duration;
/// use edgecache::backoff::Backoff;
///
/// let mut backoff = Backoff::new(Duration::from_millis(25), Duration::from_millis(200));
/// let pauses: Vec<u128> = (0..5).map(|_| backoff.next_pause().as_millis()).collect();
/// assert_eq!(pauses, [25, 50, 100, 200, 200]);
/// assert_eq!(backoff.waited(), Duration::from_millis(575));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    next_ms: u64,
    max_ms: u64,
    waited_ms: u64,
}

impl Backoff {
    /// Pauses of `first`, then twice as long each time, never over `max`.
    pub const fn new(first: Duration, max: Duration) -> Self {
        Backoff { next_ms: first.as_millis() as u64, max_ms: max.as_millis() as u64, waited_ms: 0 }
    }

    /// The pause to take now; the next one doubles (up to the cap).
    pub fn next_pause(&mut self) -> Duration {
        let pause_ms = self.next_ms.min(self.max_ms);
        self.next_ms = pause_ms.saturating_mul(2).min(self.max_ms);
        self.waited_ms = self.waited_ms.saturating_add(pause_ms);
        Duration::from_millis(pause_ms)
    }

    /// A timer of the caller's own for the next pause: `backoff.sleep().await`.
    pub fn sleep(&mut self) -> futures_timer::Delay {
        futures_timer::Delay::new(self.next_pause())
    }

    /// The pauses handed out so far, together.
    pub fn waited(&self) -> Duration {
        Duration::from_millis(self.waited_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pauses_ms(mut backoff: Backoff, n: usize) -> Vec<u128> {
        (0..n).map(|_| backoff.next_pause().as_millis()).collect()
    }

    #[test]
    fn the_cache_pollers_double_up_to_their_caps() {
        assert_eq!(pauses_ms(FLIGHT_FOLLOWER, 7), [1, 2, 4, 8, 16, 16, 16]);
        assert_eq!(pauses_ms(LEASE_WAITER, 5), [25, 50, 100, 200, 200]);
    }
}
