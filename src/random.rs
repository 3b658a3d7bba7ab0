//! Randomness for versions and probabilistic early refresh; not for secrets.

/// A random `u64`: `Math.random()` on wasm32, std's randomly seeded hasher natively.
pub fn random_u64() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
        (high << 32) | low
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        hasher.finish()
    }
}

/// A uniform float in (0, 1]: never 0, so `ln` of it is finite.
pub fn unit_interval() -> f64 {
    ((random_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}
