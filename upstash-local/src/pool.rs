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
//!
//! The connections speak RESP themselves (see [`crate::resp`]): a request
//! may stop reading a reply halfway (past its reply budget), which no
//! client library offers. A connection authenticates as its pool's user
//! and selects its database when opened, and nothing else: no
//! `CLIENT SETINFO`, which the users upstash-local creates may not run.

use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use redis::{ConnectionAddr, ConnectionInfo};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufStream, ReadBuf};
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::encode::Encoding;
use crate::limits::ReplyBudget;
use crate::protocol::Command;
use crate::resp::{self, ReadError, Value};

/// How long opening a connection to Redis may take.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Where and as whom connections are opened. Its `Debug` output leaves
/// the password out.
#[derive(Clone)]
pub(crate) struct Target {
    address: Address,
    username: Option<String>,
    password: Option<String>,
    db: i64,
}

#[derive(Clone, Debug)]
enum Address {
    Tcp(String, u16),
    Unix(PathBuf),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("db", &self.db)
            .finish()
    }
}

impl Target {
    /// The target a Redis URL names (its credentials and database included).
    pub(crate) fn from_info(info: &ConnectionInfo) -> Result<Target, String> {
        let address = match info.addr() {
            ConnectionAddr::Tcp(host, port) => Address::Tcp(host.clone(), *port),
            ConnectionAddr::Unix(path) => Address::Unix(path.clone()),
            other => return Err(format!("unsupported address {other} (TLS is not supported)")),
        };
        let settings = info.redis_settings();
        Ok(Target {
            address,
            username: settings.username().map(str::to_string),
            password: settings.password().map(str::to_string),
            db: settings.db(),
        })
    }

    /// The same server and database, as `username` with `password`.
    pub(crate) fn as_user(&self, username: &str, password: &str) -> Target {
        Target { username: Some(username.to_string()), password: Some(password.to_string()), ..self.clone() }
    }

    /// The database connections select.
    pub(crate) fn db(&self) -> i64 {
        self.db
    }

    /// Opens a connection: authenticates, selects the database. Errors are
    /// Redis's text or the connection's failure, never the password.
    async fn connect(&self) -> Result<Connection, String> {
        let opened = async {
            let stream = match &self.address {
                Address::Tcp(host, port) => {
                    let stream = TcpStream::connect((host.as_str(), *port)).await?;
                    stream.set_nodelay(true)?;
                    Stream::Tcp(stream)
                }
                Address::Unix(path) => Stream::Unix(UnixStream::connect(path).await?),
            };
            Ok::<_, io::Error>(Connection { stream: BufStream::new(stream) })
        };
        let mut conn = match tokio::time::timeout(CONNECT_TIMEOUT, opened).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(err)) => return Err(err.to_string()),
            Err(_) => return Err(format!("timed out connecting (no connection within {CONNECT_TIMEOUT:?})")),
        };
        let mut setup: Vec<Command> = Vec::new();
        if let Some(password) = &self.password {
            let mut auth = vec![b"AUTH".to_vec()];
            auth.extend(self.username.iter().map(|user| user.as_bytes().to_vec()));
            auth.push(password.as_bytes().to_vec());
            setup.push(auth);
        }
        if self.db != 0 {
            setup.push(vec![b"SELECT".to_vec(), self.db.to_string().into_bytes()]);
        }
        if setup.is_empty() {
            return Ok(conn);
        }
        let count = setup.len();
        let exchange = async {
            conn.send(&setup).await.map_err(|err| err.to_string())?;
            drop(setup);
            let mut budget = ReplyBudget::unshared(64 * 1024, Encoding::Lossy);
            for _ in 0..count {
                match conn.read(&mut budget).await {
                    Ok(Value::Error(text)) => return Err(text),
                    Ok(_) => {}
                    Err(err) => return Err(read_error_text(&err)),
                }
            }
            Ok(())
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, exchange).await {
            Ok(Ok(())) => Ok(conn),
            Ok(Err(text)) => Err(text),
            Err(_) => Err(format!("Redis did not answer AUTH/SELECT within {CONNECT_TIMEOUT:?}")),
        }
    }
}

/// What a failed read says, for messages.
pub(crate) fn read_error_text(err: &ReadError) -> String {
    match err {
        ReadError::Io(err) => err.to_string(),
        ReadError::Protocol(text) => text.clone(),
        ReadError::TooLarge => "reply too large".to_string(),
    }
}

/// A TCP or Unix socket to Redis.
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_read(cx, buf),
            Stream::Unix(stream) => Pin::new(stream).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_write(cx, buf),
            Stream::Unix(stream) => Pin::new(stream).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_flush(cx),
            Stream::Unix(stream) => Pin::new(stream).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(stream) => Pin::new(stream).poll_shutdown(cx),
            Stream::Unix(stream) => Pin::new(stream).poll_shutdown(cx),
        }
    }
}

/// One connection to Redis, speaking RESP2.
pub(crate) struct Connection {
    stream: BufStream<Stream>,
}

impl Connection {
    /// Writes `commands` and flushes them.
    pub(crate) async fn send(&mut self, commands: &[Command]) -> io::Result<()> {
        resp::write_commands(&mut self.stream, commands).await?;
        self.stream.flush().await
    }

    /// Reads the next reply within `budget`.
    pub(crate) async fn read(&mut self, budget: &mut ReplyBudget) -> Result<Value, ReadError> {
        resp::read_value(&mut self.stream, budget).await
    }
}

/// Connections to Redis as one user. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    target: Target,
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
    inner: Connection,
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
    /// A pool of at most `size` connections in use at once, opened to
    /// `target`; a request waits at most `wait` for one to be free.
    pub(crate) fn new(target: Target, size: u32, wait: Duration) -> Pool {
        let size = size.max(1) as usize;
        let shared = Shared {
            target,
            idle: Mutex::new(Vec::with_capacity(size)),
            slots: Arc::new(Semaphore::new(size)),
            wait,
            generation: AtomicU64::new(0),
        };
        Pool { shared: Arc::new(shared) }
    }

    /// Where the pool's connections go, and as whom.
    pub(crate) fn target(&self) -> &Target {
        &self.shared.target
    }

    /// A connection of this request's own: an idle one opened since the
    /// last failure, or a new one. Errors when Redis cannot be reached, or
    /// every connection stays in use for the pool's wait.
    pub(crate) async fn get(&self) -> Result<Checkout, String> {
        let shared = &self.shared;
        let slot = match tokio::time::timeout(shared.wait, shared.slots.clone().acquire_owned()).await {
            Ok(slot) => slot.expect("the semaphore is never closed"),
            Err(_) => {
                return Err(format!("no Redis connection free: every connection stayed in use for {:?}", shared.wait))
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
            None => Conn { inner: shared.target.connect().await?, generation: current },
        };
        Ok(Checkout { conn: Some(conn), pool: shared.clone(), _slot: slot })
    }

    /// Closes the idle connections.
    pub(crate) fn close_idle(&self) {
        crate::lock(&self.shared.idle).clear();
    }
}

impl Checkout {
    /// The connection, to send commands on.
    pub(crate) fn connection(&mut self) -> &mut Connection {
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

    /// Closes this connection alone: it was left in a state of its own
    /// (half-read past a reply budget, say), which says nothing about the
    /// others.
    pub(crate) fn close(mut self) {
        self.conn = None;
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
