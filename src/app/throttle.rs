//! Two small in-isolate bounds for failed credentials, platform-free:
//!
//! - [`FailureWindow`]: failed attempts per address in fixed windows, for a
//!   worker without shared rate limits (no Upstash, or
//!   `RATE_LIMIT_ENABLED=false`): each isolate then throttles on its own.
//!   With Upstash, the `auth` limiter counts failures across isolates instead.
//! - [`LogBudget`]: how many failure lines an isolate logs per minute, so a
//!   flood of bad credentials cannot flood the log (the rest are counted and
//!   reported in one line).

use std::num::NonZeroUsize;

use lru::LruCache;

/// Addresses a [`FailureWindow`] remembers (least recently failed forgotten first).
pub const FAILURE_WINDOW_ADDRESSES: usize = 10_000;

/// Failed attempts per address, at most `limit` per `window_ms`.
pub struct FailureWindow {
    limit: u64,
    window_ms: u64,
    /// Address → (window start, failures in it).
    seen: LruCache<String, (u64, u64)>,
}

impl FailureWindow {
    /// At most `limit` failures per `window_ms` per address.
    pub fn new(limit: u64, window_ms: u64) -> Self {
        let capacity = NonZeroUsize::new(FAILURE_WINDOW_ADDRESSES).expect("non-zero");
        FailureWindow { limit, window_ms: window_ms.max(1), seen: LruCache::new(capacity) }
    }

    /// Counts a failure of `address` at `now_ms`: `Ok` while within the
    /// limit, else `Err(retry_after_ms)` (the refused failure is not counted).
    ///
    /// # Errors
    /// The ms until the address's window ends, once it is over the limit.
    pub fn fail(&mut self, address: &str, now_ms: u64) -> Result<(), u64> {
        let window_ms = self.window_ms;
        let entry = self.seen.get_or_insert_mut(address.to_owned(), || (now_ms, 0));
        if now_ms.saturating_sub(entry.0) >= window_ms {
            *entry = (now_ms, 0);
        }
        if entry.1 >= self.limit {
            return Err((entry.0 + window_ms).saturating_sub(now_ms).max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// Lines an isolate logs per minute of one kind.
pub struct LogBudget {
    per_minute: u32,
    minute_start_ms: u64,
    used: u32,
    suppressed: u64,
}

/// What to do with one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDecision {
    /// Log it; `suppressed` lines were dropped in the minute before.
    Log {
        /// Lines dropped since the last one logged.
        suppressed: u64,
    },
    /// Drop it (counted, reported with the next line logged).
    Drop,
}

impl LogBudget {
    /// At most `per_minute` lines a minute.
    pub fn new(per_minute: u32) -> Self {
        LogBudget { per_minute, minute_start_ms: 0, used: 0, suppressed: 0 }
    }

    /// Whether a line at `now_ms` is logged.
    pub fn take(&mut self, now_ms: u64) -> LogDecision {
        if now_ms.saturating_sub(self.minute_start_ms) >= 60_000 {
            self.minute_start_ms = now_ms;
            self.used = 0;
        }
        if self.used >= self.per_minute {
            self.suppressed += 1;
            return LogDecision::Drop;
        }
        self.used += 1;
        LogDecision::Log { suppressed: std::mem::take(&mut self.suppressed) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_counted_per_address_and_window() {
        let mut window = FailureWindow::new(2, 60_000);
        assert_eq!(window.fail("a", 1_000), Ok(()));
        assert_eq!(window.fail("a", 2_000), Ok(()));
        assert_eq!(window.fail("a", 3_000), Err(58_000));
        assert_eq!(window.fail("b", 3_000), Ok(()), "another address");
        assert_eq!(window.fail("a", 61_000), Ok(()), "a new window");
    }

    #[test]
    fn the_window_forgets_the_least_recent_addresses() {
        let mut window = FailureWindow::new(1, 60_000);
        for i in 0..=FAILURE_WINDOW_ADDRESSES {
            let _ = window.fail(&i.to_string(), 0);
        }
        assert_eq!(window.fail("0", 1), Ok(()), "the oldest was forgotten");
        assert!(window.fail(&FAILURE_WINDOW_ADDRESSES.to_string(), 1).is_err());
    }

    #[test]
    fn the_log_budget_drops_past_its_minute_and_reports_what_it_dropped() {
        let mut budget = LogBudget::new(2);
        assert_eq!(budget.take(0), LogDecision::Log { suppressed: 0 });
        assert_eq!(budget.take(1), LogDecision::Log { suppressed: 0 });
        assert_eq!(budget.take(2), LogDecision::Drop);
        assert_eq!(budget.take(3), LogDecision::Drop);
        assert_eq!(budget.take(60_001), LogDecision::Log { suppressed: 2 });
    }
}
