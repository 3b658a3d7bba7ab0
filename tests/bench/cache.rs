//! `cargo bench --bench cache` (part of `npm run bench`): REST round trips per
//! cache operation, counted by upstash-local over the real Redis, and the
//! throughput of each tier relative to the others. Counts and ratios, not
//! absolute times: these machines are shared and noisy.

#[path = "../common/mod.rs"]
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use edgecache::backend::UpstashBackend;
use edgecache::keys::EntryKey;
use edgecache::{Cache, EntryOptions, FailurePolicy, L1Settings, MemoryBounds, Ttl};

fn options() -> EntryOptions {
    EntryOptions::new(Ttl::secs(300))
}

async fn value() -> Result<Option<Vec<u8>>, edgecache::StoreError> {
    Ok(Some(br#"{"defaultModel":"m1","allowedModels":["m1","m2"],"maxTokensPerRequest":4096}"#.to_vec()))
}

/// Round trips `server` saw while `run` ran.
async fn trips<F: std::future::Future>(server: &upstash_local::Server, run: F) -> u64 {
    let before = server.request_count();
    run.await;
    server.request_count() - before
}

fn tags(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("tag-{i}")).collect()
}

async fn per_second(rounds: u32, cache: &Cache, key: &EntryKey) -> f64 {
    let started = Instant::now();
    for _ in 0..rounds {
        cache.remember_bytes(key, &options(), FailurePolicy::Degrade, value).await.unwrap();
    }
    f64::from(rounds) / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let server = common::start_server().await;
    let client = Arc::new(common::client(&server));
    let backend = Arc::new(UpstashBackend::new(client.clone()));
    let prefix = common::key_prefix("bench");
    let l2_only = common::upstash_cache(&client, &prefix);
    let two_tier = Cache::builder()
        .backend(backend)
        .without_l1()
        .key_prefix(&prefix)
        .l1(L1Settings {
            bounds: MemoryBounds { max_entries: 1000, ..MemoryBounds::default() },
            max_staleness: std::time::Duration::from_millis(60_000),
        })
        .build();
    let space = l2_only.key_space("bench", "entity").unwrap();
    // Load the fenced-write script once, as any long-lived Redis already has it.
    l2_only.remember_bytes(&space.entry("warm", vec![]), &options(), FailurePolicy::Degrade, value).await.unwrap();

    let mut rows: Vec<(String, u64, &str)> = Vec::new();
    for n in [0, 3, 10] {
        let key = space.entry(&format!("tags-{n}"), tags(n));
        let miss = trips(&server, l2_only.remember_bytes(&key, &options(), FailurePolicy::Degrade, value)).await;
        let hit = trips(&server, l2_only.remember_bytes(&key, &options(), FailurePolicy::Degrade, value)).await;
        rows.push((format!("miss, {n} tags (MGET, then fenced SET)"), miss, "at most 2"));
        rows.push((format!("L2 hit, {n} tags (one MGET)"), hit, "1"));
    }
    let key = space.entry("l1", tags(3));
    two_tier.remember_bytes(&key, &options(), FailurePolicy::Degrade, value).await.unwrap();
    let l1 = trips(&server, two_tier.remember_bytes(&key, &options(), FailurePolicy::Degrade, value)).await;
    rows.push(("L1 hit, 3 tags".into(), l1, "0"));
    let invalidate =
        trips(&server, l2_only.invalidate_tags(&["tag-0", "tag-1", "tag-2"], FailurePolicy::Degrade)).await;
    rows.push(("invalidate 3 tags (one MULTI/EXEC)".into(), invalidate, "1"));
    let clear = trips(&server, l2_only.clear(&space, FailurePolicy::Degrade)).await;
    rows.push(("clear a namespace (epoch bump)".into(), clear, "1"));

    let herd_key = space.entry("herd", tags(3));
    let loads = Arc::new(AtomicUsize::new(0));
    let herd = trips(&server, async {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let (cache, key, loads) = (l2_only.clone(), herd_key.clone(), loads.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .remember_bytes(&key, &options(), FailurePolicy::Degrade, || async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        value().await
                    })
                    .await
                    .unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
    .await;
    rows.push((format!("50 concurrent misses of one key ({} loader run)", loads.load(Ordering::SeqCst)), herd, "-"));

    // Two isolates (two caches, each its own single-flight) missing one key
    // at once: a loader run per isolate, or one with a lease.
    for lease in [None, Some(Ttl::secs(5))] {
        let isolates = [common::upstash_cache(&client, &prefix), common::upstash_cache(&client, &prefix)];
        let key = space.entry(&format!("isolates-{}", lease.is_some()), vec![]);
        let options = match lease {
            Some(ttl) => options().lease(ttl),
            None => options(),
        };
        let loads = AtomicUsize::new(0);
        let round_trips = trips(
            &server,
            futures_util::future::join_all((0..50).map(|i| {
                isolates[i % 2].remember_bytes(&key, &options, FailurePolicy::Degrade, || async {
                    loads.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    value().await
                })
            })),
        )
        .await;
        let what = if lease.is_some() { "with a lease" } else { "single-flight only" };
        let runs = loads.load(Ordering::SeqCst);
        rows.push((format!("50 concurrent misses over 2 isolates, {what} ({runs} loader runs)"), round_trips, "-"));
    }

    let entries: Vec<(EntryKey, u32)> = (0..250).map(|i| (space.entry(&format!("warm-{i}"), vec![]), i)).collect();
    let warm = trips(&server, async { l2_only.warm(&entries, &options()).await.unwrap() }).await;
    rows.push(("warm 250 typed entries (2 per batch of 100)".into(), warm, "6"));
    let dedup = edgecache::dedup::Dedup::new(client.clone(), &prefix, "bench").unwrap();
    let claim =
        trips(&server, async { dedup.claim("evt", Ttl::secs(5), FailurePolicy::FailClosed).await.unwrap() }).await;
    rows.push(("dedup claim (SET NX PX)".into(), claim, "1"));

    println!("\nREST round trips per cache operation (counted by upstash-local)");
    println!("| operation | round trips | expected |");
    println!("| --- | ---: | ---: |");
    for (operation, trips, expected) in &rows {
        println!("| {operation} | {trips} | {expected} |");
    }

    let rounds = 300;
    let l1_rate = per_second(rounds, &two_tier, &key).await;
    let l2_key = space.entry("rate", tags(3));
    l2_only.remember_bytes(&l2_key, &options(), FailurePolicy::Degrade, value).await.unwrap();
    let l2_rate = per_second(rounds, &l2_only, &l2_key).await;
    println!("\nThroughput, {rounds} sequential reads each (a ratio between tiers, not a forecast)");
    println!("| tier | relative reads per second |");
    println!("| --- | ---: |");
    println!("| L2 hit (3 tags, upstash-local on loopback) | 1.00x |");
    println!("| L1 hit | {:.0}x |", l1_rate / l2_rate);
    server.shutdown();
}
