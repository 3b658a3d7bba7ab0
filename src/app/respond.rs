//! Responses: JSON bodies, errors (the one place an [`ApiError`] becomes a
//! response, and its cause a log line), and reading request bodies.

use futures_util::StreamExt;
use worker::{Request, Response};

use super::body::MAX_BODY_BYTES;
use super::error::ApiError;

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

/// Reads a JSON body of at most [`MAX_BODY_BYTES`]: 413 past it (by
/// `Content-Length` before reading, and while streaming, so a body without a
/// length is never buffered whole), 415 for a content type that is not JSON.
///
/// # Errors
/// 413, 415, or 400 when the body cannot be read.
pub async fn read_json_body(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let headers = req.headers();
    if let Some(content_type) = headers.get("content-type")? {
        if !content_type.to_ascii_lowercase().starts_with("application/json") {
            return Err(ApiError::unsupported_media_type(&content_type));
        }
    }
    let declared = headers.get("content-length")?.and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(ApiError::too_large(MAX_BODY_BYTES));
    }
    let mut body = Vec::new();
    let Ok(mut stream) = req.stream() else { return Ok(body) }; // no body
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("cannot read the request body").with_cause(e))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The request's path (see [`path_of_url`](super::routes::path_of_url)).
pub fn path(req: &Request) -> String {
    super::routes::path_of_url(&req.inner().url()).to_owned()
}

/// A header's value, or `None`.
///
/// # Errors
/// 500 when the header cannot be read.
pub fn header(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    Ok(req.headers().get(name)?)
}
