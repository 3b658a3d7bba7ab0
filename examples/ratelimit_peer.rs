//! edgecache's @upstash/ratelimit-compatible limiter as a process another
//! program can drive: the interop test (tests/upstash-local/interop.test.mjs)
//! runs it beside the real @upstash/ratelimit on one Redis and checks that
//! the two together never admit more than the one limit.
//!
//! ```text
//! UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079 UPSTASH_REDIS_REST_TOKEN=... \
//!   cargo run --example ratelimit_peer -- fixed|sliding <limit> <window_ms>
//! ```
//!
//! Reads lines `<request id> <identifier>` on standard input; checks each
//! (cost 1) as it arrives, several at once, and prints one JSON line per
//! check as it is answered: `{"id":..,"success":..,"remaining":..,"reason":..}`.
//! Prints `ready` once it is set up; exits at the end of its input, after
//! the checks in flight.

use std::io::{BufRead, Write};
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use edgecache::ratelimit::{LimitSpec, Limiter};
use edgecache::upstash::{UpstashClient, UpstashConfig};

fn fail(message: &str) -> ! {
    eprintln!("ratelimit_peer: {message}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [algorithm, limit, window_ms] = args.as_slice() else {
        fail("usage: ratelimit_peer fixed|sliding <limit> <window_ms>")
    };
    let limit: NonZeroU64 = limit.parse().unwrap_or_else(|_| fail("<limit> must be a positive integer"));
    let window_ms: u64 = window_ms.parse().unwrap_or_else(|_| fail("<window_ms> must be a positive integer"));
    let spec = LimitSpec::per_window(limit, Duration::from_millis(window_ms))
        .unwrap_or_else(|| fail("<window_ms> must be a positive integer"));
    let url = std::env::var("UPSTASH_REDIS_REST_URL").unwrap_or_else(|_| fail("UPSTASH_REDIS_REST_URL is not set"));
    let token =
        std::env::var("UPSTASH_REDIS_REST_TOKEN").unwrap_or_else(|_| fail("UPSTASH_REDIS_REST_TOKEN is not set"));
    let mut config = UpstashConfig::new(&url, &token).unwrap_or_else(|err| fail(&err.to_string()));
    config.timeout_ms = 10_000;
    let client = Arc::new(UpstashClient::new(&config));
    let limiter = match algorithm.as_str() {
        "fixed" => Limiter::upstash_compatible_fixed_window(client, spec),
        "sliding" => Limiter::upstash_compatible_sliding_window(client, spec),
        _ => fail("the algorithm is `fixed` or `sliding`"),
    };
    let limiter = Arc::new(limiter.unwrap_or_else(|err| fail(&err.to_string())));

    // Standard input is read on a thread of its own (a blocking read).
    let (lines, mut incoming) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    println!("ready");
    let _ = std::io::stdout().flush();

    let mut checks = Vec::new();
    while let Some(line) = incoming.recv().await {
        let Some((id, identifier)) = line.split_once(' ') else { continue };
        let (id, identifier, limiter) = (id.to_string(), identifier.to_string(), limiter.clone());
        checks.push(tokio::spawn(async move {
            let answer = match limiter.limit(&identifier, 1).await {
                Ok(decision) => serde_json::json!({
                    "id": id,
                    "success": decision.success,
                    "remaining": decision.remaining,
                    "reason": decision.reason.as_str(),
                }),
                Err(err) => serde_json::json!({ "id": id, "error": err.to_string() }),
            };
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{answer}");
            let _ = stdout.flush();
        }));
    }
    for check in checks {
        let _ = check.await;
    }
}
