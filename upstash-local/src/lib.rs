//! `upstash-local` serves the [Upstash Redis REST API] in front of a real
//! `redis-server`, so tests and developers can run against real Redis
//! without an Upstash account.
//!
//! What it serves:
//!
//! - `POST /` with a JSON array body (`["SET","foo","bar","EX",100]`), or a
//!   path-style command (`GET /set/foo/bar?EX=100`, `POST /set/foo` with the
//!   value as body) → `{"result": ...}` or a 400 `{"error": "<Redis's text>"}`.
//! - `POST /pipeline` and `POST /multi-exec` with `[[...],[...]]`, at most
//!   [`MAX_COMMANDS_PER_REQUEST`] commands and [`MAX_ARGUMENTS_PER_REQUEST`]
//!   arguments, in a body of at most [`MAX_REQUEST_SIZE`] bytes.
//! - `POST` (or `GET`) `/subscribe/<channel>...` and
//!   `/psubscribe/<pattern>...`: Redis pub/sub as Server-Sent Events
//!   (`text/event-stream`), `data: subscribe,<channel>,<count>` per channel
//!   once subscribed, then `data: message,<channel>,<payload>` per published
//!   message (patterns: `data: psubscribe,<pattern>,<count>` and
//!   `data: pmessage,<pattern>,<channel>,<payload>`), payloads as published,
//!   never base64; `/monitor`: Redis `MONITOR` the same way. This is what
//!   @upstash/redis's `subscribe()`, `psubscribe()` and `monitor()` read.
//!   Each stream holds a Redis connection of its own, closed when the client
//!   disconnects, and sends a keep-alive comment when idle; see the
//!   `streams` module's source for the framing.
//! - Auth by `Authorization: Bearer <token>` or `?_token=<token>`; a token in
//!   the query string may only run read-only commands (and subscribe), so
//!   that no web page can make a browser change data (`<img
//!   src=".../flushall?_token=...">`). An optional read-only token runs as a
//!   Redis ACL user that can only read (and subscribe: listening is reading).
//! - `Upstash-Encoding: base64` for base64 strings in results.
//! - Scripts may declare Upstash's `#!lua flags=allow-key-locking` (as
//!   @upstash/ratelimit 2.1+ does): the flag is removed before Redis, which
//!   refuses it, sees the script, and `EVALSHA` takes the client's digest.
//! - Refused as Upstash's REST API refuses them, with a 400
//!   `{"error":"ERR command '<name>' is not allowed: <why>"}`: blocking,
//!   transaction, connection and administrative commands (the list and the
//!   reasons are in the `commands` module's source); `CONFIG` and `INFO`
//!   answer as Upstash's do (see the `emulated` module).
//! - Safe to leave running ([`Limits`]): each request in flight has a Redis
//!   connection of its own, a request Redis does not answer in time gets a
//!   500 and its connection closed (and a script it ran killed), a
//!   connection left in an unexpected state is closed rather than reused,
//!   headers and bodies must arrive in time, large bodies and large replies
//!   wait their turn, and a reply past [`Limits::max_reply_bytes`] is cut off
//!   (400 `{"error":"ERR max request size exceeded: ..."}`), so that memory
//!   stays bounded.
//! - Requests run as Redis ACL users created at start-up (see the `acl`
//!   module's source), so that scripts, which the REST layer cannot see
//!   into, are refused by Redis what the REST API refuses (`MIGRATE`,
//!   `SELECT`, `SWAPDB`, `SLOWLOG`, `INFO`...). If Redis will not create
//!   them, the full-access token runs as the URL's own user, with a
//!   warning on standard error.
//!
//! Plus two debugging endpoints of upstash-local's own (not part of Upstash;
//! they need a valid token like everything else):
//!
//! - `GET /__local/stats` → `{"requests": n}`: requests served, not counting
//!   requests to these two endpoints.
//! - `POST /__local/stats/reset` → `{"result": "OK"}`: zeroes that count.
//!
//! The `upstash-local` command serves with [`Server`]; it takes its tokens
//! from the environment (`UPSTASH_LOCAL_TOKEN`,
//! `UPSTASH_LOCAL_READ_ONLY_TOKEN`) or from files (`--token-file`,
//! `--read-only-token-file`), never from the command line, where any user of
//! the machine could read them. `upstash-local own-redis` starts a
//! redis-server of its own for a test suite ([`testing::OwnRedis`]), prints
//! `redis listening on redis://127.0.0.1:<port>` and stops it on SIGTERM,
//! SIGINT or end of standard input.
//!
//! [Upstash Redis REST API]: https://upstash.com/docs/redis/features/restapi

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

