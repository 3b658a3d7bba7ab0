//! One error type for every route, mapped to a JSON body in one place.

use crate::{ConfigError, StoreError};

/// A failed request: the HTTP status and the message of its JSON body
/// `{"error": message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Human-readable reason, sent as `error`.
    pub message: String,
    /// Methods the path allows, for the `Allow` header of a 405.
    pub allow: Option<&'static str>,
}

impl ApiError {
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, message)
    }

    /// 405 Method Not Allowed, listing the allowed methods.
    pub fn method_not_allowed(method: &str, allow: &'static str) -> Self {
        ApiError { allow: Some(allow), ..Self::new(405, format!("method {method} not allowed here; allowed: {allow}")) }
    }

    /// 413 Payload Too Large.
    pub fn too_large(limit_bytes: usize) -> Self {
        Self::new(413, format!("request body exceeds {limit_bytes} bytes"))
    }

    /// 415 Unsupported Media Type.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(415, format!("content-type must be application/json, got {content_type:?}"))
    }

    /// An error with any status.
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), allow: None }
    }

    /// The JSON body: `{"error": "..."}`.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "error": self.message })
    }
}

/// Parses a request body that must be one JSON object of `T`'s fields.
///
/// serde's derive also accepts a struct written as a JSON array (its fields
/// in order), so the body is first checked to be an object.
///
/// # Errors
/// 413 past `max_bytes`; 400 (`invalid {what} body: ...`) for a body that is
/// not a JSON object or does not fit `T`.
pub fn parse_json_object<T: serde::de::DeserializeOwned>(
    body: &[u8],
    max_bytes: usize,
    what: &str,
) -> Result<T, ApiError> {
    if body.len() > max_bytes {
        return Err(ApiError::too_large(max_bytes));
    }
    let invalid = |e: serde_json::Error| ApiError::bad_request(format!("invalid {what} body: {e}"));
    match serde_json::from_slice::<serde_json::Value>(body).map_err(invalid)? {
        object @ serde_json::Value::Object(_) => serde_json::from_value(object).map_err(invalid),
        other => Err(ApiError::bad_request(format!(
            "invalid {what} body: expected a JSON object, got {}",
            json_kind(&other)
        ))),
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Backing { .. } => ApiError::new(503, error.to_string()),
            StoreError::Cache(_) | StoreError::Codec { .. } => ApiError::new(500, error.to_string()),
        }
    }
}

impl From<ConfigError> for ApiError {
    fn from(error: ConfigError) -> Self {
        ApiError::new(500, error.to_string())
    }
}
