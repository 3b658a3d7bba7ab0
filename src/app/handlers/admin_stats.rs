//! `GET /admin/stats`: by default (`scope=isolate`) this isolate's
//! counters, the breaker, the outbox depth (D1) and, from Upstash in the
//! same request, its key count, memory and evicted keys, with the latency
//! of that round trip. With `scope=cluster&minutes=N` the fleet's counters
//! over the last N minutes (sums, per-minute series, isolates that
//! reported, running totals, seed 002's `getStats()` fields) and the same
//! Upstash figures, all in one round trip.

use serde_json::{json, Map, Value};
use worker::Response;

use super::RequestContext;
use crate::app::d1::outbox;
use crate::app::error::ApiError;
use crate::app::fleet_view::{self, counters, human_bytes, parse_stats_query, seed_stats, Scope, StoreFigures};
use crate::app::incoming::Incoming;
use crate::app::respond;
use crate::app::state::AppState;
use crate::app::stores::database;
use crate::backend::BackendKind;
use crate::fleet::read_window_with;
use crate::ratelimit::{Limiter, Reason};
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};

/// The stats of `?scope=` (`isolate` by default, or `cluster`), as JSON.
///
/// # Errors
/// 400 for a bad query; 500 when the answer cannot be built. For the
/// isolate, D1 and Upstash failures are reported inside the answer, not as
/// errors (the dashboard still works while Upstash is down and says so);
/// the fleet's counters live in Upstash, so without it `scope=cluster` is
/// 503.
pub async fn get(rc: &RequestContext, req: &Incoming) -> Result<Response, ApiError> {
    match parse_stats_query(fleet_view::query_of_url(&req.url()))? {
        Scope::Isolate => isolate(rc).await,
        Scope::Cluster { minutes } => cluster(rc, minutes).await,
    }
}

/// This isolate's view (today's answer, and the default).
async fn isolate(rc: &RequestContext) -> Result<Response, ApiError> {
    let state = &rc.state;
    let now_ms = crate::clock::now_ms();
    let outbox = match database(&rc.env) {
        Ok(db) => match outbox::depth(&db).await {
            Ok(depth) => json!({ "depth": depth }),
            Err(error) => json!({ "depth": null, "error": error_for_operators(&error) }),
        },
        Err(error) => json!({ "depth": null, "error": error.message }),
    };
    let upstash = match state.cache.backend().and_then(|b| b.upstash_client()) {
        Some(client) => upstash_figures(client).await,
        None => Value::Null,
    };
    let body = json!({
        "scope": "isolate",
        "timestampMs": now_ms,
        "timestamp": iso8601(now_ms),
        "isolate": { "id": state.isolate_id, "startedAtMs": state.started_at_ms },
        "responses": responses(state),
        "cache": cache_stats(state),
        "limiter": limiter_stats(state),
        "breaker": breaker_state(state),
        "backend": backend_state(state),
        "outbox": outbox,
        "upstash": upstash,
        "settings": {
            "keyPrefix": state.cache.key_prefix(),
            "eventsChannel": state.settings.cache.events_channel,
            "rateLimiting": state.limits.is_some(),
            "healthCacheMs": state.settings.health_cache_ms,
            "cacheScope": if state.cache_is_per_isolate() { "isolate" } else { "shared" },
        },
    });
    respond::json(&body, 200)
}

