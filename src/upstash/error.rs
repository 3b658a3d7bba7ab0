//! Errors of the Upstash REST client.

use thiserror::Error;

/// Why an Upstash REST call failed.
///
/// Each variant carries what it came from: the HTTP status, the Redis error
/// text, or the transport's own message, so a log line says what happened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpstashError {
    /// The server refused the token (HTTP 401, or 403).
    #[error("upstash: unauthorized (HTTP {status}): {message}")]
    Unauthorized {
        /// The HTTP status (401 or 403).
        status: u16,
        /// The server's `error` text, usually `Unauthorized`.
        message: String,
    },
    /// Redis ran the command and answered with an error, e.g.
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    /// or `NOPERM this user has no permissions to run the 'set' command`.
    #[error("upstash: redis error: {message}")]
    Command {
        /// Redis's error text, verbatim.
        message: String,
    },
    /// The request did not get an answer from Redis: the connection failed,
    /// or the server answered with a 5xx status (`status` is then set).
    #[error("upstash: transport error{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Transport {
        /// The HTTP status when the server answered 5xx; `None` when no answer came.
        status: Option<u16>,
        /// What failed.
        message: String,
    },
    /// No answer within the per-request timeout; the fetch was aborted.
    #[error("upstash: no answer within {timeout_ms} ms")]
    Timeout {
        /// The timeout that elapsed, in milliseconds.
        timeout_ms: u64,
    },
    /// The server answered, but not in the documented shape (unexpected
    /// status, body that is not `{"result"}` / `{"error"}` JSON, bad base64).
    #[error("upstash: protocol error (HTTP {status}): {message}")]
    Protocol {
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong with it.
        message: String,
    },
}

impl UpstashError {
    /// True for a Redis `NOSCRIPT` error (EVALSHA of a script the server does not hold).
    pub fn is_noscript(&self) -> bool {
        matches!(self, UpstashError::Command { message } if message.starts_with("NOSCRIPT"))
    }

    /// True when the failure says the backend is unavailable (transport, timeout,
    /// 5xx) rather than that the request itself was wrong.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, UpstashError::Transport { .. } | UpstashError::Timeout { .. })
    }
}
