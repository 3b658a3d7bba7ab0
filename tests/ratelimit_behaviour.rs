//! Rate limiting behaviour against upstash-local over a real redis-server:
//! quota accounting, the block cache, all-or-nothing checks, NOSCRIPT
//! recovery, clock skew, failure tiers, and @upstash/ratelimit interop.
//!
//! Tests that count round trips or flush scripts get a redis-server of their
//! own, so nothing else using the shared Redis can disturb the counts.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use edgecache::clock::ManualClock;
use edgecache::failure::BreakerSettings;
use edgecache::failure::CircuitBreaker;
use edgecache::ratelimit::model::{self, Params, State};
use edgecache::ratelimit::{
    Algorithm, Check, FailurePolicy, Guard, Limiter, MultiDecision, Prepared, RateLimitError, Reason,
};
use edgecache::upstash::{Command, Reply, UpstashClient};

const EXACT: [Algorithm; 5] = Algorithm::EXACT;

/// A redis-server, upstash-local in front of it, and a client: all this test's own.
struct Own {
    _redis: OwnRedis,
    server: upstash_local::Server,
    client: Arc<UpstashClient>,
}

async fn own() -> Own {
    let redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let client = Arc::new(client(&server));
    Own { _redis: redis, server, client }
}

async fn pttl_of_keys(client: &UpstashClient, pattern: &str) -> Vec<(String, i64)> {
    let keys = client.command(&Command::new("KEYS").arg(pattern)).await.unwrap().into_array().unwrap();
    let mut out = Vec::new();
    for key in keys {
        let key = String::from_utf8(key.into_bytes().unwrap().unwrap()).unwrap();
        let ttl = client.command(&Command::new("PTTL").arg(&key)).await.unwrap().into_int().unwrap();
        out.push((key, ttl));
    }
    out
}

#[tokio::test]
async fn rejected_requests_consume_no_quota_in_any_algorithm() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    for algorithm in EXACT {
        let p = key_prefix("noquota");
        let l = limiter(&client, &p, "client", algorithm, spec(3, 60_000));
        let first = l.limit("ip-1", 2).await.unwrap();
        assert!(first.success, "{algorithm}: {first:?}");
        assert_eq!(first.remaining, 1, "{algorithm}");
        for _ in 0..3 {
            let refused = l.limit("ip-1", 2).await.unwrap();
            assert!(!refused.success, "{algorithm}: {refused:?}");
            assert_eq!(refused.remaining, 1, "{algorithm}: a refusal spent quota");
            assert!(refused.retry_after_ms > 0, "{algorithm}");
        }
        let last = l.limit("ip-1", 1).await.unwrap();
        assert!(last.success, "{algorithm}: the refusals were counted: {last:?}");
        assert_eq!(last.remaining, 0, "{algorithm}");
        for (key, ttl) in pttl_of_keys(&client, &format!("{p}:*")).await {
            assert!(ttl > 0, "{algorithm}: {key} has PTTL {ttl}");
        }
    }
}

#[tokio::test]
async fn remaining_is_never_negative_in_the_raw_script_reply() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    for algorithm in EXACT {
        let l = Limiter::builder(client.clone(), "client", algorithm, spec(4, 60_000))
            .prefix(&key_prefix("neg"))
            .block_cache_capacity(0)
            .build()
            .unwrap();
        for cost in [3, 4, 1, 2, 4, 1, -1, 4, 3] {
            let Prepared::Check(check) = l.prepare("ip", cost).unwrap() else { panic!("no block cache") };
            let reply = eval_raw(&client, &check).await;
            let values: Vec<i64> = reply.into_array().unwrap().into_iter().map(|r| r.into_int().unwrap()).collect();
            // {all_ok, denied_until_ms, ok, remaining, reset_ms, retry_ms, block_ms, now_ms,
            //  limit, window_ms, refunded}
            assert_eq!(values.len(), 11);
            assert!((0..=4).contains(&values[3]), "{algorithm}: remaining {values:?}");
            assert_eq!((values[8], values[9]), (4, 60_000), "{algorithm}: the limit used");
            assert!(values.iter().all(|v| *v >= 0), "{algorithm}: {values:?}");
        }
    }
}

/// A prepared check sent without deciding: the script's raw reply.
async fn eval_raw(client: &UpstashClient, check: &edgecache::ratelimit::PreparedCheck<'_>) -> Reply {
    match client.command(&check.command()).await {
        Err(e) if e.is_noscript() => client.command(&check.eval_command()).await.unwrap(),
        other => other.unwrap(),
    }
}

