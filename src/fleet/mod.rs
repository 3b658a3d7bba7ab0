//! Counters of the whole fleet of isolates, kept in Upstash: each isolate
//! adds what it counted since its last flush to a per-minute bucket (and to
//! running totals), at most once per flush interval, in one request of its
//! own off the request path; an operator reads the sum over any window, and
//! a Prometheus scrape the totals, in one round trip.
//!
//! - [`Sample`]: counters as series (`cache_hits{tier="l1"}` → value), the
//!   Prometheus series names without the `edgecache_` prefix and `_total`
//!   suffix; the same strings are the fields of the Redis hashes.
//! - [`Recorder`]: an isolate's side: when a flush is due, the deltas since
//!   the last one, sent as one `EVALSHA` of a script that adds them.
//! - [`read_window`]: the sums of the last `minutes` buckets, the totals and
//!   the number of isolates that reported, in one `/pipeline`
//!   ([`read_window_with`]: with commands of the caller's in it too);
//!   [`read_totals`]: the totals and the isolates alone, for a scrape.
//! - [`IsolateHistory`]: the same window of one isolate, in its memory (a
//!   worker without Upstash).
//! - [`prometheus`]: the totals in the Prometheus text format (or OpenMetrics).
//!
//! Layout under the cache's key prefix: `{prefix}:fleet:m:{minute}` (a hash
//! per minute since the epoch, TTL one day), `{prefix}:fleet:m:{minute}:isolates`
//! (a HyperLogLog of the isolate ids that reported in that minute, TTL one
//! day) and `{prefix}:fleet:total` (a hash, TTL one day from the last flush:
//! a fleet idle for a day starts its counters again, which Prometheus reads
//! as a counter reset).

mod history;
mod prometheus_text;
mod read;
mod recorder;
mod sample;

pub use history::IsolateHistory;
pub use prometheus_text::{prometheus, Format};
pub use read::{read_totals, read_window, read_window_with, FleetWindow, MAX_WINDOW_MINUTES};
pub use recorder::{PreparedFlush, Recorder, DEFAULT_FLUSH_INTERVAL_MS};
pub use sample::{Sample, Series};

/// How long a minute bucket and the totals live after their last write, in
/// seconds: one day.
pub const BUCKET_TTL_SECS: u64 = 86_400;

/// The hash of minute `minute` (ms since the epoch / 60,000).
pub(crate) fn minute_key(prefix: &str, minute: u64) -> String {
    format!("{prefix}:fleet:m:{minute}")
}

/// The HyperLogLog of the isolates that reported in minute `minute`.
pub(crate) fn isolates_key(prefix: &str, minute: u64) -> String {
    format!("{prefix}:fleet:m:{minute}:isolates")
}

/// The running totals.
pub(crate) fn totals_key(prefix: &str) -> String {
    format!("{prefix}:fleet:total")
}
