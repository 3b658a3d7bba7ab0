//! [`CacheConfig`]: every `CACHE_*` setting, read and checked at start-up.

use std::collections::BTreeMap;

use super::options::EntryOptions;
use crate::backend::MemoryBounds;
use crate::config::{parse_bool, parse_number, ConfigError, Vars, MAX_DURATION_MS, MAX_TTL_SECS};
use crate::failure::BreakerSettings;
use crate::keys::check_segment;
use crate::upstash::UpstashConfig;
use crate::Ttl;

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
/// Default TTL of the tag and epoch versions an invalidation sets
/// (`CACHE_TAG_TTL_SECONDS`): one day. Entries written later extend the
/// versions they carry to their own lifetime, so this only needs to cover
/// the time until the next write.
pub const DEFAULT_VERSION_TTL: Ttl = Ttl::secs(86_400);

/// Default TTL in seconds when no `CACHE_TTL_<NAME>_SECONDS` overrides it.
pub const DEFAULT_TTL_SECS: u64 = 300;
/// Default `CACHE_NEGATIVE_TTL_SECONDS`.
pub const DEFAULT_NEGATIVE_TTL_SECS: u64 = 30;
/// Default `CACHE_L1_MAX_STALENESS_MS`.
pub const DEFAULT_L1_MAX_STALENESS_MS: u64 = 1_000;
/// Largest `CACHE_MEMORY_SIZE`, in entries.
pub const MAX_MEMORY_ENTRIES: u64 = 1_000_000;
/// Largest `CACHE_MEMORY_MAX_BYTES`: half of a Workers isolate's 128 MB.
pub const MAX_MEMORY_BYTES: u64 = 64 << 20;
/// Smallest `CACHE_MEMORY_MAX_BYTES`: 64 KiB.
pub const MIN_MEMORY_BYTES: u64 = 64 << 10;

/// Cache settings, as read from the environment by [`CacheConfig::from_env`].
#[derive(Debug, Clone, PartialEq)]
pub struct CacheConfig {
    /// `CACHE_ENABLED` (default true): false turns caching off entirely.
    pub enabled: bool,
    /// `CACHE_KEY_PREFIX` (default `edgecache`): scopes keys per environment.
    pub key_prefix: String,
    /// Bounds of the in-isolate memory (the memory backend, or L1 in front of
    /// Upstash): `CACHE_MEMORY_SIZE` entries (default 1000, at most
    /// 1,000,000) and `CACHE_MEMORY_MAX_BYTES` bytes (default 16 MiB, 64 KiB
    /// to 64 MiB).
    pub memory: MemoryBounds,
    /// `CACHE_PROVIDER` (`upstash`, or `redis` meaning the same; `memory` or
    /// `in-memory`); default `upstash` when a database is configured, else `memory`.
    pub provider: Provider,
    /// The Upstash database, when configured (see [`UpstashConfig::from_env`]).
    pub upstash: Option<UpstashConfig>,
    /// `CACHE_L1_MAX_STALENESS_MS` (default 1000, at most 60,000): how long an
    /// in-isolate copy may be served before it is revalidated against
    /// Upstash; 0 turns L1 off.
    pub l1_max_staleness_ms: u64,
    /// `CACHE_TAG_TTL_SECONDS` (default one day): TTL of the tag and epoch
    /// versions an invalidation sets.
    pub version_ttl: Ttl,
    /// `CACHE_BREAKER_FAILURES` (default 5; 0: never opens) and
    /// `CACHE_BREAKER_COOLDOWN_MS` (default 5000).
    pub breaker: BreakerSettings,
    /// `CACHE_EVENTS_CHANNEL` (unset: none): Redis channel invalidation events are published on.
    pub events_channel: Option<String>,
    /// `CACHE_NEGATIVE_TTL_SECONDS` (default 30; 0: off): how long "absent" is cached.
    pub negative_ttl: Option<Ttl>,
    /// `CACHE_GRACE_SECONDS` (default 0: off): how long past its TTL an entry
    /// may be served stale (while refreshing, or when the source fails).
    pub grace: Option<Ttl>,
    /// `CACHE_TTL_JITTER_PERCENT` (default 0, at most 50): random cut off each TTL.
    pub jitter_percent: u8,
    /// `CACHE_LEASE_MS` (default 0: off, at most 60000): cross-isolate
    /// leases on misses (see [`EntryOptions::lease`]), held this long at most.
    pub lease: Option<Ttl>,
    ttls: BTreeMap<String, Ttl>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
            memory: MemoryBounds::default(),
            provider: Provider::Memory,
            upstash: None,
            l1_max_staleness_ms: DEFAULT_L1_MAX_STALENESS_MS,
            version_ttl: DEFAULT_VERSION_TTL,
            breaker: BreakerSettings::default(),
            events_channel: None,
            negative_ttl: Some(Ttl::secs(DEFAULT_NEGATIVE_TTL_SECS)),
            grace: None,
            jitter_percent: 0,
            lease: None,
            ttls: BTreeMap::new(),
        }
    }
}

