//! The cache core against real Redis through upstash-local: tags in one
//! round trip, fenced writes, eviction safety, epochs, single-flight,
//! negative caching, L1 and its staleness bound, grace, XFetch, failure tiers,
//! the circuit breaker and invalidation events.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use edgecache::backend::UpstashBackend;
use edgecache::cache::InvalidationEvent;
use edgecache::clock::ManualClock;
use edgecache::failure::BreakerSettings;
use edgecache::upstash::{Command, UpstashClient};
use edgecache::{
    Cache, CacheStatus, EntryOptions, FailurePolicy, Invalidation, L1Settings, MemoryBounds, StoreError, Ttl,
};
use futures_util::StreamExt;

struct Setup {
    _server: upstash_local::Server,
    client: Arc<UpstashClient>,
    prefix: String,
}

async fn setup() -> Setup {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    Setup { _server: server, client, prefix: key_prefix("core") }
}

impl Setup {
    fn cache(&self) -> Cache {
        upstash_cache(&self.client, &self.prefix)
    }

    async fn redis(&self, args: &[&str]) -> edgecache::upstash::Reply {
        self.client.command(&Command::new(args[0]).args_from(&args[1..])).await.unwrap()
    }
}

fn json(v: &str) -> Option<Vec<u8>> {
    Some(format!("\"{v}\"").into_bytes())
}

/// A loader that counts its calls and answers `value`.
fn counting(
    calls: &AtomicUsize,
    value: &str,
) -> impl std::future::Future<Output = Result<Option<Vec<u8>>, StoreError>> {
    calls.fetch_add(1, Ordering::SeqCst);
    let value = json(value);
    async move { Ok(value) }
}

#[tokio::test]
async fn a_hit_with_three_tags_is_one_round_trip_and_a_tag_bump_invalidates() {
    let s = setup().await;
    let cache = s.cache();
    let space = cache.key_space("analytics", "ghosts").unwrap();
    let key = space.entry("guild-1", vec!["guild:1".into(), "analytics:ghosts".into(), "user:7".into()]);
    let calls = AtomicUsize::new(0);
    // Load the write script once (EVALSHA, NOSCRIPT, EVAL): a one-time cost per Redis.
    let warm = space.entry("warm-up", vec![]);
    cache
        .remember_bytes(&warm, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("w")) })
        .await
        .unwrap();

    let before = s.client.round_trips();
    let miss =
        cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || counting(&calls, "v1")).await.unwrap();
    assert_eq!(miss.status, CacheStatus::Miss);
    assert_eq!(s.client.round_trips() - before, 2, "a miss: one MGET, one fenced write");

    let before = s.client.round_trips();
    let hit =
        cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || counting(&calls, "v2")).await.unwrap();
    assert_eq!((hit.status, hit.value), (CacheStatus::Hit, json("v1")));
    assert_eq!(s.client.round_trips() - before, 1, "a hit with 3 tags: one MGET");

    let before = s.client.round_trips();
    assert!(cache.invalidate_tags(&["user:7"], FailurePolicy::FailClosed).await.unwrap());
    assert_eq!(s.client.round_trips() - before, 1, "invalidating a tag: one round trip, no KEYS/SCAN");
    let after =
        cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || counting(&calls, "v2")).await.unwrap();
    assert_eq!((after.status, after.value), (CacheStatus::Miss, json("v2")));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Every key written carries a TTL.
    for k in [key.key.as_str(), key.version_keys[0].as_str(), key.version_keys[3].as_str()] {
        let pttl = s.redis(&["PTTL", k]).await.into_int().unwrap();
        assert!(pttl > 0, "{k} has PTTL {pttl}");
    }
}