#[tokio::test]
async fn cost_above_the_limit_is_a_typed_error_before_any_round_trip() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let l = limiter(&client, &key_prefix("cost"), "client", Algorithm::Gcra, spec(5, 60_000));
    let before = client.round_trips();
    let err = l.limit("ip", 6).await.unwrap_err();
    assert_eq!(err, RateLimitError::CostExceedsLimit { limiter: "client".into(), cost: 6, max_cost: 5 });
    assert!(err.to_string().contains("cost 6"), "{err}");
    assert!(matches!(l.limit("ip", -6).await, Err(RateLimitError::CostExceedsLimit { .. })));
    assert_eq!(client.round_trips(), before, "no request was sent");
    // Not a lock-out: the whole limit is still there.
    let d = l.limit("ip", 5).await.unwrap();
    assert!(d.success && d.remaining == 0, "{d:?}");
    // GCRA with a smaller burst refuses a cost above the burst the same way.
    let paced =
        Limiter::builder(client.clone(), "paced", Algorithm::Gcra, spec(5, 60_000).allow_burst(2.try_into().unwrap()))
            .prefix(&key_prefix("cost"))
            .build()
            .unwrap();
    assert!(matches!(paced.limit("ip", 3).await, Err(RateLimitError::CostExceedsLimit { max_cost: 2, .. })));
}

#[tokio::test]
async fn refunds_never_raise_remaining_above_the_limit() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    for algorithm in EXACT {
        let l = limiter(&client, &key_prefix("refund"), "client", algorithm, spec(5, 60_000));
        assert_eq!(l.limit("ip", 2).await.unwrap().remaining, 3, "{algorithm}");
        let refund = l.limit("ip", -5).await.unwrap();
        assert!(refund.success, "{algorithm}");
        assert_eq!(refund.remaining, 5, "{algorithm}: {refund:?}");
        assert_eq!(l.get_remaining("ip").await.unwrap().remaining, 5, "{algorithm}");
        // The refund gave back what was spent, not more.
        assert!(l.limit("ip", 5).await.unwrap().success, "{algorithm}");
        assert!(!l.limit("ip", 1).await.unwrap().success, "{algorithm}");
        let partial = l.limit("ip", -2).await.unwrap();
        assert_eq!(partial.remaining, 2, "{algorithm}: {partial:?}");
    }
}

#[tokio::test]
async fn get_remaining_reads_without_spending_and_reset_forgets() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    for algorithm in EXACT {
        let p = key_prefix("getreset");
        let l = limiter(&client, &p, "client", algorithm, spec(4, 60_000));
        assert_eq!(l.get_remaining("ip").await.unwrap().remaining, 4, "{algorithm}");
        l.limit("ip", 3).await.unwrap();
        for _ in 0..3 {
            let r = l.get_remaining("ip").await.unwrap();
            assert_eq!(r.remaining, 1, "{algorithm}: get_remaining spent quota");
            assert!(r.success);
        }
        assert_eq!(l.limit("ip", 0).await.unwrap().remaining, 1, "{algorithm}: cost 0 spent quota");
        l.limit("ip", 1).await.unwrap();
        let empty = l.get_remaining("ip").await.unwrap();
        assert!(!empty.success && empty.remaining == 0 && empty.retry_after_ms > 0, "{empty:?}");
        l.reset("ip").await.unwrap();
        assert!(pttl_of_keys(&client, &format!("{p}:*")).await.is_empty(), "{algorithm}");
        let fresh = l.limit("ip", 4).await.unwrap();
        assert!(fresh.success, "{algorithm}: reset did not forget: {fresh:?}");
    }
}

#[tokio::test]
async fn block_cache_answers_with_zero_round_trips_and_reason_cache_block() {
    let own = own().await;
    let clock = ManualClock::new(1_000_000);
    let l = Limiter::builder(own.client.clone(), "client", Algorithm::FixedWindow, spec(2, 60_000))
        .prefix(&key_prefix("blockcache"))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    assert!(l.limit("ip", 1).await.unwrap().success);
    let last = l.limit("ip", 1).await.unwrap();
    assert!(last.success && last.remaining == 0);
    let before = own.client.round_trips();
    let served_before = own.server.request_count();
    for _ in 0..5 {
        let d = l.limit("ip", 1).await.unwrap();
        assert!(!d.success);
        assert_eq!(d.reason, Reason::CacheBlock);
        assert!(d.retry_after_ms > 0 && d.retry_after_ms <= 60_000, "{d:?}");
        assert_eq!(d.limit, 2);
    }
    assert_eq!(own.client.round_trips(), before, "the block cache sent requests");
    assert_eq!(own.server.request_count(), served_before);
    assert_eq!(l.stats().cache_blocked, 5);
    // Another identifier is not blocked; a refund goes to Redis and unblocks.
    assert!(l.limit("other", 1).await.unwrap().success);
    let refund = l.limit("ip", -1).await.unwrap();
    assert_eq!(refund.reason, Reason::None);
    let after = l.limit("ip", 1).await.unwrap();
    assert!(after.success && after.reason == Reason::None, "{after:?}");
    // The cached block ends when the local clock passes it.
    let blocked = l.limit("ip", 1).await.unwrap();
    assert_eq!(blocked.reason, Reason::CacheBlock);
    clock.advance_ms(blocked.retry_after_ms);
    assert_ne!(l.limit("ip", 1).await.unwrap().reason, Reason::CacheBlock);
}

