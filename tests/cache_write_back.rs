//! A miss's write-back after the response (`WriteBack::Deferred`), against
//! real Redis through upstash-local: the read answers before the entry is
//! in Upstash, this isolate's L1 serves it meanwhile, and a write-back
//! refused because a write came in between takes that L1 copy back.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use edgecache::backend::UpstashBackend;
use edgecache::cache::{ReadOptions, WriteBack};
use edgecache::upstash::Command;
use edgecache::{Cache, CacheStatus, FailurePolicy, L1Settings, MemoryBounds, StoreError};

fn cache_with_l1(client: &Arc<edgecache::upstash::UpstashClient>, prefix: &str) -> Cache {
    let l1 = L1Settings { bounds: MemoryBounds::default(), max_staleness: Duration::from_secs(60) };
    Cache::builder().backend(Arc::new(UpstashBackend::new(client.clone()))).l1(l1).key_prefix(prefix).build()
}

fn deferred() -> ReadOptions {
    ReadOptions { write_back: WriteBack::Deferred, ..ReadOptions::default() }
}

#[tokio::test]
async fn a_deferred_miss_answers_first_serves_from_l1_meanwhile_and_lands_after() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let cache = cache_with_l1(&client, &key_prefix("deferred"));
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec!["tenant:acme".into()]);
    let exists = || async { client.command(&Command::new("EXISTS").arg(&key.key)).await.unwrap().into_int().unwrap() };
    let loads = AtomicUsize::new(0);
    let load = || {
        loads.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, StoreError>(Some(b"\"m1\"".to_vec())) }
    };

    let read = cache.read_through(&key, &entry_options(), deferred(), load).await.unwrap();
    assert_eq!(read.lookup.status, CacheStatus::Miss);
    let pending = read.write_back.expect("a miss under WriteBack::Deferred hands its write-back over");
    assert_eq!(exists().await, 0, "not written before the read answered");

    let again = cache.read_through(&key, &entry_options(), deferred(), load).await.unwrap();
    assert_eq!(again.lookup.status, CacheStatus::Hit, "this isolate's L1 serves it meanwhile");
    assert_eq!(loads.load(Ordering::SeqCst), 1);

    assert!(cache.finish_write_back(pending).await.unwrap(), "the fenced write goes through");
    assert_eq!(exists().await, 1);

    // Inline (the default) and under FailClosed, nothing is handed over.
    let other = cache.key_space("llm", "policy").unwrap().entry("globex", vec![]);
    let inline = cache.read_through(&other, &entry_options(), ReadOptions::default(), load).await.unwrap();
    assert!(inline.write_back.is_none());
    let closed = ReadOptions { policy: FailurePolicy::FailClosed, ..deferred() };
    let third = cache.key_space("llm", "policy").unwrap().entry("initech", vec![]);
    assert!(cache.read_through(&third, &entry_options(), closed, load).await.unwrap().write_back.is_none());
}

#[tokio::test]
async fn a_refused_deferred_write_back_takes_its_l1_copy_back() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let cache = cache_with_l1(&client, &key_prefix("deferred-refused"));
    let key = cache.key_space("llm", "policy").unwrap().entry("acme", vec![]);
    let loads = AtomicUsize::new(0);
    let load = || {
        loads.fetch_add(1, Ordering::SeqCst);
        async { Ok::<_, StoreError>(Some(b"\"before the write\"".to_vec())) }
    };
    let pending = cache.read_through(&key, &entry_options(), deferred(), load).await.unwrap().write_back.unwrap();
    // Another isolate's write lands between the read and the write-back: it
    // moves the entry's own version (this isolate's L1 does not hear of it).
    let version = edgecache::keys::entry_version_key(&key.key);
    assert!(key.version_keys.contains(&version));
    client.command(&Command::new("SET").arg(&version).arg("moved-by-another-isolate")).await.unwrap();

    assert!(!cache.finish_write_back(pending).await.unwrap(), "fenced out");
    assert_eq!(cache.stats().fenced_refusals, 1);
    let next = cache.read_through(&key, &entry_options(), deferred(), load).await.unwrap();
    assert_eq!(next.lookup.status, CacheStatus::Miss, "the refused copy is gone from L1");
    assert_eq!(loads.load(Ordering::SeqCst), 2);
}
