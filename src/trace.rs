//! [`Trace`]: what one request did, counted while its future is polled:
//! the REST round trips it sent and the rate-limit decisions it got.
//!
//! An isolate serves many requests at once, so its counters (a client's
//! [`round_trips`](crate::upstash::UpstashClient::round_trips), a limiter's
//! [`stats`](crate::ratelimit::Limiter::stats)) cannot say which request did
//! what. A [`traced`] future can: while it is polled, it is the thread's
//! current trace, and every round trip sent and every decision counted in
//! that poll is its own. Work a request leaves behind (`ctx.waitUntil`, a
//! spawned task) is polled outside it, and not counted.
//!
//! ```
//! use std::sync::Arc;
//! use edgecache::trace::{traced, Trace};
//! # async fn demo() {
//! let trace = Arc::new(Trace::new());
//! let answer = traced(trace.clone(), async { 42 }).await;
//! assert_eq!((answer, trace.round_trips()), (42, 0));
//! # }
//! # futures_executor::block_on(demo());
//! ```

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// What one request did. Cheap: an atomic and a short list.
#[derive(Debug, Default)]
pub struct Trace {
    round_trips: AtomicU64,
    decisions: Mutex<Vec<TracedDecision>>,
}

/// A rate-limit decision a traced request got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedDecision {
    /// The limiter's name.
    pub limiter: String,
    /// True when it let the request through.
    pub allowed: bool,
    /// Why it decided so: [`Reason::as_str`](crate::ratelimit::Reason::as_str)
    /// (`none` when Redis decided).
    pub reason: &'static str,
}

/// Most decisions a trace keeps (a request checks a handful of limits).
const MAX_DECISIONS: usize = 16;

impl Trace {
    /// An empty trace.
    pub fn new() -> Trace {
        Trace::default()
    }

    /// REST requests sent while the traced future was polled (an `EVAL`
    /// retried after `NOSCRIPT` counts twice, as it costs).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Every decision counted while the traced future was polled, in order
    /// (at most 16).
    pub fn decisions(&self) -> Vec<TracedDecision> {
        crate::sync::lock(&self.decisions).clone()
    }

    /// The request's rate-limit outcome in one: its first refusal, else its
    /// first decision that was not Redis's plain answer (a fallback, say),
    /// else its first decision; `None` when no limit was checked.
    pub fn limit_outcome(&self) -> Option<TracedDecision> {
        let decisions = crate::sync::lock(&self.decisions);
        decisions
            .iter()
            .find(|d| !d.allowed)
            .or_else(|| decisions.iter().find(|d| d.reason != "none"))
            .or_else(|| decisions.first())
            .cloned()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Trace>>> = const { RefCell::new(None) };
}

/// `future`, counting into `trace` whatever it does while polled.
pub fn traced<F: Future>(trace: Arc<Trace>, future: F) -> Traced<F> {
    Traced { trace, future: Box::pin(future) }
}

/// A future that is the current [`Trace`] while it is polled; see [`traced`].
pub struct Traced<F> {
    trace: Arc<Trace>,
    future: Pin<Box<F>>,
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let previous = CURRENT.with(|current| current.replace(Some(this.trace.clone())));
        // Put back what was current (an enclosing trace, or none), even if
        // the poll panics.
        struct Restore(Option<Arc<Trace>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                let _ = CURRENT.try_with(|current| *current.borrow_mut() = previous);
            }
        }
        let _restore = Restore(previous);
        this.future.as_mut().poll(cx)
    }
}

/// Runs `f` on the current trace, if a traced future is being polled.
fn with_current(f: impl FnOnce(&Trace)) {
    let _ = CURRENT.try_with(|current| {
        if let Some(trace) = current.borrow().as_ref() {
            f(trace);
        }
    });
}

/// Counts a REST request sent (the Upstash client calls it).
pub(crate) fn round_trip() {
    with_current(|trace| {
        trace.round_trips.fetch_add(1, Ordering::Relaxed);
    });
}

/// Counts a rate-limit decision (the limiter calls it with each decision it counts).
pub(crate) fn decision(limiter: &str, allowed: bool, reason: &'static str) {
    with_current(|trace| {
        let mut decisions = crate::sync::lock(&trace.decisions);
        if decisions.len() < MAX_DECISIONS {
            decisions.push(TracedDecision { limiter: limiter.to_owned(), allowed, reason });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A future that counts a round trip and a decision on each poll and is
    /// ready after `polls` polls (yielding in between, as I/O would).
    struct Work {
        polls: u32,
        refuse: bool,
    }

    impl Future for Work {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            round_trip();
            decision("tenant", !self.refuse, if self.refuse { "none" } else { "local_fallback" });
            self.polls -= 1;
            if self.polls == 0 {
                Poll::Ready(())
            } else {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    #[test]
    fn concurrent_requests_each_count_only_their_own_work() {
        let (a, b) = (Arc::new(Trace::new()), Arc::new(Trace::new()));
        futures_executor::block_on(async {
            let first = traced(a.clone(), Work { polls: 3, refuse: false });
            let second = traced(b.clone(), Work { polls: 5, refuse: true });
            futures_util::future::join(first, second).await;
        });
        assert_eq!((a.round_trips(), b.round_trips()), (3, 5));
        assert_eq!(a.decisions().len(), 3);
        let outcome = b.limit_outcome().expect("decided");
        assert_eq!((outcome.limiter.as_str(), outcome.allowed, outcome.reason), ("tenant", false, "none"));
        assert_eq!(a.limit_outcome().map(|d| d.reason), Some("local_fallback"));
        // Outside any traced future, nothing is counted anywhere.
        round_trip();
        assert_eq!((a.round_trips(), b.round_trips()), (3, 5));
    }

    #[test]
    fn a_nested_trace_counts_its_own_and_the_outer_one_resumes() {
        let (outer, inner) = (Arc::new(Trace::new()), Arc::new(Trace::new()));
        futures_executor::block_on(traced(outer.clone(), async {
            round_trip();
            traced(inner.clone(), async { round_trip() }).await;
            round_trip();
        }));
        assert_eq!((outer.round_trips(), inner.round_trips()), (2, 1));
        assert!(outer.limit_outcome().is_none(), "no limit checked");
    }
}