#[tokio::test]
async fn a_write_that_read_before_an_invalidation_is_refused() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    // 1. A reader misses and starts loading (it holds the fence of its read).
    let (found, fence) = cache.read(&key).await.unwrap();
    assert!(found.is_none());
    // 2. A writer commits and invalidates the tenant.
    assert!(cache.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap());
    // 3. The reader's late write-back of what it loaded before the write is refused.
    let written = cache.write_fenced(&key, &fence, json("stale").as_deref(), &entry_options()).await.unwrap();
    assert!(!written, "the late set is refused");
    assert_eq!(cache.stats().fenced_refusals, 1);
    assert_eq!(s.redis(&["EXISTS", &key.key]).await.into_int().unwrap(), 0);
    // A write fenced on a current read goes through.
    let (_, fence) = cache.read(&key).await.unwrap();
    assert!(cache.write_fenced(&key, &fence, json("fresh").as_deref(), &entry_options()).await.unwrap());
    assert_eq!(cache.read(&key).await.unwrap().0.unwrap().value, json("fresh"));
}

#[tokio::test]
async fn a_loader_overtaken_by_an_invalidation_answers_but_does_not_cache() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    let answered = cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async {
            // The write lands while the load is in flight.
            cache.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap();
            Ok::<_, StoreError>(json("read-before-write"))
        })
        .await
        .unwrap();
    assert_eq!(answered.value, json("read-before-write"));
    assert_eq!(cache.stats().fenced_refusals, 1);
    let next = cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("new")) })
        .await
        .unwrap();
    assert_eq!((next.status, next.value), (CacheStatus::Miss, json("new")));
}

#[tokio::test]
async fn an_evicted_tag_version_never_resurrects_an_invalidated_entry() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("conv", "config").unwrap().entry("acme:u1", vec!["tenant:acme".into()]);
    cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v1")) })
        .await
        .unwrap();
    // Eviction (or expiry) of the tag's version: a version store that read
    // "missing" as 0 would now accept the entry.
    s.redis(&["DEL", &key.version_keys[1]]).await;
    let read = cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v2")) })
        .await
        .unwrap();
    assert_eq!((read.status, read.value), (CacheStatus::Miss, json("v2")), "missing version = invalid");

    // The same after an invalidation: bump, then lose the bumped version.
    cache.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap();
    s.redis(&["DEL", &key.version_keys[1]]).await;
    let read = cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v3")) })
        .await
        .unwrap();
    assert_eq!((read.status, read.value), (CacheStatus::Miss, json("v3")));
}

#[tokio::test]
async fn write_backs_that_found_a_shared_version_absent_do_not_refuse_each_other() {
    let s = setup().await;
    let cache = s.cache();
    let space = cache.key_space("race", "entity").unwrap();
    let entry = |id: &str, tag: &str| space.entry(id, vec![tag.to_owned()]);
    // Both reads find the tag (and the epochs) absent; the first write creates them.
    let (a, b) = (entry("a", "shared"), entry("b", "shared"));
    let (_, fence_a) = cache.read(&a).await.unwrap();
    let (_, fence_b) = cache.read(&b).await.unwrap();
    assert!(cache.write_fenced(&a, &fence_a, json("1").as_deref(), &entry_options()).await.unwrap());
    assert!(
        cache.write_fenced(&b, &fence_b, json("2").as_deref(), &entry_options()).await.unwrap(),
        "b fences on what a created"
    );
    for key in [&a, &b] {
        assert_eq!(cache.read(key).await.unwrap().0.unwrap().status, CacheStatus::Hit);
    }
    // An invalidation after the creation still refuses a write that read before it.
    let (c, d) = (entry("c", "other"), entry("d", "other"));
    let (_, fence_c) = cache.read(&c).await.unwrap();
    let (_, fence_d) = cache.read(&d).await.unwrap();
    assert!(cache.write_fenced(&c, &fence_c, json("3").as_deref(), &entry_options()).await.unwrap());
    cache
        .invalidate(&Invalidation { tags: vec!["other".into()], ..Default::default() }, FailurePolicy::FailClosed)
        .await
        .unwrap();
    assert!(!cache.write_fenced(&d, &fence_d, json("4").as_deref(), &entry_options()).await.unwrap());
    // And so does an invalidation between the read and the creation.
    let (e, f) = (entry("e", "third"), entry("f", "third"));
    let (_, fence_e) = cache.read(&e).await.unwrap();
    let (_, fence_f) = cache.read(&f).await.unwrap();
    cache
        .invalidate(&Invalidation { tags: vec!["third".into()], ..Default::default() }, FailurePolicy::FailClosed)
        .await
        .unwrap();
    assert!(!cache.write_fenced(&e, &fence_e, json("5").as_deref(), &entry_options()).await.unwrap());
    assert!(!cache.write_fenced(&f, &fence_f, json("6").as_deref(), &entry_options()).await.unwrap());
}

