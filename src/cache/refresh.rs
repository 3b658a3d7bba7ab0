//! Stale-while-revalidate: a read served a stale entry and hands its caller
//! a [`PendingRefresh`], run after the response (`ctx.waitUntil` on
//! Workers). One refresh per key at a time in an isolate; the others serve
//! the stale entry without waiting for it.

use std::future::Future;
use std::sync::Arc;

use super::lookup::CachedBytes;
use super::options::EntryOptions;
use super::read::Fence;
use super::read_through::{boxed, BoxedLoader, LoadFailed};
use super::Cache;
use crate::clock::Clock;
use crate::clocked_lru::ClockedLru;
use crate::failure::FailurePolicy;
use crate::keys::EntryKey;

/// A refresh claim older than this (ms) may be taken over: its task never ran.
const REFRESH_CLAIM_MS: u64 = 30_000;
/// Most keys with a refresh claimed at once.
const MAX_CLAIMS: usize = 1_024;

/// A background refresh a read handed out ([`ReadThrough::refresh`](super::ReadThrough::refresh)):
/// the fence of the read that served the stale entry, and the claim on its
/// key. Run it with [`Cache::refresh`].
pub struct PendingRefresh {
    fence: Fence,
    token: u64,
}

/// The keys whose background refresh is under way, each with its claim's token.
pub(super) struct RefreshClaims {
    claims: ClockedLru<u64>,
}

impl RefreshClaims {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RefreshClaims { claims: ClockedLru::new(MAX_CLAIMS, MAX_CLAIMS * 256, clock) }
    }
}

impl Cache {
    /// Claims the background refresh of `key`; `None` while another refresh
    /// of it runs. A claim older than `REFRESH_CLAIM_MS` (its task never ran)
    /// has expired and is taken over.
    pub(super) fn claim_refresh(&self, key: &str, fence: Fence) -> Option<PendingRefresh> {
        let mut claims = self.inner.refreshing.claims.lock();
        if claims.peek(key).is_some() {
            return None;
        }
        let token = crate::random::random_u64();
        let claimed = claims.put(key, token, claims.now_ms() + REFRESH_CLAIM_MS);
        claimed.then_some(PendingRefresh { fence, token })
    }

    /// Loads `key` anew and writes it back, fenced on the read that served
    /// the stale entry; then releases the claim. Failures are logged.
    pub async fn refresh<E, F, Fut>(&self, key: &EntryKey, refresh: PendingRefresh, options: &EntryOptions, loader: F)
    where
        E: std::fmt::Display,
        F: FnOnce() -> Fut + crate::MaybeSend,
        Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend,
    {
        self.refresh_boxed(key, refresh, options, boxed(loader)).await;
    }

    async fn refresh_boxed<E: std::fmt::Display>(
        &self,
        key: &EntryKey,
        refresh: PendingRefresh,
        options: &EntryOptions,
        loader: BoxedLoader<'_, E>,
    ) {
        let loaded = self.load_once(key, &refresh.fence, options, FailurePolicy::Degrade, loader).await;
        if let Err(LoadFailed::Loader(error)) = loaded {
            log::warn!("edgecache: background refresh of {} failed: {error}", key.key);
        }
        let mut claims = self.inner.refreshing.claims.lock();
        if claims.peek(&key.key) == Some(refresh.token) {
            claims.remove(&key.key);
        }
    }
}
