//! What the fleet counters look like to an operator: the `/admin/stats`
//! query (`scope`, `minutes`), an isolate's counters as a
//! [`Sample`], and a window of the fleet's as the JSON
//! of `GET /admin/stats?scope=cluster` (sums, per-minute series, and seed
//! 002's `getStats()` fields). Platform-free; the worker's wiring is
//! `app/fleet.rs`.

use serde_json::{json, Map, Value};

use super::error::ApiError;
use crate::cache::StatsSnapshot;
use crate::fleet::{FleetWindow, Sample, MAX_WINDOW_MINUTES};
use crate::ratelimit::{Limiter, Reason};
use crate::upstash::{UpstashClient, UpstashError};

/// The window `scope=cluster` reads without `minutes`.
pub const DEFAULT_WINDOW_MINUTES: u64 = 15;

/// The window of `edgecache_isolates` in a scrape: isolates that reported
/// in the last 5 minutes (an isolate with traffic reports at least once a
/// `STATS_FLUSH_INTERVAL_MS`, 10 s by default).
pub const METRICS_ISOLATES_MINUTES: u64 = 5;

/// Status classes, in the order of `ResponseCounts::by_class`.
pub const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Which counters `/admin/stats` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The isolate that serves the request (the default).
    Isolate,
    /// The whole fleet, over a window of `minutes`.
    Cluster {
        /// 1 to 1440.
        minutes: u64,
    },
}

/// The query string of an absolute URL (`https://h/p?a=1#f` → `a=1`).
pub fn query_of_url(url: &str) -> &str {
    let Some((_, after)) = url.split_once('?') else { return "" };
    after.split('#').next().unwrap_or("")
}

/// Parses `/admin/stats`'s query: `scope` (`isolate`, the default, or
/// `cluster`) and, with `cluster`, `minutes` (1 to 1440, default 15).
///
/// # Errors
/// 400 naming the parameter for an unknown one, a repeated one, a bad
/// value, or `minutes` without `scope=cluster`.
pub fn parse_stats_query(query: &str) -> Result<Scope, ApiError> {
    let (mut scope, mut minutes) = (None, None);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        let shown = || value.chars().take(40).collect::<String>();
        let slot = match name {
            "scope" => &mut scope,
            "minutes" => &mut minutes,
            _ => {
                let name: String = name.chars().take(40).collect();
                return Err(ApiError::bad_request(format!("unknown parameter {name:?}: scope and minutes are read")));
            }
        };
        if slot.replace(value.clone().into_owned()).is_some() {
            return Err(ApiError::bad_request(format!("{name} is given twice")));
        }
        if name == "scope" && value != "isolate" && value != "cluster" {
            return Err(ApiError::bad_request(format!("scope must be isolate or cluster, got {:?}", shown())));
        }
        if name == "minutes" && !value.parse::<u64>().is_ok_and(|m| (1..=MAX_WINDOW_MINUTES).contains(&m)) {
            return Err(ApiError::bad_request(format!(
                "minutes must be an integer from 1 to {MAX_WINDOW_MINUTES}, got {:?}",
                shown()
            )));
        }
    }
    match (scope.as_deref(), minutes) {
        (Some("cluster"), minutes) => Ok(Scope::Cluster {
            minutes: minutes.map_or(DEFAULT_WINDOW_MINUTES, |m| m.parse().expect("checked above")),
        }),
        (_, Some(_)) => Err(ApiError::bad_request("minutes applies to scope=cluster only")),
        _ => Ok(Scope::Isolate),
    }
}

/// An isolate's counters as the fleet's series: the cache's (by tier and
/// outcome), each limiter's decisions (by outcome and reason), its
/// responses by status class, and the REST requests and failed requests
/// of its Upstash clients (each counted once, however many share it).
pub fn isolate_sample(
    cache: &StatsSnapshot,
    limiters: &[&Limiter],
    responses: [u64; 5],
    clients: &[&UpstashClient],
) -> Sample {
    let mut sample = Sample::new();
    cache.add_to(&mut sample);
    for limiter in limiters {
        limiter.stats().add_to(limiter.name(), &mut sample);
    }
    for (class, n) in STATUS_CLASSES.iter().zip(responses) {
        sample.add("http_responses", &[("class", class)], n);
    }
    let mut distinct: Vec<&UpstashClient> = Vec::new();
    for client in clients {
        if !distinct.iter().any(|seen| std::ptr::eq(*seen, *client)) {
            distinct.push(client);
        }
    }
    sample.add("upstash_requests", &[], distinct.iter().map(|c| c.round_trips()).sum());
    for (i, kind) in UpstashError::KINDS.iter().enumerate() {
        let failed = distinct.iter().map(|c| c.errors()[i].1).sum();
        sample.add("upstash_errors", &[("kind", kind)], failed);
    }
    sample
}

/// Cache reads that found a value (fresh in either tier, or stale).
fn hits_of(sample: &Sample) -> u64 {
    sample.family_total("cache_hits") + sample.get("cache_stale_served", &[])
}

