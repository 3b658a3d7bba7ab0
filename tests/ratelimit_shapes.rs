//! The limit shapes beyond rates, against real Redis through upstash-local:
//! concurrency leases, per-identifier overrides, reservations that settle,
//! and the deny list; each inside one round trip.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use edgecache::ratelimit::model::{self, Params, State};
use edgecache::ratelimit::{
    Algorithm, Check, DenyEntry, DenyList, LimitSpec, Limiter, Prepared, RateLimitError, Reason, Screen, SettleOutcome,
};
use edgecache::upstash::UpstashClient;
use edgecache::Ttl;
use futures_util::future::join_all;
use proptest::prelude::*;

async fn setup() -> (upstash_local::Server, Arc<UpstashClient>) {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    (server, client)
}

fn slots(client: &Arc<UpstashClient>, prefix: &str, slots: u64, lease_ms: u64) -> Limiter {
    limiter(client, prefix, "inflight", Algorithm::Concurrency, spec(slots, lease_ms))
}

#[tokio::test]
async fn exactly_n_concurrent_acquires_succeed_and_slots_come_back() {
    let (_server, client) = setup().await;
    let prefix = key_prefix("cc");
    let limiter = slots(&client, &prefix, 3, 60_000);
    // 20 acquires at once, from clients of their own (separate connections).
    let clients: Vec<Arc<UpstashClient>> = (0..20).map(|_| client.clone()).collect();
    let limiters: Vec<Limiter> = clients.iter().map(|c| slots(c, &prefix, 3, 60_000)).collect();
    let outcomes = join_all(limiters.iter().map(|l| l.acquire("acme"))).await;
    let leases: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().unwrap().1.clone()).collect();
    assert_eq!(leases.len(), 3, "exactly the slots");
    let refused = outcomes.iter().map(|o| &o.as_ref().unwrap().0).find(|d| !d.success).unwrap();
    assert!(refused.retry_after_ms > 55_000 && refused.retry_after_ms <= 60_000, "{refused:?}: the earliest lease end");
    assert_eq!(refused.remaining, 0);
    // A release frees one slot, once.
    let released = limiter.release(&leases[0]).await.unwrap();
    assert_eq!(released.remaining, 1);
    assert_eq!(limiter.release(&leases[0]).await.unwrap().remaining, 1, "a second release frees nothing more");
    let (again, lease) = limiter.acquire("acme").await.unwrap();
    assert!(again.success && lease.is_some());
    assert!(!limiter.acquire("acme").await.unwrap().0.success, "full again");
    assert!(limiter.acquire("other").await.unwrap().0.success, "another identifier has its own slots");
    // A spend without a lease is refused before any round trip.
    let before = client.round_trips();
    assert!(matches!(limiter.limit("acme", 1).await, Err(RateLimitError::Unsupported { .. })));
    assert_eq!(client.round_trips(), before);
}

#[tokio::test]
async fn a_lease_never_released_ends_after_its_ttl() {
    let (_server, client) = setup().await;
    let limiter = slots(&client, &key_prefix("cc-ttl"), 1, 300);
    let (first, lease) = limiter.acquire("acme").await.unwrap();
    assert!(first.success && lease.is_some());
    let refused = limiter.acquire("acme").await.unwrap().0;
    assert!(!refused.success && refused.retry_after_ms <= 300);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(limiter.acquire("acme").await.unwrap().0.success, "the crashed holder's slot came back");
}

#[tokio::test]
async fn a_slot_rides_with_the_other_limits_in_one_round_trip_all_or_nothing() {
    let (_server, client) = setup().await;
    let prefix = key_prefix("cc-multi");
    let inflight = slots(&client, &prefix, 1, 60_000);
    let per_minute = limiter(&client, &prefix, "rate", Algorithm::FixedWindow, spec(1, 60_000));
    let check = |l| [Check::acquire(&inflight, "acme"), Check::new(l, "acme", 1)];
    let first = check(&per_minute);
    let before = client.round_trips();
    let Prepared::Check(prepared) = Limiter::prepare_all(&first).unwrap() else { panic!("sent") };
    let decision = prepared.run().await;
    assert_eq!(client.round_trips() - before, 1);
    assert!(decision.success);
    let lease = first[0].lease().unwrap();
    // The rate limit refuses now: the slot is not taken either.
    inflight.release(&lease).await.unwrap();
    // (a limiter of its own, so its block cache does not answer first)
    let fresh = limiter(&client, &prefix, "rate", Algorithm::FixedWindow, spec(1, 60_000));
    let second = check(&fresh);
    let Prepared::Check(prepared) = Limiter::prepare_all(&second).unwrap() else { panic!("sent") };
    assert!(!prepared.run().await.success);
    assert_eq!(inflight.get_remaining("acme").await.unwrap().remaining, 1, "nothing taken when another limit refused");
}

