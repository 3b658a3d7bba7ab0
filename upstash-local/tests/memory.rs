//! upstash-local's memory stays bounded whatever requests within the 10 MiB
//! body limit it gets at once: the `upstash-local` binary (on a Redis of its
//! own) takes four concurrent 10 MiB `/multi-exec` requests of several
//! shapes while its resident set size (VmRSS in /proc) is sampled; the peak
//! must stay under 200 MB. Linux only (it reads /proc).

#![cfg(target_os = "linux")]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::AsyncBufReadExt;
use upstash_local::testing::OwnRedis;
use upstash_local::{MAX_COMMANDS_PER_REQUEST, MAX_REQUEST_SIZE};

const TOKEN: &str = "memory-test-token-0123456789";
const READ_ONLY_TOKEN: &str = "memory-test-read-only-token-0123456789";
/// The most the server may use at its peak.
const MAX_RSS_BYTES: u64 = 200 * 1000 * 1000;
/// Requests sent at once.
const CONCURRENT: usize = 4;

/// The resident set size of process `pid`, in bytes.
fn rss(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

/// The peak resident set size of process `pid` since it started, in bytes.
fn peak(pid: u32) -> u64 {
    status_field(pid, "VmHWM:")
}

/// A size field of /proc/<pid>/status, in bytes.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}

/// A body of exactly `size` bytes or a little less: `[[...],[...],...]`
/// with `count` commands made by `command` (given its index), padded with
/// spaces.
fn body(count: usize, size: usize, command: impl Fn(usize) -> Value) -> Vec<u8> {
    let mut body = b"[".to_vec();
    for index in 0..count {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(command(index).to_string().as_bytes());
    }
    body.push(b']');
    assert!(body.len() <= size, "{} > {size}", body.len());
    body.resize(size, b' ');
    body
}

/// The binary serving `redis_url`: the child and its base URL.
async fn serve(redis_url: &str) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_upstash-local"))
        .env("UPSTASH_LOCAL_TOKEN", TOKEN)
        .env("UPSTASH_LOCAL_READ_ONLY_TOKEN", READ_ONLY_TOKEN)
        .args(["--listen", "127.0.0.1:0", "--redis-url", redis_url, "--command-timeout-ms", "30000"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    tokio::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).await.unwrap();
    let url = line.trim().strip_prefix("upstash-local listening on ").expect("the listening line").to_string();
    (child, url)
}

/// Sends `body` to `path` `CONCURRENT` times at once while sampling the
/// server's RSS; answers the peak and how long it took. Every request must
/// get `expected_status`.
async fn peak_rss(pid: u32, url: &str, path: &str, body: Vec<u8>, expected_status: u16) -> (u64, Duration) {
    let peak = Arc::new(AtomicU64::new(rss(pid)));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done) = (peak.clone(), done.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                peak.fetch_max(rss(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let http = reqwest::Client::new();
    let started = Instant::now();
    let requests = (0..CONCURRENT).map(|_| {
        let request = http.post(format!("{url}{path}")).bearer_auth(TOKEN).body(body.clone());
        async move {
            let response = request.send().await.expect("answered");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(status, expected_status, "{}", &text[..text.len().min(300)]);
        }
    });
    futures_util::future::join_all(requests).await;
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.await.unwrap();
    (peak.load(Ordering::Relaxed), took)
}

#[tokio::test]
async fn four_concurrent_10_mib_multi_execs_stay_under_200_mb() {
    let redis = OwnRedis::start();
    let (child, url) = serve(&redis.url()).await;
    let pid = child.id().unwrap();
    let idle = rss(pid);

    // As in the report that set the limit: 800,000 INCRs in 10 MiB. Refused
    // (over the command cap) without being held.
    let incrs = body(800_000, MAX_REQUEST_SIZE, |_| json!(["INCR", "k"]));
    let (incr_peak, _) = peak_rss(pid, &url, "/multi-exec", incrs, 400).await;

    // The heaviest that runs: as many commands as allowed, their values
    // filling the body.
    let value = "v".repeat(MAX_REQUEST_SIZE / MAX_COMMANDS_PER_REQUEST - 40);
    let sets = body(MAX_COMMANDS_PER_REQUEST, MAX_REQUEST_SIZE, |index| json!(["SET", format!("k{index}"), value]));
    let (sets_peak, sets_took) = peak_rss(pid, &url, "/multi-exec", sets, 200).await;

    // One 10 MiB value.
    let big = body(1, MAX_REQUEST_SIZE, |_| json!(["SET", "big", "x".repeat(MAX_REQUEST_SIZE - 40)]));
    let (big_peak, _) = peak_rss(pid, &url, "/multi-exec", big, 200).await;

    let mb = |bytes: u64| bytes as f64 / 1e6;
    eprintln!(
        "upstash-local RSS: idle {:.1} MB; 4 x 10 MiB /multi-exec: 800k INCRs {:.1} MB, {MAX_COMMANDS_PER_REQUEST} SETs \
         {:.1} MB ({sets_took:?}), one 10 MiB SET {:.1} MB",
        mb(idle),
        mb(incr_peak),
        mb(sets_peak),
        mb(big_peak)
    );
    for (what, peak) in [("800k INCRs", incr_peak), ("SETs", sets_peak), ("one SET", big_peak)] {
        assert!(peak < MAX_RSS_BYTES, "{what}: peak RSS {:.1} MB", mb(peak));
    }
}

#[tokio::test]
async fn a_961_byte_request_for_sixty_5_mib_values_is_refused_within_bounded_memory() {
    let redis = OwnRedis::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut direct = client.get_multiplexed_async_connection().await.unwrap();
    let value = vec![0u8; 5 * 1024 * 1024];
    let _: () = redis::cmd("SET").arg("value").arg(value).query_async(&mut direct).await.unwrap();
    let (child, url) = serve(&redis.url()).await;
    let pid = child.id().unwrap();
    let before = peak(pid);

    // As in the report: the read-only token, a /pipeline of 60 GETs.
    let body = serde_json::to_vec(&vec![json!(["GET", "value"]); 60]).unwrap();
    eprintln!("request body: {} bytes", body.len());
    let started = Instant::now();
    let response = reqwest::Client::new()
        .post(format!("{url}/pipeline"))
        .bearer_auth(READ_ONLY_TOKEN)
        .body(body)
        .send()
        .await
        .expect("answered");
    let status = response.status().as_u16();
    let answer = response.bytes().await.unwrap();
    let took = started.elapsed();
    let after = peak(pid);
    let mb = |bytes: u64| bytes as f64 / 1e6;
    eprintln!(
        "upstash-local VmHWM: {:.1} MB before, {:.1} MB after the request; answered {status} with {} bytes in {took:?}",
        mb(before),
        mb(after),
        answer.len()
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&answer[..answer.len().min(300)]));
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with(r#"{"error":"ERR max request size exceeded"#), "{text}");
    assert!(after < 100 * 1000 * 1000, "peak {:.1} MB", mb(after));
}
