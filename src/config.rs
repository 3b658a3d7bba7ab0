//! Configuration from environment variables, checked once at start-up.
//!
//! Every variable edgecache reads is named here, and every bad value is an
//! error that names its variable.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;

use crate::upstash::UpstashConfig;
use crate::Ttl;

/// A read-only view of environment variables (process env natively, the
/// Worker's `env` vars and secrets on Workers). A variable that is set to an
/// empty or blank string counts as unset.
pub struct Env<'a> {
    lookup: Lookup<'a>,
}

/// How an [`Env`] answers a variable's value.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

impl<'a> Env<'a> {
    /// An environment answered by `lookup`.
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Env { lookup: Box::new(lookup) }
    }

    /// An environment holding exactly `pairs`; handy in tests.
    pub fn from_pairs(pairs: &'a [(&'a str, &'a str)]) -> Self {
        Env::new(move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    /// The process environment.
    pub fn process() -> Env<'static> {
        Env::new(|name| std::env::var(name).ok())
    }

    /// The trimmed value of `name`, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }
}

/// A configuration value that cannot be used, with the variable it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration {variable}: {message}")]
pub struct ConfigError {
    /// The environment variable (or field) at fault, e.g. `CACHE_MEMORY_SIZE`.
    pub variable: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { variable: variable.into(), message: message.into() }
    }
}

/// Parses `name` as a positive integer; `None` when unset.
///
/// # Errors
/// [`ConfigError`] naming `name` when set to anything but a positive integer.
pub fn parse_positive(env: &Env<'_>, name: &str) -> Result<Option<u64>, ConfigError> {
    env.get(name)
        .map(|raw| match raw.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(ConfigError::new(name, format!("must be a positive integer, got {raw:?}"))),
        })
        .transpose()
}

/// Parses `name` as a non-negative integer; `None` when unset.
///
/// # Errors
/// [`ConfigError`] naming `name` when set to anything but a non-negative integer.
pub fn parse_non_negative(env: &Env<'_>, name: &str) -> Result<Option<u64>, ConfigError> {
    env.get(name)
        .map(|raw| {
            raw.parse::<u64>()
                .map_err(|_| ConfigError::new(name, format!("must be a non-negative integer, got {raw:?}")))
        })
        .transpose()
}

/// Parses `name` as a boolean (`true/false`, `1/0`, `yes/no`, `on/off`); `None` when unset.
///
/// # Errors
/// [`ConfigError`] naming `name` for any other value.
pub fn parse_bool(env: &Env<'_>, name: &str) -> Result<Option<bool>, ConfigError> {
    env.get(name)
        .map(|raw| match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(ConfigError::new(name, format!("must be true or false, got {raw:?}"))),
        })
        .transpose()
}

/// Which cache backend to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Upstash Redis over REST, shared by every isolate.
    Upstash,
    /// The in-isolate memory backend (bounded, LRU, TTL-aware).
    Memory,
}

/// Default key prefix (`CACHE_KEY_PREFIX`).
pub const DEFAULT_KEY_PREFIX: &str = "edgecache";
/// Default in-memory capacity in entries (`CACHE_MEMORY_SIZE`).
pub const DEFAULT_MEMORY_SIZE: usize = 1_000;
/// Default TTL in seconds when no `CACHE_TTL_<NAME>_SECONDS` overrides it (seed 003).
pub const DEFAULT_TTL_SECS: u64 = 300;

