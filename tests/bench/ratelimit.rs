//! `cargo bench --bench ratelimit`: what a rate-limit check costs, as counts
//! and ratios (these machines are shared and noisy; nothing is asserted).
//!
//! - REST round trips per check (the client's count, and upstash-local's):
//!   allowed, refused by the block cache, two limits all-or-nothing, in a
//!   caller's pipeline beside an MGET, and the first check after SCRIPT FLUSH;
//! - checks per second through upstash-local for each algorithm, one client
//!   in sequence and 8 concurrent clients (each its own `UpstashClient` and
//!   `Limiter`, like isolates).
//!
//! Runs against a redis-server of its own (it flushes scripts), started here;
//! `RATELIMIT_BENCH_CHECKS` sets the checks per measurement (default 400).

#[path = "../common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use edgecache::ratelimit::{Algorithm, Check, DenyEntry, DenyList, Limiter, Prepared, Screen};
use edgecache::upstash::{Command, UpstashClient};
use edgecache::Ttl;

const CONCURRENT: usize = 8;

fn checks() -> usize {
    std::env::var("RATELIMIT_BENCH_CHECKS").ok().and_then(|v| v.parse().ok()).unwrap_or(400)
}

/// Average REST round trips of `times` runs of `measured`, by the client's
/// count and by upstash-local's.
async fn round_trips<F, Fut>(
    server: &upstash_local::Server,
    client: &UpstashClient,
    times: usize,
    mut measured: F,
) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (c0, s0) = (client.round_trips(), server.request_count());
    for _ in 0..times {
        measured().await;
    }
    let n = times as f64;
    ((client.round_trips() - c0) as f64 / n, (server.request_count() - s0) as f64 / n)
}

/// What sending the script costs against sending its SHA1: request bytes per
/// check, and checks per second with `EVAL` every time (the script text in
/// every request, as @upstash/ratelimit does since v2.0.6) against
/// `EVALSHA` (what edgecache sends; `EVAL` once after a `NOSCRIPT`).
async fn script_transport(client: &UpstashClient, limiter: &Limiter, n: usize) {
    let Prepared::Check(sample) = limiter.prepare("ip", 1).unwrap() else { panic!("not blocked") };
    let bytes = |command: Command| serde_json::to_vec(&command.args()).unwrap().len();
    let (evalsha_bytes, eval_bytes) = (bytes(sample.command()), bytes(sample.eval_command()));
    let per_second = |eval: bool| async move {
        let started = Instant::now();
        for _ in 0..n {
            let Prepared::Check(check) = limiter.prepare("ip", 1).unwrap() else { panic!("not blocked") };
            let command = if eval { check.eval_command() } else { check.command() };
            let outcome = client.command(&command).await;
            assert!(check.decide(outcome).success);
        }
        n as f64 / started.elapsed().as_secs_f64()
    };
    let evalsha = per_second(false).await;
    let eval = per_second(true).await;
    println!();
    println!("Sending the script or its SHA1 ({n} single-limit checks each, one at a time)");
    println!("{:<44} {:>12} {:>12}", "", "bytes/check", "checks/s");
    println!("{:<44} {:>12} {:>12.0}", "EVALSHA (edgecache; EVAL once after NOSCRIPT)", evalsha_bytes, evalsha);
    println!("{:<44} {:>12} {:>12.0}", "EVAL every time", eval_bytes, eval);
    println!(
        "{:<44} {:>12.1} {:>12.2}",
        "ratio EVAL / EVALSHA",
        eval_bytes as f64 / evalsha_bytes as f64,
        eval / evalsha
    );
}

