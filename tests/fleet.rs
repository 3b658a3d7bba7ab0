//! Fleet counters against real Redis through upstash-local: what two
//! isolates flush sums to what they counted, and the scrape parses.

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