/// Cache settings, as read from the environment by [`CacheConfig::from_env`].
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// `CACHE_ENABLED` (default true): false turns caching off entirely.
    pub enabled: bool,
    /// `CACHE_KEY_PREFIX` (default `edgecache`): scopes keys per environment.
    pub key_prefix: String,
    /// `CACHE_MEMORY_SIZE` (default 1000): capacity of the in-memory backend, in entries.
    pub memory_size: NonZeroUsize,
    /// `CACHE_PROVIDER` (`upstash` or `memory`); default `upstash` when a database
    /// is configured, else `memory`.
    pub provider: Provider,
    /// The Upstash database, when configured (see [`UpstashConfig::from_env`]).
    pub upstash: Option<UpstashConfig>,
    /// `CACHE_L1_MAX_STALENESS_MS` (default 1000): how long an in-isolate copy
    /// may be served before it is revalidated against Upstash; 0 turns L1 off.
    pub l1_max_staleness_ms: u64,
    /// `CACHE_TAG_TTL_SECONDS` (default 86400): TTL of tag and epoch versions.
    pub tag_ttl: Ttl,
    /// `CACHE_BREAKER_FAILURES` (default 5): consecutive failures that open the circuit breaker.
    pub breaker_failures: u32,
    /// `CACHE_BREAKER_COOLDOWN_MS` (default 5000): how long the breaker stays open.
    pub breaker_cooldown_ms: u64,
    /// `CACHE_EVENTS_CHANNEL` (unset: none): Redis channel invalidation events are published on.
    pub events_channel: Option<String>,
    /// `CACHE_NEGATIVE_TTL_SECONDS` (default 30; 0: off): how long "absent" is cached.
    pub negative_ttl: Option<Ttl>,
    /// `CACHE_GRACE_SECONDS` (default 0: off): how long past its TTL an entry
    /// may be served stale (while refreshing, or when the source fails).
    pub grace: Option<Ttl>,
    /// `CACHE_TTL_JITTER_PERCENT` (default 0, at most 50): random cut off each TTL.
    pub jitter_percent: u8,
    ttls: BTreeMap<String, Ttl>,
}

/// Default `CACHE_NEGATIVE_TTL_SECONDS`.
pub const DEFAULT_NEGATIVE_TTL_SECS: u64 = 30;

/// Default `CACHE_L1_MAX_STALENESS_MS`.
pub const DEFAULT_L1_MAX_STALENESS_MS: u64 = 1_000;

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            memory_size: NonZeroUsize::new(DEFAULT_MEMORY_SIZE).expect("non-zero"),
            provider: Provider::Memory,
            upstash: None,
            l1_max_staleness_ms: DEFAULT_L1_MAX_STALENESS_MS,
            tag_ttl: Ttl::secs(86_400),
            breaker_failures: crate::failure::DEFAULT_BREAKER_FAILURES,
            breaker_cooldown_ms: crate::failure::DEFAULT_BREAKER_COOLDOWN_MS,
            events_channel: None,
            negative_ttl: Some(Ttl::secs(DEFAULT_NEGATIVE_TTL_SECS)),
            grace: None,
            jitter_percent: 0,
            ttls: BTreeMap::new(),
        }
    }
}