#[tokio::test]
async fn multi_limit_is_all_or_nothing_in_one_round_trip() {
    let own = own().await;
    let p = key_prefix("multi");
    let per_ip = Limiter::builder(own.client.clone(), "client", Algorithm::Gcra, spec(10, 60_000))
        .prefix(&p)
        .block_cache_capacity(0)
        .build()
        .unwrap();
    let per_tenant = Limiter::builder(own.client.clone(), "tenant", Algorithm::FixedWindow, spec(2, 60_000))
        .prefix(&p)
        .block_cache_capacity(0)
        .build()
        .unwrap();
    // Redis of this test's own: load the script once (EVALSHA, NOSCRIPT, EVAL).
    per_ip.get_remaining("warm-up").await.unwrap();
    let mut trips = own.client.round_trips();
    for i in 0..2 {
        let m =
            Limiter::limit_all(&[Check::new(&per_ip, "1.2.3.4", 1), Check::new(&per_tenant, "acme", 1)]).await.unwrap();
        assert!(m.success, "{i}: {m:?}");
        assert_eq!(own.client.round_trips() - trips, 1);
        trips = own.client.round_trips();
    }
    // The tenant refuses: the IP limit is not consumed either.
    for _ in 0..3 {
        let m =
            Limiter::limit_all(&[Check::new(&per_ip, "1.2.3.4", 1), Check::new(&per_tenant, "acme", 1)]).await.unwrap();
        assert!(!m.success);
        assert_eq!(own.client.round_trips() - trips, 1);
        trips = own.client.round_trips();
        let ip = m.decisions[0].as_ref().unwrap();
        let tenant = m.decisions[1].as_ref().unwrap();
        assert!(ip.success && ip.remaining == 8, "{ip:?}");
        assert!(!tenant.success && tenant.retry_after_ms > 0, "{tenant:?}");
        assert_eq!(m.retry_after_ms(), tenant.retry_after_ms);
    }
    assert_eq!(per_ip.get_remaining("1.2.3.4").await.unwrap().remaining, 8);
    assert_eq!(per_ip.stats().allowed, 2);
    assert_eq!(
        (per_ip.stats().denied, per_ip.stats().denied_by_other),
        (0, 3),
        "the tenant limit refused, not this one"
    );
    assert_eq!((per_tenant.stats().denied, per_tenant.stats().denied_by_other), (3, 0));
    // Refused by the first limit: the second is not consumed.
    let other_ip =
        Limiter::limit_all(&[Check::new(&per_tenant, "globex", 1), Check::new(&per_ip, "5.6.7.8", 11)]).await;
    assert!(matches!(other_ip, Err(RateLimitError::CostExceedsLimit { .. })));
    let m =
        Limiter::limit_all(&[Check::new(&per_ip, "5.6.7.8", 10), Check::new(&per_tenant, "globex", 1)]).await.unwrap();
    assert!(m.success);
    let m =
        Limiter::limit_all(&[Check::new(&per_ip, "5.6.7.8", 1), Check::new(&per_tenant, "globex", 1)]).await.unwrap();
    assert!(!m.success);
    assert_eq!(per_tenant.get_remaining("globex").await.unwrap().remaining, 1);
    // The same key twice cannot be all-or-nothing.
    assert!(matches!(
        Limiter::limit_all(&[Check::new(&per_ip, "x", 1), Check::new(&per_ip, "x", 1)]).await,
        Err(RateLimitError::DuplicateCheck { .. })
    ));
}

