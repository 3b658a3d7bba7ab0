//! What a read answers: a value and where it came from.

/// Where a read's answer came from; the reference worker sends it as the
/// `x-cache` response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from the cache (either tier).
    Hit,
    /// Not in the cache: read from the backing store (and written back).
    Miss,
    /// Answered from an entry past its TTL, within its grace period: while a
    /// refresh runs, or because the backing store failed.
    Stale,
    /// The cache was off or failing: read from the backing store only.
    Bypass,
}

impl CacheStatus {
    /// The status of an answer made of two reads: the less cached of the
    /// two (`Bypass`, then `Miss`, then `Stale`, then `Hit`), so `Hit` only
    /// when both were hits.
    pub fn combine(self, other: CacheStatus) -> CacheStatus {
        let rank = |status: CacheStatus| match status {
            CacheStatus::Hit => 0,
            CacheStatus::Stale => 1,
            CacheStatus::Miss => 2,
            CacheStatus::Bypass => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// `"hit"`, `"miss"`, `"stale"` or `"bypass"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
            CacheStatus::Stale => "stale",
            CacheStatus::Bypass => "bypass",
        }
    }
}

/// A value with the [`CacheStatus`] of the read that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup<T> {
    /// What the read answered.
    pub value: T,
    /// Where it came from.
    pub status: CacheStatus,
}

/// A cached value as the cache holds it: its JSON bytes, or `None` for a
/// cached "absent" (negative caching).
pub type CachedBytes = Option<Vec<u8>>;

#[cfg(test)]
mod tests {
    use super::CacheStatus::{self, *};

    #[test]
    fn a_combined_status_is_the_less_cached_one() {
        let all = [Hit, Stale, Miss, Bypass];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                assert_eq!(a.combine(*b), all[i.max(j)], "{a:?} + {b:?}");
            }
        }
        assert_eq!(CacheStatus::Hit.combine(Hit), Hit);
    }
}