#[tokio::test]
async fn clear_all_bumps_the_prefix_epoch_and_reads_stay_one_round_trip() {
    let s = setup().await;
    let cache = s.cache();
    let keys = [cache.key_space("llm", "policy").unwrap().entry("a", vec![]), {
        cache.key_space("conv", "config").unwrap().entry("b", vec!["tenant:t".into()])
    }];
    let load = |v: &'static str| move || async move { Ok::<_, StoreError>(json(v)) };
    for key in &keys {
        cache.remember_bytes(key, &entry_options(), FailurePolicy::Degrade, load("old")).await.unwrap();
    }
    let before = s.client.round_trips();
    assert!(cache.clear_all(FailurePolicy::FailClosed).await.unwrap());
    assert_eq!(s.client.round_trips() - before, 1, "one version bump, no KEYS/SCAN");
    for key in &keys {
        assert_eq!(s.redis(&["EXISTS", &key.key]).await.into_int().unwrap(), 1, "no key was deleted");
        let read = cache.remember_bytes(key, &entry_options(), FailurePolicy::Degrade, load("new")).await.unwrap();
        assert_eq!((read.status, read.value), (CacheStatus::Miss, json("new")), "{}", key.key);
    }
    let before = s.client.round_trips();
    let hit = cache.remember_bytes(&keys[1], &entry_options(), FailurePolicy::Degrade, load("x")).await.unwrap();
    assert_eq!((hit.status, s.client.round_trips() - before), (CacheStatus::Hit, 1), "a hit is still one MGET");
}

#[tokio::test]
async fn warm_writes_in_batches_of_two_round_trips_and_skips_fresh_entries() {
    let s = setup().await;
    let cache = s.cache();
    let space = cache.key_space("llm", "policy").unwrap();
    let entries: Vec<_> = (0..150).map(|i| (space.entry(&format!("t{i}"), vec![]), json(&format!("p{i}")))).collect();
    let before = s.client.round_trips();
    let report = cache.warm_bytes(&entries, &entry_options()).await.unwrap();
    assert_eq!((report.warmed, report.skipped, report.failed), (150, 0, 0));
    assert_eq!(s.client.round_trips() - before, 4, "two batches of 100 and 50: a read and a write each");
    let load = || async { Ok::<_, StoreError>(json("from the loader")) };
    let hit = cache.remember_bytes(&entries[7].0, &entry_options(), FailurePolicy::Degrade, load).await.unwrap();
    assert_eq!((hit.status, hit.value), (CacheStatus::Hit, json("p7")), "warmed entries are served");
    let before = s.client.round_trips();
    let again = cache.warm_bytes(&entries[..100], &entry_options()).await.unwrap();
    assert_eq!((again.warmed, again.skipped), (0, 100), "fresh entries are left alone");
    assert_eq!(s.client.round_trips() - before, 1, "only the read");
}