#[tokio::test]
async fn a_guarded_limit_counts_only_while_its_guard_key_holds_the_text() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let p = key_prefix("guard");
    let per_ip = limiter(&client, &p, "client", Algorithm::FixedWindow, spec(10, 60_000));
    let per_tenant = limiter(&client, &p, "tenant", Algorithm::FixedWindow, spec(2, 60_000));
    let record = format!("{p}:record");
    let guard = Guard { key: record.clone(), text: r#""tenantId":"acme""#.into() };
    let check = || async {
        let checks = [Check::new(&per_ip, "1.2.3.4", 1), Check::new(&per_tenant, "acme", 1).guarded(guard.clone())];
        match Limiter::prepare_all(&checks).unwrap() {
            Prepared::Check(check) => check.run().await,
            Prepared::Decided(decided) => decided,
        }
    };
    let set = |value: &'static str| {
        let command = Command::new("SET").arg(&record).arg(value);
        let client = client.clone();
        async move { client.command(&command).await.unwrap() }
    };
    let tenant_remaining = || async { per_tenant.get_remaining("acme").await.unwrap().remaining };

    // No record: the tenant limit is skipped, the client limit still counts.
    let m: MultiDecision = check().await;
    assert!(m.success && m.decisions[1].is_none(), "{m:?}");
    assert_eq!(m.decisions[0].as_ref().unwrap().remaining, 9);
    // Another tenant's record (`acme2` contains `acme`, but not `"acme"`): skipped too.
    set(r#"{"id":"k1","tenantId":"acme2","createdAtMs":1}"#).await;
    assert!(check().await.decisions[1].is_none());
    assert_eq!(tenant_remaining().await, 2, "nothing spent on the tenant");
    // The record names the tenant: counted, all-or-nothing with the client limit.
    set(r#"{"id":"k1","tenantId":"acme","createdAtMs":1}"#).await;
    for left in [1, 0] {
        let m = check().await;
        assert!(m.success);
        assert_eq!(m.decisions[1].as_ref().unwrap().remaining, left);
    }
    let refused = check().await;
    assert!(!refused.success && !refused.decisions[1].as_ref().unwrap().success);
    assert_eq!(per_ip.get_remaining("1.2.3.4").await.unwrap().remaining, 10 - 4, "the refused request spent nothing");
    assert_eq!(per_tenant.stats().denied, 1);
}

#[tokio::test]
async fn multi_limit_refused_by_the_block_cache_sends_nothing() {
    let own = own().await;
    let p = key_prefix("multicache");
    let per_ip = limiter(&own.client, &p, "client", Algorithm::SlidingLog, spec(5, 60_000));
    let per_tenant = Limiter::builder(own.client.clone(), "tenant", Algorithm::TokenBucket, spec(1, 60_000))
        .prefix(&p)
        .build()
        .unwrap();
    assert!(
        Limiter::limit_all(&[Check::new(&per_ip, "ip", 1), Check::new(&per_tenant, "t", 1)]).await.unwrap().success
    );
    let before = own.client.round_trips();
    let m = Limiter::limit_all(&[Check::new(&per_ip, "ip", 1), Check::new(&per_tenant, "t", 1)]).await.unwrap();
    assert_eq!(own.client.round_trips(), before);
    assert!(!m.success);
    assert!(m.decisions[0].is_none(), "not asked: {m:?}");
    assert_eq!(m.decisions[1].as_ref().unwrap().reason, Reason::CacheBlock);
    assert_eq!(m.reason(), Reason::CacheBlock);
    assert_eq!(per_ip.get_remaining("ip").await.unwrap().remaining, 4);
}

#[tokio::test]
async fn checks_survive_script_flush_with_two_round_trips_once() {
    let own = own().await;
    let l = Limiter::builder(own.client.clone(), "client", Algorithm::Gcra, spec(100, 60_000))
        .prefix(&key_prefix("flush"))
        .build()
        .unwrap();
    l.limit("ip", 1).await.unwrap();
    let flushed = own.client.command(&Command::new("SCRIPT").arg("FLUSH")).await.unwrap();
    assert!(flushed.is_ok_status());
    let before = own.client.round_trips();
    let d = l.limit("ip", 1).await.unwrap();
    assert!(d.success && d.reason == Reason::None, "{d:?}");
    assert_eq!(own.client.round_trips() - before, 2, "EVALSHA, NOSCRIPT, then EVAL");
    let before = own.client.round_trips();
    assert!(l.limit("ip", 1).await.unwrap().success);
    assert_eq!(own.client.round_trips() - before, 1, "EVAL loaded the script again");
    assert_eq!(l.get_remaining("ip").await.unwrap().remaining, 97);
    assert_eq!(l.stats().failed_open, 0);
}

#[tokio::test]
async fn prepared_check_rides_in_a_pipeline_with_mget_and_recovers_from_noscript() {
    let own = own().await;
    let p = key_prefix("pipeline");
    let per_ip = limiter(&own.client, &p, "client", Algorithm::Gcra, spec(3, 60_000));
    let cache_key = format!("{p}:cache:policy");
    own.client.command(&Command::new("SET").arg(&cache_key).arg("{}").arg("PX").arg(60_000)).await.unwrap();
    own.client.command(&Command::new("SCRIPT").arg("FLUSH")).await.unwrap();
    for round in 0..3 {
        let Prepared::Check(check) = per_ip.prepare("ip", 1).unwrap() else { panic!("not blocked yet") };
        let before = own.client.round_trips();
        let mut outcomes = own.client.pipeline(&[Command::new("MGET").arg(&cache_key), check.command()]).await.unwrap();
        let limit_outcome = outcomes.pop().unwrap();
        let mget = outcomes.pop().unwrap().unwrap();
        assert_eq!(mget, Reply::Array(vec![Reply::Bytes(b"{}".to_vec())]));
        if round == 0 {
            assert!(limit_outcome.as_ref().unwrap_err().is_noscript());
        }
        let decision = check.resolve(limit_outcome).await;
        assert!(decision.success, "{decision:?}");
        let expected = if round == 0 { 2 } else { 1 };
        assert_eq!(own.client.round_trips() - before, expected, "round {round}");
        assert_eq!(decision.decisions[0].as_ref().unwrap().remaining, 2 - round);
    }
    // Exhausted: the next prepare is decided by the block cache, nothing to send.
    assert!(matches!(per_ip.prepare("ip", 1).unwrap(), Prepared::Decided(m) if !m.success));
}

#[tokio::test]
async fn skewed_local_clocks_cannot_exceed_the_limit_together() {
    let server = start_server().await;
    for algorithm in [Algorithm::Gcra, Algorithm::SlidingLog, Algorithm::FixedWindow] {
        let p = key_prefix("skew");
        let behind = ManualClock::new(1_780_000_000_000);
        let ahead = ManualClock::new(1_780_000_030_000);
        let make = |clock: &ManualClock| {
            // An hour's window: the test cannot straddle a fixed window's end.
            Limiter::builder(Arc::new(client(&server)), "client", algorithm, spec(5, 3_600_000))
                .prefix(&p)
                .clock(Arc::new(clock.clone()))
                .build()
                .unwrap()
        };
        let (a, b) = (make(&behind), make(&ahead));
        let mut allowed = 0;
        for i in 0..30 {
            let l = if i % 2 == 0 { &a } else { &b };
            if l.limit("shared-ip", 1).await.unwrap().success {
                allowed += 1;
            }
            // The skewed clocks move; the limit must not.
            behind.advance_ms(1_000);
            ahead.advance_ms(1_000);
        }
        assert_eq!(allowed, 5, "{algorithm}: two skewed isolates admitted {allowed}");
        assert!(a.stats().cache_blocked + b.stats().cache_blocked > 0);
    }
}

#[tokio::test]
async fn fail_open_when_upstash_stalls_answers_in_time_with_reason_timeout() {
    for (policy, expect_success) in [(FailurePolicy::FailOpen, true), (FailurePolicy::FailClosed, false)] {
        let (addr, hung_up) = raw_http_server(None);
        let stalled = Arc::new(client_for(&format!("http://{addr}"), TOKEN, 300));
        let l = Limiter::builder(stalled, "client", Algorithm::Gcra, spec(7, 60_000))
            .failure_policy(policy)
            .build()
            .unwrap();
        let started = Instant::now();
        let d = l.limit("ip", 1).await.unwrap();
        let took = started.elapsed();
        assert!(took < Duration::from_millis(350), "{policy:?} answered after {took:?}");
        assert_eq!(d.success, expect_success, "{d:?}");
        assert_eq!(d.reason, Reason::Timeout);
        assert_eq!(d.limit, 7);
        if expect_success {
            assert_eq!(d.remaining, 7);
            assert_eq!(l.stats().failed_open, 1);
        } else {
            assert_eq!(d.remaining, 0);
            assert!(d.retry_after_ms > 0);
            assert_eq!(l.stats().failed_closed, 1);
        }
        assert!(l.outage().is_failing());
        // The fetch was aborted: the server sees the client hang up. (Wait off
        // the runtime thread: the client's connection task must run to close.)
        let closed = tokio::task::spawn_blocking(move || hung_up.recv_timeout(Duration::from_secs(5)))
            .await
            .unwrap()
            .expect("the client closed the connection");
        assert!(closed < Duration::from_secs(2), "{closed:?}");
    }
}

#[tokio::test]
async fn a_refused_token_answers_by_the_failure_policy_with_reason_backend_misconfigured() {
    let server = start_server().await;
    // A read-only token (Redis answers NOPERM) and a revoked one (HTTP 401).
    for token in [READ_ONLY_TOKEN, "revoked-token"] {
        let c = Arc::new(client_for(&server.url(), token, 2_000));
        let open = Limiter::builder(c.clone(), "client", Algorithm::Gcra, spec(3, 60_000))
            .prefix(&key_prefix("misconfigured"))
            .build()
            .unwrap();
        let closed = Limiter::builder(c, "client", Algorithm::Gcra, spec(3, 60_000))
            .prefix(&key_prefix("misconfigured"))
            .failure_policy(FailurePolicy::FailClosed)
            .build()
            .unwrap();
        let d = open.limit("ip", 1).await.unwrap();
        assert!(d.success && d.reason == Reason::BackendMisconfigured, "{token}: {d:?}");
        assert_eq!(d.reason.as_str(), "backend_misconfigured");
        let d = closed.limit("ip", 1).await.unwrap();
        assert!(!d.success && d.reason == Reason::BackendMisconfigured, "{token}: {d:?}");
        assert_eq!(open.outage().misconfigurations(), 1, "{token}: counted as a misconfiguration");
        assert_eq!(open.outage().failures(), 0, "{token}: not as an outage");
        assert!(open.outage().is_misconfigured());
        let reason_index = Reason::ALL.iter().position(|r| *r == Reason::BackendMisconfigured).unwrap();
        assert_eq!(open.stats().by_reason[reason_index], 1);
    }
}

#[tokio::test]
async fn a_shared_breaker_opens_on_stalls_then_checks_answer_at_once_with_reason_circuit_open() {
    let stalled = Arc::new(client_for(&format!("http://{}", stalled_server()), TOKEN, 200));
    let clock = ManualClock::new(1_000_000);
    let settings = BreakerSettings { failures: 2, cooldown_ms: 5_000 };
    let breaker = Arc::new(CircuitBreaker::new(settings, Arc::new(clock.clone())));
    let build = |policy| {
        Limiter::builder(stalled.clone(), "client", Algorithm::Gcra, spec(7, 60_000))
            .failure_policy(policy)
            .circuit_breaker(breaker.clone())
            .build()
            .unwrap()
    };
    let (open, closed) = (build(FailurePolicy::FailOpen), build(FailurePolicy::FailClosed));
    for _ in 0..2 {
        let d = open.limit("ip", 1).await.unwrap();
        assert_eq!(d.reason, Reason::Timeout, "{d:?}");
    }
    assert!(breaker.is_open(), "two timeouts open it");
    for (limiter, success) in [(&open, true), (&closed, false)] {
        let started = Instant::now();
        let d = limiter.limit("ip", 1).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(50), "answered at once: {:?}", started.elapsed());
        assert_eq!((d.success, d.reason), (success, Reason::CircuitOpen), "{d:?}");
    }
    assert_eq!(stalled.round_trips(), 2, "nothing was sent while open");
    clock.advance_ms(5_000);
    let d = open.limit("ip", 1).await.unwrap();
    assert_eq!(d.reason, Reason::Timeout, "half-open: one call goes through");
    assert_eq!(stalled.round_trips(), 3);
}

