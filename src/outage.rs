//! Logging a backend outage once, not once per request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Tracks whether the cache backend is failing, so that an outage is logged
/// as one warning when it starts and one line when it ends, while every
/// failure is still counted.
#[derive(Debug)]
pub struct OutageLog {
    subject: &'static str,
    consequence: &'static str,
    failing: AtomicBool,
    failures: AtomicU64,
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
            last_error: Mutex::new(None),
        }
    }

    /// Records a failed backend call; warns only if the backend was healthy.
    pub fn failure(&self, operation: &str, error: &dyn std::fmt::Display) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let text = error.to_string();
        if !self.failing.swap(true, Ordering::SeqCst) {
            log::warn!("edgecache: {} failed on {operation}: {text}; {}", self.subject, self.consequence);
        }
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
    }

    /// Records a successful backend call; logs the recovery once.
    pub fn success(&self) {
        if self.failing.swap(false, Ordering::SeqCst) {
            log::info!("edgecache: {} answers again", self.subject);
        }
    }

    /// True between a failure and the next success.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }

    /// Backend failures counted so far.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// The text of the most recent failure, if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
