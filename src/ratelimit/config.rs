//! Rate-limit settings from the environment.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::Duration;

use super::algorithm::{Algorithm, LimitSpec};
use super::builder::LimiterBuilder;
use super::failure_policy::FailurePolicy;
use super::limiter::Limiter;
use super::settings::{validate, DEFAULT_BLOCK_CACHE_CAPACITY};
use crate::config::{parse_bool, parse_number, ConfigError, Vars, MAX_TTL_SECS};
use crate::upstash::{UpstashClient, UpstashConfig, MAX_TIMEOUT_MS};

/// Largest `RATE_LIMIT_BLOCK_CACHE_SIZE`, in identifiers.
pub const MAX_BLOCK_CACHE_SIZE: u64 = 1_000_000;

/// Rate-limit settings, as [`RateLimitConfig::from_env`] reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// `RATE_LIMIT_ENABLED` (default true). False: the application should not
    /// check limits at all (the limiters themselves do not look at it).
    pub enabled: bool,
    /// `RATE_LIMIT_ALGORITHM`: `fixed-window`, `sliding-window`,
    /// `sliding-log`, `token-bucket` or `gcra` (default `gcra`: exact, one key
    /// and O(1) memory per identifier, exact retry-after, bursts up to the
    /// limit; see [`Algorithm::Gcra`]).
    pub algorithm: Algorithm,
    /// `RATE_LIMIT_CLIENT_LIMIT` per `RATE_LIMIT_CLIENT_WINDOW_SECS` (default
    /// 100 per 60 s): the per-client (e.g. per-IP) limit.
    pub client: LimitSpec,
    /// `RATE_LIMIT_TENANT_LIMIT` per `RATE_LIMIT_TENANT_WINDOW_SECS` (default
    /// 1000 per 60 s): the per-tenant limit.
    pub tenant: LimitSpec,
    /// `RATE_LIMIT_TIMEOUT_MS` (default 1000): how long a check waits for
    /// Redis before the failure policy answers; the fetch is aborted.
    pub timeout_ms: u64,
    /// `RATE_LIMIT_FAILURE_POLICY`: what a check answers when Redis fails:
    /// `local` (default: each isolate enforces the limit on its own, see
    /// [`FailurePolicy::Local`]), `fail-open` (allow) or `fail-closed`
    /// (refuse). `RATE_LIMIT_FAIL_CLOSED=true`, the older switch, still
    /// means `fail-closed`.
    pub failure_policy: FailurePolicy,
    /// `RATE_LIMIT_KEY_PREFIX` (default `edgecache`): first key segment,
    /// `A-Z a-z 0-9 _ - .`, at most 64.
    pub key_prefix: String,
    /// `RATE_LIMIT_BLOCK_CACHE_SIZE` (default 10000, at most 1,000,000):
    /// identifiers each limiter's block cache holds, per isolate; 0 turns it off.
    pub block_cache_size: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            enabled: true,
            algorithm: Algorithm::Gcra,
            client: LimitSpec::per_minute(NonZeroU64::new(100).expect("non-zero")),
            tenant: LimitSpec::per_minute(NonZeroU64::new(1_000).expect("non-zero")),
            timeout_ms: crate::upstash::DEFAULT_TIMEOUT_MS,
            failure_policy: FailurePolicy::Local,
            key_prefix: "edgecache".to_owned(),
            block_cache_size: DEFAULT_BLOCK_CACHE_CAPACITY,
        }
    }
}

/// `RATE_LIMIT_FAILURE_POLICY`, or the older `RATE_LIMIT_FAIL_CLOSED`.
fn failure_policy(env: &Vars<'_>, default: FailurePolicy) -> Result<FailurePolicy, ConfigError> {
    let fail_closed = parse_bool(env, "RATE_LIMIT_FAIL_CLOSED")?;
    match (env.get("RATE_LIMIT_FAILURE_POLICY"), fail_closed) {
        (Some(_), Some(_)) => Err(ConfigError::new(
            "RATE_LIMIT_FAIL_CLOSED",
            "is set together with RATE_LIMIT_FAILURE_POLICY: keep RATE_LIMIT_FAILURE_POLICY only",
        )),
        (Some(raw), None) => match raw.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(FailurePolicy::Local),
            "fail-open" => Ok(FailurePolicy::FailOpen),
            "fail-closed" => Ok(FailurePolicy::FailClosed),
            _ => Err(ConfigError::new(
                "RATE_LIMIT_FAILURE_POLICY",
                format!("must be local, fail-open or fail-closed, got {raw:?}"),
            )),
        },
        (None, Some(true)) => Ok(FailurePolicy::FailClosed),
        (None, Some(false) | None) => Ok(default),
    }
}