/// Cache reads in all: hits, misses and bypasses.
fn reads_of(sample: &Sample) -> u64 {
    hits_of(sample) + sample.get("cache_misses", &[]) + sample.get("cache_bypasses", &[])
}

/// `hits / reads`, 0 before any read.
fn hit_rate(sample: &Sample) -> f64 {
    let reads = reads_of(sample);
    if reads == 0 {
        0.0
    } else {
        hits_of(sample) as f64 / reads as f64
    }
}

/// `x` rounded to `digits` decimals.
fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// A sample's counters as JSON, named as the isolate's answer names them
/// where they mean the same: `cache`, `responses`, `limiter` (every limiter
/// of `limiters` and any other the sample holds, with its allowed and
/// refused decisions, each by reason), `upstash`.
pub fn counters(sample: &Sample, limiters: &[&str]) -> Value {
    let get = |family: &str| sample.get(family, &[]);
    let (l1, l2) = (sample.get("cache_hits", &[("tier", "l1")]), sample.get("cache_hits", &[("tier", "l2")]));
    let rate = hit_rate(sample);
    let cache = json!({
        "l1Hits": l1,
        "l2Hits": l2,
        "hits": l1 + l2,
        "misses": get("cache_misses"),
        "staleServed": get("cache_stale_served"),
        "coalesced": get("cache_coalesced"),
        "negativeHits": get("cache_negative_hits"),
        "bypasses": get("cache_bypasses"),
        "fencedRefusals": get("cache_fenced_refusals"),
        "backendErrors": sample.get("cache_errors", &[("kind", "backend")]),
        "misconfigured": sample.get("cache_errors", &[("kind", "misconfigured")]),
        "breakerSkips": sample.get("cache_errors", &[("kind", "breaker_skip")]),
        "loaderRuns": get("loader_runs"),
        "loadMs": get("loader_duration_ms"),
        "reads": reads_of(sample),
        "hitRate": rate,
        "hitRatePercent": round(rate * 100.0, 1),
    });
    let by_class: Map<String, Value> = STATUS_CLASSES
        .iter()
        .map(|c| ((*c).to_owned(), sample.get("http_responses", &[("class", c)]).into()))
        .collect();
    let mut names: Vec<String> = limiters.iter().map(|n| (*n).to_owned()).collect();
    for (series, _) in sample.iter().filter(|(s, _)| s.family() == "ratelimit_decisions") {
        if let Some(name) = series.label("limiter") {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    let limiter: Map<String, Value> = names
        .into_iter()
        .map(|name| {
            let by = |outcome: &str| -> Map<String, Value> {
                Reason::ALL
                    .iter()
                    .map(|reason| {
                        let labels = [("limiter", name.as_str()), ("outcome", outcome), ("reason", reason.as_str())];
                        (reason.as_str().to_owned(), sample.get("ratelimit_decisions", &labels).into())
                    })
                    .collect()
            };
            let (allowed, refused) = (by("allowed"), by("refused"));
            let total = |m: &Map<String, Value>| m.values().filter_map(Value::as_u64).sum::<u64>();
            let value = json!({
                "allowed": total(&allowed),
                "refused": total(&refused),
                "allowedByReason": allowed,
                "refusedByReason": refused,
            });
            (name, value)
        })
        .collect();
    let errors: Map<String, Value> = UpstashError::KINDS
        .iter()
        .map(|kind| ((*kind).to_owned(), sample.get("upstash_errors", &[("kind", kind)]).into()))
        .collect();
    json!({
        "cache": cache,
        "responses": { "total": sample.family_total("http_responses"), "byStatusClass": by_class },
        "limiter": limiter,
        "upstash": { "requests": get("upstash_requests"), "errors": errors },
    })
}

/// The window minute by minute, oldest first, for a chart: each minute's
/// start (`atMs`), the seconds it covers (60; the current minute's so far),
/// responses, cache reads and hits, hit rate (`null` without reads), rate
/// limit refusals, and REST requests.
pub fn series(window: &FleetWindow, now_ms: u64) -> Value {
    let points: Vec<Value> = window
        .minutes
        .iter()
        .map(|(minute, sample)| {
            let at_ms = minute * 60_000;
            let seconds = (now_ms.saturating_sub(at_ms) as f64 / 1000.0).clamp(1.0, 60.0);
            let refused: u64 = sample
                .iter()
                .filter(|(s, _)| {
                    s.family() == "ratelimit_decisions" && s.label("outcome").as_deref() == Some("refused")
                })
                .map(|(_, v)| v)
                .sum();
            let reads = reads_of(sample);
            json!({
                "minute": minute,
                "atMs": at_ms,
                "seconds": round(seconds, 3),
                "requests": sample.family_total("http_responses"),
                "reads": reads,
                "hits": hits_of(sample),
                "hitRate": if reads == 0 { Value::Null } else { hit_rate(sample).into() },
                "refused": refused,
                "upstashRequests": sample.get("upstash_requests", &[]),
            })
        })
        .collect();
    Value::Array(points)
}

/// What the database says of itself, for seed 002's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreFigures {
    /// Memory used, as Redis writes it (`used_memory_human`: `2.50M`).
    pub memory_used: Option<String>,
    /// Keys evicted under the memory policy (`INFO stats`).
    pub evicted_keys: Option<u64>,
    /// Keys held (`DBSIZE`).
    pub key_count: Option<u64>,
}

/// Seed 002's `getStats()` fields over `sample`: `hits` (fresh hits of
/// every tier), `misses`, `hitRate` as a percentage (83.33: every hit,
/// stale ones too, over every read), and the database's `memoryUsed`,
/// `evictedKeys` and `keyCount`.
pub fn seed_stats(sample: &Sample, figures: &StoreFigures) -> Value {
    json!({
        "hits": sample.family_total("cache_hits"),
        "misses": sample.get("cache_misses", &[]),
        "hitRate": round(hit_rate(sample) * 100.0, 2),
        "memoryUsed": figures.memory_used,
        "evictedKeys": figures.evicted_keys,
        "keyCount": figures.key_count,
    })
}

/// Bytes as Redis's `used_memory_human` writes them: `912B`, `1.50K`, `2.50M`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2}{}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stats_query_is_scope_and_minutes_and_nothing_else() {
        assert_eq!(parse_stats_query(""), Ok(Scope::Isolate));
        assert_eq!(parse_stats_query("scope=isolate"), Ok(Scope::Isolate));
        assert_eq!(parse_stats_query("scope=cluster"), Ok(Scope::Cluster { minutes: 15 }));
        assert_eq!(parse_stats_query("scope=cluster&minutes=1440"), Ok(Scope::Cluster { minutes: 1440 }));
        assert_eq!(parse_stats_query("minutes=1&scope=%63luster"), Ok(Scope::Cluster { minutes: 1 }));
        for bad in [
            "scope=fleet",
            "scope=cluster&minutes=0",
            "scope=cluster&minutes=1441",
            "scope=cluster&minutes=-1",
            "scope=cluster&minutes=ten",
            "scope=cluster&minutes=",
            "scope=cluster&scope=isolate",
            "minutes=5",
            "scope=isolate&minutes=5",
            "verbose=1",
        ] {
            let error = parse_stats_query(bad).unwrap_err();
            assert_eq!(error.status, 400, "{bad}");
        }
        assert_eq!(query_of_url("http://h/admin/stats?scope=cluster#x"), "scope=cluster");
        assert_eq!(query_of_url("http://h/admin/stats"), "");
    }

    #[test]
    fn counters_and_seed_fields_read_a_sample() {
        let mut sample = Sample::new();
        sample.add("cache_hits", &[("tier", "l1")], 600);
        sample.add("cache_hits", &[("tier", "l2")], 400);
        sample.add("cache_misses", &[], 200);
        sample.add("http_responses", &[("class", "2xx")], 1_150);
        sample.add("http_responses", &[("class", "4xx")], 50);
        sample.add("ratelimit_decisions", &[("limiter", "tenant"), ("outcome", "refused"), ("reason", "none")], 7);
        sample.add("upstash_errors", &[("kind", "timeout")], 2);
        let value = counters(&sample, &["client", "tenant"]);
        assert_eq!(value["cache"]["hits"], 1_000);
        assert_eq!(value["cache"]["hitRatePercent"], 83.3);
        assert_eq!(value["responses"]["total"], 1_200);
        assert_eq!(value["responses"]["byStatusClass"]["4xx"], 50);
        assert_eq!(value["limiter"]["tenant"]["refused"], 7);
        assert_eq!(value["limiter"]["tenant"]["refusedByReason"]["none"], 7);
        assert_eq!(value["limiter"]["client"]["allowed"], 0, "a configured limiter with nothing counted yet");
        assert_eq!(value["upstash"]["errors"]["timeout"], 2);
        let figures = StoreFigures { memory_used: Some("2.50M".into()), evicted_keys: Some(5), key_count: Some(150) };
        assert_eq!(
            seed_stats(&sample, &figures),
            json!({"hits": 1000, "misses": 200, "hitRate": 83.33, "memoryUsed": "2.50M", "evictedKeys": 5, "keyCount": 150})
        );
        assert_eq!(human_bytes(912), "912B");
        assert_eq!(human_bytes(2_621_440), "2.50M");
    }

    #[test]
    fn the_series_has_a_point_per_minute_and_the_current_minute_counts_its_seconds() {
        let mut busy = Sample::new();
        busy.add("cache_hits", &[("tier", "l2")], 3);
        busy.add("cache_misses", &[], 1);
        busy.add("ratelimit_decisions", &[("limiter", "key"), ("outcome", "refused"), ("reason", "cache_block")], 2);
        let window = FleetWindow { minutes: vec![(10, Sample::new()), (11, busy)], ..FleetWindow::default() };
        let points = series(&window, 11 * 60_000 + 15_000);
        assert_eq!(points[0]["seconds"], 60.0);
        assert_eq!(points[0]["hitRate"], Value::Null);
        assert_eq!(points[1]["seconds"], 15.0);
        assert_eq!((points[1]["reads"].as_u64(), points[1]["hitRate"].as_f64()), (Some(4), Some(0.75)));
        assert_eq!(points[1]["refused"], 2);
    }
}