/// The fleet's view over the last `minutes`: with Upstash, the minute
/// buckets every isolate flushes into, read with `DBSIZE` and `INFO` in one
/// `/pipeline`; without it, this isolate's own minutes (`"fleet": false`).
async fn cluster(rc: &RequestContext, minutes: u64) -> Result<Response, ApiError> {
    let state = &rc.state;
    let now_ms = crate::clock::now_ms();
    let fleet = &state.fleet;
    let (window, upstash, figures) = match fleet.upstash() {
        Some((client, prefix)) => {
            let started_ms = crate::clock::now_ms();
            let (window, outcomes) =
                read_window_with(client, prefix, now_ms, minutes, &figure_commands()).await.map_err(|error| {
                    ApiError::unavailable("the fleet's counters cannot be read from Upstash", error.summary())
                })?;
            let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
            let (upstash, figures) = figures_of(outcomes.into_iter().map(Some), latency_ms);
            (window, upstash, figures)
        }
        None => {
            let window = fleet.isolate_window(state, now_ms, minutes).expect("no Upstash: the isolate's own");
            let usage =
                state.cache.backend().filter(|b| b.kind() == BackendKind::Memory).and_then(|b| b.memory_usage());
            let figures = StoreFigures {
                memory_used: usage.map(|u| human_bytes(u.bytes as u64)),
                evicted_keys: None,
                key_count: usage.map(|u| u.entries as u64),
            };
            (window, Value::Null, figures)
        }
    };
    let limiters: Vec<&str> =
        state.limits.as_ref().map(|limits| limits.each().into_iter().map(Limiter::name).collect()).unwrap_or_default();
    let shared = fleet.upstash().is_some();
    let first_ms = window.minutes.first().map_or(now_ms, |(minute, _)| minute * 60_000);
    let body = json!({
        "scope": "cluster",
        "fleet": shared,
        "note": if shared {
            Value::Null
        } else {
            "no Upstash: these are the counters of the one isolate that answered (each isolate counts on its own)".into()
        },
        "timestampMs": now_ms,
        "timestamp": iso8601(now_ms),
        "window": { "minutes": window.minutes.len(), "fromMs": first_ms, "toMs": now_ms },
        "flushIntervalMs": fleet.interval_ms(),
        "isolates": window.isolates,
        "isolate": { "id": state.isolate_id, "startedAtMs": state.started_at_ms },
        "sum": counters(&window.sum, &limiters),
        "totals": counters(&window.totals, &limiters),
        "series": fleet_view::series(&window, now_ms),
        "stats": seed_stats(&window.sum, &figures),
        "upstash": upstash,
        "settings": {
            "keyPrefix": state.cache.key_prefix(),
            "rateLimiting": state.limits.is_some(),
            "cacheScope": if state.cache_is_per_isolate() { "isolate" } else { "shared" },
        },
    });
    respond::json(&body, 200)
}

fn cache_stats(state: &AppState) -> Value {
    let stats = state.cache.stats();
    let mut value = serde_json::to_value(stats).unwrap_or_default();
    // Fresh hits of every tier (staleServed apart).
    value["hits"] = (stats.l1_hits + stats.l2_hits).into();
    value["hitRatePercent"] = ((stats.hit_rate * 1000.0).round() / 10.0).into();
    value["l1MaxStalenessMs"] = state.cache.l1_max_staleness_ms().into();
    value["memory"] = serde_json::to_value(state.cache.memory_usage()).unwrap_or_default();
    value
}

/// Responses this isolate answered, by status class; this one not yet counted.
fn responses(state: &AppState) -> Value {
    let by_class = state.responses.by_class();
    json!({
        "total": by_class.iter().sum::<u64>(),
        "byStatusClass": { "1xx": by_class[0], "2xx": by_class[1], "3xx": by_class[2], "4xx": by_class[3], "5xx": by_class[4] },
    })
}

fn limiter_stats(state: &AppState) -> Value {
    let Some(limits) = &state.limits else { return Value::Null };
    let one = |limiter: &Limiter| {
        let stats = limiter.stats();
        let by_reason: Map<String, Value> =
            Reason::ALL.iter().zip(stats.by_reason).map(|(reason, n)| (reason.as_str().to_owned(), n.into())).collect();
        json!({
            "limit": limiter.quota(),
            "windowMs": limiter.window_ms(),
            "algorithm": limiter.algorithm().as_str(),
            "allowed": stats.allowed,
            "refused": stats.denied,
            "refusedByOtherLimit": stats.denied_by_other,
            "refusedFromBlockCache": stats.cache_blocked,
            "failedOpen": stats.failed_open,
            "failedClosed": stats.failed_closed,
            "localAllowed": stats.local_allowed,
            "localRefused": stats.local_denied,
            "byReason": by_reason,
        })
    };
    // By name: `client`, `auth`, `tenant`, `key`, and the LLM gateway's `llm_slots` and `llm`.
    Value::Object(limits.each().into_iter().map(|limiter| (limiter.name().to_owned(), one(limiter))).collect())
}

