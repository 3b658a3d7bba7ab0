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
    /// Request body bytes worked on at once (default 24 MiB): a request
    /// with a body over 64 KiB waits until its size (its `content-length`,
    /// or 10 MiB when it sends none) fits, so that large requests, which
    /// cost a few times their size while they run, cannot add up to more
    /// memory than this allows whatever their number.
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
            max_body_bytes_in_flight: 24 * 1024 * 1024,
        }
    }
}

/// Bodies at most this large skip the [`BodyBudget`]: their cost is bounded
/// by the connection count.
const SMALL_BODY: usize = 64 * 1024;
/// The budget's unit.
const KIB: usize = 1024;

/// The request body bytes being worked on, against
/// [`Limits::max_body_bytes_in_flight`].
#[derive(Clone)]
pub(crate) struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: usize,
}

impl BodyBudget {
    pub(crate) fn new(bytes: usize) -> BodyBudget {
        let total_kib = (bytes / KIB).max(1);
        BodyBudget { kib: Arc::new(Semaphore::new(total_kib)), total_kib }
    }

    /// Waits until a body of `content_length` (unknown: the largest allowed)
    /// fits, and holds its share until the permit is dropped. `None` for a
    /// small body, or one too large to be read at all (it is refused
    /// without being kept).
    pub(crate) async fn reserve(&self, content_length: Option<usize>) -> Option<OwnedSemaphorePermit> {
        let bytes = content_length.unwrap_or(MAX_REQUEST_SIZE);
        if bytes <= SMALL_BODY || bytes > MAX_REQUEST_SIZE {
            return None;
        }
        let kib = bytes.div_ceil(KIB).min(self.total_kib);
        // The semaphore is never closed.
        self.kib.clone().acquire_many_owned(kib as u32).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_bodies_wait_for_their_share() {
        let budget = BodyBudget::new(3 * MAX_REQUEST_SIZE / 2);
        assert!(budget.reserve(Some(1000)).await.is_none(), "small bodies are free");
        assert!(budget.reserve(Some(MAX_REQUEST_SIZE + 1)).await.is_none(), "refused bodies are not kept");
        let first = budget.reserve(None).await.expect("an unknown length counts as the largest");
        let waiting = tokio::time::timeout(Duration::from_millis(50), budget.reserve(Some(MAX_REQUEST_SIZE))).await;
        assert!(waiting.is_err(), "a second 10 MiB body waits");
        let half = budget.reserve(Some(MAX_REQUEST_SIZE / 2)).await;
        assert!(half.is_some(), "a 5 MiB body fits beside it");
        drop(first);
        let second = tokio::time::timeout(Duration::from_millis(50), budget.reserve(Some(MAX_REQUEST_SIZE))).await;
        assert!(second.is_ok(), "it goes once the first is done");
    }
}
