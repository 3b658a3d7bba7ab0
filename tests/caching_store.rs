//! `CachingStore` over a real backing store of the test's own (a map) and
//! both cache backends: cache-aside reads, write policies, degradation.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use edgecache::backend::MemoryBackend;
use edgecache::backend::UpstashBackend;
use edgecache::clock::ManualClock;
use edgecache::store::BoxFuture;
use edgecache::upstash::Command;
use edgecache::{
    Background, Cache, CacheStatus, CachingStore, EntryOptions, FailurePolicy, MemoryBounds, ReadStore, Store,
    StoreError, Ttl, WritePolicy,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    version: u32,
}

/// A backing store that counts its reads and stamps a version on each write.
/// Clones share the rows, so a test keeps a handle to what the cache wraps.
#[derive(Clone, Default)]
struct MapStore {
    rows: Arc<Mutex<HashMap<String, Profile>>>,
    reads: Arc<AtomicUsize>,
}

impl ReadStore for MapStore {
    type Value = Profile;

    async fn get(&self, id: &str) -> Result<Option<Profile>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.rows.lock().unwrap().get(id).cloned())
    }
}

impl Store for MapStore {
    async fn set(&self, id: &str, value: &Profile) -> Result<Profile, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        let version = rows.get(id).map_or(1, |p| p.version + 1);
        let stored = Profile { version, ..value.clone() };
        rows.insert(id.to_owned(), stored.clone());
        Ok(stored)
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.rows.lock().unwrap().remove(id).is_some())
    }
}

fn profile(name: &str) -> Profile {
    Profile { name: name.into(), version: 0 }
}

fn store_over(cache: &Cache) -> (CachingStore<MapStore>, MapStore) {
    let backing = MapStore::default();
    let store =
        CachingStore::builder(backing.clone(), cache).key_space("auth", "profile").ttl(Ttl::secs(60)).build().unwrap();
    (store, backing)
}

fn memory_cache() -> Cache {
    Cache::builder()
        .backend(Arc::new(MemoryBackend::new(MemoryBounds { max_entries: 100, ..MemoryBounds::default() })))
        .without_l1()
        .key_prefix("t")
        .build()
}

#[tokio::test]
async fn reads_miss_then_hit_and_writes_invalidate() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("store");
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(client.clone())))
        .without_l1()
        .key_prefix(&prefix)
        .build();
    let (store, backing) = store_over(&cache);

    store.set("ada", &profile("Ada")).await.unwrap();
    let first = store.get_traced("ada").await.unwrap();
    assert_eq!((first.status, first.value.as_ref().map(|p| p.version)), (CacheStatus::Miss, Some(1)));
    let second = store.get_traced("ada").await.unwrap();
    assert_eq!(second.status, CacheStatus::Hit);
    assert_eq!(second.value, first.value);
    assert_eq!(backing.reads.load(Ordering::SeqCst), 1, "the hit did not touch the backing store");

    let key = store.key("ada");
    assert!(key.starts_with(&format!("{prefix}:auth:profile:")), "{key}");
    let pttl = client.command(&Command::new("PTTL").arg(&key)).await.unwrap().into_int().unwrap();
    assert!(pttl > 0 && pttl <= 60_000, "cached with its TTL: {pttl}");

    store.set("ada", &profile("Ada L.")).await.unwrap();
    let after = store.get_traced("ada").await.unwrap();
    assert_eq!(after.status, CacheStatus::Miss, "the write invalidated the entry");
    assert_eq!(after.value.unwrap().name, "Ada L.");
}

