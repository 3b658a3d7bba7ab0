//! Accuracy under concurrency, against upstash-local over a real redis-server:
//! several clients (tokio tasks, each with its own `UpstashClient` and
//! `Limiter`, like isolates) hammer one identifier; every admitted request is
//! recorded at the time Redis decided it (`Decision::now_ms`, the server
//! clock), and each algorithm's promise is checked over every span of the
//! record. After every script call, every key under the test's prefix must
//! have an expiry.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use edgecache::ratelimit::{model, Algorithm, Limiter, Reason};
use edgecache::upstash::{Script, UpstashClient};

const CLIENTS: usize = 4;
const HAMMER: Duration = Duration::from_millis(2_500);
const ID: &str = "hot-identifier";

/// The keys matching ARGV[1] that have no expiry (PTTL -1). Test-only: KEYS
/// on an undeclared pattern is fine on a plain redis-server.
const NO_TTL: &str = r#"
local bad = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1])) do
  if redis.call('PTTL', k) == -1 then bad[#bad + 1] = k end
end
return bad
"#;

struct Run {
    /// (server ms, cost) of every admitted request, sorted by time.
    admitted: Vec<(u64, u64)>,
    /// Round trips that reached Redis.
    checks: u64,
}

/// `CLIENTS` isolates hammer `ID` for `HAMMER`; half of them with a block
/// cache, half without (so Redis sees a steady stream).
async fn hammer(algorithm: Algorithm, limit: u64, window_ms: u64, burst: Option<u64>) -> Run {
    let server = Arc::new(start_server().await);
    let prefix = key_prefix("accuracy");
    let deadline = Instant::now() + HAMMER;
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let server = server.clone();
        let prefix = prefix.clone();
        tasks.push(tokio::spawn(async move {
            let client = Arc::new(client(&server));
            let mut spec = spec(limit, window_ms);
            if let Some(b) = burst {
                spec = spec.allow_burst(b.try_into().unwrap());
            }
            let limiter = Limiter::builder(client.clone(), "client", algorithm, spec)
                .prefix(&prefix)
                .block_cache_capacity(if i % 2 == 0 { 0 } else { 100 })
                .build()
                .unwrap();
            let checker = Script::new(NO_TTL);
            let pattern = format!("{prefix}:*");
            let mut admitted = Vec::new();
            let mut checks = 0;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let cost = if (n + i as u64) % 5 == 0 { 2.min(limiter.max_cost()) } else { 1 };
                let d = limiter.limit(ID, cost as i64).await.unwrap();
                match d.reason {
                    Reason::None => {
                        checks += 1;
                        if d.success {
                            admitted.push((d.now_ms, cost));
                        }
                        assert!(d.remaining <= limit, "{d:?}");
                        let bad =
                            client.eval(&checker, &[] as &[&str], &[&pattern]).await.unwrap().into_array().unwrap();
                        assert!(bad.is_empty(), "{algorithm}: keys without a TTL: {bad:?}");
                    }
                    Reason::CacheBlock => {
                        assert!(!d.success);
                        tokio::time::sleep(Duration::from_millis(d.retry_after_ms.min(5))).await;
                    }
                    other => panic!("{algorithm}: Redis failed during the test: {other:?}"),
                }
            }
            (admitted, checks)
        }));
    }
    let mut admitted = Vec::new();
    let mut checks = 0;
    for task in tasks {
        let (a, c) = task.await.unwrap();
        admitted.extend(a);
        checks += c;
    }
    admitted.sort();
    let units: u64 = admitted.iter().map(|(_, c)| c).sum();
    eprintln!(
        "{algorithm} {limit}/{window_ms} ms burst {burst:?}: {checks} checks reached Redis, {units} units admitted"
    );
    Run { admitted, checks }
}

/// The largest total cost admitted in any span `[t_i, t_j]` with
/// `t_j - t_i <= span_ms`, and whether `ok(total, t_j - t_i)` held for every pair.
fn check_pairs(admitted: &[(u64, u64)], mut ok: impl FnMut(u64, u64) -> bool) -> Result<(), String> {
    for i in 0..admitted.len() {
        let mut sum = 0;
        for j in i..admitted.len() {
            sum += admitted[j].1;
            let span = admitted[j].0 - admitted[i].0;
            if !ok(sum, span) {
                return Err(format!(
                    "{sum} units admitted within {span} ms (from {} to {})",
                    admitted[i].0, admitted[j].0
                ));
            }
        }
    }
    Ok(())
}