#[tokio::test]
async fn an_override_applies_on_the_next_check_in_the_same_round_trip_and_is_bounded() {
    let (_server, client) = setup().await;
    let prefix = key_prefix("ovr");
    let build = || {
        Limiter::builder(client.clone(), "tenant", Algorithm::Gcra, spec(5, 60_000))
            .prefix(&prefix)
            .overrides(2)
            .build()
            .unwrap()
    };
    let l = build();
    l.set_override("pro", LimitSpec::per_minute(20.try_into().unwrap())).await.unwrap();
    l.set_override("free", spec(2, 60_000)).await.unwrap();
    assert_eq!(l.get_override("free").await.unwrap(), Some(spec(2, 60_000)));
    // Another isolate (a limiter of its own) sees it on its first check.
    let other = build();
    let before = client.round_trips();
    let d = other.limit("free", 1).await.unwrap();
    assert_eq!(client.round_trips() - before, 1, "the override is read inside the check's script");
    assert_eq!((d.limit, d.remaining), (2, 1));
    other.limit("free", 1).await.unwrap();
    assert!(!other.limit("free", 1).await.unwrap().success, "2 for free");
    assert_eq!(other.limit("pro", 1).await.unwrap().limit, 20);
    assert_eq!(other.limit("default", 1).await.unwrap().limit, 5, "no override: the limiter's own");
    // Bounded: a third identifier is refused, and nothing was stored.
    let err = l.set_override("third", spec(9, 60_000)).await.unwrap_err();
    assert!(matches!(err, RateLimitError::OverrideRefused { .. }), "{err}");
    assert_eq!(l.get_override("third").await.unwrap(), None);
    // Out of the algorithm's bounds: refused.
    let too_fast = l.set_override("pro", spec(100_000, 1)).await.unwrap_err();
    assert!(too_fast.to_string().contains("microsecond"), "{too_fast}");
    let mut listed = l.overrides().await.unwrap();
    listed.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(listed, vec![("free".to_owned(), spec(2, 60_000)), ("pro".to_owned(), spec(20, 60_000))]);
    assert!(l.clear_override("free").await.unwrap());
    assert!(!l.clear_override("free").await.unwrap());
    assert_eq!(other.limit("free", 1).await.unwrap().limit, 5, "cleared: the limiter's own again");
    // Without `overrides`, the calls say so.
    let plain = limiter(&client, &prefix, "plain", Algorithm::Gcra, spec(5, 60_000));
    assert!(matches!(plain.set_override("x", spec(1, 1_000)).await, Err(RateLimitError::Unsupported { .. })));
}

#[tokio::test]
async fn the_local_fallback_applies_the_override_it_last_saw() {
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let client = Arc::new(client(&server));
    let l = Limiter::builder(client.clone(), "tenant", Algorithm::FixedWindow, spec(10, 60_000))
        .prefix(&key_prefix("ovr-local"))
        .overrides(10)
        .failure_policy(edgecache::ratelimit::FailurePolicy::Local)
        .build()
        .unwrap();
    l.set_override("free", spec(2, 60_000)).await.unwrap();
    assert_eq!(l.limit("free", 1).await.unwrap().limit, 2);
    redis.stop();
    let local: Vec<_> = join_all((0..3).map(|_| l.limit("free", 1))).await.into_iter().map(Result::unwrap).collect();
    assert!(local.iter().all(|d| d.reason == Reason::LocalFallback && d.limit == 2), "{local:?}");
    assert_eq!(local.iter().filter(|d| d.success).count(), 2, "the override's limit, counted in this isolate");
}

