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
