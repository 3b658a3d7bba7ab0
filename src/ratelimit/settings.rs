//! A limiter's settings: their defaults, and the bounds [`validate`] checks
//! when a limiter is built, when a configuration is read and for every
//! override.

use super::algorithm::{Algorithm, LimitSpec};
use crate::config::ConfigError;
use crate::keys::check_segment;

/// Default capacity of a limiter's block cache, in identifiers.
pub const DEFAULT_BLOCK_CACHE_CAPACITY: usize = 10_000;

/// `retry_after_ms` of a refusal by [`FailurePolicy::FailClosed`](super::FailurePolicy::FailClosed): Redis gave
/// no time, so clients are asked to come back in one second.
pub const FAIL_CLOSED_RETRY_AFTER_MS: u64 = 1_000;

/// @upstash/ratelimit's default key prefix, the default of the
/// Upstash-compatible algorithms.
pub const UPSTASH_DEFAULT_PREFIX: &str = "@upstash/ratelimit";

/// Default key prefix of the exact algorithms.
const DEFAULT_PREFIX: &str = "edgecache";

/// The largest `limit × window_ms`: keeps every number the scripts compute an
/// exact integer in Lua's doubles (below 2^53).
const MAX_LIMIT_TIMES_WINDOW: u128 = 1 << 50;

/// The longest window, in milliseconds (30 days).
const MAX_WINDOW_MS: u64 = 30 * 24 * 3_600_000;

/// Checks a limiter's settings; answers the prefix to use and the burst.
///
/// # Errors
/// [`ConfigError`] naming the field out of bounds (see
/// [`LimiterBuilder::build`](super::LimiterBuilder::build)).
pub(crate) fn validate(
    name: &str,
    algorithm: Algorithm,
    spec: LimitSpec,
    prefix: Option<&str>,
) -> Result<(String, u64), ConfigError> {
    let (limit, window_ms, burst) = (spec.limit(), spec.window_ms(), spec.burst());
    check_segment("name", name)?;
    if window_ms > MAX_WINDOW_MS {
        return Err(ConfigError::new("window_ms", format!("must be 1 ms to 30 days, got {window_ms} ms")));
    }
    if u128::from(limit) * u128::from(window_ms) > MAX_LIMIT_TIMES_WINDOW {
        return Err(ConfigError::new(
            "limit",
            format!("limit × window_ms must be at most 2^50, got {limit} × {window_ms}"),
        ));
    }
    if algorithm == Algorithm::Gcra && limit > window_ms * 1000 {
        return Err(ConfigError::new("limit", "GCRA allows at most one unit per microsecond"));
    }
    let burst = match (algorithm, burst) {
        (Algorithm::Gcra, Some(b)) if (1..=limit).contains(&b) => b,
        (Algorithm::Gcra, Some(b)) => {
            return Err(ConfigError::new("burst", format!("must be 1 to the limit {limit}, got {b}")))
        }
        (_, None) => limit,
        (other, Some(_)) => return Err(ConfigError::new("burst", format!("applies to gcra only, not {other}"))),
    };
    let prefix = match prefix {
        Some(p) => p.to_owned(),
        None if algorithm.is_upstash_compatible() => UPSTASH_DEFAULT_PREFIX.to_owned(),
        None => DEFAULT_PREFIX.to_owned(),
    };
    if algorithm.is_upstash_compatible() {
        if prefix.is_empty() {
            return Err(ConfigError::new("prefix", "cannot be empty"));
        }
    } else {
        check_segment("prefix", &prefix)?;
    }
    Ok((prefix, burst))
}
