//! The incoming request, read straight from the runtime's `Request`.
//!
//! Not `worker::Request`: converting to it reads `request.cf`, which the
//! runtime builds as a fresh object on each access (measured in workerd:
//! about 90 µs of CPU per request, 6% of this worker's own), and no route
//! needs it.

use futures_util::StreamExt;
use worker::worker_sys::web_sys;
use worker::ByteStream;

use super::body::MAX_BODY_BYTES;
use super::error::ApiError;

/// A request as the fetch handler received it.
pub struct Incoming {
    raw: web_sys::Request,
}

impl Incoming {
    /// Wraps the runtime's request.
    pub fn new(raw: web_sys::Request) -> Self {
        Incoming { raw }
    }

    /// The method, upper case as sent (`GET`).
    pub fn method(&self) -> String {
        self.raw.method()
    }

    /// The path (see [`path_of_url`](super::routes::path::path_of_url)).
    pub fn path(&self) -> String {
        super::routes::path::path_of_url(&self.raw.url()).to_owned()
    }

    /// The URL as received (with its query string).
    pub fn url(&self) -> String {
        self.raw.url()
    }

    /// A header's value, or `None`.
    ///
    /// # Errors
    /// 500 when the header cannot be read.
    pub fn header(&self, name: &str) -> Result<Option<String>, ApiError> {
        self.raw.headers().get(name).map_err(|e| ApiError::internal(format!("reading header {name}: {e:?}")))
    }

    /// Reads a JSON body of at most [`MAX_BODY_BYTES`]: 413 past it (by
    /// `Content-Length` before reading, and while streaming, so a body
    /// without a length is never buffered whole), 415 for a content type that
    /// is not JSON. An absent body reads as empty. A body whose length is
    /// declared (and within the bound) is read in one `arrayBuffer()` call:
    /// the runtime frames it by that length, and one call costs a fraction
    /// of the CPU of a stream read chunk by chunk.
    ///
    /// # Errors
    /// 413, 415, or 400 when the body cannot be read.
    pub async fn json_body(&self) -> Result<Vec<u8>, ApiError> {
        if let Some(content_type) = self.header("content-type")? {
            if !content_type.to_ascii_lowercase().starts_with("application/json") {
                return Err(ApiError::unsupported_media_type(&content_type));
            }
        }
        let declared = self.header("content-length")?.and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
            return Err(ApiError::too_large(MAX_BODY_BYTES));
        }
        let mut body = Vec::new();
        if self.raw.body_used() {
            return Err(ApiError::bad_request("the request body was already read"));
        }
        if declared.is_some() {
            let unreadable = |e: wasm_bindgen::JsValue| {
                ApiError::bad_request("cannot read the request body").with_cause(format!("{e:?}"))
            };
            let promise = self.raw.array_buffer().map_err(unreadable)?;
            let buffer = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(unreadable)?;
            let body = js_sys::Uint8Array::new(&buffer).to_vec();
            return if body.len() > MAX_BODY_BYTES { Err(ApiError::too_large(MAX_BODY_BYTES)) } else { Ok(body) };
        }
        let Some(stream) = self.raw.body() else { return Ok(body) };
        let mut stream = ByteStream::from(stream);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ApiError::bad_request("cannot read the request body").with_cause(e))?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::too_large(MAX_BODY_BYTES));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