fn breaker_state(state: &AppState) -> Value {
    let breaker = state.cache.circuit_breaker();
    let settings = breaker.settings();
    json!({
        "open": breaker.is_open(),
        "openForMs": breaker.open_for_ms(),
        "consecutiveFailures": breaker.consecutive_failures(),
        "failuresToOpen": settings.failures,
        "cooldownMs": settings.cooldown_ms,
    })
}

fn backend_state(state: &AppState) -> Value {
    let outage = state.cache.outage();
    json!({
        "kind": state.cache.backend().map_or("none", |b| b.kind().as_str()),
        "failing": outage.is_failing(),
        "failures": outage.failures(),
        "misconfigured": outage.is_misconfigured(),
        "misconfigurations": outage.misconfigurations(),
        "lastError": outage.last_error(),
    })
}

/// `DBSIZE`, `INFO memory` and `INFO stats`: the database's figures.
fn figure_commands() -> [Command; 3] {
    [Command::new("DBSIZE"), Command::new("INFO").arg("memory"), Command::new("INFO").arg("stats")]
}

/// [`figure_commands`] in one pipeline, with its latency. A token that may
/// not run `INFO` (a read-only one) still gets the key count.
async fn upstash_figures(client: &UpstashClient) -> Value {
    let started_ms = crate::clock::now_ms();
    let outcomes = client.pipeline(&figure_commands()).await;
    let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
    match outcomes {
        Ok(outcomes) => figures_of(outcomes.into_iter().map(Some), latency_ms).0,
        Err(error) => json!({ "latencyMs": latency_ms, "error": error.summary() }),
    }
}

/// The answers of [`figure_commands`], as the answer's `upstash` object and
/// as seed 002's figures.
fn figures_of(
    mut outcomes: impl Iterator<Item = Option<Result<Reply, UpstashError>>>,
    latency_ms: u64,
) -> (Value, StoreFigures) {
    let mut next = || outcomes.next().flatten();
    let dbsize = next().and_then(|r| r.and_then(|r| r.into_int()).ok());
    let text = |outcome: Option<Result<Reply, UpstashError>>| {
        let bytes = outcome.and_then(|r| r.and_then(Reply::into_bytes).ok()).flatten();
        bytes.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    };
    let (memory, stats) = (text(next()), text(next()));
    let field = |info: &Option<String>, name: &str| {
        info.as_deref().and_then(|text| {
            text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':').map(str::trim).map(str::to_owned))
        })
    };
    let evicted_keys = field(&stats, "evicted_keys").and_then(|v| v.parse::<u64>().ok());
    let figures = StoreFigures {
        memory_used: field(&memory, "used_memory_human"),
        evicted_keys,
        key_count: dbsize.and_then(|n| u64::try_from(n).ok()),
    };
    let value = json!({
        "latencyMs": latency_ms,
        "dbsize": dbsize,
        "usedMemoryBytes": field(&memory, "used_memory").and_then(|v| v.parse::<u64>().ok()),
        "usedMemoryHuman": field(&memory, "used_memory_human"),
        // Keys Redis evicted under its maxmemory policy (INFO stats `evicted_keys`).
        "evictedKeys": evicted_keys,
    });
    (value, figures)
}

fn error_for_operators(error: &crate::StoreError) -> String {
    log::warn!("edgecache: stats could not read the outbox: {error}");
    "the backing store is unavailable".to_owned()
}

/// `ms` as an ISO 8601 UTC timestamp, by JavaScript's `Date`.
fn iso8601(ms: u64) -> String {
    js_sys::Date::new(&(ms as f64).into()).to_iso_string().into()
}