/// A shape, its (Redis commands, round trips) first / intermediate /
/// refused / cached refusal, and @upstash/ratelimit's command counts.
type Row = (String, [(u64, u64); 4], &'static str);

/// Redis commands executed so far (every `INFO commandstats` call count
/// but `INFO`'s and `PING`'s): commands inside scripts count, as `EVALSHA` does.
async fn redis_commands(redis: &mut redis::aio::MultiplexedConnection) -> u64 {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(redis).await.unwrap();
    info.lines()
        // INFO is the measurement; upstash-local sends a PING after each
        // request to check its pooled connection: neither is the limiter's.
        .filter(|line| {
            line.starts_with("cmdstat_") && !line.starts_with("cmdstat_info:") && !line.starts_with("cmdstat_ping:")
        })
        .filter_map(|line| line.split("calls=").nth(1)?.split(',').next()?.parse::<u64>().ok())
        .sum()
}

/// Redis commands and REST round trips per decision of each limit shape:
/// the first request of an identifier, one in the middle, a refusal, and a
/// refusal the block cache answers; beside @upstash/ratelimit 2.2's counts
/// for the same (its fixed window, sliding window and token bucket; its
/// deny list and dynamic limits add commands to every call).
async fn command_counts(redis_url: &str, client: &Arc<UpstashClient>) {
    let mut redis = redis::Client::open(redis_url).unwrap().get_multiplexed_async_connection().await.unwrap();
    let prefix = key_prefix("counts");
    let mut rows: Vec<Row> = Vec::new();
    for (algorithm, upstash) in [
        (Algorithm::FixedWindow, "3 / 2 / 2 / 0"),
        (Algorithm::SlidingWindow, "5 / 4 / 3 / 0"),
        (Algorithm::TokenBucket, "4 / 4 / 2 / 0"),
        (Algorithm::Gcra, "-"),
        (Algorithm::SlidingLog, "-"),
    ] {
        let l = limiter(client, &prefix, "shape", algorithm, spec(3, 60_000));
        // Another isolate's limiter: its block cache has not seen the refusal.
        let fresh = limiter(client, &prefix, "shape", algorithm, spec(3, 60_000));
        let mut phase = Vec::new();
        for (limiter, success) in [(&l, true), (&l, true), (&l, true), (&fresh, false), (&l, false)] {
            let trips = client.round_trips();
            let commands = redis_commands(&mut redis).await;
            assert_eq!(limiter.limit(algorithm.as_str(), 1).await.unwrap().success, success);
            phase.push((redis_commands(&mut redis).await - commands, client.round_trips() - trips));
        }
        // first, intermediate (the second), refused (by Redis), cached refusal (by the block cache)
        rows.push((algorithm.as_str().to_owned(), [phase[0], phase[1], phase[3], phase[4]], upstash));
    }
    let cc = limiter(client, &prefix, "slots", Algorithm::Concurrency, spec(2, 60_000));
    let mut phase = Vec::new();
    for _ in 0..4 {
        let trips = client.round_trips();
        let commands = redis_commands(&mut redis).await;
        let (decision, _) = cc.acquire("acme").await.unwrap();
        let _ = decision;
        phase.push((redis_commands(&mut redis).await - commands, client.round_trips() - trips));
    }
    rows.push(("concurrency (acquire)".to_owned(), [phase[0], phase[1], phase[2], phase[3]], "not offered"));

    println!();
    println!("Redis commands / REST round trips per decision (limit 3; own redis-server's INFO commandstats)");
    println!(
        "{:<24} {:>9} {:>13} {:>9} {:>15}   @upstash/ratelimit commands",
        "shape", "first", "intermediate", "refused", "cached refusal"
    );
    for (label, [a, b, c, d], upstash) in &rows {
        let cell = |(commands, trips): (u64, u64)| format!("{commands}/{trips}");
        println!("{label:<24} {:>9} {:>13} {:>9} {:>15}   {upstash}", cell(*a), cell(*b), cell(*c), cell(*d));
    }

    // What the extras add to one GCRA check: a deny-list screen, an override.
    let base = limiter(client, &prefix, "extras", Algorithm::Gcra, spec(1_000, 60_000));
    let with_overrides = Limiter::builder(client.clone(), "extras-ovr", Algorithm::Gcra, spec(1_000, 60_000))
        .prefix(&prefix)
        .overrides(100)
        .build()
        .unwrap();
    let deny = DenyList::new(client.clone(), &prefix).unwrap();
    deny.add(&[DenyEntry::network("203.0.113.0/24").unwrap()], Ttl::secs(60)).await.unwrap();
    base.limit("warm", 1).await.unwrap();
    with_overrides.limit("warm", 1).await.unwrap();
    let mut cost_of = Vec::new();
    for label in ["plain check", "with an override read", "screened by the deny list"] {
        let commands = redis_commands(&mut redis).await;
        let trips = client.round_trips();
        match label {
            "plain check" => {
                base.limit("warm", 1).await.unwrap();
            }
            "with an override read" => {
                with_overrides.limit("warm", 1).await.unwrap();
            }
            _ => {
                let screen =
                    Screen { list: &deny, identifier: Some("key-1"), address: Some("198.51.100.7".parse().unwrap()) };
                let checks = [Check::new(&base, "warm", 1)];
                let Prepared::Check(check) = Limiter::prepare_screened(&screen, &checks).unwrap() else {
                    panic!("sent")
                };
                assert!(check.run().await.success);
            }
        }
        cost_of.push((label, redis_commands(&mut redis).await - commands, client.round_trips() - trips));
    }
    println!();
    println!("What the extras add to a GCRA check (@upstash/ratelimit: +2 commands for its deny list, +1 for a dynamic limit)");
    for (label, commands, trips) in cost_of {
        println!("{label:<28} {commands:>3} commands {trips:>2} round trip(s)");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("bench");
    let n = checks();

    println!("REST round trips per rate-limit check (client count / upstash-local count)");
    println!("{:<44} {:>8} {:>8}", "check", "client", "server");
    let big = limiter(&client, &prefix, "client", Algorithm::Gcra, spec(10_000_000, 60_000));
    big.limit("warm-up", 1).await.unwrap();
    let allowed = round_trips(&server, &client, 100, || async {
        assert!(big.limit("ip", 1).await.unwrap().success);
    })
    .await;
    let tiny = limiter(&client, &prefix, "tiny", Algorithm::Gcra, spec(1, 60_000));
    tiny.limit("ip", 1).await.unwrap();
    let cached = round_trips(&server, &client, 100, || async {
        assert!(!tiny.limit("ip", 1).await.unwrap().success);
    })
    .await;
    let tenant = limiter(&client, &prefix, "tenant", Algorithm::SlidingLog, spec(1_000_000, 60_000));
    let multi = round_trips(&server, &client, 100, || async {
        let m = Limiter::limit_all(&[Check::new(&big, "ip", 1), Check::new(&tenant, "acme", 1)]).await.unwrap();
        assert!(m.success);
    })
    .await;
    let cache_key = format!("{prefix}:policy");
    let pipelined = round_trips(&server, &client, 100, || async {
        let Prepared::Check(check) =
            Limiter::prepare_all(&[Check::new(&big, "ip", 1), Check::new(&tenant, "acme", 1)]).unwrap()
        else {
            panic!("not blocked")
        };
        let mut outcomes = client.pipeline(&[Command::new("MGET").arg(&cache_key), check.command()]).await.unwrap();
        assert!(check.resolve(outcomes.pop().unwrap()).await.success);
    })
    .await;
    let flush = Command::new("SCRIPT").arg("FLUSH");
    let mut after_flush = (0.0, 0.0);
    for _ in 0..20 {
        client.command(&flush).await.unwrap();
        let one = round_trips(&server, &client, 1, || async {
            assert!(big.limit("ip", 1).await.unwrap().success);
        })
        .await;
        after_flush = (after_flush.0 + one.0 / 20.0, after_flush.1 + one.1 / 20.0);
    }
    let next = round_trips(&server, &client, 100, || async {
        big.limit("ip", 1).await.unwrap();
    })
    .await;
    for (label, (c, s)) in [
        ("allowed", allowed),
        ("refused, identifier in the block cache", cached),
        ("two limits, all-or-nothing (limit_all)", multi),
        ("two limits + MGET in one /pipeline", pipelined),
        ("first check after SCRIPT FLUSH", after_flush),
        ("checks after that", next),
    ] {
        println!("{label:<44} {c:>8.2} {s:>8.2}");
    }

    script_transport(&client, &big, n).await;
    command_counts(&redis.url(), &client).await;

    println!();
    println!("Checks per second through upstash-local ({n} checks per run; hot identifier, always allowed)");
    println!("{:<24} {:>12} {:>16} {:>8}", "algorithm", "sequential", format!("{CONCURRENT} concurrent"), "ratio");
    for algorithm in Algorithm::ALL.into_iter().filter(|a| *a != Algorithm::Concurrency) {
        let p = key_prefix("bench");
        let l =
            Limiter::builder(client.clone(), "client", algorithm, spec(1_000_000, 60_000)).prefix(&p).build().unwrap();
        l.limit("warm-up", 1).await.unwrap();
        let started = Instant::now();
        for _ in 0..n {
            l.limit("hot", 1).await.unwrap();
        }
        let sequential = n as f64 / started.elapsed().as_secs_f64();

        let limiters: Vec<Arc<Limiter>> = (0..CONCURRENT)
            .map(|_| {
                Arc::new(
                    Limiter::builder(Arc::new(common::client(&server)), "client", algorithm, spec(1_000_000, 60_000))
                        .prefix(&p)
                        .build()
                        .unwrap(),
                )
            })
            .collect();
        for l in &limiters {
            l.limit("warm-up", 1).await.unwrap();
        }
        let started = Instant::now();
        let tasks: Vec<_> = limiters
            .into_iter()
            .map(|l| {
                tokio::spawn(async move {
                    for _ in 0..n / CONCURRENT {
                        l.limit("hot", 1).await.unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let concurrent = (n / CONCURRENT * CONCURRENT) as f64 / started.elapsed().as_secs_f64();
        println!(
            "{:<24} {:>12.0} {:>16.0} {:>8.2}",
            algorithm.as_str(),
            sequential,
            concurrent,
            concurrent / sequential
        );
    }
    drop(redis);
}