#[tokio::test]
async fn update_after_write_puts_the_stored_value_in_the_cache() {
    let cache = memory_cache();
    let backing = MapStore::default();
    let store = CachingStore::builder(backing.clone(), &cache)
        .key_space("auth", "profile")
        .ttl(Ttl::secs(60))
        .write_policy(WritePolicy::UpdateAfterWrite)
        .build()
        .unwrap();
    let stored = store.set("bo", &profile("Bo")).await.unwrap();
    let read = store.get_traced("bo").await.unwrap();
    assert_eq!((read.status, read.value), (CacheStatus::Hit, Some(stored)));
    assert_eq!(backing.reads.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn absent_values_are_not_cached_and_delete_invalidates() {
    let cache = memory_cache();
    let (store, backing) = store_over(&cache);
    assert_eq!(store.get_traced("nobody").await.unwrap().value, None);
    assert_eq!(store.get_traced("nobody").await.unwrap().status, CacheStatus::Miss);
    store.set("cy", &profile("Cy")).await.unwrap();
    store.get("cy").await.unwrap();
    assert!(store.delete("cy").await.unwrap());
    assert_eq!(store.get_traced("cy").await.unwrap().value, None);
    assert_eq!(backing.reads.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_disabled_cache_bypasses() {
    let cache = Cache::disabled();
    let (store, _) = store_over(&cache);
    store.set("di", &profile("Di")).await.unwrap();
    for _ in 0..2 {
        let read = store.get_traced("di").await.unwrap();
        assert_eq!((read.status, read.value.unwrap().name.as_str()), (CacheStatus::Bypass, "Di"));
    }
    assert_eq!(cache.check_health().await.backend, "none");
}

#[tokio::test]
async fn a_failing_cache_degrades_to_the_backing_store_and_counts_one_outage() {
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(Arc::new(client(&server)))))
        .without_l1()
        .key_prefix("t")
        .build();
    let (store, _) = store_over(&cache);
    store.set("ed", &profile("Ed")).await.unwrap();
    assert_eq!(store.get_traced("ed").await.unwrap().status, CacheStatus::Miss);
    assert!(!cache.outage().is_failing());

    redis.stop();
    for _ in 0..3 {
        let read = store.get_traced("ed").await.unwrap();
        assert_eq!((read.status, read.value.unwrap().name.as_str()), (CacheStatus::Bypass, "Ed"));
    }
    // Writes still commit to the backing store while the cache is down.
    let stored = store.set("ed", &profile("Ed 2")).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(store.get_traced("ed").await.unwrap().value.unwrap().name, "Ed 2");
    assert!(cache.outage().is_failing());
    assert_eq!(cache.outage().failures(), 5, "3 reads + 1 invalidation + 1 read");
    let health = cache.check_health().await;
    assert!(!health.healthy);
    assert_eq!(health.backend, "upstash");
    assert!(health.error.unwrap().contains("500"));
}

#[tokio::test]
async fn health_is_checked_at_most_once_per_interval_however_many_ask() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(client.clone())))
        .without_l1()
        .key_prefix(&key_prefix("health"))
        .build();
    let checks = (0..100).map(|_| cache.health(60_000));
    let answers = futures_util::future::join_all(checks).await;
    assert!(answers.iter().all(|h| h.healthy && h.backend == "upstash"), "{:?}", answers[0]);
    assert_eq!(client.round_trips(), 1, "100 concurrent asks, one check");
    for _ in 0..10 {
        cache.health(60_000).await;
    }
    assert_eq!(client.round_trips(), 1, "answered from the isolate's last check");
    cache.health(0).await;
    assert_eq!(client.round_trips(), 2, "a check older than max_age is run again");
}

#[tokio::test]
async fn a_read_only_or_revoked_token_is_unhealthy_though_it_can_ping() {
    let server = start_server().await;
    for token in [READ_ONLY_TOKEN, "revoked-token"] {
        let client = Arc::new(client_for(&server.url(), token, 2_000));
        if token == READ_ONLY_TOKEN {
            client.ping().await.expect("a read-only token can still PING");
        }
        let cache =
            Cache::builder().backend(Arc::new(UpstashBackend::new(client))).without_l1().key_prefix("t").build();
        let health = cache.check_health().await;
        assert!(!health.healthy, "{token}: {health:?}");
        let error = health.error.unwrap();
        assert!(error.contains("NOPERM") || error.contains("unauthorized (HTTP 401)"), "{token}: {error}");
        assert_eq!(cache.outage().misconfigurations(), 1, "{token}: counted as a misconfiguration");
        assert_eq!(cache.stats().misconfigured, 1);
    }
}

/// Background work on the test's tokio runtime (Workers use `ctx.wait_until`).
struct Tokio;

impl Background for Tokio {
    fn spawn(&self, task: BoxFuture) {
        tokio::spawn(task);
    }
}

