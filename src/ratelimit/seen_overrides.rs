//! [`SeenOverrides`]: a limiter's override settings, and the overrides this
//! isolate saw in Redis's answers (what its local fallback applies).

use std::sync::Mutex;

use lru::LruCache;

/// Most identifiers whose override one isolate remembers for its local
/// fallback.
const SEEN_CAPACITY: usize = 10_000;

/// A limiter's override settings, and the overrides this isolate saw in
/// Redis's answers (what its local fallback applies).
pub(super) struct SeenOverrides {
    max: usize,
    seen: Mutex<LruCache<String, (u64, u64)>>,
}

impl SeenOverrides {
    /// Settings allowing at most `max` overrides, none seen yet.
    pub fn new(max: usize) -> Self {
        let capacity = std::num::NonZeroUsize::new(SEEN_CAPACITY).expect("non-zero");
        SeenOverrides { max, seen: Mutex::new(LruCache::new(capacity)) }
    }

    /// The most overrides the limiter may hold.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The `(limit, window_ms)` last seen for `identifier`, if an override.
    pub fn get(&self, identifier: &str) -> Option<(u64, u64)> {
        crate::sync::lock(&self.seen).get(identifier).copied()
    }

    /// Notes what Redis used for `identifier`: `Some` override, or none.
    pub fn note(&self, identifier: &str, rate: Option<(u64, u64)>) {
        let mut seen = crate::sync::lock(&self.seen);
        match rate {
            Some(rate) => {
                seen.put(identifier.to_owned(), rate);
            }
            None => {
                seen.pop(identifier);
            }
        }
    }
}
