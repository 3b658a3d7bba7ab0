//! The typed cache API and adaptive entries against real Redis through
//! upstash-local (and the memory backend): get/set/remember with serde types,
//! TTLs and tags from the loaded value, warm in batches, clear_all.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use edgecache::backend::MemoryBackend;
use edgecache::cache::Loaded;
use edgecache::cache::RememberError;
use edgecache::cache::SetOptions;
use edgecache::cache::WARM_BATCH;
use edgecache::keys::KeySpace;
use edgecache::upstash::{Command, UpstashClient};
use edgecache::{Cache, CacheError, EntryOptions, FailurePolicy, L1Settings, MemoryBounds, Ttl};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Member {
    id: u32,
    name: String,
}

struct Setup {
    server: upstash_local::Server,
    client: Arc<UpstashClient>,
    prefix: String,
}

async fn setup(name: &str) -> Setup {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    Setup { server, client, prefix: key_prefix(name) }
}

impl Setup {
    fn cache(&self) -> Cache {
        upstash_cache(&self.client, &self.prefix)
    }

    /// A cache as another isolate would have it: its own L1.
    fn cache_with_l1(&self) -> Cache {
        let backend = Arc::new(edgecache::backend::UpstashBackend::new(self.client.clone()));
        let l1 =
            L1Settings { bounds: MemoryBounds::default(), max_staleness: std::time::Duration::from_millis(60_000) };
        Cache::builder().backend(backend).without_l1().key_prefix(&self.prefix).l1(l1).build()
    }

    fn space(&self) -> KeySpace {
        KeySpace::new(&self.prefix, "guild", "members").unwrap()
    }

    async fn pttl(&self, key: &str) -> i64 {
        self.client.command(&Command::new("PTTL").arg(key)).await.unwrap().into_int().unwrap()
    }

    /// REST requests the server saw while `f` ran.
    async fn round_trips<T>(&self, f: impl std::future::Future<Output = T>) -> (T, u64) {
        let before = self.server.request_count();
        let out = f.await;
        (out, self.server.request_count() - before)
    }
}

fn members(name: &str) -> Vec<Member> {
    vec![Member { id: 1, name: name.into() }]
}

/// A loader of guild members that counts its calls, tagging the value with
/// the guild and giving it its own TTL.
async fn load_guild(calls: &AtomicUsize, guild: u32, name: &str) -> Result<Loaded<Vec<Member>>, std::io::Error> {
    calls.fetch_add(1, Ordering::SeqCst);
    Ok(Loaded::new(members(name)).ttl(Ttl::secs(30)).tag(format!("guild:{guild}")))
}

#[tokio::test]
async fn typed_set_get_and_remember_round_trip_serde_values() {
    let s = setup("typed").await;
    let cache = s.cache();
    let key = s.space().entry("1", vec![]);
    assert_eq!(cache.get::<Vec<Member>>(&key).await.unwrap(), None);

    let (written, trips) = s.round_trips(cache.set(&key, &members("ann"), &SetOptions::ttl(Ttl::secs(60)))).await;
    assert!(written.unwrap());
    assert_eq!(trips, 2, "a fenced set reads the versions, then writes");
    let (read, trips) = s.round_trips(cache.get::<Vec<Member>>(&key)).await;
    assert_eq!(read.unwrap(), Some(members("ann")));
    assert_eq!(trips, 1, "a typed hit is one MGET");

    let calls = AtomicUsize::new(0);
    let options = EntryOptions::new(Ttl::secs(60));
    let other = s.space().entry("2", vec![]);
    for _ in 0..3 {
        let got: Vec<Member> = cache
            .remember(&other, &options, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(members("bob"))
            })
            .await
            .unwrap();
        assert_eq!(got, members("bob"));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "loaded once, then read from the cache");
}

