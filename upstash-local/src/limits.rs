//! The limits that keep upstash-local safe to leave running: time limits on
//! clients and on Redis, how many connections it holds, and how much request
//! data it works on at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::MAX_REQUEST_SIZE;

/// How a [`crate::Server`] protects itself. [`Limits::default`] is what the
/// `upstash-local` command uses (its `--command-timeout-ms` sets
/// `command_timeout`); tests shorten the times.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How long a request waits for Redis's answer (default 5 s). Past it,
    /// the request gets a 500 `{"error":"ERR no reply from Redis within
    /// ..."}`, its Redis connection is closed (freeing whatever it was
    /// blocked on), and a script or function it ran is killed with
    /// `SCRIPT KILL` / `FUNCTION KILL` (see the `redis_exec` module).
    pub command_timeout: Duration,
    /// How long a client has to send a request's headers, counted from
    /// when the connection is ready for a request (so it also closes idle
    /// keep-alive connections); default 30 s. Past it, the connection is
    /// closed.
    pub header_read_timeout: Duration,
    /// How long a client has to send a request's body once its headers are
    /// in (default 30 s); past it, 408 `{"error":"ERR ..."}`.
    pub body_read_timeout: Duration,
    /// How often an event stream (`/subscribe`, `/psubscribe`, `/monitor`)
    /// with nothing to send sends a `: keep-alive` comment (default 15 s).
    pub keep_alive_interval: Duration,
    /// Redis connections per token (default 64): requests in flight beyond
    /// that wait for one, up to `command_timeout`. Event streams have
    /// connections of their own, outside this count.
    pub redis_connections: u32,
    /// HTTP connections served at once (default 1024); more wait in the
    /// listen queue until one closes.
    pub max_connections: usize,
    /// Requests worked on at once, once their body is in (default 64),
    /// event streams aside; more wait their turn. With
    /// `max_body_bytes_in_flight`, this bounds the memory requests take: a
    /// small body (16 KiB at most) costs at most a few MB however its JSON
    /// is made.
    pub max_requests_in_flight: usize,
    /// Request body bytes worked on at once (default 12 MiB): a request
    /// with a body over 16 KiB also waits until its size (its
    /// `content-length`, or 10 MiB when it sends none) fits, so that large
    /// requests, which cost a few times their size while they run, cannot
    /// add up to more memory than this allows whatever their number. The
    /// default lets one 10 MiB request run at a time, beside smaller ones.
    pub max_body_bytes_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            command_timeout: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            keep_alive_interval: Duration::from_secs(15),
            redis_connections: 64,
            max_connections: 1024,
            max_requests_in_flight: 64,
            max_body_bytes_in_flight: 12 * 1024 * 1024,
        }
    }
}

/// Bodies at most this large need no share of the byte budget.
const SMALL_BODY: usize = 16 * 1024;
/// The byte budget's unit.
const KIB: usize = 1024;

/// Who may be worked on now: [`Limits::max_requests_in_flight`] and
/// [`Limits::max_body_bytes_in_flight`].
#[derive(Clone)]
pub(crate) struct Admission {
    requests: Arc<Semaphore>,
    kib: Arc<Semaphore>,
    total_kib: usize,
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Admission {
        let total_kib = (limits.max_body_bytes_in_flight / KIB).max(1);
        Admission {
            requests: Arc::new(Semaphore::new(limits.max_requests_in_flight.max(1))),
            kib: Arc::new(Semaphore::new(total_kib)),
            total_kib,
        }
    }

    /// Waits until a body of `content_length` bytes (unknown: the largest
    /// allowed) fits in the byte budget, and holds its share until the
    /// permit is dropped; taken before the body is read. `None` for a body
    /// of 16 KiB at most, or one too large to be read at all (it is refused
    /// unread).
    pub(crate) async fn body(&self, content_length: Option<usize>) -> Option<OwnedSemaphorePermit> {
        let bytes = content_length.unwrap_or(MAX_REQUEST_SIZE);
        if bytes <= SMALL_BODY || bytes > MAX_REQUEST_SIZE {
            return None;
        }
        let kib = bytes.div_ceil(KIB).min(self.total_kib);
        // The semaphores are never closed.
        Some(self.kib.clone().acquire_many_owned(kib as u32).await.expect("never closed"))
    }

    /// Waits for a place among the requests in flight, held until the
    /// permit is dropped; taken once the body is in, so that clients slow to
    /// send theirs hold no place.
    pub(crate) async fn request(&self) -> OwnedSemaphorePermit {
        self.requests.clone().acquire_owned().await.expect("never closed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_bodies_wait_for_their_share() {
        let limits = Limits { max_body_bytes_in_flight: 3 * MAX_REQUEST_SIZE / 2, ..Limits::default() };
        let admission = Admission::new(&limits);
        let quick = Duration::from_millis(50);
        assert!(admission.body(Some(16 * 1024)).await.is_none(), "small bodies need no share");
        assert!(admission.body(Some(MAX_REQUEST_SIZE + 1)).await.is_none(), "refused bodies are not kept");
        let first = admission.body(None).await;
        assert!(first.is_some(), "an unknown length counts as the largest");
        assert!(tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE))).await.is_err(), "waits");
        let half = tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE / 2))).await;
        assert!(half.is_ok(), "a 5 MiB body fits beside the first");
        drop(first);
        let second = tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE))).await;
        assert!(second.is_ok(), "it goes once the first is done");
    }

    #[tokio::test]
    async fn requests_wait_for_a_place() {
        let admission = Admission::new(&Limits { max_requests_in_flight: 2, ..Limits::default() });
        let quick = Duration::from_millis(50);
        let first = admission.request().await;
        let _second = admission.request().await;
        assert!(tokio::time::timeout(quick, admission.request()).await.is_err(), "a third waits");
        drop(first);
        assert!(tokio::time::timeout(quick, admission.request()).await.is_ok());
    }
}
