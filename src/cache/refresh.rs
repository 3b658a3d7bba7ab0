//! Stale-while-revalidate claims: a read that served a stale entry hands its
//! caller a [`PendingRefresh`], run after the response (`ctx.waitUntil` on
//! Workers). One refresh per key at a time in an isolate; the others serve
//! the stale entry without waiting for it.

use std::sync::Arc;

use super::fence::Fence;
use crate::clock::Clock;
use crate::clocked_lru::ClockedLru;

/// A refresh claim older than this (ms) may be taken over: its task never ran.
const REFRESH_CLAIM_MS: u64 = 30_000;
/// Most keys with a refresh claimed at once.
const MAX_CLAIMS: usize = 1_024;

/// A background refresh a read handed out ([`ReadThrough::refresh`](super::ReadThrough::refresh)):
/// the fence of the read that served the stale entry, and the claim on its
/// key. Run it with [`Cache::refresh`](crate::Cache::refresh).
pub struct PendingRefresh {
    fence: Fence,
    token: u64,
}

impl PendingRefresh {
    /// The fence of the read that served the stale entry.
    pub(super) fn fence(&self) -> &Fence {
        &self.fence
    }
}

/// The keys whose background refresh is under way, each with its claim's token.
pub(super) struct RefreshClaims {
    claims: ClockedLru<u64>,
}

impl RefreshClaims {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        RefreshClaims { claims: ClockedLru::new(MAX_CLAIMS, MAX_CLAIMS * 256, clock) }
    }

    /// Claims the background refresh of `key`; `None` while another refresh
    /// of it runs. A claim older than `REFRESH_CLAIM_MS` (its task never
    /// ran) has expired and is taken over.
    pub fn claim(&self, key: &str, fence: Fence) -> Option<PendingRefresh> {
        let mut claims = self.claims.lock();
        if claims.peek(key).is_some() {
            return None;
        }
        let token = crate::random::random_u64();
        let claimed = claims.put(key, token, claims.now_ms() + REFRESH_CLAIM_MS);
        claimed.then_some(PendingRefresh { fence, token })
    }

    /// Ends `refresh`'s claim on `key`, if it still holds it.
    pub fn release(&self, key: &str, refresh: &PendingRefresh) {
        let mut claims = self.claims.lock();
        if claims.peek(key) == Some(refresh.token) {
            claims.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn fence() -> Fence {
        Fence { seen: Vec::new(), l1_mark: 0, read_at_ms: 0, lease_token: None }
    }

    #[test]
    fn one_claim_per_key_until_released_or_expired() {
        let clock = ManualClock::new(0);
        let claims = RefreshClaims::new(Arc::new(clock.clone()));
        let first = claims.claim("a", fence()).expect("the first claim");
        assert!(claims.claim("a", fence()).is_none(), "one refresh per key");
        assert!(claims.claim("b", fence()).is_some(), "other keys are free");
        claims.release("a", &first);
        let second = claims.claim("a", fence()).expect("released");
        claims.release("a", &first);
        assert!(claims.claim("a", fence()).is_none(), "a stale release ends nothing");
        clock.advance_ms(REFRESH_CLAIM_MS + 1);
        assert!(claims.claim("a", fence()).is_some(), "an expired claim is taken over");
        drop(second);
    }
}