#[tokio::test]
async fn a_reservation_settles_once_and_never_beyond_what_it_reserved() {
    let (_server, client) = setup().await;
    for algorithm in [Algorithm::FixedWindow, Algorithm::SlidingWindow, Algorithm::TokenBucket, Algorithm::Gcra] {
        let l = limiter(&client, &key_prefix("budget"), "tokens", algorithm, spec(1_000, 3_600_000));
        let (d, reservation) = l.reserve("acme", 600).await.unwrap();
        let reservation = reservation.expect("reserved");
        assert!(d.success && d.remaining <= 400, "{algorithm}: {d:?}");
        let settled = l.settle(&reservation, 100).await.unwrap();
        assert_eq!(settled.outcome, SettleOutcome::Refunded(500), "{algorithm}");
        assert!(settled.decision.remaining >= 900, "{algorithm}: {:?}", settled.decision);
        let again = l.settle(&reservation, 100).await.unwrap();
        assert_eq!(again.outcome, SettleOutcome::AlreadySettled, "{algorithm}: a retried settle refunds nothing more");
        // A reservation inflated on its way through a client gives back no more.
        let (_, r3) = l.reserve("acme", 10).await.unwrap();
        let inflated = edgecache::ratelimit::Reservation { cost: 1_000, ..r3.unwrap() };
        assert_eq!(l.settle(&inflated, 5).await.unwrap().outcome, SettleOutcome::Refunded(5), "{algorithm}");
        // Another identifier's reservation is unknown here.
        let (_, r4) = l.reserve("acme", 10).await.unwrap();
        let foreign = edgecache::ratelimit::Reservation { identifier: "other".into(), ..r4.unwrap() };
        assert_eq!(l.settle(&foreign, 0).await.unwrap().outcome, SettleOutcome::Unknown, "{algorithm}");
        // Used more than reserved: nothing back, nothing more taken.
        let (_, r2) = l.reserve("acme", 100).await.unwrap();
        let before = l.get_remaining("acme").await.unwrap().remaining;
        assert_eq!(l.settle(&r2.unwrap(), 150).await.unwrap().outcome, SettleOutcome::Refunded(0));
        assert_eq!(l.get_remaining("acme").await.unwrap().remaining, before, "{algorithm}");
        // A refusal reserves nothing.
        let (refused, none) = l.reserve("acme", 1_000).await.unwrap();
        assert!(!refused.success && none.is_none(), "{algorithm}");
    }
    let log = limiter(&client, &key_prefix("budget"), "log", Algorithm::SlidingLog, spec(10, 60_000));
    assert!(matches!(log.reserve("acme", 1).await, Err(RateLimitError::Unsupported { .. })));
}

#[tokio::test]
async fn a_budget_under_concurrent_reserves_and_retried_settles_stays_within_its_limit() {
    let (_server, client) = setup().await;
    let prefix = key_prefix("budget-race");
    let limit = 1_000u64;
    let limiters: Vec<Limiter> =
        (0..8).map(|_| limiter(&client, &prefix, "tokens", Algorithm::FixedWindow, spec(limit, 3_600_000))).collect();
    let reserved = join_all((0..40).map(|i| limiters[i % 8].reserve("acme", 90))).await;
    let reservations: Vec<_> = reserved.into_iter().filter_map(|r| r.unwrap().1).collect();
    assert_eq!(reservations.len(), (limit / 90) as usize, "exactly what fits");
    // Each settles, most of them twice (a retry after a lost reply), at once.
    let used: Vec<u64> = (0..reservations.len() as u64).map(|i| (i * 37) % 120).collect();
    let settles = reservations.iter().zip(&used).enumerate().flat_map(|(i, (r, used))| {
        let l = &limiters[i % 8];
        (0..1 + i % 2).map(move |_| l.settle(r, *used))
    });
    let refunded: u64 = join_all(settles).await.into_iter().map(|s| s.unwrap().outcome.refunded()).sum();
    let expected: u64 = used.iter().map(|u| 90 - (*u).min(90)).sum();
    assert_eq!(refunded, expected, "each reservation refunded once");
    let spent: u64 = used.iter().map(|u| (*u).min(90)).sum();
    let remaining = limiters[0].get_remaining("acme").await.unwrap().remaining;
    assert_eq!(remaining, limit - spent, "never negative, never above the limit");
}

