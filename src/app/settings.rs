//! The reference worker's settings: the library's (`CACHE_*`, `UPSTASH_*`,
//! `RATE_LIMIT_*`) and its own, read and checked once per isolate.

use super::auth::AdminToken;
use super::client_ip::DEFAULT_IPV6_PREFIX;
use crate::config::{parse_number, ConfigError, Vars, MAX_DURATION_MS};
use crate::ratelimit::RateLimitConfig;
use crate::{CacheConfig, Ttl};

/// The TTL names the worker reads from `CACHE_TTL_<NAME>_SECONDS`: tenant
/// policies, conversation configs, API-key validations.
pub const TTL_NAMES: &[&str] = &["POLICY", "CONFIG", "AUTH"];

/// Default `CACHE_OUTBOX_DRAIN_INTERVAL_MS`: how often an isolate drains
/// the outbox after serving API requests. It bounds how long a read can
/// return a pre-write value after the cache recovers from an outage.
pub const DEFAULT_OUTBOX_DRAIN_INTERVAL_MS: u64 = 2_000;
/// Default `HEALTH_CACHE_MS`: how long an isolate answers `/health` from its
/// last check.
pub const DEFAULT_HEALTH_CACHE_MS: u64 = 5_000;

/// Everything the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// `CACHE_*`, `UPSTASH_*`.
    pub cache: CacheConfig,
    /// `RATE_LIMIT_*`; `None` when rate limiting is off (explicitly, or by
    /// default when no Upstash database is configured: limits are shared
    /// state, which an isolate's memory cannot hold).
    pub rate_limit: Option<RateLimitConfig>,
    /// `ADMIN_TOKEN` (a secret); without it, every authenticated route
    /// answers 503.
    pub admin_token: Option<AdminToken>,
    /// `HEALTH_CACHE_MS` (default 5000, 0 to 300,000).
    pub health_cache_ms: u64,
    /// `RATE_LIMIT_IPV6_PREFIX` (default 64, 16 to 128): the IPv6 prefix a
    /// client counts by.
    pub ipv6_prefix: u8,
    /// `CACHE_OUTBOX_DRAIN_INTERVAL_MS` (default 2000).
    pub outbox_drain_interval_ms: u64,
    /// `WEBHOOK_DEDUP_TTL_SECS` (default 300, at most 7 days): how long a
    /// claimed webhook delivery id answers `duplicate`.
    pub webhook_dedup_ttl: Ttl,
}

/// Default `WEBHOOK_DEDUP_TTL_SECS`.
pub const DEFAULT_WEBHOOK_DEDUP_TTL_SECS: u64 = 300;

impl AppSettings {
    /// Reads and checks every variable.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable whose value cannot be used
    /// (never repeating a secret's value), or `RATE_LIMIT_ENABLED=true`
    /// without a database.
    pub fn from_env(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let cache = CacheConfig::from_env(env, TTL_NAMES)?;
        let mut rate_limit = RateLimitConfig::from_env(env)?;
        // Limiter keys default to the cache's prefix, so environments that
        // share a database keep separate limits.
        if env.get("RATE_LIMIT_KEY_PREFIX").is_none() {
            rate_limit.key_prefix = cache.key_prefix.clone();
        }
        let rate_limit = match (rate_limit.enabled, cache.upstash.is_some()) {
            (false, _) => None,
            (true, true) => Some(rate_limit),
            (true, false) if env.get("RATE_LIMIT_ENABLED").is_some() => {
                return Err(ConfigError::new(
                    "RATE_LIMIT_ENABLED",
                    "is true but no Upstash database is configured (UPSTASH_REDIS_REST_URL): limits are shared through Redis",
                ))
            }
            (true, false) => {
                log::warn!("edgecache: rate limiting is off: no Upstash database is configured");
                None
            }
        };
        Ok(AppSettings {
            cache,
            rate_limit,
            admin_token: env.get("ADMIN_TOKEN").map(|raw| AdminToken::parse(&raw)).transpose()?,
            health_cache_ms: parse_number(env, "HEALTH_CACHE_MS", 0..=300_000)?.unwrap_or(DEFAULT_HEALTH_CACHE_MS),
            ipv6_prefix: parse_number(env, "RATE_LIMIT_IPV6_PREFIX", 16..=128)?
                .map_or(DEFAULT_IPV6_PREFIX, |p| p as u8),
            outbox_drain_interval_ms: parse_number(env, "CACHE_OUTBOX_DRAIN_INTERVAL_MS", 1..=MAX_DURATION_MS)?
                .unwrap_or(DEFAULT_OUTBOX_DRAIN_INTERVAL_MS),
            webhook_dedup_ttl: Ttl::secs(
                parse_number(env, "WEBHOOK_DEDUP_TTL_SECS", 1..=7 * 86_400)?.unwrap_or(DEFAULT_WEBHOOK_DEDUP_TTL_SECS),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<AppSettings, ConfigError> {
        AppSettings::from_env(&Vars::from_pairs(pairs))
    }

    #[test]
    fn defaults_and_overrides() {
        let s = settings(&[]).unwrap();
        assert!(s.admin_token.is_none() && s.rate_limit.is_none());
        assert_eq!((s.health_cache_ms, s.ipv6_prefix, s.outbox_drain_interval_ms), (5_000, 64, 2_000));
        let upstash = [
            ("UPSTASH_REDIS_REST_URL", "http://127.0.0.1:8079"),
            ("UPSTASH_REDIS_REST_TOKEN", "t"),
            ("CACHE_KEY_PREFIX", "staging"),
            ("ADMIN_TOKEN", "0123456789abcdef"),
            ("RATE_LIMIT_IPV6_PREFIX", "56"),
        ];
        let s = settings(&upstash).unwrap();
        assert_eq!(s.rate_limit.unwrap().key_prefix, "staging");
        assert!(s.admin_token.unwrap().matches("0123456789abcdef"));
        assert_eq!(s.ipv6_prefix, 56);
    }

    #[test]
    fn each_bad_value_names_its_variable_and_never_a_secret() {
        for (pairs, variable) in [
            (&[("HEALTH_CACHE_MS", "soon")][..], "HEALTH_CACHE_MS"),
            (&[("RATE_LIMIT_IPV6_PREFIX", "8")], "RATE_LIMIT_IPV6_PREFIX"),
            (&[("ADMIN_TOKEN", "S3CRET")], "ADMIN_TOKEN"),
            (&[("RATE_LIMIT_ENABLED", "true")], "RATE_LIMIT_ENABLED"),
            (&[("CACHE_OUTBOX_DRAIN_INTERVAL_MS", "0")], "CACHE_OUTBOX_DRAIN_INTERVAL_MS"),
            (&[("CACHE_TTL_AUTH_SECONDS", "x")], "CACHE_TTL_AUTH_SECONDS"),
        ] {
            let error = settings(pairs).unwrap_err();
            assert_eq!(error.variable, variable);
            assert!(!error.to_string().contains("S3CRET"), "{error}");
        }
    }
}
