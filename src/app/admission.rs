//! Rate limiting of the `/v1/*` routes: per client (`CF-Connecting-IP`) and
//! per tenant, all-or-nothing, sharing the REST round trip of the cache read.

use std::sync::Arc;

use worker::Response;

use super::api_error::ApiError;
use crate::ratelimit::{headers, Limiter, MultiDecision, Prepared, RateLimitConfig};
use crate::upstash::{UpstashClient, UpstashConfig};
use crate::{Cache, ConfigError, EntryKey, Env as ConfigEnv, Prefetch, Prefetched};

/// Longest client identifier used as is; longer or unprintable headers count
/// as one client, `invalid`.
const MAX_CLIENT_ID_LEN: usize = 64;

/// The limiters of an isolate.
pub struct Limits {
    client: Limiter,
    tenant: Limiter,
}

impl Limits {
    /// The limits `RATE_LIMIT_*` describe, over the Upstash database; `None`
    /// when rate limiting is off, or on by default but no database is set
    /// (limits are shared state: an isolate's memory cannot hold them).
    /// Limiter keys start with `RATE_LIMIT_KEY_PREFIX`, or else with the
    /// cache's `key_prefix`, so environments sharing a database keep apart.
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable: a bad `RATE_LIMIT_*` value, or
    /// `RATE_LIMIT_ENABLED=true` without a database.
    pub fn from_env(
        vars: &ConfigEnv<'_>,
        upstash: Option<&UpstashConfig>,
        key_prefix: &str,
    ) -> Result<Option<Limits>, ConfigError> {
        let mut config = RateLimitConfig::from_env(vars)?;
        if vars.get("RATE_LIMIT_KEY_PREFIX").is_none() {
            config.key_prefix = key_prefix.to_owned();
        }
        match (config.enabled, upstash) {
            (false, _) => Ok(None),
            (true, Some(upstash)) => {
                let client = Arc::new(UpstashClient::new(&config.upstash_config(upstash)));
                Ok(Some(Limits { client: config.client_limiter(client.clone())?, tenant: config.tenant_limiter(client)? }))
            }
            (true, None) if vars.get("RATE_LIMIT_ENABLED").is_some() => Err(ConfigError::new(
                "RATE_LIMIT_ENABLED",
                "is true but no Upstash database is configured (UPSTASH_REDIS_REST_URL): limits are shared through Redis",
            )),
            (true, None) => {
                log::warn!("edgecache: rate limiting is off: no Upstash database is configured");
                Ok(None)
            }
        }
    }

    fn policy_header(&self) -> String {
        headers::policy_header([&self.client, &self.tenant])
    }
}

/// A request allowed through: the headers to send (`RateLimit`,
/// `RateLimit-Policy`), and the cache read made in the same round trip.
#[derive(Default)]
pub struct Admission {
    /// Response headers.
    pub headers: Vec<(&'static str, String)>,
    /// The cache read made along with the check, if any.
    pub prefetch: Option<Prefetch>,
}

/// The client identifier of a request: its `CF-Connecting-IP`.
pub fn client_id(connecting_ip: Option<String>) -> String {
    match connecting_ip {
        None => "unknown".into(),
        Some(ip) if ip.len() <= MAX_CLIENT_ID_LEN && ip.chars().all(|c| c.is_ascii_graphic()) => ip,
        Some(_) => "invalid".into(),
    }
}

/// Checks both limits for one request, all-or-nothing. When `read` is given
/// and the cache is on Upstash, the check rides in the same `/pipeline` as
/// the cache read (one round trip for both), and the read is handed back.
///
/// Answers `Err(response)` with a 429 (`Retry-After`, `RateLimit`,
/// `RateLimit-Policy`) when refused; nothing is loaded or written then.
pub async fn admit(
    limits: &Limits,
    cache: &Cache,
    client: &str,
    tenant: &str,
    read: Option<&EntryKey>,
) -> Result<Result<Admission, Response>, ApiError> {
    let checks = [(&limits.client, client, 1), (&limits.tenant, tenant, 1)];
    let check = match Limiter::prepare_all(&checks).map_err(|e| ApiError::new(500, e.to_string()))? {
        Prepared::Decided(refused) => return too_many(limits, &refused).map(Err),
        Prepared::Check(check) => check,
    };
    let prefetched = match read {
        // The pipeline answers within the limiter's own timeout too.
        Some(key) => cache.prefetch(key, &check.command(), Some(check.client().timeout_ms())).await,
        None => Prefetched::default(),
    };
    let decision = match prefetched.command {
        Some(outcome) => check.resolve(outcome).await,
        None => check.run().await,
    };
    let prefetch = prefetched.prefetch;
    if !decision.success {
        return too_many(limits, &decision).map(Err);
    }
    let mut headers = decision.headers();
    headers.push((headers::POLICY_HEADER, limits.policy_header()));
    Ok(Ok(Admission { headers, prefetch }))
}

fn too_many(limits: &Limits, decision: &MultiDecision) -> Result<Response, ApiError> {
    let body = serde_json::json!({
        "error": "rate limit exceeded",
        "retryAfterMs": decision.retry_after_ms(),
        "reason": decision.reason().as_str(),
    });
    let internal = |e: worker::Error| ApiError::new(500, e.to_string());
    let mut response = Response::from_json(&body).map_err(internal)?.with_status(429);
    let headers = response.headers_mut();
    for (name, value) in decision.headers() {
        headers.set(name, &value).map_err(internal)?;
    }
    headers.set(headers::POLICY_HEADER, &limits.policy_header()).map_err(internal)?;
    Ok(response)
}