#[tokio::test]
async fn fail_open_when_upstash_is_stopped_answers_with_reason_backend_error() {
    // Nothing listens: connection refused.
    let nowhere = Arc::new(client_for(&format!("http://127.0.0.1:{}", free_port()), TOKEN, 300));
    let open = Limiter::new(nowhere.clone(), "client", Algorithm::SlidingLog, spec(3, 60_000)).unwrap();
    let closed = Limiter::builder(nowhere, "client", Algorithm::SlidingLog, spec(3, 60_000))
        .failure_policy(FailurePolicy::FailClosed)
        .build()
        .unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let d = open.limit("ip", 1).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(350));
        assert!(d.success && d.reason == Reason::BackendError && d.remaining == 3, "{d:?}");
        let d = closed.limit("ip", 1).await.unwrap();
        assert!(!d.success && d.reason == Reason::BackendError, "{d:?}");
    }
    assert_eq!(open.stats().failed_open, 3);
    assert_eq!(open.outage().failures(), 3);
    assert!(matches!(open.get_remaining("ip").await, Err(RateLimitError::Backend(_))));

    // Redis killed behind a running upstash-local: 5xx.
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let c = Arc::new(client_for(&server.url(), TOKEN, 300));
    let l = Limiter::builder(c.clone(), "client", Algorithm::Gcra, spec(3, 60_000))
        .prefix(&key_prefix("killed"))
        .build()
        .unwrap();
    let fc = Limiter::builder(c, "client", Algorithm::Gcra, spec(3, 60_000))
        .prefix(&key_prefix("killed"))
        .failure_policy(FailurePolicy::FailClosed)
        .build()
        .unwrap();
    assert_eq!(l.limit("ip", 1).await.unwrap().reason, Reason::None);
    redis.stop();
    let started = Instant::now();
    let d = l.limit("ip", 1).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(350), "{:?}", started.elapsed());
    assert!(d.success && d.remaining == 3, "{d:?}");
    assert_eq!(d.reason, Reason::BackendError);
    let d = fc.limit("ip", 1).await.unwrap();
    assert!(!d.success && d.reason == Reason::BackendError, "{d:?}");
    assert!(l.outage().last_error().unwrap().contains("500"), "{:?}", l.outage().last_error());
}