#[tokio::test]
async fn stale_entries_are_served_while_a_background_refresh_runs() {
    let clock = ManualClock::new(1_000_000);
    let memory = MemoryBackend::with_clock(
        MemoryBounds { max_entries: 100, ..MemoryBounds::default() },
        Arc::new(clock.clone()),
    );
    let cache = Cache::builder().backend(Arc::new(memory)).without_l1().clock(Arc::new(clock.clone())).build();
    let backing = MapStore::default();
    let options = EntryOptions::new(Ttl::secs(10)).grace(Ttl::secs(60));
    let store = CachingStore::builder(backing.clone(), &cache)
        .key_space("auth", "profile")
        .options(options)
        .background(Arc::new(Tokio))
        .build()
        .unwrap();
    store.set("ada", &profile("Ada")).await.unwrap();
    assert_eq!(store.get_traced("ada").await.unwrap().status, CacheStatus::Miss);
    // The source changes behind the cache, and the entry goes past its TTL.
    backing.rows.lock().unwrap().insert("ada".into(), Profile { name: "Ada v2".into(), version: 2 });
    clock.advance_ms(11_000);
    let stale = store.get_traced("ada").await.unwrap();
    assert_eq!((stale.status, stale.value.unwrap().name.as_str()), (CacheStatus::Stale, "Ada"), "served at once");
    // The refresh runs in the background; reads meanwhile get the stale
    // value without starting refreshes of their own; then it is fresh again.
    for _ in 0..100 {
        let read = store.get_traced("ada").await.unwrap();
        if read.status == CacheStatus::Hit {
            assert_eq!(read.value.unwrap().name, "Ada v2");
            assert!(cache.stats().stale_served >= 1);
            assert_eq!(backing.reads.load(Ordering::SeqCst), 2, "the first load and one refresh");
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the background refresh did not land");
}

#[tokio::test]
async fn tags_invalidate_every_entry_that_carries_them() {
    let cache = memory_cache();
    let backing = MapStore::default();
    let store = CachingStore::builder(backing.clone(), &cache)
        .key_space("auth", "profile")
        .ttl(Ttl::secs(60))
        .tags(|id| vec![format!("team:{}", &id[..1])])
        .build()
        .unwrap();
    for id in ["a1", "a2", "b1"] {
        store.set(id, &profile(id)).await.unwrap();
        store.get(id).await.unwrap();
        assert_eq!(store.get_traced(id).await.unwrap().status, CacheStatus::Hit);
    }
    assert!(cache.invalidate_tags(&["team:a"], FailurePolicy::FailClosed).await.unwrap());
    assert_eq!(store.get_traced("a1").await.unwrap().status, CacheStatus::Miss);
    assert_eq!(store.get_traced("a2").await.unwrap().status, CacheStatus::Miss);
    assert_eq!(store.get_traced("b1").await.unwrap().status, CacheStatus::Hit, "other tags keep their entries");
    // A write invalidates the written entry's tags too.
    store.set("a1", &profile("a1 v2")).await.unwrap();
    assert_eq!(store.get_traced("a2").await.unwrap().status, CacheStatus::Miss);
}

#[tokio::test]
async fn another_command_rides_along_with_the_cache_read_in_one_round_trip() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("ride");
    let cache = Cache::builder()
        .backend(Arc::new(UpstashBackend::new(client.clone())))
        .without_l1()
        .key_prefix(&prefix)
        .build();
    let (store, backing) = store_over(&cache);
    let counter = format!("{prefix}:counter");
    let rider = Command::new("INCR").arg(&counter);
    store.set("ada", &profile("Ada")).await.unwrap();
    store.get("ada").await.unwrap(); // cached

    let before = client.round_trips();
    let along = cache.prefetch(&store.entry_key("ada"), &rider, None).await;
    assert_eq!(along.command.expect("sent").unwrap().into_int().unwrap(), 1);
    let hit = store.get_traced_prefetched("ada", along.prefetch).await.unwrap();
    assert_eq!((hit.status, hit.value.unwrap().name.as_str()), (CacheStatus::Hit, "Ada"));
    assert_eq!(client.round_trips() - before, 1, "the rider and the read shared one request");

    let before = client.round_trips();
    let along = cache.prefetch(&store.entry_key("bo"), &rider, None).await;
    assert!(along.command.is_some(), "a miss in L1 reads along");
    backing.rows.lock().unwrap().insert("bo".into(), profile("Bo"));
    let miss = store.get_traced_prefetched("bo", along.prefetch).await.unwrap();
    assert_eq!((miss.status, miss.value.unwrap().name.as_str()), (CacheStatus::Miss, "Bo"));
    assert_eq!(client.round_trips() - before, 2, "one shared request, then the write-back");
    client.command(&Command::new("DEL").arg(&counter)).await.unwrap();
}
