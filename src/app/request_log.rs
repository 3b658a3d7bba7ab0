//! Structured request logs: one JSON line per request through the Workers
//! console (Workers Logs indexes JSON lines field by field; `wrangler tail`
//! shows them as they come).
//!
//! A line says what an operator needs to find a request and tell what it
//! cost, and nothing a log must not hold:
//!
//! ```json
//! {"msg":"request","level":"info","requestId":"4f1c…","method":"GET",
//!  "route":"/v1/tenants/{tenant}/policy","status":200,"cache":"hit",
//!  "limiter":{"name":"tenant","outcome":"allowed","reason":"none"},
//!  "upstashRoundTrips":1,"durationMs":3,"isolate":"9a0e…"}
//! ```
//!
//! - `requestId` is the `x-request-id` every answer carries, the one a 5xx
//!   sends in its body and logs its cause under;
//! - `route` is the route's template, never the raw path (which holds
//!   tenant, user and key ids); `null` for a path no route matched;
//! - `cache` is the answer's `x-cache` (`hit`, `miss`, `stale`, `bypass`),
//!   `null` for routes that read no cache entry;
//! - `limiter` is the request's rate-limit outcome (its first refusal,
//!   else its first decision: [`Trace::limit_outcome`](crate::trace::Trace::limit_outcome)),
//!   `null` when no limit was checked; the reason is
//!   [`Reason::as_str`](crate::ratelimit::Reason::as_str);
//! - `upstashRoundTrips` counts the REST requests this request sent itself
//!   (its [`Trace`](crate::trace::Trace)), not the isolate's concurrent ones
//!   nor work left to `ctx.waitUntil`;
//! - no header, query, body, token, key, identifier or address.
//!
//! `LOG_LEVEL` (`error`, `warn`, `info`, `debug`; default `info`) filters
//! these lines by their level (`error` for a 5xx, `warn` for a 4xx, `info`
//! otherwise) and every other line the worker logs.

use serde_json::{json, Value};

use super::routes::{AdminRoute, Route, TenantRoute};
use crate::config::{ConfigError, Vars};
use crate::trace::TracedDecision;

/// How much the worker logs (`LOG_LEVEL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// Failures of the worker only: 5xx request lines, errors.
    Error,
    /// And refusals and warnings: 4xx request lines, outages.
    Warn,
    /// And every request's line (the default).
    #[default]
    Info,
    /// And the library's debug records.
    Debug,
}

impl LogLevel {
    /// `LOG_LEVEL`: `error`, `warn`, `info` or `debug` (any case); `info`
    /// when unset.
    ///
    /// # Errors
    /// [`ConfigError`] naming `LOG_LEVEL` for any other value.
    pub fn from_env(env: &Vars<'_>) -> Result<LogLevel, ConfigError> {
        let Some(raw) = env.get("LOG_LEVEL") else { return Ok(LogLevel::default()) };
        match raw.trim().to_ascii_lowercase().as_str() {
            "error" => Ok(LogLevel::Error),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "info" => Ok(LogLevel::Info),
            "debug" => Ok(LogLevel::Debug),
            _ => {
                let shown: String = raw.chars().take(40).collect();
                Err(ConfigError::new("LOG_LEVEL", format!("must be error, warn, info or debug, got {shown:?}")))
            }
        }
    }

    /// `error`, `warn`, `info` or `debug`.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }

    /// The `log` facade's filter of this level.
    pub fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Error => log::LevelFilter::Error,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Debug => log::LevelFilter::Debug,
        }
    }
}

