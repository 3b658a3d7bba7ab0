//! Where the Upstash database is and how long to wait for it.

use crate::config::{parse_number, ConfigError, Env};

/// Default per-request timeout, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 1_000;
/// Longest per-request timeout a setting takes, in milliseconds (a Workers
/// request should not wait longer on its cache).
pub const MAX_TIMEOUT_MS: u64 = 30_000;

/// Connection settings for [`UpstashClient`](super::UpstashClient).
#[derive(Clone, PartialEq, Eq)]
pub struct UpstashConfig {
    /// REST base URL, e.g. `https://eu1-example.upstash.io` (http or https).
    pub url: String,
    /// The database's REST token (standard or read-only).
    pub token: String,
    /// Per-request timeout in milliseconds; the fetch is aborted after it.
    pub timeout_ms: u64,
}

impl std::fmt::Debug for UpstashConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstashConfig")
            .field("url", &self.url)
            .field("token", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

impl UpstashConfig {
    /// Settings for `url` and `token` with the default timeout.
    ///
    /// # Errors
    /// [`ConfigError`] when the URL is not `http(s)://host...` or the token is empty.
    pub fn new(url: &str, token: &str) -> Result<Self, ConfigError> {
        check_url("url", url)?;
        if token.trim().is_empty() {
            return Err(ConfigError::new("token", "must not be empty"));
        }
        Ok(UpstashConfig { url: url.to_owned(), token: token.to_owned(), timeout_ms: DEFAULT_TIMEOUT_MS })
    }

    /// Reads the database from the environment, or `None` when none is configured.
    ///
    /// Names, in order of preference: `UPSTASH_REDIS_REST_URL` /
    /// `UPSTASH_REDIS_REST_TOKEN` (what @upstash/redis reads), then `REDIS_URL` /
    /// `REDIS_PASSWORD` (the names many Redis setups already use) when `REDIS_URL` is
    /// an `http(s)://` URL. The timeout comes from `CACHE_TIMEOUT_MS`
    /// (default [`DEFAULT_TIMEOUT_MS`]).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable when a URL is set without a token,
    /// a URL is malformed, or `CACHE_TIMEOUT_MS` is not a positive integer.
    pub fn from_env(env: &Env<'_>) -> Result<Option<Self>, ConfigError> {
        let timeout_ms = parse_number(env, "CACHE_TIMEOUT_MS", 1..=MAX_TIMEOUT_MS)?.unwrap_or(DEFAULT_TIMEOUT_MS);
        let (url_var, token_var) = if env.get("UPSTASH_REDIS_REST_URL").is_some() {
            ("UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN")
        } else {
            match env.get("REDIS_URL") {
                Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                    ("REDIS_URL", "REDIS_PASSWORD")
                }
                Some(_) => {
                    return Err(ConfigError::new(
                        "REDIS_URL",
                        "edgecache speaks the Upstash REST protocol: give an http(s):// REST URL \
                         (redis:// needs a TCP connection, which Workers cannot hold)",
                    ))
                }
                None => return Ok(None),
            }
        };
        let url = env.get(url_var).unwrap_or_default();
        check_url(url_var, &url)?;
        let token = env
            .get(token_var)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| ConfigError::new(token_var, format!("must be set when {url_var} is set")))?;
        Ok(Some(UpstashConfig { url, token, timeout_ms }))
    }
}

fn check_url(variable: &str, url: &str) -> Result<(), ConfigError> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| ConfigError::new(variable, format!("must be an http:// or https:// URL, got {url:?}")))?;
    if rest.is_empty() || rest.starts_with('/') || rest.contains(char::is_whitespace) {
        return Err(ConfigError::new(variable, format!("has no host: {url:?}")));
    }
    Ok(())
}