/// Settings of the TypeScript setups edgecache replaces that it does not
/// read, and what to set instead: refused, so a setting that would be
/// silently ignored is noticed at start-up.
const FOREIGN_NAMES: [(&str, &str); 3] = [
    (
        "ENABLE_REDIS_RATE_LIMITING",
        "edgecache does not read it: rate limiting is on when an Upstash database is configured; \
         set RATE_LIMIT_ENABLED=false to turn it off",
    ),
    (
        "RATE_LIMIT_PROVIDER",
        "edgecache does not read it: limits always live in the Upstash database \
         (UPSTASH_REDIS_REST_URL); set RATE_LIMIT_FAILURE_POLICY=local for in-memory limits during an outage",
    ),
    (
        "EVENT_HUB_PROVIDER",
        "edgecache does not read it: invalidation events are published on the Upstash database \
         when CACHE_EVENTS_CHANNEL is set",
    ),
];

/// Refuses the [`FOREIGN_NAMES`] that are set.
fn refuse_foreign_names(env: &Vars<'_>) -> Result<(), ConfigError> {
    match FOREIGN_NAMES.iter().find(|(name, _)| env.get(name).is_some()) {
        Some((name, why)) => Err(ConfigError::new(*name, *why)),
        None => Ok(()),
    }
}

impl RateLimitConfig {
    /// Reads and checks every `RATE_LIMIT_*` variable (unset or blank: the
    /// default).
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable whose value cannot be used:
    /// an unknown algorithm, a limit, window, timeout or cache size that is
    /// not a positive integer, a boolean that is not one, a bad prefix, or a
    /// limit and window the chosen algorithm cannot hold (see
    /// [`LimiterBuilder::build`](super::LimiterBuilder::build)).
    pub fn from_env(env: &Vars<'_>) -> Result<Self, ConfigError> {
        let defaults = RateLimitConfig::default();
        let enabled = parse_bool(env, "RATE_LIMIT_ENABLED")?.unwrap_or(true);
        let algorithm = match env.get("RATE_LIMIT_ALGORITHM") {
            None => defaults.algorithm,
            Some(raw) => Algorithm::parse(&raw).filter(|a| Algorithm::EXACT.contains(a)).ok_or_else(|| {
                ConfigError::new(
                    "RATE_LIMIT_ALGORITHM",
                    format!("must be fixed-window, sliding-window, sliding-log, token-bucket or gcra, got {raw:?}"),
                )
            })?,
        };
        let spec = |limit_var: &str, window_var: &str, default: LimitSpec| {
            let limit = parse_number(env, limit_var, 1..=u64::from(u32::MAX))?.and_then(NonZeroU64::new);
            let window_secs = parse_number(env, window_var, 1..=MAX_TTL_SECS)?;
            let window = window_secs.map_or(default.window(), Duration::from_secs);
            LimitSpec::per_window(limit.unwrap_or(default.limit_nonzero()), window)
                .ok_or_else(|| ConfigError::new(window_var, "must be at least 1"))
        };
        let client = spec("RATE_LIMIT_CLIENT_LIMIT", "RATE_LIMIT_CLIENT_WINDOW_SECS", defaults.client)?;
        let tenant = spec("RATE_LIMIT_TENANT_LIMIT", "RATE_LIMIT_TENANT_WINDOW_SECS", defaults.tenant)?;
        let timeout_ms = parse_number(env, "RATE_LIMIT_TIMEOUT_MS", 1..=MAX_TIMEOUT_MS)?.unwrap_or(defaults.timeout_ms);
        refuse_foreign_names(env)?;
        let failure_policy = failure_policy(env, defaults.failure_policy)?;
        let key_prefix = env.get("RATE_LIMIT_KEY_PREFIX").unwrap_or(defaults.key_prefix);
        let block_cache_size = parse_number(env, "RATE_LIMIT_BLOCK_CACHE_SIZE", 0..=MAX_BLOCK_CACHE_SIZE)?
            .map_or(defaults.block_cache_size, |n| n as usize);
        let config = RateLimitConfig {
            enabled,
            algorithm,
            client,
            tenant,
            timeout_ms,
            failure_policy,
            key_prefix,
            block_cache_size,
        };
        // Check now that both limiters can be built, naming the variable at fault.
        for (name, spec, limit_var, window_var) in [
            ("client", client, "RATE_LIMIT_CLIENT_LIMIT", "RATE_LIMIT_CLIENT_WINDOW_SECS"),
            ("tenant", tenant, "RATE_LIMIT_TENANT_LIMIT", "RATE_LIMIT_TENANT_WINDOW_SECS"),
        ] {
            if let Err(e) = config.check(name, spec) {
                let variable = match e.variable.as_str() {
                    "prefix" => "RATE_LIMIT_KEY_PREFIX",
                    "window_ms" => window_var,
                    _ => limit_var,
                };
                return Err(ConfigError::new(variable, e.message));
            }
        }
        Ok(config)
    }

