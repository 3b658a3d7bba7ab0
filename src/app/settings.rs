//! The reference worker's settings: the library's (`CACHE_*`, `UPSTASH_*`,
//! `RATE_LIMIT_*`) and its own, read and checked once per isolate.

use std::num::NonZeroU64;
use std::time::Duration;

use super::auth::api_key::ApiKeySigner;
use super::auth::AdminToken;
use super::client_ip::DEFAULT_IPV6_PREFIX;
use super::llm::LlmSettings;
use super::request_log::LogLevel;
use crate::config::{parse_bool, parse_number, ConfigError, Vars, MAX_DURATION_MS, MAX_TTL_SECS};
use crate::ratelimit::{LimitSpec, RateLimitConfig};
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
/// Shortest `HEALTH_CACHE_MS`: `/health` is public, so however many ask, an
/// isolate checks Upstash at most once a second.
pub const MIN_HEALTH_CACHE_MS: u64 = 1_000;
/// Default `AUTH_FAILURE_LIMIT`: failed credentials per address per
/// `AUTH_FAILURE_WINDOW_SECS` before the address gets 429 for them.
pub const DEFAULT_AUTH_FAILURE_LIMIT: u64 = 10;
/// Default `AUTH_FAILURE_WINDOW_SECS`.
pub const DEFAULT_AUTH_FAILURE_WINDOW_SECS: u64 = 60;
/// Default `MAX_USER_OVERRIDES_PER_TENANT`.
pub const DEFAULT_MAX_USER_OVERRIDES_PER_TENANT: u64 = 10_000;

