//! Both cache backends through the `CacheBackend` trait; Upstash against
//! upstash-local over a real redis-server.

mod common;

use std::sync::Arc;

use common::*;
use edgecache::backend::BackendKind;
use edgecache::backend::CacheBackend;
use edgecache::backend::MemoryBackend;
use edgecache::backend::UpstashBackend;
use edgecache::upstash::{Command, Reply};
use edgecache::{CacheError, MemoryBounds, Ttl};

async fn exercise(backend: &dyn CacheBackend, prefix: &str) {
    let (a, b, c) = (format!("{prefix}:a"), format!("{prefix}:b"), format!("{prefix}:c"));
    backend.check_writable(&format!("{prefix}:health")).await.unwrap();
    assert_eq!(backend.get(&a).await.unwrap(), None);
    backend.set(&a, b"{\"v\":1}", Ttl::secs(60)).await.unwrap();
    backend.set(&b, b"2", Ttl::secs(60)).await.unwrap();
    assert_eq!(backend.get(&a).await.unwrap().as_deref(), Some(&b"{\"v\":1}"[..]));
    assert_eq!(
        backend.get_many(&[&a, &c, &b]).await.unwrap(),
        vec![Some(b"{\"v\":1}".to_vec()), None, Some(b"2".to_vec())]
    );
    assert_eq!(backend.delete(&[&a, &c]).await.unwrap(), 1);
    assert_eq!(backend.get(&a).await.unwrap(), None);
    assert_eq!(backend.get_many(&[]).await.unwrap(), Vec::<Option<Vec<u8>>>::new());
}

#[tokio::test]
async fn upstash_backend_follows_the_contract_and_sets_a_ttl_on_every_write() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let backend = UpstashBackend::new(client.clone());
    assert_eq!(backend.kind(), BackendKind::Upstash);
    let prefix = unique("backend");
    exercise(&backend, &prefix).await;
    let pttl = client.command(&Command::new("PTTL").arg(format!("{prefix}:b"))).await.unwrap();
    assert!(matches!(pttl, Reply::Int(ms) if ms > 0 && ms <= 60_000), "{pttl:?}");
}

#[tokio::test]
async fn upstash_backend_refuses_non_utf8_values_and_writes_nothing() {
    let server = start_server().await;
    let backend = UpstashBackend::new(Arc::new(client(&server)));
    let key = unique("binary");
    let err = backend.set(&key, &[0xff, 0xfe], Ttl::secs(60)).await.unwrap_err();
    assert!(matches!(err, CacheError::InvalidValue(_)), "{err:?}");
    assert_eq!(backend.get(&key).await.unwrap(), None);
}

#[tokio::test]
async fn memory_backend_follows_the_same_contract() {
    let backend = MemoryBackend::new(MemoryBounds { max_entries: 16, ..MemoryBounds::default() });
    assert_eq!(backend.kind(), BackendKind::Memory);
    exercise(&backend, "mem").await;
}

#[tokio::test]
async fn upstash_backend_errors_say_the_backend_is_unavailable() {
    let backend = UpstashBackend::new(Arc::new(client_for(&format!("http://127.0.0.1:{}", free_port()), TOKEN, 500)));
    let err = backend.get("k").await.unwrap_err();
    assert!(err.is_unavailable(), "{err:?}");
}