#[tokio::test]
async fn the_deny_list_refuses_identifiers_and_networks_inside_the_check() {
    let (_server, client) = setup().await;
    let prefix = key_prefix("deny");
    let deny = DenyList::new(client.clone(), &prefix).unwrap();
    let per_ip = limiter(&client, &prefix, "client", Algorithm::Gcra, spec(100, 60_000));
    deny.add(
        &[
            DenyEntry::network("203.0.113.0/24").unwrap(),
            DenyEntry::network("2001:db8:1::/48").unwrap(),
            DenyEntry::Identifier("key-evil".into()),
        ],
        Ttl::secs(60),
    )
    .await
    .unwrap();
    let screened = |address: &str, identifier: Option<&'static str>| {
        let screen = Screen { list: &deny, identifier, address: Some(address.parse().unwrap()) };
        let checks = [Check::new(&per_ip, address, 1)];
        let Prepared::Check(prepared) = Limiter::prepare_screened(&screen, &checks).unwrap() else { panic!("sent") };
        prepared.run()
    };
    let before = client.round_trips();
    let denied = screened("203.0.113.77", None).await;
    assert_eq!(client.round_trips() - before, 1, "screened inside the limits' own script");
    assert!(!denied.success && denied.reason() == Reason::DenyList, "{denied:?}");
    assert!(denied.denied_until_ms.is_some());
    let d = denied.decisions[0].as_ref().unwrap();
    assert!(d.retry_after_ms > 55_000 && d.reason == Reason::DenyList, "{d:?}");
    assert_eq!(per_ip.get_remaining("203.0.113.77").await.unwrap().remaining, 100, "nothing spent");
    assert!(!screened("2001:db8:1:ff::9", None).await.success, "inside the IPv6 /48");
    assert!(screened("2001:db8:2::9", None).await.success, "outside it");
    assert!(screened("198.51.100.1", None).await.success);
    assert!(!screened("198.51.100.1", Some("key-evil")).await.success, "the identifier");
    let mut listed: Vec<String> = deny.list().await.unwrap().into_iter().map(|(e, _)| e.to_string()).collect();
    listed.sort();
    assert_eq!(listed, ["2001:db8:1::/48", "203.0.113.0/24", "key-evil"]);
    deny.remove(&[DenyEntry::network("203.0.113.0/24").unwrap()]).await.unwrap();
    assert!(screened("203.0.113.77", None).await.success, "removed: allowed on the next request");
    // Entries end by themselves.
    deny.add(&[DenyEntry::Identifier("brief".into())], Ttl::try_from_millis(200).unwrap()).await.unwrap();
    assert!(!screened("198.51.100.2", Some("brief")).await.success);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(screened("198.51.100.2", Some("brief")).await.success);
}

/// One step of a concurrency property test: acquire a lease of a few, or
/// release one, after waiting a while.
#[derive(Debug, Clone)]
enum Step {
    Acquire { lease: usize, wait_ms: u64 },
    Release { lease: usize, wait_ms: u64 },
    Peek { wait_ms: u64 },
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        (0usize..4, 0u64..400).prop_map(|(lease, wait_ms)| Step::Acquire { lease, wait_ms }),
        (0usize..4, 0u64..400).prop_map(|(lease, wait_ms)| Step::Release { lease, wait_ms }),
        (0u64..400).prop_map(|wait_ms| Step::Peek { wait_ms }),
    ];
    proptest::collection::vec(step, 1..25)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The concurrency script and its pure model agree on every answer.
    #[test]
    fn concurrency_lua_matches_the_pure_model(limit in 1u64..=3, ttl_ms in 100u64..=1_000, steps in steps()) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let (_server, client) = setup().await;
            let l = slots(&client, &key_prefix("cc-model"), limit, ttl_ms);
            let leases: Vec<u64> = (1..=4).map(|i| i * 1_000_003).collect();
            let mut state = State::Empty;
            let mut now_us: u64 = 1_780_000_000_000_000;
            for step in steps {
                let (lease, cost, wait_ms) = match step {
                    Step::Acquire { lease, wait_ms } => (leases[lease], 1, wait_ms),
                    Step::Release { lease, wait_ms } => (leases[lease], -1, wait_ms),
                    Step::Peek { wait_ms } => (0, 0, wait_ms),
                };
                now_us += wait_ms * 1_000;
                let params =
                    Params { algorithm: Algorithm::Concurrency, limit, window_ms: ttl_ms, burst: limit, lease };
                let (expected, next) = model::decide(&params, &state, now_us as i64, cost);
                let check = match cost {
                    1 => Check::acquire_as(&l, "acme", lease),
                    -1 => Check::release_as(&l, "acme", lease),
                    _ => Check::new(&l, "acme", 0),
                };
                let got = l.run_at(&check, now_us).await.unwrap();
                prop_assert_eq!(got.success, expected.ok, "{:?} at {}", check, now_us);
                prop_assert_eq!(got.remaining, expected.remaining);
                prop_assert_eq!(got.retry_after_ms, if expected.ok { 0 } else { expected.retry_after_ms });
                prop_assert_eq!(got.reset_ms, expected.reset_ms);
                state = next;
            }
            Ok(())
        })?;
    }
}