impl CacheConfig {
    /// Reads and checks every cache variable.
    ///
    /// `ttl_names` are the TTL names the application uses (e.g. `["POLICY"]`);
    /// each is read from `CACHE_TTL_<NAME>_SECONDS` now, so a bad override fails
    /// at start-up rather than on the first request that needs it. When `env`
    /// can list its names ([`Vars::names`]), a `CACHE_TTL_<NAME>_SECONDS` for
    /// any other name is refused too (`CACHE_TTL_JITTER_PERCENT` is not a TTL).
    ///
    /// # Errors
    /// [`ConfigError`] naming the first variable whose value cannot be used.
    pub fn from_env(env: &Vars<'_>, ttl_names: &[&str]) -> Result<Self, ConfigError> {
        let defaults = CacheConfig::default();
        let key_prefix = env.get("CACHE_KEY_PREFIX").unwrap_or(defaults.key_prefix);
        check_segment("CACHE_KEY_PREFIX", &key_prefix)?;
        let upstash = UpstashConfig::from_env(env)?;
        let provider = provider(env, upstash.is_some())?;
        check_ttl_names(env, ttl_names)?;
        let mut ttls = BTreeMap::new();
        for name in ttl_names {
            let variable = format!("CACHE_TTL_{}_SECONDS", name.to_ascii_uppercase());
            if let Some(secs) = parse_number(env, &variable, 1..=MAX_TTL_SECS)? {
                ttls.insert(name.to_ascii_uppercase(), Ttl::secs(secs));
            }
        }
        let secs = |name: &str, min: u64| parse_number(env, name, min..=MAX_TTL_SECS);
        let number = |name: &str, min: u64, max: u64| parse_number(env, name, min..=max);
        let events_channel = env.get("CACHE_EVENTS_CHANNEL");
        if events_channel.as_ref().is_some_and(|c| c.len() > 256 || c.chars().any(char::is_control)) {
            return Err(ConfigError::new("CACHE_EVENTS_CHANNEL", "must be at most 256 printable characters"));
        }
        Ok(CacheConfig {
            enabled: parse_bool(env, "CACHE_ENABLED")?.unwrap_or(true),
            key_prefix,
            memory: MemoryBounds {
                max_entries: parse_number(env, "CACHE_MEMORY_SIZE", 1..=MAX_MEMORY_ENTRIES)?
                    .map_or(defaults.memory.max_entries, |n| n as usize),
                max_bytes: parse_number(env, "CACHE_MEMORY_MAX_BYTES", MIN_MEMORY_BYTES..=MAX_MEMORY_BYTES)?
                    .map_or(defaults.memory.max_bytes, |n| n as usize),
            },
            provider,
            upstash,
            l1_max_staleness_ms: number("CACHE_L1_MAX_STALENESS_MS", 0, 60_000)?
                .unwrap_or(defaults.l1_max_staleness_ms),
            version_ttl: secs("CACHE_TAG_TTL_SECONDS", 1)?.map_or(defaults.version_ttl, Ttl::secs),
            breaker: BreakerSettings {
                failures: number("CACHE_BREAKER_FAILURES", 0, 1_000)?.map_or(defaults.breaker.failures, |n| n as u32),
                cooldown_ms: number("CACHE_BREAKER_COOLDOWN_MS", 1, MAX_DURATION_MS)?
                    .unwrap_or(defaults.breaker.cooldown_ms),
            },
            events_channel,
            negative_ttl: match secs("CACHE_NEGATIVE_TTL_SECONDS", 0)? {
                None => defaults.negative_ttl,
                Some(secs) => Ttl::try_from_secs(secs).ok(),
            },
            grace: secs("CACHE_GRACE_SECONDS", 0)?.and_then(|secs| Ttl::try_from_secs(secs).ok()),
            jitter_percent: number("CACHE_TTL_JITTER_PERCENT", 0, 50)?.map_or(0, |p| p as u8),
            lease: number("CACHE_LEASE_MS", 0, 60_000)?.and_then(|ms| Ttl::try_from_millis(ms).ok()),
            ttls,
        })
    }

    /// Entry options for `name`: [`ttl`](Self::ttl), the negative TTL, grace,
    /// jitter and the lease.
    pub fn entry_options(&self, name: &str) -> EntryOptions {
        let mut options = EntryOptions::new(self.ttl(name)).jitter_percent(self.jitter_percent);
        if let Some(ttl) = self.negative_ttl {
            options = options.negative_ttl(ttl);
        }
        if let Some(grace) = self.grace {
            options = options.grace(grace);
        }
        if let Some(lease) = self.lease {
            options = options.lease(lease);
        }
        options
    }