impl CacheConfig {
    /// Reads and checks every cache variable.
    ///
    /// `ttl_names` are the TTL names the application uses (e.g. `["POLICY"]`);
    /// each is read from `CACHE_TTL_<NAME>_SECONDS` now, so a bad override fails
    /// at start-up rather than on the first request that needs it.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable whose value cannot be used.
    pub fn from_env(env: &Env<'_>, ttl_names: &[&str]) -> Result<Self, ConfigError> {
        let enabled = parse_bool(env, "CACHE_ENABLED")?.unwrap_or(true);
        let key_prefix = env.get("CACHE_KEY_PREFIX").unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
        if key_prefix.len() > 64 || !key_prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)) {
            return Err(ConfigError::new(
                "CACHE_KEY_PREFIX",
                format!("must be 1 to 64 characters of A-Z a-z 0-9 _ - . (no ':'), got {key_prefix:?}"),
            ));
        }
        let memory_size = parse_positive(env, "CACHE_MEMORY_SIZE")?
            .map(|n| NonZeroUsize::new(usize::try_from(n).unwrap_or(usize::MAX)).expect("positive"))
            .unwrap_or(NonZeroUsize::new(DEFAULT_MEMORY_SIZE).expect("non-zero"));
        let upstash = UpstashConfig::from_env(env)?;
        let provider = match env.get("CACHE_PROVIDER").map(|p| p.to_ascii_lowercase()).as_deref() {
            None if upstash.is_some() => Provider::Upstash,
            None | Some("memory") => Provider::Memory,
            Some("upstash") if upstash.is_some() => Provider::Upstash,
            Some("upstash") => {
                return Err(ConfigError::new(
                    "CACHE_PROVIDER",
                    "is upstash but UPSTASH_REDIS_REST_URL (or REDIS_URL) is not set",
                ))
            }
            Some(other) => {
                return Err(ConfigError::new(
                    "CACHE_PROVIDER",
                    format!("must be upstash or memory, got {other:?} (Workers cannot open TCP Redis connections)"),
                ))
            }
        };
        let mut ttls = BTreeMap::new();
        for name in ttl_names {
            let variable = format!("CACHE_TTL_{}_SECONDS", name.to_ascii_uppercase());
            if let Some(secs) = parse_positive(env, &variable)? {
                ttls.insert(name.to_ascii_uppercase(), Ttl::secs(secs));
            }
        }
        let l1_max_staleness_ms =
            parse_non_negative(env, "CACHE_L1_MAX_STALENESS_MS")?.unwrap_or(DEFAULT_L1_MAX_STALENESS_MS);
        let tag_ttl = parse_positive(env, "CACHE_TAG_TTL_SECONDS")?.map_or(Ttl::secs(86_400), Ttl::secs);
        let breaker_failures = parse_non_negative(env, "CACHE_BREAKER_FAILURES")?
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .unwrap_or(crate::failure::DEFAULT_BREAKER_FAILURES);
        let breaker_cooldown_ms =
            parse_positive(env, "CACHE_BREAKER_COOLDOWN_MS")?.unwrap_or(crate::failure::DEFAULT_BREAKER_COOLDOWN_MS);
        let events_channel = env.get("CACHE_EVENTS_CHANNEL");
        if let Some(channel) = &events_channel {
            if channel.len() > 256 || channel.chars().any(char::is_control) {
                return Err(ConfigError::new("CACHE_EVENTS_CHANNEL", "must be at most 256 printable characters"));
            }
        }
        let negative_ttl = match parse_non_negative(env, "CACHE_NEGATIVE_TTL_SECONDS")? {
            None => Some(Ttl::secs(DEFAULT_NEGATIVE_TTL_SECS)),
            Some(secs) => Ttl::try_from_secs(secs).ok(),
        };
        let grace = parse_non_negative(env, "CACHE_GRACE_SECONDS")?.and_then(|secs| Ttl::try_from_secs(secs).ok());
        let jitter_percent = match parse_non_negative(env, "CACHE_TTL_JITTER_PERCENT")? {
            None => 0,
            Some(p) if p <= 50 => p as u8,
            Some(p) => return Err(ConfigError::new("CACHE_TTL_JITTER_PERCENT", format!("must be 0 to 50, got {p}"))),
        };
        Ok(CacheConfig {
            enabled,
            key_prefix,
            memory_size,
            provider,
            upstash,
            l1_max_staleness_ms,
            tag_ttl,
            breaker_failures,
            breaker_cooldown_ms,
            events_channel,
            negative_ttl,
            grace,
            jitter_percent,
            ttls,
        })
    }

    /// Entry options for `name`: [`ttl`](Self::ttl), the negative TTL, grace and jitter.
    pub fn entry_options(&self, name: &str) -> crate::EntryOptions {
        let mut options = crate::EntryOptions::new(self.ttl(name)).jitter_percent(self.jitter_percent);
        if let Some(ttl) = self.negative_ttl {
            options = options.negative_ttl(ttl);
        }
        if let Some(grace) = self.grace {
            options = options.grace(grace);
        }
        options
    }

    /// The TTL for `name`: its `CACHE_TTL_<NAME>_SECONDS` override when
    /// [`from_env`](Self::from_env) read one, else [`DEFAULT_TTL_SECS`].
    pub fn ttl(&self, name: &str) -> Ttl {
        self.ttls.get(&name.to_ascii_uppercase()).copied().unwrap_or(Ttl::secs(DEFAULT_TTL_SECS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<CacheConfig, ConfigError> {
        CacheConfig::from_env(&Env::from_pairs(pairs), &["POLICY"])
    }

    #[test]
    fn defaults_are_memory_enabled_300s() {
        let c = config(&[]).unwrap();
        assert!(c.enabled);
        assert_eq!(c.provider, Provider::Memory);
        assert_eq!(c.key_prefix, "edgecache");
        assert_eq!(c.memory_size.get(), 1000);
        assert_eq!(c.ttl("POLICY"), Ttl::secs(300));
        assert!(c.upstash.is_none());
    }

    #[test]
    fn upstash_variables_and_redis_aliases() {
        let c =
            config(&[("UPSTASH_REDIS_REST_URL", "http://127.0.0.1:8079"), ("UPSTASH_REDIS_REST_TOKEN", "t")]).unwrap();
        assert_eq!(c.provider, Provider::Upstash);
        assert_eq!(c.upstash.unwrap().token, "t");
        let alias = config(&[("REDIS_URL", "https://x.upstash.io"), ("REDIS_PASSWORD", "p")]).unwrap();
        assert_eq!(alias.upstash.unwrap().url, "https://x.upstash.io");
        let forced =
            config(&[("REDIS_URL", "https://x.upstash.io"), ("REDIS_PASSWORD", "p"), ("CACHE_PROVIDER", "memory")])
                .unwrap();
        assert_eq!(forced.provider, Provider::Memory);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("CACHE_ENABLED", "maybe")], "CACHE_ENABLED"),
            (&[("CACHE_MEMORY_SIZE", "0")], "CACHE_MEMORY_SIZE"),
            (&[("CACHE_MEMORY_SIZE", "lots")], "CACHE_MEMORY_SIZE"),
            (&[("CACHE_KEY_PREFIX", "a:b")], "CACHE_KEY_PREFIX"),
            (&[("CACHE_TTL_POLICY_SECONDS", "-5")], "CACHE_TTL_POLICY_SECONDS"),
            (&[("CACHE_PROVIDER", "upstash")], "CACHE_PROVIDER"),
            (&[("CACHE_PROVIDER", "redis")], "CACHE_PROVIDER"),
            (&[("CACHE_TIMEOUT_MS", "0")], "CACHE_TIMEOUT_MS"),
            (&[("UPSTASH_REDIS_REST_URL", "ftp://x")], "UPSTASH_REDIS_REST_URL"),
            (&[("UPSTASH_REDIS_REST_URL", "https://x")], "UPSTASH_REDIS_REST_TOKEN"),
            (&[("REDIS_URL", "redis://localhost:6379")], "REDIS_URL"),
            (&[("CACHE_L1_MAX_STALENESS_MS", "soon")], "CACHE_L1_MAX_STALENESS_MS"),
            (&[("CACHE_TAG_TTL_SECONDS", "0")], "CACHE_TAG_TTL_SECONDS"),
            (&[("CACHE_BREAKER_FAILURES", "-1")], "CACHE_BREAKER_FAILURES"),
            (&[("CACHE_BREAKER_COOLDOWN_MS", "0")], "CACHE_BREAKER_COOLDOWN_MS"),
        ];
        for (pairs, variable) in cases {
            let err = config(pairs).expect_err(variable);
            assert_eq!(err.variable, *variable, "{err}");
            assert!(err.to_string().contains(variable));
        }
    }

    #[test]
    fn ttl_override_applies_and_blank_counts_as_unset() {
        let c = config(&[("CACHE_TTL_POLICY_SECONDS", "42"), ("CACHE_KEY_PREFIX", " ")]).unwrap();
        assert_eq!(c.ttl("policy"), Ttl::secs(42));
        assert_eq!(c.key_prefix, "edgecache");
    }
}