/// Everything the worker reads from its environment.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// `CACHE_*`, `UPSTASH_*`.
    pub cache: CacheConfig,
    /// `RATE_LIMIT_*`; `None` when rate limiting is off (explicitly, or by
    /// default when no Upstash database is configured: limits are shared
    /// state, which an isolate's memory cannot hold).
    pub rate_limit: Option<RateLimitConfig>,
    /// `ADMIN_TOKEN` (a secret, at least 32 characters); without it, every
    /// authenticated route answers 503.
    pub admin_token: Option<AdminToken>,
    /// What signs and checks API keys: `API_KEY_SECRET` (a secret, at least
    /// 32 characters), else a key derived from `ADMIN_TOKEN`; `None` without either.
    pub api_key_signer: Option<ApiKeySigner>,
    /// `API_KEY_ACCEPT_LEGACY` (default false): accept the `ek_` keys made
    /// before keys carried a tag (each checked by a lookup, as before).
    pub accept_legacy_api_keys: bool,
    /// `AUTH_FAILURE_LIMIT` per `AUTH_FAILURE_WINDOW_SECS` (default 10 per
    /// 60 s): failed credentials an address may send before it gets 429 for them.
    pub auth_failures: LimitSpec,
    /// `RATE_LIMIT_KEY_LIMIT` per `RATE_LIMIT_KEY_WINDOW_SECS` (default the
    /// tenant's limit): the per-key limit of API-key requests.
    pub key_limit: LimitSpec,
    /// `MAX_USER_OVERRIDES_PER_TENANT` (default 10,000): user conversation
    /// configs a tenant may have.
    pub max_user_overrides_per_tenant: u64,
    /// `HEALTH_CACHE_MS` (default 5000, 1000 to 300,000).
    pub health_cache_ms: u64,
    /// `RATE_LIMIT_IPV6_PREFIX` (default 64, 16 to 128): the IPv6 prefix a
    /// client counts by.
    pub ipv6_prefix: u8,
    /// `CACHE_OUTBOX_DRAIN_INTERVAL_MS` (default 2000).
    pub outbox_drain_interval_ms: u64,
    /// `STATS_FLUSH_INTERVAL_MS` (default 10,000, 1000 to 3,600,000): how
    /// often at most an isolate adds its counters to the fleet's (with Upstash).
    pub stats_flush_interval_ms: u64,
    /// `LOG_LEVEL` (`error`, `warn`, `info`, `debug`; default `info`).
    pub log_level: LogLevel,
    /// `WEBHOOK_DEDUP_TTL_SECS` (default 300, at most 7 days): how long a
    /// claimed webhook delivery id answers `duplicate`.
    pub webhook_dedup_ttl: Ttl,
    /// The LLM gateway's `LLM_*`, and `RATE_LIMIT_MAX_OVERRIDES`.
    pub llm: LlmSettings,
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
        let admin_raw = env.get("ADMIN_TOKEN");
        let admin_token = admin_raw.as_deref().map(AdminToken::parse).transpose()?;
        let api_key_signer = match (env.get("API_KEY_SECRET"), &admin_raw) {
            (Some(secret), _) => Some(ApiKeySigner::from_secret(&secret)?),
            (None, Some(admin)) => Some(ApiKeySigner::derived_from_admin_token(admin)),
            (None, None) => None,
        };
        let spec = |limit_var: &str, limit: (u64, u64), window_var: &str, default: LimitSpec| {
            let limit = parse_number(env, limit_var, limit.0..=limit.1)?.and_then(NonZeroU64::new);
            let window = parse_number(env, window_var, 1..=MAX_TTL_SECS)?.map_or(default.window(), Duration::from_secs);
            LimitSpec::per_window(limit.unwrap_or(default.limit_nonzero()), window)
                .ok_or_else(|| ConfigError::new(window_var, "must be at least 1"))
        };
        let default_auth = LimitSpec::per_window(
            NonZeroU64::new(DEFAULT_AUTH_FAILURE_LIMIT).expect("non-zero"),
            Duration::from_secs(DEFAULT_AUTH_FAILURE_WINDOW_SECS),
        )
        .expect("whole ms");
        let auth_failures = spec("AUTH_FAILURE_LIMIT", (1, 10_000), "AUTH_FAILURE_WINDOW_SECS", default_auth)?;
        let default_key = rate_limit.as_ref().map_or(RateLimitConfig::default().tenant, |config| config.tenant);
        let key_limit =
            spec("RATE_LIMIT_KEY_LIMIT", (1, u64::from(u32::MAX)), "RATE_LIMIT_KEY_WINDOW_SECS", default_key)?;
        Ok(AppSettings {
            cache,
            rate_limit,
            admin_token,
            api_key_signer,
            accept_legacy_api_keys: parse_bool(env, "API_KEY_ACCEPT_LEGACY")?.unwrap_or(false),
            auth_failures,
            key_limit,
            max_user_overrides_per_tenant: parse_number(env, "MAX_USER_OVERRIDES_PER_TENANT", 0..=10_000_000)?
                .unwrap_or(DEFAULT_MAX_USER_OVERRIDES_PER_TENANT),
            health_cache_ms: parse_number(env, "HEALTH_CACHE_MS", MIN_HEALTH_CACHE_MS..=300_000)?
                .unwrap_or(DEFAULT_HEALTH_CACHE_MS),
            ipv6_prefix: parse_number(env, "RATE_LIMIT_IPV6_PREFIX", 16..=128)?
                .map_or(DEFAULT_IPV6_PREFIX, |p| p as u8),
            outbox_drain_interval_ms: parse_number(env, "CACHE_OUTBOX_DRAIN_INTERVAL_MS", 1..=MAX_DURATION_MS)?
                .unwrap_or(DEFAULT_OUTBOX_DRAIN_INTERVAL_MS),
            stats_flush_interval_ms: parse_number(env, "STATS_FLUSH_INTERVAL_MS", 1_000..=MAX_DURATION_MS)?
                .unwrap_or(crate::fleet::DEFAULT_FLUSH_INTERVAL_MS),
            log_level: LogLevel::from_env(env)?,
            webhook_dedup_ttl: Ttl::secs(
                parse_number(env, "WEBHOOK_DEDUP_TTL_SECS", 1..=7 * 86_400)?.unwrap_or(DEFAULT_WEBHOOK_DEDUP_TTL_SECS),
            ),
            llm: LlmSettings::from_env(env)?,
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
            ("ADMIN_TOKEN", "0123456789abcdef0123456789abcdef"),
            ("RATE_LIMIT_IPV6_PREFIX", "56"),
            ("RATE_LIMIT_TENANT_LIMIT", "77"),
        ];
        let s = settings(&upstash).unwrap();
        assert_eq!(s.rate_limit.unwrap().key_prefix, "staging");
        assert!(s.admin_token.unwrap().matches("0123456789abcdef0123456789abcdef"));
        assert_eq!(s.ipv6_prefix, 56);
        assert!(s.api_key_signer.unwrap().is_derived(), "derived from ADMIN_TOKEN without API_KEY_SECRET");
        assert_eq!((s.auth_failures.limit(), s.auth_failures.window_ms()), (10, 60_000));
        assert_eq!(s.key_limit.limit(), 77, "a key's limit defaults to its tenant's");
        assert_eq!(s.max_user_overrides_per_tenant, 10_000);
        assert!(!s.accept_legacy_api_keys);
        let s = settings(&[
            ("API_KEY_SECRET", "a-secret-of-at-least-thirty-two-characters"),
            ("AUTH_FAILURE_LIMIT", "3"),
            ("AUTH_FAILURE_WINDOW_SECS", "600"),
            ("RATE_LIMIT_KEY_LIMIT", "5"),
            ("MAX_USER_OVERRIDES_PER_TENANT", "0"),
            ("API_KEY_ACCEPT_LEGACY", "true"),
        ])
        .unwrap();
        assert!(!s.api_key_signer.unwrap().is_derived());
        assert_eq!((s.auth_failures.limit(), s.auth_failures.window_ms()), (3, 600_000));
        assert_eq!((s.key_limit.limit(), s.max_user_overrides_per_tenant), (5, 0));
        assert!(s.accept_legacy_api_keys);
    }

    #[test]
    fn the_fleet_flush_interval_and_the_log_level() {
        let s = settings(&[]).unwrap();
        assert_eq!((s.stats_flush_interval_ms, s.log_level), (10_000, LogLevel::Info));
        let s = settings(&[("STATS_FLUSH_INTERVAL_MS", "1000"), ("LOG_LEVEL", "error")]).unwrap();
        assert_eq!((s.stats_flush_interval_ms, s.log_level), (1_000, LogLevel::Error));
        for (name, bad) in
            [("STATS_FLUSH_INTERVAL_MS", "999"), ("STATS_FLUSH_INTERVAL_MS", "3600001"), ("LOG_LEVEL", "trace")]
        {
            assert_eq!(settings(&[(name, bad)]).unwrap_err().variable, name);
        }
    }

    #[test]
    fn each_bad_value_names_its_variable_and_never_a_secret() {
        for (pairs, variable) in [
            (&[("HEALTH_CACHE_MS", "soon")][..], "HEALTH_CACHE_MS"),
            (&[("HEALTH_CACHE_MS", "0")], "HEALTH_CACHE_MS"),
            (&[("HEALTH_CACHE_MS", "999")], "HEALTH_CACHE_MS"),
            (&[("ADMIN_TOKEN", "S3CRET-sixteen-plus-but-not-32")], "ADMIN_TOKEN"),
            (&[("API_KEY_SECRET", "S3CRET")], "API_KEY_SECRET"),
            (&[("API_KEY_ACCEPT_LEGACY", "maybe")], "API_KEY_ACCEPT_LEGACY"),
            (&[("AUTH_FAILURE_LIMIT", "0")], "AUTH_FAILURE_LIMIT"),
            (&[("AUTH_FAILURE_WINDOW_SECS", "0")], "AUTH_FAILURE_WINDOW_SECS"),
            (&[("RATE_LIMIT_KEY_LIMIT", "x")], "RATE_LIMIT_KEY_LIMIT"),
            (&[("MAX_USER_OVERRIDES_PER_TENANT", "-1")], "MAX_USER_OVERRIDES_PER_TENANT"),
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