#[tokio::test]
async fn clear_bumps_the_namespace_epoch_without_deleting_keys() {
    let s = setup().await;
    let cache = s.cache();
    let policies = cache.key_space("llm", "policy").unwrap();
    let configs = cache.key_space("conv", "config").unwrap();
    let (a, b) = (policies.entry("a", vec![]), configs.entry("b", vec![]));
    for key in [&a, &b] {
        cache
            .remember_bytes(key, &entry_options(), FailurePolicy::Degrade, || async {
                Ok::<_, StoreError>(json("old"))
            })
            .await
            .unwrap();
    }
    let before = s.client.round_trips();
    assert!(cache.clear(&policies, FailurePolicy::FailClosed).await.unwrap());
    assert_eq!(s.client.round_trips() - before, 1);
    assert_eq!(s.redis(&["EXISTS", &a.key]).await.into_int().unwrap(), 1, "no key was deleted");
    let read_a = cache
        .remember_bytes(&a, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("new")) })
        .await
        .unwrap();
    let read_b = cache
        .remember_bytes(&b, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("new")) })
        .await
        .unwrap();
    assert_eq!(read_a.status, CacheStatus::Miss, "the cleared namespace misses");
    assert_eq!((read_b.status, read_b.value), (CacheStatus::Hit, json("old")), "other namespaces keep their entries");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_misses_run_the_loader_once() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("llm", "models").unwrap().entry("all", vec![]);
    let calls = Arc::new(AtomicUsize::new(0));
    // Load the write script first, so the count below is the steady state.
    let warm = cache.key_space("llm", "models").unwrap().entry("warm-up", vec![]);
    cache
        .remember_bytes(&warm, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("w")) })
        .await
        .unwrap();
    let before = s.client.round_trips();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (cache, key, calls) = (cache.clone(), key.clone(), calls.clone());
        tasks.push(tokio::spawn(async move {
            cache
                .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Ok::<_, StoreError>(json("models"))
                })
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().value, json("models"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one loader for 50 concurrent misses");
    assert_eq!(s.client.round_trips() - before, 2, "one MGET and one write-back for all 50");
    let stats = cache.stats();
    assert_eq!(stats.coalesced + stats.l2_hits, 49, "{stats:?}");
    assert!(stats.coalesced > 0, "{stats:?}");
}

#[tokio::test]
async fn absent_values_are_cached_with_their_own_shorter_ttl() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("auth", "user").unwrap().entry("ghost", vec![]);
    let opts = entry_options().negative_ttl(Ttl::secs(5));
    let calls = AtomicUsize::new(0);
    let load = || {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, StoreError>(None) }
    };
    assert_eq!(
        cache.remember_bytes(&key, &opts, FailurePolicy::Degrade, load).await.unwrap().status,
        CacheStatus::Miss
    );
    let hit = cache.remember_bytes(&key, &opts, FailurePolicy::Degrade, load).await.unwrap();
    assert_eq!((hit.status, hit.value), (CacheStatus::Hit, None));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(cache.stats().negative_hits, 1);
    let pttl = s.redis(&["PTTL", &key.key]).await.into_int().unwrap();
    assert!(pttl > 0 && pttl <= 5_000, "negative entries live {pttl} ms");
    // Nor does anything the miss wrote outlive the negative entry: its own
    // version, the namespace and prefix epochs it created.
    for version in &key.version_keys {
        let pttl = s.redis(&["PTTL", version]).await.into_int().unwrap();
        assert!(pttl > 0 && pttl <= 5_000, "{version} lives {pttl} ms");
    }
    // Without a negative TTL, absent is not cached.
    let uncached = cache.key_space("auth", "user").unwrap().entry("nobody", vec![]);
    cache.remember_bytes(&uncached, &entry_options(), FailurePolicy::Degrade, load).await.unwrap();
    assert_eq!(s.redis(&["EXISTS", &uncached.key]).await.into_int().unwrap(), 0);
}

#[tokio::test]
async fn l1_hits_cost_no_round_trip_and_revalidate_after_the_staleness_bound() {
    let s = setup().await;
    let clock = ManualClock::new(edgecache::clock::now_ms());
    let backend = Arc::new(UpstashBackend::new(s.client.clone()));
    let isolate_a = Cache::builder()
        .backend(backend.clone())
        .without_l1()
        .key_prefix(&s.prefix)
        .l1(L1Settings {
            bounds: MemoryBounds { max_entries: 100, ..MemoryBounds::default() },
            max_staleness: std::time::Duration::from_millis(1_000),
        })
        .clock(Arc::new(clock.clone()))
        .build();
    let isolate_b = s.cache();
    let key = isolate_a.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    isolate_a
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v1")) })
        .await
        .unwrap();

    let before = s.client.round_trips();
    let hit = isolate_a
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("x")) })
        .await
        .unwrap();
    assert_eq!((hit.status, hit.value.clone()), (CacheStatus::Hit, json("v1")));
    assert_eq!(s.client.round_trips() - before, 0, "an L1 hit");
    assert_eq!(isolate_a.stats().l1_hits, 1);

    // Another isolate invalidates; A may serve its copy until the bound...
    isolate_b.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap();
    clock.advance_ms(999);
    let within = isolate_a
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v2")) })
        .await
        .unwrap();
    assert_eq!(within.value, json("v1"), "within the bound, the L1 copy");
    // ...and not after it.
    clock.advance_ms(1);
    let after = isolate_a
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v2")) })
        .await
        .unwrap();
    assert_eq!((after.status, after.value), (CacheStatus::Miss, json("v2")), "revalidated at the bound");

    // An invalidation in the same isolate drops its L1 copy at once.
    isolate_a.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap();
    let own = isolate_a
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v3")) })
        .await
        .unwrap();
    assert_eq!(own.value, json("v3"));
}