mod acl;
mod commands;
mod emulated;
mod encode;
mod http;
mod limits;
mod pool;
mod protocol;
mod redis_exec;
mod resp;
mod script_flags;
mod streams;
pub mod testing;
mod tokens;

pub use limits::Limits;
pub use protocol::{MAX_ARGUMENTS_PER_REQUEST, MAX_COMMANDS_PER_REQUEST};

/// The largest request body accepted (10 MiB); larger requests get
/// 400 `{"error":"ERR max request size exceeded"}`.
pub const MAX_REQUEST_SIZE: usize = 10 * 1024 * 1024;

/// Locks `mutex`, recovering the guard if a panic poisoned it (the maps it
/// guards are only ever replaced whole, never left half-written).
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How to run a [`Server`]. Its `Debug` output leaves the tokens out.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (see [`Server::url`]).
    pub listen: SocketAddr,
    /// Redis to serve, e.g. `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// Token granting full access.
    pub token: String,
    /// Token granting read-only access, if any. Requests with it run as an
    /// ACL user (`upstash-local-ro-<12 hex of its SHA-1>`, created or reset
    /// at startup) that may only run read commands. Requests with the full
    /// token run as `upstash-local-rw-<12 hex of its SHA-1>`, which may run
    /// what the REST API offers, and not what it refuses, from scripts too
    /// (unless Redis refuses to create it: then as the URL's own user).
    pub read_only_token: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |token: &str| if token.is_empty() { "" } else { "<hidden>" };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("redis_url", &redis_exec::without_password(&self.redis_url))
            .field("token", &hidden(&self.token))
            .field("read_only_token", &self.read_only_token.as_deref().map(hidden))
            .finish()
    }
}

/// A running upstash-local server.
///
/// Dropping the handle leaves the server running until the tokio runtime
/// shuts down; call [`Server::shutdown`] to stop it.
pub struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicU64>,
    shutdown: oneshot::Sender<()>,
    finished: oneshot::Receiver<()>,
}

impl Server {
    /// Connects to Redis (failing fast, naming the URL without its password,
    /// if it is unreachable), creates the ACL users requests run as, binds,
    /// and starts serving in a spawned tokio task, with the default
    /// [`Limits`].
    pub async fn start(config: Config) -> anyhow::Result<Server> {
        Self::start_with(config, Limits::default()).await
    }

    /// [`Server::start`] with `limits` of one's own.
    pub async fn start_with(config: Config, limits: Limits) -> anyhow::Result<Server> {
        let redis = redis_exec::Redis::connect(
            &config.redis_url,
            &config.token,
            config.read_only_token.as_deref(),
            limits.redis_connections,
            limits.command_timeout,
        )
        .await?;
        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let (closing, closing_rx) = watch::channel(false);
        let state = Arc::new(http::AppState {
            redis: redis.clone(),
            tokens: tokens::Tokens::new(&config.token, config.read_only_token.as_deref()),
            admission: limits::Admission::new(&limits),
            limits: limits.clone(),
            requests: requests.clone(),
            responses: AtomicU64::new(0),
            scripts: Default::default(),
            closing: closing_rx,
        });
        let (shutdown, stopped) = oneshot::channel::<()>();
        let (done, finished) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let stop = async move {
                // A dropped handle means "keep serving", not "stop".
                if stopped.await.is_err() {
                    std::future::pending::<()>().await;
                }
                // Event streams never finish by themselves: end them.
                let _ = closing.send(true);
            };
            http::server::serve(listener, http::router(state), &limits, stop).await;
            redis.remove_users().await;
            let _ = done.send(());
        });
        Ok(Server { addr, requests, shutdown, finished })
    }

    /// The address actually bound (with the real port when listening on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL to send REST requests to, e.g. `http://127.0.0.1:8079`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Number of HTTP requests served so far, on every route and whatever
    /// their outcome (401, 405 and errors included), except requests to the
    /// `/__local/stats` endpoints. `POST /__local/stats/reset` zeroes it.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Stops serving: no new connections are accepted, idle connections
    /// are closed, in-flight requests finish and `/subscribe` streams end;
    /// then the Redis users created at start-up are removed, unless another
    /// client is logged in as one (another upstash-local with the same
    /// token). Returns at once: the runtime must live on for all that to
    /// happen; [`Server::stop`] waits for it.
    pub fn shutdown(self) {
        let _ = self.shutdown.send(());
    }

    /// [`Server::shutdown`], waiting until it is done.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        let _ = self.finished.await;
    }
}