/// A millisecond clock reading at a chosen offset into a window of `window_ms`.
fn clock_at_offset(window_ms: u64, offset_ms: u64) -> (ManualClock, u64) {
    let k = 1_780_000_000_000 / window_ms;
    (ManualClock::new(k * window_ms + offset_ms), k)
}

#[tokio::test]
async fn upstash_compatible_keys_are_named_as_the_js_library_names_them() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let id = key_prefix("js-user");
    let (clock, k) = clock_at_offset(10_000, 1_234);
    let fixed = Limiter::builder(client.clone(), "default", Algorithm::UpstashFixedWindow, spec(3, 10_000))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    assert_eq!(fixed.keys(&id), [format!("@upstash/ratelimit:{id}:{k}")]);
    let sliding = Limiter::builder(client.clone(), "default", Algorithm::UpstashSlidingWindow, spec(3, 10_000))
        .clock(Arc::new(clock.clone()))
        .build()
        .unwrap();
    assert_eq!(
        sliding.keys(&id),
        [format!("@upstash/ratelimit:{id}:{k}"), format!("@upstash/ratelimit:{id}:{}", k - 1)]
    );
    // The constructor picks @upstash/ratelimit's default prefix.
    let default = Limiter::upstash_compatible_sliding_window(client.clone(), spec(3, 10_000)).unwrap();
    assert!(default.keys(&id)[0].starts_with(&format!("@upstash/ratelimit:{id}:")));
    fixed.limit(&id, 2).await.unwrap();
    let key = format!("@upstash/ratelimit:{id}:{k}");
    let value = client.command(&Command::new("GET").arg(&key)).await.unwrap();
    assert_eq!(value, Reply::Bytes(b"2".to_vec()), "a plain counter, as INCRBY makes it");
    let ttl = client.command(&Command::new("PTTL").arg(&key)).await.unwrap().into_int().unwrap();
    assert!(ttl > 9_000 && ttl <= 10_000, "PEXPIRE window on creation: {ttl}");
    client.command(&Command::new("DEL").arg(&key)).await.unwrap();
}