#[tokio::test]
async fn stale_entries_are_served_when_the_loader_fails() {
    let s = setup().await;
    let clock = ManualClock::new(edgecache::clock::now_ms());
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(s.client.clone())))
        .without_l1()
        .key_prefix(&s.prefix)
        .clock(Arc::new(clock.clone()))
        .build();
    let key = cache.key_space("llm", "models").unwrap().entry("all", vec![]);
    let opts = EntryOptions::new(Ttl::secs(10)).grace(Ttl::secs(50));
    cache
        .remember_bytes(&key, &opts, FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v1")) })
        .await
        .unwrap();
    clock.advance_ms(11_000);
    let failing = || async { Err(StoreError::backing("D1 is down")) };
    let stale = cache.remember_bytes(&key, &opts, FailurePolicy::Degrade, failing).await.unwrap();
    assert_eq!((stale.status, stale.value), (CacheStatus::Stale, json("v1")), "stale-if-error");
    let refreshed = cache
        .remember_bytes(&key, &opts, FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("v2")) })
        .await
        .unwrap();
    assert_eq!((refreshed.status, refreshed.value), (CacheStatus::Miss, json("v2")), "refreshed inline");
    // Past the grace period the entry is gone, and a failing loader fails.
    clock.advance_ms(11_000);
    s.redis(&["DEL", &key.key]).await;
    assert!(cache.remember_bytes(&key, &opts, FailurePolicy::Degrade, failing).await.is_err());
}

#[tokio::test]
async fn xfetch_refreshes_before_expiry_when_the_dice_say_so() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("llm", "models").unwrap().entry("all", vec![]);
    // A slow loader (delta = 100 ms) and an enormous beta: every read refreshes early.
    let eager = entry_options().early_refresh(1e12);
    let slow = || async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, StoreError>(json("v"))
    };
    cache.remember_bytes(&key, &eager, FailurePolicy::Degrade, slow).await.unwrap();
    let early = cache.remember_bytes(&key, &eager, FailurePolicy::Degrade, slow).await.unwrap();
    assert_eq!(early.status, CacheStatus::Miss, "refreshed before expiry");
    // Without early refresh the same entry is a plain hit.
    assert_eq!(
        cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, slow).await.unwrap().status,
        CacheStatus::Hit
    );
}

#[tokio::test]
async fn failure_tiers_with_redis_stopped() {
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(Arc::new(client(&server)))))
        .without_l1()
        .circuit_breaker_settings(BreakerSettings { failures: 0, cooldown_ms: 1 })
        .build();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    redis.stop();
    let load = || async { Ok::<_, StoreError>(json("from-d1")) };
    let degraded = cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, load).await.unwrap();
    assert_eq!((degraded.status, degraded.value), (CacheStatus::Bypass, json("from-d1")));
    let closed = cache.remember_bytes(&key, &entry_options(), FailurePolicy::FailClosed, load).await.unwrap_err();
    assert!(matches!(closed, StoreError::Cache(_)), "{closed:?}");
    // Invalidations: FailClosed errs, Degrade answers "not applied".
    assert!(cache.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.is_err());
    assert!(!cache.invalidate_tags(&["tenant:acme"], FailurePolicy::Degrade).await.unwrap());
    assert!(cache.outage().is_failing());
    assert_eq!(cache.stats().backend_errors, 4, "two reads and two invalidations, each one failure");
}