/// What one request's line says.
#[derive(Debug, Clone)]
pub struct RequestLine<'a> {
    /// The request's id (`x-request-id`).
    pub request_id: &'a str,
    /// The method as sent.
    pub method: &'a str,
    /// The route's template ([`template`]); `None` when no route matched.
    pub route: Option<&'static str>,
    /// The answer's status.
    pub status: u16,
    /// The answer's `x-cache`.
    pub cache: Option<&'a str>,
    /// The rate-limit outcome.
    pub limit: Option<TracedDecision>,
    /// REST requests this request sent to Upstash.
    pub upstash_round_trips: u64,
    /// From the request's arrival to its answer, in ms.
    pub duration_ms: u64,
    /// The isolate's id, once it has built its state.
    pub isolate: Option<&'a str>,
}

impl RequestLine<'_> {
    /// The line's level: `error` for a 5xx, `warn` for a 4xx, `info` otherwise.
    pub fn level(&self) -> LogLevel {
        match self.status {
            500.. => LogLevel::Error,
            400..=499 => LogLevel::Warn,
            _ => LogLevel::Info,
        }
    }

    /// The line, as one line of JSON.
    pub fn to_json(&self) -> String {
        let limiter = self.limit.as_ref().map(|d| {
            json!({ "name": d.limiter, "outcome": if d.allowed { "allowed" } else { "refused" }, "reason": d.reason })
        });
        let cache = self.cache.filter(|c| CACHE_STATUSES.contains(c));
        json!({
            "msg": "request",
            "level": self.level().as_str(),
            "requestId": self.request_id,
            "method": method_label(self.method),
            "route": self.route,
            "status": self.status,
            "cache": cache,
            "limiter": limiter.unwrap_or(Value::Null),
            "upstashRoundTrips": self.upstash_round_trips,
            "durationMs": self.duration_ms,
            "isolate": self.isolate,
        })
        .to_string()
    }
}

/// The `x-cache` values a line repeats (anything else is left out).
const CACHE_STATUSES: [&str; 4] = ["hit", "miss", "stale", "bypass"];

/// The method, when it is a plain token of at most 16 capitals (every
/// standard method); `OTHER` otherwise, so a line never repeats odd bytes.
fn method_label(method: &str) -> &str {
    let plain = !method.is_empty() && method.len() <= 16 && method.bytes().all(|b| b.is_ascii_uppercase());
    if plain {
        method
    } else {
        "OTHER"
    }
}