#[tokio::test]
async fn upstash_compatible_fixed_window_honours_and_counts_like_the_js_library() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let p = key_prefix("jsfw");
    let (clock, k) = clock_at_offset(60_000, 5_000);
    let l = Limiter::builder(client.clone(), "default", Algorithm::UpstashFixedWindow, spec(5, 60_000))
        .prefix(&p)
        .clock(Arc::new(clock.clone()))
        .block_cache_capacity(0)
        .build()
        .unwrap();
    let key = format!("{p}:user:{k}");
    // What the JS worker left after four requests in this window.
    client.command(&Command::new("SET").arg(&key).arg(4).arg("PX").arg(55_000)).await.unwrap();
    let d = l.limit("user", 1).await.unwrap();
    assert!(d.success && d.remaining == 0, "{d:?}");
    assert_eq!(d.reset_ms, (k + 1) * 60_000);
    let refused = l.limit("user", 1).await.unwrap();
    assert!(!refused.success);
    // As @upstash/ratelimit does, the refusal was counted too.
    let count = client.command(&Command::new("GET").arg(&key)).await.unwrap();
    assert_eq!(count, Reply::Bytes(b"6".to_vec()));
    let ttl = client.command(&Command::new("PTTL").arg(&key)).await.unwrap().into_int().unwrap();
    assert!(ttl <= 55_000 && ttl > 0, "the TTL the JS worker set is kept: {ttl}");
}

#[tokio::test]
async fn upstash_compatible_sliding_window_reproduces_the_js_weighting_and_quirk() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let p = key_prefix("jssw");
    let window = 10_000;
    // A quarter into the window: the previous window weighs floor(0.75 * prev).
    let (clock, k) = clock_at_offset(window, 2_500);
    let l = Limiter::builder(client.clone(), "default", Algorithm::UpstashSlidingWindow, spec(10, window))
        .prefix(&p)
        .clock(Arc::new(clock.clone()))
        .block_cache_capacity(0)
        .build()
        .unwrap();
    let (cur, prev) = (format!("{p}:u:{k}"), format!("{p}:u:{}", k - 1));
    client.command(&Command::new("SET").arg(&prev).arg(10).arg("PX").arg(20_000)).await.unwrap();
    // floor(0.75 * 10) = 7 from the previous window: 3 more fit.
    for i in 0..3 {
        let d = l.limit("u", 1).await.unwrap();
        assert!(d.success, "{i}: {d:?}");
        assert_eq!(d.remaining, 2 - i);
    }
    let refused = l.limit("u", 1).await.unwrap();
    assert!(!refused.success);
    let get = |key: String| {
        let client = client.clone();
        async move { client.command(&Command::new("GET").arg(key)).await.unwrap() }
    };
    assert_eq!(get(cur.clone()).await, Reply::Bytes(b"3".to_vec()), "refused without counting");
    let ttl = client.command(&Command::new("PTTL").arg(&cur)).await.unwrap().into_int().unwrap();
    assert!(ttl > 20_000 && ttl <= 21_000, "2 * window + 1000: {ttl}");
    // The quirk: at 9 of 10, a request of cost 2 is counted and refused.
    client.command(&Command::new("SET").arg(&cur).arg(2).arg("KEEPTTL")).await.unwrap();
    let quirk = l.limit("u", 2).await.unwrap();
    assert!(!quirk.success, "{quirk:?}");
    assert_eq!(get(cur.clone()).await, Reply::Bytes(b"4".to_vec()), "counted as the JS script counts it");
    // Later in the window the previous one weighs less: floor(0.25 * 10) = 2.
    clock.advance_ms(5_000);
    let d = l.limit("u", 1).await.unwrap();
    assert!(d.success && d.remaining == 3, "{d:?}");
}

