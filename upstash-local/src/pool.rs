//! A pool of Redis connections for one Redis user: each request in flight
//! holds a connection of its own, so a slow request holds up nobody else,
//! and a connection that failed or timed out is closed rather than handed to
//! the next request.
//!
//! Closing a connection is how a request that Redis has not answered in
//! time is abandoned: Redis notices the closed socket and frees the client
//! (and anything it was blocked on). After a connection fails or times out,
//! every connection opened before is discarded when next checked out, so
//! that after Redis goes away and comes back one request finds the failure
//! and the following ones open fresh connections.
//!
//! (A pool crate such as bb8 would do the bookkeeping, but while Redis is
//! down it makes each request wait out its whole timeout instead of failing
//! with the connection error; this one opens connections in the request
//! that needs them, so the error is that request's at once.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long opening a connection to Redis may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections to Redis as one user. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    /// Connections not in use, most recently returned last.
    idle: Mutex<Vec<Conn>>,
    /// One permit per connection that may be in use.
    slots: Arc<Semaphore>,
    /// How long a request waits for a free slot.
    wait: Duration,
    /// Bumped by each failure; connections opened before are not reused.
    generation: AtomicU64,
}

/// One connection and when it was opened.
struct Conn {
    inner: MultiplexedConnection,
    generation: u64,
}

/// A connection checked out of a [`Pool`]: back in the pool when dropped,
/// unless discarded.
pub(crate) struct Checkout {
    conn: Option<Conn>,
    pool: Arc<Shared>,
    _slot: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool of at most `size` connections in use at once, opened with
    /// `client`; a request waits at most `wait` for one to be free.
    pub(crate) fn new(client: Client, size: u32, wait: Duration) -> Pool {
        let size = size.max(1) as usize;
        let shared = Shared {
            client,
            idle: Mutex::new(Vec::with_capacity(size)),
            slots: Arc::new(Semaphore::new(size)),
            wait,
            generation: AtomicU64::new(0),
        };
        Pool { shared: Arc::new(shared) }
    }

    /// A connection of this request's own: an idle one opened since the
    /// last failure, or a new one. Errors when Redis cannot be reached, or
    /// every connection stays in use for the pool's wait.
    pub(crate) async fn get(&self) -> Result<Checkout, RedisError> {
        let shared = &self.shared;
        let slot = match tokio::time::timeout(shared.wait, shared.slots.clone().acquire_owned()).await {
            Ok(slot) => slot.expect("the semaphore is never closed"),
            Err(_) => {
                return Err(RedisError::from((
                    redis::ErrorKind::Io,
                    "no Redis connection free",
                    format!("every connection stayed in use for {:?}", shared.wait),
                )))
            }
        };
        let current = shared.generation.load(Ordering::Acquire);
        let reused = loop {
            match crate::lock(&shared.idle).pop() {
                // Opened before a failure: probably dead too.
                Some(conn) if conn.generation < current => continue,
                other => break other,
            }
        };
        let conn = match reused {
            Some(conn) => conn,
            None => {
                // Requests time out by themselves (see `Redis::run`), not per reply.
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(None);
                let inner = shared.client.get_multiplexed_async_connection_with_config(&config).await?;
                Conn { inner, generation: current }
            }
        };
        Ok(Checkout { conn: Some(conn), pool: shared.clone(), _slot: slot })
    }
}

impl Checkout {
    /// The connection, to send commands on.
    pub(crate) fn connection(&mut self) -> &mut MultiplexedConnection {
        &mut self.conn.as_mut().expect("present until dropped or discarded").inner
    }

    /// Closes this connection (Redis then frees whatever it was doing for
    /// it), and every other connection opened before it when they are next
    /// checked out: after a failure or a timeout, they are suspect too.
    pub(crate) fn discard(mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.generation.fetch_max(conn.generation + 1, Ordering::AcqRel);
        }
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if conn.generation >= self.pool.generation.load(Ordering::Acquire) {
                crate::lock(&self.pool.idle).push(conn);
            }
        }
    }
}