    fn check(&self, name: &str, spec: LimitSpec) -> Result<(), ConfigError> {
        validate(name, self.algorithm, spec, Some(&self.key_prefix)).map(|_| ())
    }

    /// `base` with this configuration's timeout (`RATE_LIMIT_TIMEOUT_MS`):
    /// build the limiters' [`UpstashClient`] from it, so a check that Redis
    /// does not answer in time is aborted and answered by the failure policy.
    pub fn upstash_config(&self, base: &UpstashConfig) -> UpstashConfig {
        UpstashConfig { timeout_ms: self.timeout_ms, ..base.clone() }
    }

    /// The per-client limiter, named `client`.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](super::LimiterBuilder::build)
    /// (`from_env` already checked it).
    pub fn client_limiter(&self, client: Arc<UpstashClient>) -> Result<Limiter, ConfigError> {
        self.limiter(client, "client", self.client).build()
    }

    /// The per-tenant limiter, named `tenant`.
    ///
    /// # Errors
    /// As [`LimiterBuilder::build`](super::LimiterBuilder::build)
    /// (`from_env` already checked it).
    pub fn tenant_limiter(&self, client: Arc<UpstashClient>) -> Result<Limiter, ConfigError> {
        self.limiter(client, "tenant", self.tenant).build()
    }