fn admitted_units(run: &Run) -> u64 {
    run.admitted.iter().map(|(_, c)| c).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_window_never_admits_more_than_the_limit_in_a_window() {
    let (limit, window_ms) = (5, 1_000);
    let run = hammer(Algorithm::FixedWindow, limit, window_ms, None).await;
    let mut per_window = std::collections::BTreeMap::new();
    for (at, cost) in &run.admitted {
        *per_window.entry(at / window_ms).or_insert(0) += cost;
    }
    for (window, total) in &per_window {
        assert!(*total <= limit, "window {window}: {total} > {limit}");
    }
    // Not vacuous: the limit was reached in the windows the test spanned fully.
    assert!(per_window.values().filter(|t| **t >= limit - 1).count() >= 1, "{per_window:?}");
    assert!(run.checks > 50, "{} checks", run.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sliding_log_never_admits_more_than_the_limit_in_any_trailing_window() {
    let (limit, window_ms) = (5, 1_000);
    let run = hammer(Algorithm::SlidingLog, limit, window_ms, None).await;
    // Times are whole ms of microsecond decisions: a span of W - 1 ms is
    // shorter than W in truth.
    check_pairs(&run.admitted, |sum, span| span > window_ms - 1 || sum <= limit).unwrap();
    // And the limit is reached: no needless refusals.
    assert!(admitted_units(&run) >= 2 * limit, "{} admitted", admitted_units(&run));
    assert!(run.checks > 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_bucket_never_admits_more_than_capacity_plus_continuous_refill() {
    let (limit, window_ms) = (5, 1_000);
    let run = hammer(Algorithm::TokenBucket, limit, window_ms, None).await;
    // In any span of t ms: the full bucket plus t * limit / window.
    check_pairs(&run.admitted, |sum, span| sum <= limit + span * limit / window_ms).unwrap();
    // Steady state: about limit per window after the first burst.
    let total = admitted_units(&run);
    let ceiling = limit + HAMMER.as_millis() as u64 * limit / window_ms + limit;
    assert!(total >= 2 * limit && total <= ceiling, "{total} admitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gcra_never_admits_more_than_burst_plus_one_per_interval() {
    let (limit, window_ms) = (5, 1_000);
    for burst in [limit, 1] {
        let run = hammer(Algorithm::Gcra, limit, window_ms, Some(burst)).await;
        let interval_us = model::gcra_interval_us(limit, window_ms);
        // Whole-ms times: the true span is below span + 1 ms.
        check_pairs(&run.admitted, |sum, span| sum <= burst + (span + 1) * 1000 / interval_us)
            .unwrap_or_else(|e| panic!("burst {burst}: {e}"));
        // In any window of W: at most limit + burst - 1.
        check_pairs(&run.admitted, |sum, span| span > window_ms - 1 || sum < limit + burst)
            .unwrap_or_else(|e| panic!("burst {burst}: {e}"));
        assert!(admitted_units(&run) >= 2 * limit, "burst {burst}: {}", admitted_units(&run));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sliding_window_stays_within_its_documented_bound() {
    let (limit, window_ms) = (5, 1_000);
    let run = hammer(Algorithm::SlidingWindow, limit, window_ms, None).await;
    // Documented: fewer than 2 * limit in any span shorter than the window.
    check_pairs(&run.admitted, |sum, span| span > window_ms - 1 || sum < 2 * limit).unwrap();
    // And on average it holds the limit: about limit per window.
    let total = admitted_units(&run);
    let windows = HAMMER.as_millis() as u64 / window_ms + 1;
    assert!(total >= 2 * limit && total <= (windows + 1) * limit, "{total} admitted");
}

/// The bound is tight: a burst of `limit` in the last millisecond of a window
/// followed by a ramp admits `2 * limit - 1` within `window_ms - 1` ms, and
/// never more. Times are injected (the script's test hook) in windows ahead
/// of the real clock.
#[tokio::test]
async fn sliding_window_worst_case_overshoot_is_reached_exactly() {
    let server = start_server().await;
    let client: Arc<UpstashClient> = Arc::new(client(&server));
    let (limit, window_ms) = (10u64, 1_000u64);
    let l = Limiter::builder(client, "client", Algorithm::SlidingWindow, spec(limit, window_ms))
        .prefix(&key_prefix("worst"))
        .build()
        .unwrap();
    let k = edgecache::clock::now_ms() / window_ms + 5;
    let mut admitted = 0;
    // The burst, at the last ms of window k - 1.
    for _ in 0..limit + 3 {
        if l.limit_at(ID, 1, (k * window_ms - 1) * 1000).await.unwrap().success {
            admitted += 1;
        }
    }
    assert_eq!(admitted, limit);
    // The ramp, up to window_ms - 1 ms after the burst.
    let mut ramp = 0;
    for e in (0..window_ms - 1).step_by(50).chain([window_ms - 2]) {
        for _ in 0..limit {
            if l.limit_at(ID, 1, (k * window_ms + e) * 1000).await.unwrap().success {
                ramp += 1;
            }
        }
    }
    assert_eq!(admitted + ramp, 2 * limit - 1, "the documented worst case");
}
