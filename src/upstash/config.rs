//! Where the Upstash database is and how long to wait for it.

use std::net::{IpAddr, Ipv6Addr};

use crate::config::{parse_bool, parse_number, ConfigError, Vars};

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
    /// An `http://` URL is accepted for a loopback host only (127.0.0.0/8,
    /// `::1`, `localhost`): elsewhere the token would travel in clear. (To
    /// reach another host over plain HTTP anyway, build the struct itself.)
    ///
    /// # Errors
    /// [`ConfigError`] when the URL is not `https://host...` (or `http://` to
    /// a loopback host) or the token is empty.
    pub fn new(url: &str, token: &str) -> Result<Self, ConfigError> {
        check_url("url", url, false)?;
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
    /// (default [`DEFAULT_TIMEOUT_MS`]). An `http://` URL is accepted for a
    /// loopback host (127.0.0.0/8, `::1`, `localhost`: upstash-local in tests
    /// and `npm run dev`), or anywhere with `UPSTASH_ALLOW_INSECURE_HTTP=true`
    /// (the token then travels in clear).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable when a URL is set without a token,
    /// a URL is malformed or plain HTTP to another host, or
    /// `CACHE_TIMEOUT_MS` is not a positive integer.
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
        let allow_insecure = parse_bool(env, "UPSTASH_ALLOW_INSECURE_HTTP")?.unwrap_or(false);
        check_url(url_var, &url, allow_insecure)?;
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
/// own variable. Plain `http://` is refused for a host that is not
/// loopback unless `allow_insecure` (`UPSTASH_ALLOW_INSECURE_HTTP`).
fn check_url(variable: &str, url: &str, allow_insecure: bool) -> Result<(), ConfigError> {
    let error = |why: &str| Err(ConfigError::new(variable, format!("{why} (the value is not shown)")));
    let (rest, plain) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => (rest, false),
        (None, Some(rest)) => (rest, true),
        (None, None) => return error("must be an https:// URL (or http:// to a loopback host)"),
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
    if plain && !allow_insecure && !is_loopback(host_of(authority)) {
        return error(
            "is plain http:// to a host that is not loopback (127.0.0.0/8, ::1, localhost), so the token \
             would travel in clear: use https://, or set UPSTASH_ALLOW_INSECURE_HTTP=true to accept it",
        );
    }
    Ok(())
}

/// The host of a URL's authority (`host`, `host:port`, `[v6]:port`), without brackets.
fn host_of(authority: &str) -> &str {
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or_default();
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => authority,
    }
}

/// True for `localhost` and loopback addresses (127.0.0.0/8, `::1`, and
/// IPv4-mapped loopback).
fn is_loopback(host: &str) -> bool {
    if host.trim_end_matches('.').eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6 == Ipv6Addr::LOCALHOST || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
        Err(_) => false,
    }
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
            ("ftp://S3CRET", "https://"),
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
    fn plain_http_is_for_loopback_unless_allowed() {
        let read = |url: &str, allow: Option<&str>| {
            let mut vars = vec![("UPSTASH_REDIS_REST_URL", url), ("UPSTASH_REDIS_REST_TOKEN", "t")];
            if let Some(allow) = allow {
                vars.push(("UPSTASH_ALLOW_INSECURE_HTTP", allow));
            }
            let read = UpstashConfig::from_env(&Vars::from_pairs(&vars));
            read
        };
        for loopback in [
            "http://127.0.0.1:8079",
            "http://127.8.9.10",
            "http://localhost:8080/",
            "http://LOCALHOST.",
            "http://[::1]:8079",
            "http://[::ffff:127.0.0.1]:80",
        ] {
            assert!(read(loopback, None).is_ok(), "{loopback}");
            assert!(UpstashConfig::new(loopback, "t").is_ok(), "{loopback}");
        }
        for remote in [
            "http://eu1-S3CRET.upstash.io",
            "http://10.0.0.1:8080",
            "http://[2001:db8::1]:80",
            "http://localhost.evil.example",
            "http://128.0.0.1",
        ] {
            let error = read(remote, None).unwrap_err();
            assert_eq!(error.variable, "UPSTASH_REDIS_REST_URL", "{remote}");
            assert!(error.message.contains("UPSTASH_ALLOW_INSECURE_HTTP"), "{error}");
            assert!(!error.to_string().contains("S3CRET"), "{error}");
            assert!(read(remote, Some("true")).is_ok(), "{remote} with the opt-in");
            assert_eq!(read(remote, Some("false")).unwrap_err().variable, "UPSTASH_REDIS_REST_URL");
            assert_eq!(UpstashConfig::new(remote, "t").unwrap_err().variable, "url");
        }
        let aliased = [("REDIS_URL", "http://cache.internal:8080"), ("REDIS_PASSWORD", "t")];
        assert_eq!(UpstashConfig::from_env(&Vars::from_pairs(&aliased)).unwrap_err().variable, "REDIS_URL");
        let bad = read("https://eu1-x.upstash.io", Some("perhaps")).unwrap_err();
        assert_eq!(bad.variable, "UPSTASH_ALLOW_INSECURE_HTTP");
        assert!(read("https://eu1-x.upstash.io", None).is_ok());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let config = UpstashConfig::new("https://eu1-x.upstash.io", "S3CRET").unwrap();
        assert!(!format!("{config:?}").contains("S3CRET"));
        let client = crate::upstash::UpstashClient::new(&config);
        assert!(!format!("{client:?}").contains("S3CRET"));
    }
}