    /// A builder of a limiter named `name` allowing `spec`, with this
    /// configuration's algorithm, prefix, failure policy and block cache
    /// (to add, say, a shared circuit breaker before building).
    pub fn limiter(&self, client: Arc<UpstashClient>, name: &str, spec: LimitSpec) -> LimiterBuilder {
        Limiter::builder(client, name, self.algorithm, spec)
            .prefix(&self.key_prefix)
            .failure_policy(self.failure_policy)
            .block_cache_capacity(self.block_cache_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<RateLimitConfig, ConfigError> {
        RateLimitConfig::from_env(&Vars::from_pairs(pairs))
    }

    fn spec(limit: u64, window_ms: u64) -> LimitSpec {
        LimitSpec::per_window(NonZeroU64::new(limit).unwrap(), Duration::from_millis(window_ms)).unwrap()
    }

    #[test]
    fn defaults_are_gcra_100_and_1000_per_minute_local_fallback() {
        let c = config(&[]).unwrap();
        assert_eq!(c, RateLimitConfig::default());
        assert!(c.enabled);
        assert_eq!(c.algorithm, Algorithm::Gcra);
        assert_eq!(c.client, spec(100, 60_000));
        assert_eq!(c.tenant, spec(1000, 60_000));
        assert_eq!(c.timeout_ms, 1000);
        assert_eq!(c.failure_policy, FailurePolicy::Local);
    }

    #[test]
    fn failure_policy_names_and_the_older_switch() {
        for (raw, policy) in [
            ("local", FailurePolicy::Local),
            ("FAIL-OPEN", FailurePolicy::FailOpen),
            ("fail-closed", FailurePolicy::FailClosed),
        ] {
            assert_eq!(config(&[("RATE_LIMIT_FAILURE_POLICY", raw)]).unwrap().failure_policy, policy);
        }
        assert_eq!(config(&[("RATE_LIMIT_FAIL_CLOSED", "true")]).unwrap().failure_policy, FailurePolicy::FailClosed);
        assert_eq!(config(&[("RATE_LIMIT_FAIL_CLOSED", "false")]).unwrap().failure_policy, FailurePolicy::Local);
        let both = config(&[("RATE_LIMIT_FAIL_CLOSED", "true"), ("RATE_LIMIT_FAILURE_POLICY", "local")]).unwrap_err();
        assert_eq!(both.variable, "RATE_LIMIT_FAIL_CLOSED");
        assert_eq!(
            config(&[("RATE_LIMIT_FAILURE_POLICY", "maybe")]).unwrap_err().variable,
            "RATE_LIMIT_FAILURE_POLICY"
        );
    }

    #[test]
    fn the_seeds_settings_edgecache_ignores_are_refused_naming_what_to_set() {
        for (name, instead) in [
            ("ENABLE_REDIS_RATE_LIMITING", "RATE_LIMIT_ENABLED"),
            ("RATE_LIMIT_PROVIDER", "UPSTASH_REDIS_REST_URL"),
            ("EVENT_HUB_PROVIDER", "CACHE_EVENTS_CHANNEL"),
        ] {
            let error = config(&[(name, "redis")]).unwrap_err();
            assert_eq!(error.variable, name);
            assert!(error.message.contains(instead), "{name}: {}", error.message);
            assert!(!error.message.contains("\"redis\""), "the value is not echoed");
        }
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("RATE_LIMIT_ENABLED", "false"),
            ("RATE_LIMIT_ALGORITHM", "Sliding-Log"),
            ("RATE_LIMIT_CLIENT_LIMIT", "5"),
            ("RATE_LIMIT_CLIENT_WINDOW_SECS", "2"),
            ("RATE_LIMIT_TENANT_LIMIT", "50"),
            ("RATE_LIMIT_TENANT_WINDOW_SECS", "3600"),
            ("RATE_LIMIT_TIMEOUT_MS", "250"),
            ("RATE_LIMIT_FAIL_CLOSED", "yes"),
            ("RATE_LIMIT_KEY_PREFIX", "staging"),
            ("RATE_LIMIT_BLOCK_CACHE_SIZE", "7"),
        ])
        .unwrap();
        assert!(!c.enabled);
        assert_eq!(c.algorithm, Algorithm::SlidingLog);
        assert_eq!(c.client, spec(5, 2_000));
        assert_eq!(c.tenant, spec(50, 3_600_000));
        assert_eq!(c.timeout_ms, 250);
        assert_eq!(c.failure_policy, FailurePolicy::FailClosed);
        assert_eq!(c.key_prefix, "staging");
        assert_eq!(c.block_cache_size, 7);
        let base = UpstashConfig::new("https://x.upstash.io", "t").unwrap();
        assert_eq!(c.upstash_config(&base).timeout_ms, 250);
        let client = Arc::new(UpstashClient::new(&c.upstash_config(&base)));
        let l = c.tenant_limiter(client).unwrap();
        assert_eq!((l.name(), l.quota(), l.window_ms()), ("tenant", 50, 3_600_000));
        assert_eq!(l.failure_policy(), FailurePolicy::FailClosed);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("RATE_LIMIT_ENABLED", "perhaps")], "RATE_LIMIT_ENABLED"),
            (&[("RATE_LIMIT_ALGORITHM", "leaky")], "RATE_LIMIT_ALGORITHM"),
            (&[("RATE_LIMIT_ALGORITHM", "upstash-sliding-window")], "RATE_LIMIT_ALGORITHM"),
            (&[("RATE_LIMIT_CLIENT_LIMIT", "0")], "RATE_LIMIT_CLIENT_LIMIT"),
            (&[("RATE_LIMIT_CLIENT_LIMIT", "ten")], "RATE_LIMIT_CLIENT_LIMIT"),
            (&[("RATE_LIMIT_CLIENT_WINDOW_SECS", "-1")], "RATE_LIMIT_CLIENT_WINDOW_SECS"),
            (&[("RATE_LIMIT_TENANT_LIMIT", "1.5")], "RATE_LIMIT_TENANT_LIMIT"),
            (&[("RATE_LIMIT_TENANT_WINDOW_SECS", "0")], "RATE_LIMIT_TENANT_WINDOW_SECS"),
            (&[("RATE_LIMIT_TENANT_WINDOW_SECS", "99999999")], "RATE_LIMIT_TENANT_WINDOW_SECS"),
            (&[("RATE_LIMIT_TIMEOUT_MS", "0")], "RATE_LIMIT_TIMEOUT_MS"),
            (&[("RATE_LIMIT_FAIL_CLOSED", "sometimes")], "RATE_LIMIT_FAIL_CLOSED"),
            (&[("RATE_LIMIT_KEY_PREFIX", "a:b")], "RATE_LIMIT_KEY_PREFIX"),
            (&[("RATE_LIMIT_BLOCK_CACHE_SIZE", "none")], "RATE_LIMIT_BLOCK_CACHE_SIZE"),
            (&[("RATE_LIMIT_BLOCK_CACHE_SIZE", "99999999999")], "RATE_LIMIT_BLOCK_CACHE_SIZE"),
            (
                &[("RATE_LIMIT_CLIENT_LIMIT", "999999999999"), ("RATE_LIMIT_CLIENT_WINDOW_SECS", "86400")],
                "RATE_LIMIT_CLIENT_LIMIT",
            ),
        ];
        for (pairs, variable) in cases {
            let err = config(pairs).expect_err(variable);
            assert_eq!(err.variable, *variable, "{err}");
            assert!(err.to_string().contains(variable), "{err}");
        }
    }
}