#[tokio::test]
async fn typed_reads_move_the_same_counters_as_reads_through() {
    let s = setup("typed-stats").await;
    let (a, b) = (s.cache_with_l1(), s.cache_with_l1());
    let key = s.space().entry("1", vec![]);
    assert_eq!(a.get::<Vec<Member>>(&key).await.unwrap(), None);
    assert_eq!((a.stats().misses, a.stats().l2_hits), (1, 0), "a typed miss is counted");

    assert!(a.set(&key, &members("ann"), &SetOptions::ttl(Ttl::secs(60))).await.unwrap());
    assert_eq!(a.stats().misses, 1, "a set is no read");
    assert_eq!(a.get::<Vec<Member>>(&key).await.unwrap(), Some(members("ann")));
    assert_eq!(a.stats().l1_hits, 1, "the set kept the value in a's L1: {:?}", a.stats());
    assert_eq!(b.get::<Vec<Member>>(&key).await.unwrap(), Some(members("ann")));
    assert_eq!((b.stats().l2_hits, b.stats().l1_hits, b.stats().misses), (1, 0, 0), "{:?}", b.stats());

    // A cached "absent" is a hit, counted as a negative hit too.
    let absent = s.space().entry("absent", vec![]);
    assert!(a.set(&absent, &Option::<Member>::None, &SetOptions::ttl(Ttl::secs(60))).await.unwrap());
    assert_eq!(b.get::<Option<Member>>(&absent).await.unwrap(), Some(None));
    assert_eq!((b.stats().l2_hits, b.stats().negative_hits), (2, 1), "{:?}", b.stats());

    // remember: a miss that loads, then a hit.
    let options = EntryOptions::new(Ttl::secs(60));
    let other = s.space().entry("2", vec![]);
    for _ in 0..2 {
        let _: Vec<Member> =
            b.remember(&other, &options, || async { Ok::<_, std::io::Error>(members("bob")) }).await.unwrap();
    }
    let stats = b.stats();
    assert_eq!((stats.misses, stats.l1_hits + stats.l2_hits), (1, 3), "{stats:?}");
    assert!(stats.hit_rate > 0.7, "{stats:?}");
}

#[tokio::test]
async fn remember_keeps_the_loaders_own_error_and_caches_none_as_absent() {
    let s = setup("typed-err").await;
    let cache = s.cache();
    let key = s.space().entry("missing", vec![]);
    let options = EntryOptions::new(Ttl::secs(60)).negative_ttl(Ttl::secs(5));
    let failed = cache
        .remember::<Member, _, _, _>(&key, &options, || async { Err(std::io::Error::other("db down")) })
        .await
        .unwrap_err();
    match failed {
        RememberError::Load(error) => assert_eq!(error.to_string(), "db down"),
        other => panic!("expected the loader's error, got {other}"),
    }
    let calls = AtomicUsize::new(0);
    for _ in 0..2 {
        let found: Option<Member> = cache
            .remember(&key, &options, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(None)
            })
            .await
            .unwrap();
        assert_eq!(found, None);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "None is cached as absent for the negative TTL");
    let ttl = s.pttl(&key.key).await;
    assert!(ttl > 0 && ttl <= 5_000, "negative TTL applies: {ttl} ms");
}

#[tokio::test]
async fn a_cached_value_of_another_type_is_an_error_and_is_dropped() {
    let s = setup("typed-shape").await;
    let cache = s.cache();
    let key = s.space().entry("1", vec![]);
    cache.set(&key, &"a string", &SetOptions::ttl(Ttl::secs(60))).await.unwrap();
    let options = EntryOptions::new(Ttl::secs(60));
    let error = cache.remember(&key, &options, || async { Ok::<_, std::io::Error>(members("x")) }).await.unwrap_err();
    assert!(matches!(error, RememberError::Cache(CacheError::InvalidValue(_))), "{error}");
    let again: Vec<Member> =
        cache.remember(&key, &options, || async { Ok::<_, std::io::Error>(members("x")) }).await.unwrap();
    assert_eq!(again, members("x"), "the next read loads anew");
}

