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
    /// Every [`kind`](Self::kind), in declaration order.
    pub const KINDS: [&'static str; 5] = ["unauthorized", "command", "transport", "timeout", "protocol"];

    /// The kind of failure as a label: `unauthorized`, `command` (Redis
    /// answered an error), `transport`, `timeout` or `protocol`.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstashError::Unauthorized { .. } => "unauthorized",
            UpstashError::Command { .. } => "command",
            UpstashError::Transport { .. } => "transport",
            UpstashError::Timeout { .. } => "timeout",
            UpstashError::Protocol { .. } => "protocol",
        }
    }

    /// True for a Redis `NOSCRIPT` error (EVALSHA of a script the server does not hold).
    pub fn is_noscript(&self) -> bool {
        matches!(self, UpstashError::Command { message } if message.starts_with("NOSCRIPT"))
    }

    /// True when the failure says the backend is unavailable (transport, timeout,
    /// 5xx) rather than that the request itself was wrong.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, UpstashError::Transport { .. } | UpstashError::Timeout { .. })
    }

    /// True when the database answered but refused the token: HTTP 401/403,
    /// or a permission error from Redis's ACL (a read-only token asked to
    /// write: `NOPERM ...`, or inside a script "The user executing the script
    /// can't run this command"). Not an outage: the configuration is wrong,
    /// and waiting will not fix it.
    pub fn is_misconfiguration(&self) -> bool {
        match self {
            UpstashError::Unauthorized { .. } => true,
            UpstashError::Command { message } => {
                message.starts_with("NOPERM") || message.contains("user executing the script can't run this command")
            }
            _ => false,
        }
    }

    /// What went wrong, safe to show to a client: the kind of failure, the
    /// HTTP status and Redis's error text, never a transport message (which
    /// can quote the URL, and a URL can hold credentials).
    pub fn summary(&self) -> String {
        match self {
            UpstashError::Unauthorized { status, .. } => format!("upstash: unauthorized (HTTP {status})"),
            UpstashError::Command { message } => format!("upstash: redis error: {message}"),
            UpstashError::Transport { status: Some(status), .. } => format!("upstash: unavailable (HTTP {status})"),
            UpstashError::Transport { status: None, .. } => "upstash: unreachable".to_owned(),
            UpstashError::Timeout { timeout_ms } => format!("upstash: no answer within {timeout_ms} ms"),
            UpstashError::Protocol { status, .. } => format!("upstash: unexpected answer (HTTP {status})"),
        }
    }
}

impl crate::failure::BackendFailure for UpstashError {
    /// A refused token: misconfigured; any other failure (no answer, 5xx, a
    /// timeout, a refused command): an outage. The cache's
    /// [`CacheError`](crate::CacheError) classifies the same way.
    fn outcome(&self) -> crate::failure::Outcome {
        if self.is_misconfiguration() {
            crate::failure::Outcome::Misconfigured
        } else {
            crate::failure::Outcome::Outage
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_never_quote_transport_messages() {
        let transport = UpstashError::Transport {
            status: None,
            message: "error sending request for url (https://u:S3CRET@x/)".into(),
        };
        assert_eq!(transport.summary(), "upstash: unreachable");
        let noperm =
            UpstashError::Command { message: "NOPERM this user has no permissions to run the 'set' command".into() };
        assert!(noperm.is_misconfiguration() && noperm.summary().contains("NOPERM"));
        assert!(UpstashError::Unauthorized { status: 401, message: "Unauthorized".into() }.is_misconfiguration());
        assert!(!UpstashError::Timeout { timeout_ms: 5 }.is_misconfiguration());
    }
}