#[tokio::test]
async fn a_stalled_backend_degrades_within_the_timeout() {
    let (addr, _) = raw_http_server(None);
    let client = Arc::new(client_for(&format!("http://{addr}"), TOKEN, 300));
    let cache = Cache::builder().backend(Arc::new(UpstashBackend::new(client))).without_l1().key_prefix("t").build();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec![]);
    let started = std::time::Instant::now();
    let read = cache
        .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async { Ok::<_, StoreError>(json("d1")) })
        .await
        .unwrap();
    assert_eq!(read.status, CacheStatus::Bypass);
    assert!(started.elapsed() < Duration::from_millis(2_000), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_circuit_breaker_stops_calling_a_failing_backend() {
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(Arc::new(client(&server)))))
        .without_l1()
        .circuit_breaker_settings(BreakerSettings { failures: 3, cooldown_ms: 60_000 })
        .build();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec![]);
    redis.stop();
    for _ in 0..10 {
        let read = cache
            .remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || async {
                Ok::<_, StoreError>(json("d1"))
            })
            .await
            .unwrap();
        assert_eq!(read.status, CacheStatus::Bypass);
    }
    let stats = cache.stats();
    assert_eq!(stats.backend_errors, 3, "three failures open the breaker");
    assert_eq!(stats.breaker_skips, 7, "the other reads skip the backend");
    assert_eq!(server.request_count(), 3, "no request reached the server while open");
}

#[tokio::test]
async fn invalidations_are_published_as_validated_events() {
    let s = setup().await;
    let channel = key_prefix("events");
    let redis_client = redis::Client::open(redis_url()).unwrap();
    let mut pubsub = redis_client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(&channel).await.unwrap();
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(s.client.clone())))
        .without_l1()
        .key_prefix(&s.prefix)
        .events_channel(&channel)
        .build();
    let before = s.client.round_trips();
    let invalidation = Invalidation { keys: vec!["k1".into()], tags: vec!["tenant:acme".into()], namespaces: vec![] };
    assert!(cache.invalidate(&invalidation, FailurePolicy::FailClosed).await.unwrap());
    assert_eq!(s.client.round_trips() - before, 1, "delete, bump and PUBLISH in one round trip");
    let message = tokio::time::timeout(Duration::from_secs(5), pubsub.on_message().next())
        .await
        .expect("an event within 5 s")
        .expect("subscription open")
        .get_payload::<String>()
        .unwrap();
    let event = InvalidationEvent::parse(&message).unwrap();
    assert_eq!(event.invalidation, invalidation);
    assert_eq!(event.source, "edgecache");
}

#[tokio::test]
async fn invalidating_an_untagged_key_refuses_a_write_that_read_before_it() {
    let s = setup().await;
    let cache = s.cache();
    // No tags: the entry's own version is all that can move.
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec![]);
    let (found, fence) = cache.read(&key).await.unwrap();
    assert!(found.is_none());
    let invalidation = Invalidation { keys: vec![key.key.clone()], ..Default::default() };
    assert!(cache.invalidate(&invalidation, FailurePolicy::FailClosed).await.unwrap());
    let written = cache.write_fenced(&key, &fence, json("pre-write").as_deref(), &entry_options()).await.unwrap();
    assert!(!written, "a DEL alone would have let this stale write through");
    assert_eq!(s.redis(&["EXISTS", &key.key]).await.into_int().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_that_starts_after_an_invalidation_never_gets_a_result_loaded_before_it() {
    let s = setup().await;
    let cache = s.cache();
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    let source = Arc::new(std::sync::Mutex::new("old"));
    let load = |source: Arc<std::sync::Mutex<&'static str>>, delay_ms: u64| async move {
        let value = *source.lock().unwrap(); // read the source first, like a D1 query
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        Ok::<_, StoreError>(json(value))
    };
    let leader = {
        let (cache, key, source) = (cache.clone(), key.clone(), source.clone());
        tokio::spawn(async move {
            cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || load(source, 300)).await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The write: the source changes, then the cache is invalidated.
    *source.lock().unwrap() = "new";
    cache.invalidate_tags(&["tenant:acme"], FailurePolicy::FailClosed).await.unwrap();
    let after =
        cache.remember_bytes(&key, &entry_options(), FailurePolicy::Degrade, || load(source.clone(), 0)).await.unwrap();
    assert_eq!(after.value, json("new"), "not the in-flight pre-write load");
    assert_eq!(leader.await.unwrap().value, json("old"), "the leader itself began before the write");
}