/// A deterministic pseudo-random sequence (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The Lua scripts and the pure model answer alike, step by step, on random
/// sequences of costs and times.
///
/// Times start at the test's clock and run ten times faster than real time,
/// plus random jumps, so a key's real TTL (set from these times) never ends
/// before its logical one.
#[tokio::test]
async fn lua_matches_the_pure_model() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut compared = 0;
    let base_us = edgecache::clock::now_ms() * 1000 + 999;
    let started = Instant::now();
    for algorithm in EXACT {
        for (limit, window_ms) in [(1, 50), (3, 400), (7, 1_000), (20, 250)] {
            let burst = if algorithm == Algorithm::Gcra { 1 + rng.below(limit) } else { limit };
            let mut spec = spec(limit, window_ms);
            if algorithm == Algorithm::Gcra {
                spec = spec.allow_burst(burst.try_into().unwrap());
            }
            let l =
                Limiter::builder(client.clone(), "m", algorithm, spec).prefix(&key_prefix("model")).build().unwrap();
            let params = Params { algorithm, limit, window_ms, burst, lease: 0 };
            let mut state = State::Empty;
            let mut jump_us = 0u64;
            for step in 0..60 {
                jump_us += match rng.below(4) {
                    0 => 0,
                    1 => rng.below(2_000),
                    2 => rng.below(window_ms * 1000 / 2),
                    _ => rng.below(window_ms * 1500),
                };
                let now_us = base_us + 10 * started.elapsed().as_micros() as u64 + jump_us;
                let max = l.max_cost() as i64;
                let cost = match rng.below(6) {
                    0 => -(rng.below(max as u64) as i64 + 1),
                    1 => 0,
                    _ => rng.below(max as u64) as i64 + 1,
                };
                let got = l.limit_at("who", cost, now_us).await.unwrap();
                let (want, next) = model::decide(&params, &state, now_us as i64, cost);
                state = next;
                let ctx = format!("{algorithm} L={limit} W={window_ms} step {step} cost {cost}");
                assert_eq!(got.success, want.ok, "{ctx}: {got:?} vs {want:?}");
                assert_eq!(got.remaining, want.remaining, "{ctx}: {got:?} vs {want:?}");
                assert_eq!(got.reset_ms, want.reset_ms, "{ctx}: {got:?} vs {want:?}");
                assert_eq!(got.retry_after_ms, want.retry_after_ms, "{ctx}: {got:?} vs {want:?}");
                assert_eq!(got.now_ms, now_us / 1000, "{ctx}");
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 5 * 4 * 60);
}

#[tokio::test]
async fn local_fallback_enforces_the_limit_in_each_isolate_while_upstash_is_down() {
    // Nothing listens: every check fails, and each "isolate" (limiter)
    // enforces the limit on its own: at most limit x isolates pass.
    let nowhere = Arc::new(client_for(&format!("http://127.0.0.1:{}", free_port()), TOKEN, 300));
    for algorithm in EXACT {
        let isolate = || {
            Limiter::builder(nowhere.clone(), "client", algorithm, spec(3, 60_000))
                .failure_policy(FailurePolicy::Local)
                .build()
                .unwrap()
        };
        let (a, b) = (isolate(), isolate());
        let mut passed = 0;
        for limiter in [&a, &b] {
            for _ in 0..5 {
                let d = limiter.limit("ip", 1).await.unwrap();
                assert_eq!(d.reason, Reason::LocalFallback, "{algorithm:?}");
                if d.success {
                    passed += 1;
                } else {
                    assert!(d.retry_after_ms > 0, "{algorithm:?}: a local refusal says when to retry: {d:?}");
                }
            }
        }
        assert_eq!(passed, 6, "{algorithm:?}: 3 per isolate, 2 isolates");
        let stats = a.stats();
        assert_eq!((stats.local_allowed, stats.local_denied), (3, 2), "{algorithm:?}");
        assert_eq!(a.outage().failures(), 5, "{algorithm:?}: the outage is still logged and counted");
        let index = |reason: Reason| Reason::ALL.iter().position(|r| *r == reason).unwrap();
        assert_eq!(stats.by_reason[index(Reason::BackendError)], 5, "{algorithm:?}: counted under its cause");
        assert_eq!(stats.by_reason[index(Reason::LocalFallback)], 5, "{algorithm:?}: and as a local decision");
        // Other identifiers have their own local state.
        assert!(a.limit("other", 1).await.unwrap().success);
    }
}

#[tokio::test]
async fn the_local_fallback_is_all_or_nothing_and_skips_guarded_limits() {
    let nowhere = Arc::new(client_for(&format!("http://127.0.0.1:{}", free_port()), TOKEN, 300));
    let local = |name: &str, limit: u64| {
        Limiter::builder(nowhere.clone(), name, Algorithm::Gcra, spec(limit, 60_000))
            .failure_policy(FailurePolicy::Local)
            .build()
            .unwrap()
    };
    let (per_ip, per_tenant) = (local("client", 3), local("tenant", 1));
    let pair = [Check::new(&per_ip, "1.2.3.4", 1), Check::new(&per_tenant, "acme", 1)];
    assert!(Limiter::limit_all(&pair).await.unwrap().success);
    let refused = Limiter::limit_all(&pair).await.unwrap();
    assert!(!refused.success, "the tenant limit of 1 is spent");
    assert!(refused.decisions[0].as_ref().unwrap().reason == Reason::LocalFallback);
    // All-or-nothing: the refused call spent nothing on the client limit,
    // which still has 2 of its 3.
    assert!(per_ip.limit("1.2.3.4", 1).await.unwrap().success);
    assert!(per_ip.limit("1.2.3.4", 1).await.unwrap().success);
    assert!(!per_ip.limit("1.2.3.4", 1).await.unwrap().success);

    // A guarded limit cannot check its guard without Redis: skipped, nothing spent.
    let guard = Guard { key: "nowhere:record".into(), text: r#""tenantId":"globex""#.into() };
    let other_ip = local("client", 5);
    for _ in 0..3 {
        let checks = [Check::new(&other_ip, "5.6.7.8", 1), Check::new(&per_tenant, "globex", 1).guarded(guard.clone())];
        let m = match Limiter::prepare_all(&checks).unwrap() {
            Prepared::Check(check) => check.run().await,
            Prepared::Decided(decided) => decided,
        };
        assert!(m.success && m.decisions[1].is_none(), "{m:?}");
    }
    assert!(per_tenant.limit("globex", 1).await.unwrap().success, "globex's quota was not spent by the guarded calls");
}
