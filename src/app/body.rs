//! Request bodies: JSON objects of a known shape, within a size limit.

use super::error::ApiError;

/// Largest request body accepted, in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    // An object decodes straight into `T`, in one pass; anything else (serde
    // would take an array for a struct) is parsed only to name what it is.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        return serde_json::from_slice(body).map_err(invalid);
    }
    let other = serde_json::from_slice::<serde_json::Value>(body).map_err(invalid)?;
    Err(ApiError::bad_request(format!("invalid {what} body: expected a JSON object, got {}", json_kind(&other))))
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