#[tokio::test]
async fn the_loaders_ttl_and_tags_apply_and_invalidating_the_tag_reaches_other_isolates() {
    let s = setup("adaptive").await;
    // `there`: another isolate once its L1 bound has passed (no L1 at all).
    let (here, there) = (s.cache_with_l1(), s.cache());
    let key = s.space().entry("123", vec![]);
    let options = EntryOptions::new(Ttl::secs(3600));
    let calls = AtomicUsize::new(0);

    let got: Vec<Member> = here.remember_adaptive(&key, &options, || load_guild(&calls, 123, "ann")).await.unwrap();
    assert_eq!(got, members("ann"));
    let ttl = s.pttl(&key.key).await;
    assert!(ttl > 0 && ttl <= 30_000, "the loader's 30 s TTL, not the options' hour: {ttl} ms");
    let (_, trips) = s
        .round_trips(async {
            let got: Vec<Member> =
                there.remember_adaptive(&key, &options, || load_guild(&calls, 123, "bob")).await.unwrap();
            assert_eq!(got, members("ann"));
        })
        .await;
    assert_eq!(trips, 1, "an adaptive tag costs a hit nothing: one MGET");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Another guild's tag leaves it alone; its own tag invalidates it, in
    // this isolate's L1 at once and in the other's (which checks L2) too.
    there.invalidate_tags(&["guild:999"], FailurePolicy::FailClosed).await.unwrap();
    let _: Vec<Member> = here.remember_adaptive(&key, &options, || load_guild(&calls, 123, "x")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    here.invalidate_tags(&["guild:123"], FailurePolicy::FailClosed).await.unwrap();
    let fresh: Vec<Member> = here.remember_adaptive(&key, &options, || load_guild(&calls, 123, "cy")).await.unwrap();
    assert_eq!(fresh, members("cy"));
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let _: Vec<Member> = there.remember_adaptive(&key, &options, || load_guild(&calls, 123, "cy")).await.unwrap();
    // A load within a second of an invalidation of its tag is answered but
    // not cached (it may have raced the invalidation); after that, it is.
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let _: Vec<Member> = here.remember_adaptive(&key, &options, || load_guild(&calls, 123, "dee")).await.unwrap();
    let seen: Option<Vec<Member>> = s.cache().get(&key).await.unwrap();
    assert_eq!(seen, Some(members("dee")));
}

#[tokio::test]
async fn a_load_that_races_an_invalidation_of_its_adaptive_tag_is_not_cached() {
    let s = setup("adaptive-race").await;
    let cache = s.cache();
    let key = s.space().entry("7", vec![]);
    let options = EntryOptions::new(Ttl::secs(60));
    let invalidator = cache.clone();
    let stale: Vec<Member> = cache
        .remember_adaptive(&key, &options, || async move {
            // The write this load raced: committed, then its tag invalidated,
            // while the loader still held the old rows.
            invalidator.invalidate_tags(&["guild:7"], FailurePolicy::FailClosed).await.unwrap();
            Ok::<_, std::io::Error>(Loaded::new(members("old")).tag("guild:7"))
        })
        .await
        .unwrap();
    assert_eq!(stale, members("old"), "the loader's value is still answered");
    let cached: Option<Vec<Member>> = cache.get(&key).await.unwrap();
    assert_eq!(cached, None, "but the fence refused to cache it");
}

#[tokio::test]
async fn adaptive_tags_work_on_the_memory_backend_too() {
    let cache = Cache::builder()
        .backend(Arc::new(MemoryBackend::new(MemoryBounds::default())))
        .without_l1()
        .key_prefix("mem")
        .build();
    let key = KeySpace::new("mem", "guild", "members").unwrap().entry("5", vec![]);
    let options = EntryOptions::new(Ttl::secs(60));
    let calls = AtomicUsize::new(0);
    for _ in 0..2 {
        let _: Vec<Member> = cache.remember_adaptive(&key, &options, || load_guild(&calls, 5, "a")).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    cache.invalidate_tags(&["guild:5"], FailurePolicy::FailClosed).await.unwrap();
    let _: Vec<Member> = cache.remember_adaptive(&key, &options, || load_guild(&calls, 5, "b")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn warm_writes_many_typed_entries_in_two_round_trips_per_batch() {
    let s = setup("typed-warm").await;
    let cache = s.cache();
    let count = WARM_BATCH * 2 + 50;
    let entries: Vec<_> =
        (0..count).map(|i| (s.space().entry(&i.to_string(), vec![]), members(&format!("m{i}")))).collect();
    let (report, trips) = s.round_trips(cache.warm(&entries, &EntryOptions::new(Ttl::secs(60)))).await;
    assert_eq!(report.unwrap().warmed, count);
    assert_eq!(trips, 6, "3 batches x (one read pipeline + one write pipeline), not 2 per entry");
    let got: Option<Vec<Member>> = cache.get(&entries[count - 1].0).await.unwrap();
    assert_eq!(got, Some(members(&format!("m{}", count - 1))));
}

#[tokio::test]
async fn clear_all_is_one_bump_that_every_read_sees_in_its_one_mget() {
    let s = setup("typed-clear").await;
    let cache = s.cache();
    let a = s.space().entry("a", vec![]);
    let b = KeySpace::new(&s.prefix, "other", "thing").unwrap().entry("b", vec!["t".into()]);
    for key in [&a, &b] {
        cache.set(key, &1u32, &SetOptions::ttl(Ttl::secs(60))).await.unwrap();
    }
    let (cleared, trips) = s.round_trips(cache.clear_all(FailurePolicy::FailClosed)).await;
    assert!(cleared.unwrap());
    assert_eq!(trips, 1);
    for key in [&a, &b] {
        let (got, trips) = s.round_trips(cache.get::<u32>(key)).await;
        assert_eq!(got.unwrap(), None);
        assert_eq!(trips, 1);
    }
}

#[tokio::test]
async fn of_many_concurrent_dedup_claimers_exactly_one_wins() {
    use edgecache::dedup::{Claim, Dedup};
    let s = setup("dedup").await;
    // Two "isolates": two clients, as two Workers isolates would have.
    let other = Arc::new(client(&s.server));
    let dedups = [
        Dedup::new(s.client.clone(), &s.prefix, "webhooks").unwrap(),
        Dedup::new(other, &s.prefix, "webhooks").unwrap(),
    ];
    let ttl = Ttl::secs(5);
    let claims =
        futures_util::future::join_all((0..40).map(|i| dedups[i % 2].claim("evt_1", ttl, FailurePolicy::FailClosed)))
            .await;
    let won = claims.iter().filter(|c| matches!(c, Ok(Claim::Claimed))).count();
    let duplicates = claims.iter().filter(|c| matches!(c, Ok(Claim::Duplicate))).count();
    assert_eq!((won, duplicates), (1, 39));
    let pttl = s.pttl(&dedups[0].key("evt_1")).await;
    assert!(pttl > 0 && pttl <= 5_000, "the claim expires with its TTL: {pttl}");
    dedups[1].release("evt_1").await.unwrap();
    assert_eq!(dedups[0].claim("evt_1", ttl, FailurePolicy::FailClosed).await.unwrap(), Claim::Claimed);
}

/// A loader that takes `ms` and counts its runs.
async fn slow_load(calls: &AtomicUsize, ms: u64) -> Result<String, std::io::Error> {
    calls.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    Ok("loaded".to_string())
}

#[tokio::test]
async fn with_a_lease_fifty_concurrent_misses_over_two_isolates_run_the_loader_once() {
    let s = setup("lease").await;
    let (a, b) = (s.cache(), s.cache());
    let key = s.space().entry("expensive", vec![]);
    let options = EntryOptions::new(Ttl::secs(60)).lease(Ttl::secs(5));
    let calls = AtomicUsize::new(0);
    let (results, trips) = s
        .round_trips(futures_util::future::join_all((0..50).map(|i| {
            let cache = if i % 2 == 0 { &a } else { &b };
            cache.remember(&key, &options, || slow_load(&calls, 300))
        })))
        .await;
    assert!(results.into_iter().all(|r| r.unwrap() == "loaded"));
    assert_eq!(calls.load(Ordering::SeqCst), 1, "one loader run across both isolates");
    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!(sa.leases_taken + sb.leases_taken, 1);
    assert!(sa.lease_waits + sb.lease_waits >= 1, "the other isolate waited: {sa:?} {sb:?}");
    println!("50 concurrent misses over 2 isolates with a lease: 1 loader run, {trips} REST round trips");
    let exists = s.client.command(&Command::new("EXISTS").arg(edgecache::keys::lease_key(&key.key))).await.unwrap();
    assert_eq!(exists.into_int().unwrap(), 0, "the write-back released the lease");
    // A fresh entry takes no lease.
    let again: String = a.remember(&key, &options, || slow_load(&calls, 0)).await.unwrap();
    assert_eq!(again, "loaded");
    assert_eq!(a.stats().leases_taken + b.stats().leases_taken, 1);
}

#[tokio::test]
async fn when_the_leaseholder_fails_it_releases_the_lease_and_a_waiter_loads() {
    let s = setup("lease-fail").await;
    let (a, b) = (s.cache(), s.cache());
    let key = s.space().entry("flaky", vec![]);
    let options = EntryOptions::new(Ttl::secs(60)).lease(Ttl::try_from_millis(400).unwrap());
    let calls = AtomicUsize::new(0);
    let holder = a.remember::<String, _, _, _>(&key, &options, || async {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        Err(std::io::Error::other("the leaseholder's database timed out"))
    });
    let waiter = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let started = std::time::Instant::now();
        let value: String = b.remember(&key, &options, || slow_load(&calls, 0)).await.unwrap();
        (value, started.elapsed())
    };
    let (held, (value, waited)) = tokio::join!(holder, waiter);
    assert!(held.is_err());
    assert_eq!(value, "loaded");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The failed leaseholder released its lease: the waiter took it at its
    // next poll, well before the lease would have expired.
    assert!(waited < std::time::Duration::from_millis(350), "{waited:?}");
    assert_eq!(b.stats().leases_taken, 1, "{:?}", b.stats());

    // A loader's "absent" without negative caching writes nothing: the lease
    // is released all the same.
    let absent = s.space().entry("absent", vec![]);
    let none: Option<String> = a.remember(&absent, &options, || async { Ok::<_, std::io::Error>(None) }).await.unwrap();
    assert_eq!(none, None);
    let lease = edgecache::keys::lease_key(&absent.key);
    let exists = s.client.command(&Command::new("EXISTS").arg(lease)).await.unwrap().into_int().unwrap();
    assert_eq!(exists, 0, "no lease left behind");
}
