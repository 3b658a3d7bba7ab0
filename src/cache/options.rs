//! How long entries live, and what a read does with a stale one.

use crate::Ttl;

/// How long entries live, per cached store or call.
///
/// ```
/// use edgecache::{EntryOptions, Ttl};
///
/// let options = EntryOptions::new(Ttl::secs(300)) // fresh for 5 minutes
///     .negative_ttl(Ttl::secs(30))                 // "absent" cached for 30 s
///     .grace(Ttl::secs(60))                        // then served stale while it refreshes
///     .jitter_percent(10);                         // up to 30 s off each TTL
/// assert_eq!(options.grace, Some(Ttl::secs(60)));
/// assert_eq!(options.early_refresh_beta, None, "no XFetch unless asked");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EntryOptions {
    /// Time an entry is fresh.
    pub ttl: Ttl,
    /// Time a loader's "absent" is cached (negative caching); `None`: not cached.
    pub negative_ttl: Option<Ttl>,
    /// Time past `ttl` an entry may still be served stale: while a refresh
    /// runs (stale-while-revalidate) or when the loader fails (stale-if-error).
    pub grace: Option<Ttl>,
    /// Up to this percentage is taken off each entry's TTL at random, so
    /// entries written together do not expire together. 0 to 50.
    pub jitter_percent: u8,
    /// XFetch's `beta` (1.0 is the paper's default); `None`: no early refresh.
    pub early_refresh_beta: Option<f64>,
    /// Cross-isolate leases (see [`lease`](Self::lease)); `None`: none.
    pub lease: Option<Ttl>,
}

impl EntryOptions {
    /// Entries fresh for `ttl`; absent values not cached, no grace, no jitter.
    pub fn new(ttl: Ttl) -> Self {
        EntryOptions { ttl, negative_ttl: None, grace: None, jitter_percent: 0, early_refresh_beta: None, lease: None }
    }

    /// Caches "absent" for `ttl`.
    pub fn negative_ttl(mut self, ttl: Ttl) -> Self {
        self.negative_ttl = Some(ttl);
        self
    }

    /// Serves entries up to `grace` past their TTL (stale-while-revalidate, stale-if-error).
    pub fn grace(mut self, grace: Ttl) -> Self {
        self.grace = Some(grace);
        self
    }

    /// Takes up to `percent` (capped at 50) off each TTL at random.
    pub fn jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = percent.min(50);
        self
    }

    /// Refreshes early with probability rising towards expiry (XFetch, `beta` > 0).
    pub fn early_refresh(mut self, beta: f64) -> Self {
        self.early_refresh_beta = (beta > 0.0 && beta.is_finite()).then_some(beta);
        self
    }

    /// Cross-isolate leases for expensive loaders: on a miss, the first
    /// reader of any isolate takes a lease for `ttl` (`SET NX PX` in the
    /// same script as its read: no extra round trip) and loads; the others
    /// serve the stale entry within grace, or poll for the leaseholder's
    /// value (paced by [`LEASE_WAITER`](crate::backoff::LEASE_WAITER): one
    /// `MGET` each), or load
    /// themselves once `ttl` has passed (the leaseholder died or is slow).
    /// The write-back releases the lease. Set `ttl` above the loader's
    /// usual time. A read finishing a prefetch that missed reads again,
    /// taking the lease: one more round trip, on a miss only.
    pub fn lease(mut self, ttl: Ttl) -> Self {
        self.lease = Some(ttl);
        self
    }

    /// The TTL to write for a value (`Some`) or a cached "absent" (`None`),
    /// jittered; `None` when "absent" is not cached.
    pub(crate) fn ttl_for(&self, value: Option<&[u8]>) -> Option<Ttl> {
        match value {
            Some(_) => Some(self.jittered(self.ttl)),
            None => self.negative_ttl.map(|ttl| self.jittered(ttl)),
        }
    }

    /// How long an entry of `ttl` stays stored: its TTL plus the grace period.
    pub(crate) fn stored_ttl(&self, ttl: Ttl) -> Ttl {
        Ttl::try_from_millis(ttl.as_millis() + self.grace.map_or(0, Ttl::as_millis)).unwrap_or(ttl)
    }

    pub(crate) fn jittered(&self, ttl: Ttl) -> Ttl {
        if self.jitter_percent == 0 {
            return ttl;
        }
        let max_cut = ttl.as_millis() * u64::from(self.jitter_percent) / 100;
        let cut = (max_cut as f64 * crate::random::unit_interval()) as u64;
        Ttl::try_from_millis(ttl.as_millis() - cut.min(ttl.as_millis() - 1)).unwrap_or(ttl)
    }
}

/// What a read through the cache does with an entry past its TTL (within
/// its grace period), or one XFetch picked for an early refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StaleMode {
    /// Refresh it now; serve the stale value only if the loader fails
    /// (stale-if-error).
    #[default]
    RefreshInline,
    /// Serve it at once and hand the caller a
    /// [`PendingRefresh`](super::PendingRefresh) to run in the background
    /// (stale-while-revalidate).
    ServeAndDefer,
}

/// When a read through the cache writes back what its loader loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WriteBack {
    /// Before the read answers.
    #[default]
    Inline,
    /// After the response: the read keeps the entry in this isolate's L1 at
    /// once and hands the caller a [`PendingWriteBack`](super::PendingWriteBack)
    /// to run in the background with
    /// [`Cache::finish_write_back`](super::Cache::finish_write_back), which
    /// drops that L1 copy if the fenced write is refused. A miss then waits
    /// for one round trip fewer. Only with an L1 (a cache without one writes
    /// back inline) and under
    /// [`FailurePolicy::Degrade`](crate::FailurePolicy::Degrade) (under
    /// `FailClosed` a failed write-back fails the read, so it stays inline).
    Deferred,
}
