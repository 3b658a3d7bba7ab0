//! [`FailurePolicy`]: what a limiter answers when Redis cannot.

/// What a limiter answers when Redis cannot (timeout, transport error, 5xx,
/// an error reply, an open circuit breaker). Never an error: the decision
/// carries the failure as its [`Reason`](super::Reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailurePolicy {
    /// Allow the request (`success: true`, `remaining == limit`), the
    /// limiter's default: availability over enforcement.
    #[default]
    FailOpen,
    /// Refuse (`success: false`, `retry_after_ms ==`
    /// [`FAIL_CLOSED_RETRY_AFTER_MS`](super::FAIL_CLOSED_RETRY_AFTER_MS)): enforcement over availability.
    FailClosed,
    /// Each isolate enforces the limit on its own, with the same algorithm
    /// in memory (bounded), so an outage neither opens the door nor shuts
    /// it: at most `limit × isolates` pass per window, and decisions say
    /// [`Reason::LocalFallback`](super::Reason::LocalFallback). The reference worker's default.
    Local,
}
