//! [`ApiError`]: every failed request, and the one way it becomes an answer.
//!
//! A client sees a status, a machine-readable `code`, a stable message and,
//! for server errors, a request id; what actually failed (D1's or Upstash's own text) goes to the
//! log under that id and never into the answer.

use serde_json::{Map, Value};

use crate::backend::CacheError;
use crate::config::ConfigError;
use crate::ratelimit::RateLimitError;
use crate::StoreError;

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `code` field of the JSON body: snake_case, stable, for programs
    /// (the status's own by default, e.g. `not_found`; a more precise one
    /// where a client acts on it, e.g. `admin_token_not_configured`).
    pub code: &'static str,
    /// The `error` field of the JSON body: stable, safe to show.
    pub message: String,
    /// More fields of the body (a 429's `retryAfterMs` and `reason`).
    pub details: Map<String, Value>,
    /// Response headers (`Allow`, `WWW-Authenticate`, `Retry-After`, `RateLimit`).
    pub headers: Vec<(&'static str, String)>,
    /// What failed, for the log only; never sent.
    pub cause: Option<String>,
}

impl ApiError {
    /// An error with `status`, its default code, and `message`.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        let code = default_code(status);
        ApiError { status, code, message: message.into(), details: Map::new(), headers: Vec::new(), cause: None }
    }

    /// The same error under a more precise `code`.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 401: no credentials, or not in the `Authorization: Bearer` form
    /// (RFC 6750 §3.1: no error code when none was sent).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message).with_header("www-authenticate", "Bearer")
    }

    /// 401: a bearer token was sent, and it is not valid (wrong, forged,
    /// unknown or revoked): `WWW-Authenticate: Bearer error="invalid_token"`.
    pub fn invalid_token(message: impl Into<String>) -> Self {
        Self::new(401, message)
            .with_code("invalid_token")
            .with_header("www-authenticate", r#"Bearer error="invalid_token""#)
    }

    /// 403: a valid credential outside its scope (another tenant's data, an
    /// admin route): `WWW-Authenticate: Bearer error="insufficient_scope"`.
    pub fn insufficient_scope(message: impl Into<String>) -> Self {
        Self::new(403, message)
            .with_code("insufficient_scope")
            .with_header("www-authenticate", r#"Bearer error="insufficient_scope""#)
    }

    /// 403: credentials that do not grant this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    /// 409 Conflict: the request cannot be applied to the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// 405 Method Not Allowed, listing the allowed methods in `Allow`.
    pub fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        Self::new(405, format!("method {method} not allowed here; allowed: {allow}")).with_header("allow", allow)
    }

    /// 413 Payload Too Large.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(413, format!("request body exceeds {limit_bytes} bytes"))
    }

    /// 415 Unsupported Media Type.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        let shown: String = content_type.chars().take(80).collect();
        Self::new(415, format!("content-type must be application/json, got {shown:?}"))
    }

    /// 429: refused by a rate limit, with its headers (`Retry-After`,
    /// `RateLimit`, `RateLimit-Policy`).
    pub fn too_many_requests(retry_after_ms: u64, reason: &str, headers: Vec<(&'static str, String)>) -> Self {
        let mut error = Self::new(429, "rate limit exceeded").with_code("rate_limited");
        error.details.insert("retryAfterMs".into(), retry_after_ms.into());
        error.details.insert("reason".into(), reason.into());
        error.headers = headers;
        error
    }

    /// 503: something this route needs is missing or failing; `cause` goes
    /// to the log only.
    pub fn unavailable(message: impl Into<String>, cause: impl std::fmt::Display) -> Self {
        Self::new(503, message).with_cause(cause)
    }

    /// 500; `cause` goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(500, "internal error").with_cause(cause)
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Records what failed, for the log.
    pub fn with_cause(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    /// The JSON body: `{"error": message, "code": code, ...details}`, and
    /// `requestId` for server errors (the log line of their cause carries
    /// the same id).
    pub fn body(&self, request_id: &str) -> Value {
        let mut body = Map::new();
        body.insert("error".into(), self.message.clone().into());
        body.insert("code".into(), self.code.into());
        body.extend(self.details.clone());
        if self.status >= 500 {
            body.insert("requestId".into(), request_id.into());
        }
        Value::Object(body)
    }
}

/// The code of a status when nothing more precise is said.
fn default_code(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        429 => "rate_limited",
        503 => "unavailable",
        _ if status >= 500 => "internal",
        _ => "error",
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match &error {
            StoreError::Backing { .. } => ApiError::unavailable("the backing store is unavailable", &error),
            StoreError::Cache(_) => ApiError::unavailable("the cache is unavailable", &error),
            StoreError::Codec { .. } => ApiError::internal(&error),
        }
    }
}

impl From<CacheError> for ApiError {
    fn from(error: CacheError) -> Self {
        ApiError::unavailable(format!("the cache is unavailable: {}", error.summary()), &error)
    }
}

impl From<ConfigError> for ApiError {
    /// A setting that cannot be used: the answer names the variable and why
    /// (never its value), so the operator can fix it.
    fn from(error: ConfigError) -> Self {
        ApiError::new(500, error.to_string()).with_code("config_error").with_cause(&error)
    }
}

impl From<RateLimitError> for ApiError {
    fn from(error: RateLimitError) -> Self {
        match &error {
            RateLimitError::Backend(e) => {
                ApiError::unavailable(format!("the rate limiter is unavailable: {}", e.summary()), &error)
            }
            RateLimitError::CostExceedsLimit { .. } => {
                ApiError::bad_request(error.to_string()).with_code("cost_exceeds_limit")
            }
            RateLimitError::OverrideRefused { .. } => {
                ApiError::conflict(error.to_string()).with_code("override_refused")
            }
            _ => ApiError::internal(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_carry_a_request_id_and_never_their_cause() {
        let error = ApiError::from(StoreError::backing("D1_ERROR: no such table: secrets_table"));
        assert_eq!(error.status, 503);
        let body = error.body("req-1").to_string();
        assert!(body.contains("the backing store is unavailable") && body.contains("req-1"), "{body}");
        assert!(!body.contains("secrets_table"), "{body}");
        assert!(error.cause.unwrap().contains("secrets_table"), "the cause is kept for the log");
    }

    #[test]
    fn client_errors_carry_their_details_and_headers() {
        let error = ApiError::too_many_requests(1500, "none", vec![("retry-after", "2".into())]);
        assert_eq!(
            error.body("r").to_string(),
            r#"{"code":"rate_limited","error":"rate limit exceeded","reason":"none","retryAfterMs":1500}"#
        );
        assert_eq!(ApiError::not_found("x").body("r")["code"], "not_found");
        assert_eq!(
            ApiError::from(ConfigError::new("CACHE_TTL_SECONDS", "not a number")).body("r")["code"],
            "config_error"
        );
        assert_eq!(error.headers, vec![("retry-after", "2".to_string())]);
        assert_eq!(ApiError::unauthorized("no").headers, vec![("www-authenticate", "Bearer".to_string())]);
        let invalid = ApiError::invalid_token("no");
        assert_eq!((invalid.status, invalid.code), (401, "invalid_token"));
        assert_eq!(invalid.headers, vec![("www-authenticate", r#"Bearer error="invalid_token""#.to_string())]);
        let scope = ApiError::insufficient_scope("no");
        assert_eq!((scope.status, scope.code), (403, "insufficient_scope"));
        assert_eq!(scope.headers, vec![("www-authenticate", r#"Bearer error="insufficient_scope""#.to_string())]);
    }
}
