//! Responses: JSON bodies, and errors (the one place an [`ApiError`] becomes
//! a response, and its cause a log line).

use worker::Response;

use super::error::ApiError;

/// Headers of every answer the worker makes (JSON, errors, the event
/// stream; the dashboard's static files have their own, `www/_headers`):
/// no content sniffing, and a policy under which a browser that renders an
/// answer anyway runs nothing, loads nothing, and frames it nowhere.
pub const SECURITY_HEADERS: [(&str, &str); 2] =
    [("x-content-type-options", "nosniff"), ("content-security-policy", "default-src 'none'; frame-ancestors 'none'")];

impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::internal(error)
    }
}

/// `value` as JSON with `status`.
///
/// # Errors
/// 500 when it cannot be serialized.
pub fn json<T: serde::Serialize>(value: &T, status: u16) -> Result<Response, ApiError> {
    Ok(Response::from_json(value)?.with_status(status))
}

/// 204 No Content.
///
/// # Errors
/// 500 when the response cannot be built.
pub fn no_content() -> Result<Response, ApiError> {
    Ok(Response::empty()?.with_status(204))
}

/// Sets `headers` on `response`.
///
/// # Errors
/// 500 when a header value is not valid.
pub fn with_headers(mut response: Response, headers: &[(&'static str, String)]) -> Result<Response, ApiError> {
    for (name, value) in headers {
        response.headers_mut().set(name, value)?;
    }
    Ok(response)
}

/// The answer to a failed request: its JSON body and headers. A server
/// error's cause is logged here, under `request_id`, and never sent.
pub fn error(error: ApiError, request_id: &str) -> Response {
    if let Some(cause) = &error.cause {
        if error.status >= 500 {
            log::error!("edgecache: request {request_id} failed ({}): {cause}", error.status);
        }
    }
    let body = error.body(request_id);
    let response = Response::from_json(&body).map(|r| r.with_status(error.status));
    match response.and_then(|r| with_headers(r, &error.headers).map_err(|e| worker::Error::RustError(e.message))) {
        Ok(response) => response,
        Err(_) => Response::error("internal error", 500).expect("a plain response always builds"),
    }
}
