//! Time to live: every cache write carries one.

use std::num::NonZeroU64;

/// A positive time to live. There is no "forever": the type cannot be zero,
/// so no entry is ever written without an expiry (a cache entry without one
/// outlives every change to its source).
///
/// ```
/// use edgecache::Ttl;
///
/// assert_eq!(Ttl::secs(300).as_millis(), 300_000);
/// assert_eq!(Ttl::try_from_millis(1_500).unwrap().as_secs_ceil(), 2, "Redis EX rounds up");
/// assert!(Ttl::try_from_secs(0).is_err(), "read from a variable: an error, not a panic");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ttl {
    millis: NonZeroU64,
}

/// The error of building a [`Ttl`] from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a TTL must be positive")]
pub struct ZeroTtl;

impl Ttl {
    /// A TTL of `secs` seconds.
    ///
    /// # Panics
    /// When `secs` is 0; use [`Ttl::try_from_secs`] for values read at run time.
    pub const fn secs(secs: u64) -> Ttl {
        match NonZeroU64::new(secs.saturating_mul(1000)) {
            Some(millis) => Ttl { millis },
            None => panic!("a TTL must be positive"),
        }
    }

    /// A TTL of `secs` seconds.
    ///
    /// # Errors
    /// [`ZeroTtl`] when `secs` is 0.
    pub fn try_from_secs(secs: u64) -> Result<Ttl, ZeroTtl> {
        Self::try_from_millis(secs.saturating_mul(1000))
    }

    /// A TTL of `millis` milliseconds.
    ///
    /// # Errors
    /// [`ZeroTtl`] when `millis` is 0.
    pub fn try_from_millis(millis: u64) -> Result<Ttl, ZeroTtl> {
        NonZeroU64::new(millis).map(|millis| Ttl { millis }).ok_or(ZeroTtl)
    }

    /// The TTL in milliseconds (what `SET ... PX` takes).
    pub const fn as_millis(self) -> u64 {
        self.millis.get()
    }

    /// The TTL in whole seconds, rounded up (never 0).
    pub const fn as_secs_ceil(self) -> u64 {
        self.millis.get().div_ceil(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_is_refused_and_units_convert() {
        assert_eq!(Ttl::try_from_secs(0), Err(ZeroTtl));
        assert_eq!(Ttl::try_from_millis(0), Err(ZeroTtl));
        assert_eq!(Ttl::secs(300).as_millis(), 300_000);
        assert_eq!(Ttl::try_from_millis(1500).unwrap().as_secs_ceil(), 2);
    }
}
