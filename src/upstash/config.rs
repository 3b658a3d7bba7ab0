//! Where the Upstash database is and how long to wait for it.

use crate::config::{parse_number, ConfigError, Vars};

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
    pub fn from_env(env: &Vars<'_>) -> Result<Option<Self>, ConfigError> {
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
                        "is not an http(s):// URL (the value is not shown). Workers cannot hold the TCP \
                         connection a redis:// or rediss:// URL needs: set UPSTASH_REDIS_REST_URL and \
                         UPSTASH_REDIS_REST_TOKEN to the database's REST endpoint instead. In local \
                         development, `npm run dev` starts upstash-local in front of a redis:// URL for you",
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

/// Checks a REST URL without ever repeating it: a URL can hold credentials
/// (`https://user:password@host`, `?_token=`), and errors reach logs and
/// answers. Credentials in the URL are refused outright: the token has its
/// own variable.
fn check_url(variable: &str, url: &str) -> Result<(), ConfigError> {
    let error = |why: &str| Err(ConfigError::new(variable, format!("{why} (the value is not shown)")));
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return error("must be an http:// or https:// URL");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return error("must not carry credentials (user:password@host): put the token in its own variable");
    }
    if rest.contains(['?', '#']) {
        return error("must not have a query string or fragment: put the token in its own variable");
    }
    if authority.is_empty() || rest.contains(char::is_whitespace) {
        return error("has no host");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_url_says_why_and_what_to_set_without_echoing_it() {
        for url in ["redis://:S3CRET@localhost:6379", "rediss://default:S3CRET@eu1-x.upstash.io:6379"] {
            let error = UpstashConfig::from_env(&Vars::from_pairs(&[("REDIS_URL", url)])).unwrap_err();
            assert_eq!(error.variable, "REDIS_URL");
            for says in ["TCP", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "npm run dev"] {
                assert!(error.message.contains(says), "{says}: {}", error.message);
            }
            assert!(!error.to_string().contains("S3CRET"), "{error}");
        }
    }

    #[test]
    fn url_errors_name_the_variable_and_never_the_value() {
        for (url, why) in [
            ("https://default:S3CRET@eu1-x.upstash.io", "credentials"),
            ("https://eu1-x.upstash.io/?_token=S3CRET", "query string"),
            ("ftp://S3CRET", "http:// or https://"),
            ("https://", "no host"),
        ] {
            let vars = [("UPSTASH_REDIS_REST_URL", url), ("UPSTASH_REDIS_REST_TOKEN", "t")];
            let error = UpstashConfig::from_env(&Vars::from_pairs(&vars)).unwrap_err();
            assert_eq!(error.variable, "UPSTASH_REDIS_REST_URL");
            assert!(error.message.contains(why), "{error}");
            assert!(!error.to_string().contains("S3CRET"), "{error}");
        }
        assert!(UpstashConfig::new("https://eu1-x.upstash.io/", "t").is_ok());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let config = UpstashConfig::new("https://eu1-x.upstash.io", "S3CRET").unwrap();
        assert!(!format!("{config:?}").contains("S3CRET"));
        let client = crate::upstash::UpstashClient::new(&config);
        assert!(!format!("{client:?}").contains("S3CRET"));
    }
}
