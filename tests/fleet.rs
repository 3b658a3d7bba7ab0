//! Fleet counters against real Redis through upstash-local: what two
//! isolates flush sums to what they counted, and the scrape parses; and
//! traces, which count each request's own round trips and decisions.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use edgecache::fleet::{prometheus, read_window, Format, Recorder, Sample};

fn counted(hits: u64, refused: u64) -> Sample {
    let mut sample = Sample::new();
    sample.add("cache_hits", &[("tier", "l2")], hits);
    sample.add("ratelimit_decisions", &[("limiter", "client"), ("outcome", "refused"), ("reason", "none")], refused);
    sample
}

#[tokio::test]
async fn two_isolates_flushes_sum_to_their_counts_and_a_lost_flush_is_sent_again() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("fleet");
    let now = edgecache::clock::now_ms();
    let (a, b) = (
        Recorder::new(&prefix, "a", Duration::from_secs(10), now),
        Recorder::new(&prefix, "b", Duration::from_secs(10), now),
    );
    assert_eq!(a.flush(&client, counted(5, 1), now + 1).await.unwrap(), None, "not due before the interval");
    assert_eq!(a.flush(&client, counted(5, 1), now + 10_000).await.unwrap(), Some(2));
    let before = client.round_trips();
    assert_eq!(b.flush(&client, counted(7, 0), now + 10_000).await.unwrap(), Some(1), "no refusal counted yet");
    assert_eq!(client.round_trips() - before, 1, "one request per flush (the script loaded by the first)");
    // A flush that does not land is sent again, whole, by the next.
    let unreachable = client_for("http://127.0.0.1:9", TOKEN, 200);
    assert!(a.flush(&unreachable, counted(8, 2), now + 20_000).await.is_err());
    a.flush(&client, counted(9, 2), now + 30_000).await.unwrap();
    let window = read_window(&client, &prefix, now + 30_000, 15).await.unwrap();
    assert_eq!(window.sum.get("cache_hits", &[("tier", "l2")]), 9 + 7, "each isolate's own counters, summed");
    assert_eq!(window.sum, window.totals);
    assert_eq!(window.isolates, 2);
    assert_eq!(window.minutes.len(), 15);
    let text = prometheus(&window.totals, window.isolates, Format::Prometheus);
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("a Prometheus parser reads it");
    let hits = scrape.samples.iter().find(|s| s.metric == "edgecache_cache_hits_total").unwrap();
    assert_eq!(hits.labels.get("tier"), Some("l2"));
    assert!(matches!(hits.value, prometheus_parse::Value::Counter(v) if v == 16.0), "{:?}", hits.value);
    let refused = scrape.samples.iter().find(|s| s.metric == "edgecache_ratelimit_decisions_total").unwrap();
    assert_eq!(refused.labels.get("outcome"), Some("refused"));
    assert!(scrape.samples.iter().any(|s| s.metric == "edgecache_isolates"));
}

#[tokio::test]
async fn a_scrape_reads_totals_and_isolates_and_a_window_carries_the_callers_commands() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("fleet-read");
    let now = edgecache::clock::now_ms();
    let recorder = Recorder::new(&prefix, "a", Duration::from_secs(1), now);
    // Claimed where the request is served, sent where it may wait.
    let flush = recorder.prepare(counted(4, 0), now + 1_000).expect("due");
    assert!(recorder.prepare(counted(4, 0), now + 1_000).is_none(), "claimed once");
    assert_eq!(recorder.send(&client, flush).await.unwrap(), 1);
    let before = client.round_trips();
    let (totals, isolates) = edgecache::fleet::read_totals(&client, &prefix, now + 1_000, 5).await.unwrap();
    assert_eq!((totals.get("cache_hits", &[("tier", "l2")]), isolates), (4, 1));
    let extra = [edgecache::upstash::Command::new("DBSIZE")];
    let (window, outcomes) =
        edgecache::fleet::read_window_with(&client, &prefix, now + 1_000, 60, &extra).await.unwrap();
    assert_eq!(client.round_trips() - before, 2, "one request each");
    assert_eq!(window.minutes.len(), 60);
    assert_eq!(window.sum, totals);
    assert_eq!(outcomes.len(), 1);
    assert!(outcomes.into_iter().next().unwrap().unwrap().into_int().unwrap() >= 3, "the caller's DBSIZE");
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_traced_requests_each_count_their_own_round_trips() {
    use edgecache::trace::{traced, Trace};
    use edgecache::upstash::Command;
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let (a, b) = (Arc::new(Trace::new()), Arc::new(Trace::new()));
    let work = |n: usize| {
        let client = client.clone();
        async move {
            for _ in 0..n {
                client.command(&Command::new("PING")).await.unwrap();
            }
        }
    };
    tokio::join!(traced(a.clone(), work(3)), traced(b.clone(), work(5)), work(2));
    assert_eq!((a.round_trips(), b.round_trips(), client.round_trips()), (3, 5, 10));
    let prefix = key_prefix("traced");
    let limiter = limiter(&client, &prefix, "traced", edgecache::ratelimit::Algorithm::FixedWindow, spec(1, 60_000));
    // Outside the trace: loads the script where this Redis lacks it (an
    // EVALSHA answered NOSCRIPT, then EVAL), which would count twice below.
    limiter.limit("warm-up", 1).await.unwrap();
    let trace = Arc::new(Trace::new());
    traced(trace.clone(), async {
        let id = "who";
        assert!(limiter.limit(id, 1).await.unwrap().success);
        assert!(!limiter.limit(id, 1).await.unwrap().success);
    })
    .await;
    // The refusal is the request's outcome; the block cache answered it
    // without a round trip.
    let outcome = trace.limit_outcome().expect("two decisions");
    assert_eq!((outcome.limiter.as_str(), outcome.allowed, outcome.reason), ("traced", false, "cache_block"));
    assert_eq!(trace.decisions().len(), 2);
    assert_eq!(trace.round_trips(), 1);
}