    /// The TTL for `name`: its `CACHE_TTL_<NAME>_SECONDS` override when
    /// [`from_env`](Self::from_env) read one, else [`DEFAULT_TTL_SECS`].
    pub fn ttl(&self, name: &str) -> Ttl {
        self.ttls.get(&name.to_ascii_uppercase()).copied().unwrap_or(Ttl::secs(DEFAULT_TTL_SECS))
    }
}

/// `CACHE_PROVIDER`. `redis` (what Node apps set for ioredis or
/// @upstash/redis) means Upstash: Workers reach Redis only over REST.
/// `in-memory` is an alias of `memory`.
fn provider(env: &Vars<'_>, has_upstash: bool) -> Result<Provider, ConfigError> {
    match env.get("CACHE_PROVIDER").map(|p| p.to_ascii_lowercase()).as_deref() {
        None if has_upstash => Ok(Provider::Upstash),
        None | Some("memory" | "in-memory") => Ok(Provider::Memory),
        Some("upstash" | "redis") if has_upstash => Ok(Provider::Upstash),
        Some(named @ ("upstash" | "redis")) => Err(ConfigError::new(
            "CACHE_PROVIDER",
            format!(
                "is {named} but no database is configured: set UPSTASH_REDIS_REST_URL and \
                 UPSTASH_REDIS_REST_TOKEN (or REDIS_URL and REDIS_PASSWORD) to the database's REST \
                 endpoint and token. In local development, `npm run dev` starts upstash-local in \
                 front of a redis:// URL for you"
            ),
        )),
        Some(other) => Err(ConfigError::new(
            "CACHE_PROVIDER",
            format!(
                "must be upstash (or redis, the same: Workers reach Redis over its REST API only) or \
                 memory, got {other:?}"
            ),
        )),
    }
}

