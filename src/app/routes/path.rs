//! Reading a request's path: the path of its URL, and the ids and
//! identifiers taken from its segments (validated, or 400).

use crate::app::error::ApiError;

/// Longest id taken from a path.
pub const MAX_ID_LEN: usize = 64;

/// The path of an absolute URL (`https://host/path?query#f` → `/path`),
/// read as text: the Workers runtime hands the worker well-formed URLs, so
/// it needs no URL parser (and its wasm carries none).
pub fn path_of_url(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |start| &after_scheme[start..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// Checks an id taken from the path: `[A-Za-z0-9_-]{1,64}`.
///
/// # Errors
/// 400 naming the parameter.
pub fn id(name: &str, raw: &str) -> Result<String, ApiError> {
    let valid = (1..=MAX_ID_LEN).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "{name} id must match [A-Za-z0-9_-]{{1,{MAX_ID_LEN}}}, got {:?}",
            raw.chars().take(80).collect::<String>()
        )))
    }
}

/// A percent-decoded path segment of printable text, at most 128 bytes.
pub(super) fn decoded(name: &str, raw: &str) -> Result<String, ApiError> {
    let text = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request(format!("{name} must be percent-encoded UTF-8")))?;
    if text.is_empty() || text.len() > 128 || text.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!("{name} must be 1 to 128 printable characters")));
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_from_absolute_urls() {
        assert_eq!(path_of_url("https://example.com/v1/tenants/a/policy?x=1#f"), "/v1/tenants/a/policy");
        assert_eq!(path_of_url("http://localhost:8787/health"), "/health");
        assert_eq!(path_of_url("https://example.com"), "/");
        assert_eq!(path_of_url("https://example.com?q"), "/");
        assert_eq!(
            path_of_url("http://h/admin/ratelimit/client/2001%3Adb8%3A%3A1"),
            "/admin/ratelimit/client/2001%3Adb8%3A%3A1"
        );
    }
}
