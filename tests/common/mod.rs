//! Shared set-up for integration tests: an in-process upstash-local in front
//! of a real redis-server (REDIS_URL, default redis://127.0.0.1:6379).

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::sync::Arc;

use edgecache::backend::UpstashBackend;
use edgecache::ratelimit::{Algorithm, LimitSpec, Limiter};
use edgecache::upstash::{UpstashClient, UpstashConfig};
use edgecache::{Cache, EntryOptions, Ttl};

pub const TOKEN: &str = "test-token";
pub const READ_ONLY_TOKEN: &str = "test-read-only-token";

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// upstash-local serving `redis_url` on a free loopback port.
pub async fn start_server_for(redis_url: &str) -> upstash_local::Server {
    upstash_local::Server::start(upstash_local::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        redis_url: redis_url.to_owned(),
        token: TOKEN.into(),
        read_only_token: Some(READ_ONLY_TOKEN.into()),
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "upstash-local could not start against {redis_url} (is redis-server running? `npm test` starts one): {e:#}"
        )
    })
}

pub async fn start_server() -> upstash_local::Server {
    start_server_for(&redis_url()).await
}

pub fn client_for(url: &str, token: &str, timeout_ms: u64) -> UpstashClient {
    let mut config = UpstashConfig::new(url, token).unwrap();
    config.timeout_ms = timeout_ms;
    UpstashClient::new(&config)
}

pub fn client(server: &upstash_local::Server) -> UpstashClient {
    client_for(&server.url(), TOKEN, 2_000)
}

/// A key prefix no other test (or run) uses.
pub fn unique(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("test:{name}:{nanos:x}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A key prefix no other test (or run) uses, of plain characters (no `:`), as
/// cache and limiter prefixes must be.
pub fn key_prefix(name: &str) -> String {
    unique(name).replace(':', "-")
}

/// `limit` units per `window_ms` (both non-zero in every test).
pub fn spec(limit: u64, window_ms: u64) -> LimitSpec {
    LimitSpec::per_window(std::num::NonZeroU64::new(limit).unwrap(), Duration::from_millis(window_ms)).unwrap()
}

/// A limiter named `name` under `prefix`, with every other setting at its default.
pub fn limiter(
    client: &Arc<UpstashClient>,
    prefix: &str,
    name: &str,
    algorithm: Algorithm,
    spec: LimitSpec,
) -> Limiter {
    Limiter::builder(client.clone(), name, algorithm, spec).prefix(prefix).build().unwrap()
}

/// A cache over Upstash under `prefix`: no L1, every other setting at its default.
pub fn upstash_cache(client: &Arc<UpstashClient>, prefix: &str) -> Cache {
    Cache::builder().backend(Arc::new(UpstashBackend::new(client.clone()))).without_l1().key_prefix(prefix).build()
}

/// Entry options with a 60 s TTL and nothing else.
pub fn entry_options() -> EntryOptions {
    EntryOptions::new(Ttl::secs(60))
}

/// A redis-server of the test's own, on a free port, that the test may stop,
/// and a free loopback port: the launcher every suite shares (upstash-local's
/// own tests, these, and the worker tests through `upstash-local own-redis`).
#[allow(unused_imports)]
pub use upstash_local::testing::{free_port, OwnRedis};

/// A TCP server that accepts one connection, reads the request, then answers
/// `response` (or nothing, when `None`) and reports when the client hung up.
pub fn raw_http_server(response: Option<&'static str>) -> (SocketAddr, std::sync::mpsc::Receiver<Duration>) {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let accepted = std::time::Instant::now();
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf);
        if let Some(response) = response {
            let _ = stream.write_all(response.as_bytes());
            let _ = stream.flush();
        }
        // Wait for the client to close its side (EOF) and say how long it took.
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
        let _ = tx.send(accepted.elapsed());
    });
    (addr, rx)
}

/// A TCP server that accepts every connection and never answers: a stalled
/// backend. Its sockets are held open until the test process ends.
pub fn stalled_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    addr
}
