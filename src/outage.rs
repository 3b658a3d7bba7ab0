//! Logging a backend outage once, not once per request; and a refused token
//! (a misconfiguration, not an outage) as an error. [`record_outcome`] is
//! the one place a backend call's result goes to the log and the circuit
//! breaker.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::failure::{BackendFailure, CircuitBreaker, Outcome};

/// Records how a call to the backend for `operation` (a word for the log:
/// `"read"`, `"write"`, …) ended, in `log` and in `breaker`, and answers its
/// [`Outcome`] for the caller's counters:
///
/// | `result`                  | outage log                | breaker   |
/// |---------------------------|---------------------------|-----------|
/// | `Ok`                      | success (recovery logged) | closes    |
/// | [`Outcome::Outage`]       | failure (warns once)      | counts    |
/// | [`Outcome::Misconfigured`]| misconfiguration (error)  | unchanged |
/// | [`Outcome::NotMade`]      | nothing                   | unchanged |
///
/// ```
/// use std::sync::Arc;
/// use edgecache::clock::SystemClock;
/// use edgecache::failure::{BreakerSettings, CircuitBreaker, Outcome};
/// use edgecache::outage::{record_outcome, OutageLog};
/// use edgecache::CacheError;
///
/// let log = OutageLog::default();
/// let breaker = CircuitBreaker::new(BreakerSettings::default(), Arc::new(SystemClock));
/// let failed: Result<(), CacheError> = Err(CacheError::CircuitOpen);
/// assert_eq!(record_outcome(&log, Some(&breaker), "read", &failed), Outcome::NotMade);
/// assert_eq!(record_outcome(&log, Some(&breaker), "read", &Ok::<_, CacheError>(())), Outcome::Answered);
/// ```
pub fn record_outcome<T, E: BackendFailure>(
    log: &OutageLog,
    breaker: Option<&CircuitBreaker>,
    operation: &str,
    result: &Result<T, E>,
) -> Outcome {
    let outcome = log.record(operation, result);
    if let Some(breaker) = breaker {
        breaker.record(outcome);
    }
    outcome
}

/// Tracks whether a backend is failing, so that an outage is logged as one
/// warning when it starts and one line when it ends, while every failure is
/// still counted. A refused token ([`misconfiguration`](Self::misconfiguration))
/// is logged as an error, once per episode, and counted apart.
#[derive(Debug)]
pub struct OutageLog {
    subject: &'static str,
    consequence: &'static str,
    failing: AtomicBool,
    failures: AtomicU64,
    misconfigured: AtomicBool,
    misconfigurations: AtomicU64,
    last_error: Mutex<Option<String>>,
}

impl Default for OutageLog {
    /// The cache backend's log.
    fn default() -> Self {
        OutageLog::for_subject("cache backend", "degrading to the backing store until it answers again")
    }
}

impl OutageLog {
    /// A log whose warning reads "edgecache: {subject} failed on {operation}:
    /// {error}; {consequence}".
    pub fn for_subject(subject: &'static str, consequence: &'static str) -> Self {
        OutageLog {
            subject,
            consequence,
            failing: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            misconfigured: AtomicBool::new(false),
            misconfigurations: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    /// Records `result` of a call for `operation` by its [`Outcome`] (the
    /// breaker's part is [`record_outcome`]'s); answers the outcome.
    pub fn record<T, E: BackendFailure>(&self, operation: &str, result: &Result<T, E>) -> Outcome {
        let outcome = Outcome::of(result);
        match (outcome, result) {
            (Outcome::Answered, _) => self.success(),
            (Outcome::Outage, Err(error)) => self.failure(operation, error),
            (Outcome::Misconfigured, Err(error)) => self.misconfiguration(operation, error),
            _ => {}
        }
        outcome
    }

    /// Records a failed backend call; warns only if the backend was healthy.
    pub fn failure(&self, operation: &str, error: &dyn std::fmt::Display) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let text = error.to_string();
        if !self.failing.swap(true, Ordering::SeqCst) {
            log::warn!("edgecache: {} failed on {operation}: {text}; {}", self.subject, self.consequence);
        }
        *crate::sync::lock(&self.last_error) = Some(text);
    }

    /// Records a call the backend refused for its credentials (HTTP 401,
    /// `NOPERM`): logged as an error when it starts, counted apart from outages.
    pub fn misconfiguration(&self, operation: &str, error: &dyn std::fmt::Display) {
        self.misconfigurations.fetch_add(1, Ordering::Relaxed);
        let text = error.to_string();
        if !self.misconfigured.swap(true, Ordering::SeqCst) {
            log::error!(
                "edgecache: {} refused the token on {operation}: {text}; check UPSTASH_REDIS_REST_TOKEN ({})",
                self.subject,
                self.consequence
            );
        }
        *crate::sync::lock(&self.last_error) = Some(text);
    }

    /// Records a successful backend call; logs the recovery once.
    pub fn success(&self) {
        let was_misconfigured = self.misconfigured.swap(false, Ordering::SeqCst);
        if self.failing.swap(false, Ordering::SeqCst) || was_misconfigured {
            log::info!("edgecache: {} answers again", self.subject);
        }
    }

    /// True between a failure and the next success.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }

    /// True between a refused token and the next success.
    pub fn is_misconfigured(&self) -> bool {
        self.misconfigured.load(Ordering::SeqCst)
    }

    /// Backend failures (outages) counted so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// Calls refused for their credentials, counted so far.
    pub fn misconfigurations(&self) -> u64 {
        self.misconfigurations.load(Ordering::Relaxed)
    }

    /// The text of the most recent failure, if any.
    pub fn last_error(&self) -> Option<String> {
        crate::sync::lock(&self.last_error).clone()
    }
}