/// Refuses a `CACHE_TTL_<NAME>_SECONDS` whose name the application does not
/// read (a misspelling would otherwise leave the default TTL in place
/// silently). Skipped when `env` cannot list its names.
fn check_ttl_names(env: &Vars<'_>, ttl_names: &[&str]) -> Result<(), ConfigError> {
    let Some(names) = env.names() else { return Ok(()) };
    let variable = |name: &str| format!("CACHE_TTL_{}_SECONDS", name.to_ascii_uppercase());
    let known: Vec<String> = ttl_names.iter().map(|name| variable(name)).collect();
    let unknown = names.into_iter().find(|name| {
        name.strip_prefix("CACHE_TTL_").and_then(|rest| rest.strip_suffix("_SECONDS")).is_some_and(|n| !n.is_empty())
            && !known.contains(name)
    });
    match unknown {
        None => Ok(()),
        Some(name) if known.is_empty() => {
            Err(ConfigError::new(name, "is not read: this application reads no CACHE_TTL_<NAME>_SECONDS"))
        }
        Some(name) => {
            let message = format!("is not read: the TTL variables read are {}", known.join(", "));
            Err(ConfigError::new(name, message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<CacheConfig, ConfigError> {
        CacheConfig::from_env(&Vars::from_pairs(pairs), &["POLICY"])
    }

    #[test]
    fn defaults_are_memory_enabled_300s() {
        let c = config(&[]).unwrap();
        assert!(c.enabled);
        assert_eq!(c.provider, Provider::Memory);
        assert_eq!(c.key_prefix, "edgecache");
        assert_eq!(c.memory, MemoryBounds { max_entries: 1000, max_bytes: 16 << 20 });
        assert_eq!(c.ttl("POLICY"), Ttl::secs(300));
        assert_eq!(c.version_ttl, DEFAULT_VERSION_TTL);
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
            (&[("CACHE_MEMORY_SIZE", "18446744073709551615")], "CACHE_MEMORY_SIZE"),
            (&[("CACHE_MEMORY_MAX_BYTES", "1024")], "CACHE_MEMORY_MAX_BYTES"),
            (&[("CACHE_MEMORY_MAX_BYTES", "1000000000")], "CACHE_MEMORY_MAX_BYTES"),
            (&[("CACHE_KEY_PREFIX", "a:b")], "CACHE_KEY_PREFIX"),
            (&[("CACHE_TTL_POLICY_SECONDS", "-5")], "CACHE_TTL_POLICY_SECONDS"),
            (&[("CACHE_PROVIDER", "upstash")], "CACHE_PROVIDER"),
            (&[("CACHE_PROVIDER", "redis")], "CACHE_PROVIDER"),
            (&[("CACHE_PROVIDER", "valkey")], "CACHE_PROVIDER"),
            (&[("CACHE_TTL_FOO_SECONDS", "60")], "CACHE_TTL_FOO_SECONDS"),
            (&[("CACHE_TIMEOUT_MS", "0")], "CACHE_TIMEOUT_MS"),
            (&[("UPSTASH_REDIS_REST_URL", "ftp://x")], "UPSTASH_REDIS_REST_URL"),
            (&[("UPSTASH_REDIS_REST_URL", "https://x")], "UPSTASH_REDIS_REST_TOKEN"),
            (&[("REDIS_URL", "redis://localhost:6379")], "REDIS_URL"),
            (&[("CACHE_L1_MAX_STALENESS_MS", "soon")], "CACHE_L1_MAX_STALENESS_MS"),
            (&[("CACHE_TAG_TTL_SECONDS", "0")], "CACHE_TAG_TTL_SECONDS"),
            (&[("CACHE_BREAKER_FAILURES", "-1")], "CACHE_BREAKER_FAILURES"),
            (&[("CACHE_BREAKER_COOLDOWN_MS", "0")], "CACHE_BREAKER_COOLDOWN_MS"),
            (&[("CACHE_TTL_JITTER_PERCENT", "51")], "CACHE_TTL_JITTER_PERCENT"),
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

    #[test]
    fn cache_provider_redis_means_upstash_over_rest() {
        let rest = [("REDIS_URL", "https://x.upstash.io"), ("REDIS_PASSWORD", "p"), ("CACHE_PROVIDER", "redis")];
        assert_eq!(config(&rest).unwrap().provider, Provider::Upstash);
        let upstash = [("UPSTASH_REDIS_REST_URL", "http://127.0.0.1:8079"), ("UPSTASH_REDIS_REST_TOKEN", "t")];
        let upstash = [upstash[0], upstash[1], ("CACHE_PROVIDER", "REDIS")];
        assert_eq!(config(&upstash).unwrap().provider, Provider::Upstash);
        let memory = [rest[0], rest[1], ("CACHE_PROVIDER", "in-memory")];
        assert_eq!(config(&memory).unwrap().provider, Provider::Memory);
    }

    #[test]
    fn cache_provider_redis_without_a_rest_endpoint_says_what_to_set() {
        // The seeds' default: a TCP URL. The error names REDIS_URL and what to set instead.
        let tcp = config(&[("CACHE_PROVIDER", "redis"), ("REDIS_URL", "redis://:S3CRET@localhost:6379")]).unwrap_err();
        assert_eq!(tcp.variable, "REDIS_URL");
        // No database at all: the error names CACHE_PROVIDER and the same remedies.
        let none = config(&[("CACHE_PROVIDER", "redis")]).unwrap_err();
        assert_eq!(none.variable, "CACHE_PROVIDER");
        for err in [tcp, none] {
            for says in ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "npm run dev"] {
                assert!(err.message.contains(says), "{says}: {err}");
            }
            assert!(!err.to_string().contains("S3CRET"), "{err}");
        }
    }

    #[test]
    fn an_unread_ttl_variable_is_refused_naming_the_ones_read() {
        let vars = Vars::from_pairs(&[("CACHE_TTL_FOO_SECONDS", "60"), ("CACHE_TTL_POLICY_SECONDS", "10")]);
        let err = CacheConfig::from_env(&vars, &["POLICY", "config", "AUTH"]).unwrap_err();
        assert_eq!(err.variable, "CACHE_TTL_FOO_SECONDS");
        assert!(
            err.message.contains("CACHE_TTL_POLICY_SECONDS, CACHE_TTL_CONFIG_SECONDS, CACHE_TTL_AUTH_SECONDS"),
            "{err}"
        );
        let none = CacheConfig::from_env(&vars, &[]).unwrap_err();
        assert_eq!(none.variable, "CACHE_TTL_FOO_SECONDS");
        // Not TTL names: the jitter, a blank variable, other CACHE_ settings.
        let fine = [
            ("CACHE_TTL_JITTER_PERCENT", "10"),
            ("CACHE_TTL_BAR_SECONDS", " "),
            ("CACHE_TAG_TTL_SECONDS", "60"),
            ("CACHE_TTL_POLICY_SECONDS", "10"),
        ];
        let c = config(&fine).unwrap();
        assert_eq!((c.jitter_percent, c.ttl("POLICY")), (10, Ttl::secs(10)));
        // A view that cannot list its names skips the check.
        let unlisted = Vars::new(|name| (name == "CACHE_TTL_FOO_SECONDS").then(|| "60".to_owned()));
        assert!(CacheConfig::from_env(&unlisted, &["POLICY"]).is_ok());
    }
}
