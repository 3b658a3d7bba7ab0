//! Every way a request can fail, and the answer each gets: a status and
//! Upstash's JSON error shape, `{"error": "<text>"}`.

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use redis::RedisError;
use serde_json::json;

use crate::redis_exec::Failure;
use crate::streams;

/// Why a request got no result. Handlers return it with `?`; it answers
/// as [`IntoResponse`] says.
#[derive(Debug)]
pub(crate) enum Error {
    /// 405: a method the path does not take (upstash-local takes `GET`,
    /// `HEAD`, `POST` and `PUT`; streams take `GET` and `POST`).
    MethodNotAllowed,
    /// 401: no token, or not one of upstash-local's.
    Unauthorized,
    /// 401: a token in the query string (`?_token=`) for this command (its
    /// name), which is not read-only.
    NotReadOnly(String),
    /// 408: the body did not arrive within this time.
    BodyTimeout(Duration),
    /// 400 with this text: a malformed request, a command the REST API
    /// refuses, or Redis's own error (`ERR ...`, `NOPERM ...`,
    /// `EXECABORT ...`).
    BadRequest(String),
    /// Redis gave no usable answer: 400 for a reply over the reply cap, as
    /// Upstash answers one; 500 otherwise, like an Upstash outage.
    Redis(Failure),
}

impl Error {
    /// A 400 with `text`.
    pub(crate) fn bad_request(text: impl Into<String>) -> Error {
        Error::BadRequest(text.into())
    }

    /// An event stream's connection could not be made: Redis refused it
    /// (400 with its text, `NOPERM ...`) or could not be reached (500).
    pub(crate) fn stream(err: RedisError) -> Error {
        match streams::is_refusal(&err) {
            true => Error::BadRequest(server_error_text(&err)),
            false => Error::Redis(Failure::Unavailable(err.to_string())),
        }
    }

    fn status_and_text(self) -> (StatusCode, String) {
        match self {
            Error::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed".to_string()),
            Error::Unauthorized => (StatusCode::UNAUTHORIZED, "Unauthorized".to_string()),
            Error::NotReadOnly(what) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    "ERR '{what}' is not read-only: a token in the query string (_token) may only run read-only \
                     commands; send it in the Authorization header"
                ),
            ),
            Error::BodyTimeout(within) => {
                (StatusCode::REQUEST_TIMEOUT, format!("ERR request body not received within {} ms", within.as_millis()))
            }
            Error::BadRequest(text) => (StatusCode::BAD_REQUEST, text),
            // Upstash's text for an answer over its limit (its docs: loading
            // a whole large list in one request "can throw the
            // max-request-size-limit exception"), with what happened.
            Error::Redis(Failure::TooLarge(limit)) => (
                StatusCode::BAD_REQUEST,
                format!(
                    "ERR max request size exceeded: the reply to this request is over {limit} bytes (each string \
                     counted as its JSON text, each value 32 bytes more); its commands ran, their replies were \
                     dropped; ask for less at once"
                ),
            ),
            Error::Redis(Failure::Strange(why)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "ERR Redis left the connection in an unexpected state ({why}): it was closed; the commands may \
                     have run"
                ),
            ),
            Error::Redis(Failure::Unavailable(err)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, format!("ERR Redis unavailable: {err}"))
            }
            Error::Redis(Failure::TimedOut(within)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "ERR no reply from Redis within {} ms: the request was abandoned (it may have run or may still \
                     run) and its connection closed; a script or function it ran is killed",
                    within.as_millis()
                ),
            ),
        }
    }
}

impl From<Failure> for Error {
    fn from(failure: Failure) -> Error {
        Error::Redis(failure)
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, text) = self.status_and_text();
        (status, Json(json!({ "error": text }))).into_response()
    }
}

/// The text of an error Redis sent, as Redis wrote it (`NOPERM ...`).
fn server_error_text(err: &RedisError) -> String {
    match (err.code(), err.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn answer(error: Error) -> (StatusCode, serde_json::Value) {
        let response = error.into_response();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn errors_answer_upstashs_json_shape() {
        assert_eq!(
            answer(Error::MethodNotAllowed).await,
            (StatusCode::METHOD_NOT_ALLOWED, json!({"error": "Method Not Allowed"}))
        );
        assert_eq!(answer(Error::Unauthorized).await, (StatusCode::UNAUTHORIZED, json!({"error": "Unauthorized"})));
        assert_eq!(answer(Error::bad_request("ERR x")).await, (StatusCode::BAD_REQUEST, json!({"error": "ERR x"})));
        let (status, body) = answer(Error::BodyTimeout(Duration::from_millis(250))).await;
        assert_eq!(
            (status, body),
            (StatusCode::REQUEST_TIMEOUT, json!({"error": "ERR request body not received within 250 ms"}))
        );
        let (status, body) = answer(Failure::TooLarge(10).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body["error"].as_str().unwrap().starts_with("ERR max request size exceeded: "), "{body}");
        let (status, body) = answer(Failure::Unavailable("gone".into()).into()).await;
        assert_eq!(
            (status, body),
            (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "ERR Redis unavailable: gone"}))
        );
        let (status, body) = answer(Error::NotReadOnly("set".into())).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body["error"].as_str().unwrap().starts_with("ERR 'set' is not read-only: "), "{body}");
    }
}