/// The template of `route`: its path with every id a placeholder.
pub fn template(route: &Route) -> &'static str {
    match route {
        Route::Health => "/health",
        Route::Tenant(route) => match route {
            TenantRoute::GetPolicy { .. } | TenantRoute::PutPolicy { .. } => "/v1/tenants/{tenant}/policy",
            TenantRoute::GetConfig { user: None, .. } | TenantRoute::PutConfig { user: None, .. } => {
                "/v1/tenants/{tenant}/conversation-config"
            }
            TenantRoute::GetConfig { user: Some(_), .. } | TenantRoute::PutConfig { user: Some(_), .. } => {
                "/v1/tenants/{tenant}/users/{user}/conversation-config"
            }
            TenantRoute::AdmitLlm { .. } => "/v1/tenants/{tenant}/llm/admit",
            TenantRoute::SettleLlm { .. } => "/v1/tenants/{tenant}/llm/settle",
            TenantRoute::ClaimWebhook { .. } => "/v1/tenants/{tenant}/webhooks/{delivery}",
        },
        Route::Admin(route) => match route {
            AdminRoute::Stats => "/admin/stats",
            AdminRoute::Metrics => "/admin/metrics",
            AdminRoute::Health => "/admin/health",
            AdminRoute::Invalidate => "/admin/cache/invalidate",
            AdminRoute::Clear => "/admin/cache/clear",
            AdminRoute::Warm => "/admin/cache/warm",
            AdminRoute::GetRateLimit { .. } | AdminRoute::ResetRateLimit { .. } => {
                "/admin/ratelimit/{limiter}/{identifier}"
            }
            AdminRoute::Override { .. } => "/admin/ratelimit/{limiter}/{identifier}/override",
            AdminRoute::Deny { .. } => "/admin/ratelimit/deny",
            AdminRoute::Events => "/admin/events",
            AdminRoute::CreateKey { .. } | AdminRoute::ListKeys { .. } => "/admin/tenants/{tenant}/keys",
            AdminRoute::RevokeKey { .. } => "/admin/tenants/{tenant}/keys/{id}",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::routes::resolve;

    #[test]
    fn a_route_is_logged_by_its_template_never_its_ids() {
        for (method, path, expected) in [
            ("GET", "/health", "/health"),
            ("GET", "/v1/tenants/acme-secret/policy", "/v1/tenants/{tenant}/policy"),
            ("PUT", "/v1/tenants/acme-secret/conversation-config", "/v1/tenants/{tenant}/conversation-config"),
            (
                "GET",
                "/v1/tenants/acme-secret/users/u-secret/conversation-config",
                "/v1/tenants/{tenant}/users/{user}/conversation-config",
            ),
            ("POST", "/v1/tenants/acme-secret/webhooks/d-secret", "/v1/tenants/{tenant}/webhooks/{delivery}"),
            ("GET", "/admin/stats", "/admin/stats"),
            ("GET", "/admin/metrics", "/admin/metrics"),
            ("DELETE", "/admin/ratelimit/client/203.0.113.9-secret", "/admin/ratelimit/{limiter}/{identifier}"),
            ("DELETE", "/admin/tenants/acme-secret/keys/k-secret", "/admin/tenants/{tenant}/keys/{id}"),
        ] {
            let route = resolve(method, path).unwrap();
            assert_eq!(template(&route), expected, "{method} {path}");
            assert!(!template(&route).contains("secret"));
        }
    }

    #[test]
    fn a_line_is_one_json_object_with_every_field_and_nothing_else() {
        let limit = TracedDecision { limiter: "tenant".into(), allowed: false, reason: "cache_block" };
        let line = RequestLine {
            request_id: "00ff00ff00ff00ff",
            method: "GET",
            route: Some("/v1/tenants/{tenant}/policy"),
            status: 429,
            cache: None,
            limit: Some(limit),
            upstash_round_trips: 0,
            duration_ms: 2,
            isolate: Some("abc"),
        };
        let text = line.to_json();
        assert!(!text.contains('\n'));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["level"], "warn");
        assert_eq!(value["limiter"], json!({"name": "tenant", "outcome": "refused", "reason": "cache_block"}));
        assert_eq!(value["cache"], Value::Null);
        let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "cache",
                "durationMs",
                "isolate",
                "level",
                "limiter",
                "method",
                "msg",
                "requestId",
                "route",
                "status",
                "upstashRoundTrips"
            ]
        );
        let odd = RequestLine { method: "G\"E\nT", status: 503, cache: Some("<script>"), limit: None, ..line };
        let value: Value = serde_json::from_str(&odd.to_json()).unwrap();
        assert_eq!((value["method"].as_str(), value["level"].as_str()), (Some("OTHER"), Some("error")));
        assert_eq!((value["cache"].clone(), value["limiter"].clone()), (Value::Null, Value::Null));
    }

    #[test]
    fn log_level_is_read_and_a_bad_value_names_the_variable() {
        assert_eq!(LogLevel::from_env(&Vars::from_pairs(&[])), Ok(LogLevel::Info));
        assert_eq!(LogLevel::from_env(&Vars::from_pairs(&[("LOG_LEVEL", "DEBUG")])), Ok(LogLevel::Debug));
        assert_eq!(LogLevel::from_env(&Vars::from_pairs(&[("LOG_LEVEL", "warn")])), Ok(LogLevel::Warn));
        let error = LogLevel::from_env(&Vars::from_pairs(&[("LOG_LEVEL", "loud")])).unwrap_err();
        assert_eq!(error.variable, "LOG_LEVEL");
        assert!(LogLevel::Warn < LogLevel::Info, "a level lets through the ones before it");
    }
}
