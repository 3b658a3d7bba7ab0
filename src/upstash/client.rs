//! The Upstash REST client: single commands, `/pipeline`, `/multi-exec` and scripts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde_json::Value as Json;

use super::reply::{decode_outcome, Reply};
use super::transport::{Failure, Post, Transport, SYNC_TOKEN_HEADER};
use super::{Command, Script, UpstashConfig, UpstashError};

/// Header asking Upstash to base64 every string of the answer (binary-safe).
const ENCODING_HEADER: &str = "Upstash-Encoding";

/// A client of the Upstash Redis REST API.
///
/// Every request sends `Upstash-Encoding: base64` and decodes the answer
/// binary-safely, resends the latest `upstash-sync-token` it has seen so reads
/// follow its own writes across replicas, and is aborted after
/// [`UpstashConfig::timeout_ms`]. One method call is one HTTP request (one REST
/// round trip), except [`eval`](Self::eval) after `NOSCRIPT`, which takes two.
///
/// Protocol: Upstash's "REST API" documentation (redis/features/restapi).
pub struct UpstashClient {
    base_url: String,
    bearer: String,
    timeout_ms: u64,
    transport: Transport,
    sync_token: Mutex<Option<String>>,
    round_trips: AtomicU64,
    /// Requests that failed, by [`UpstashError::KINDS`].
    errors: [AtomicU64; 5],
}

impl std::fmt::Debug for UpstashClient {
    /// Never shows the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstashClient")
            .field("base_url", &self.base_url)
            .field("token", &"<redacted>")
            .field("timeout_ms", &self.timeout_ms)
            .field("round_trips", &self.round_trips())
            .finish_non_exhaustive()
    }
}

impl UpstashClient {
    /// A client for the database that `config` names.
    pub fn new(config: &UpstashConfig) -> Self {
        UpstashClient {
            base_url: config.url.trim_end_matches('/').to_owned(),
            bearer: format!("Bearer {}", config.token),
            timeout_ms: config.timeout_ms,
            transport: Transport::new(),
            sync_token: Mutex::new(None),
            round_trips: AtomicU64::new(0),
            errors: Default::default(),
        }
    }

    /// The REST URL, without a trailing `/`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `Bearer <token>`.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn bearer(&self) -> &str {
        &self.bearer
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The per-request timeout, in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.timeout_ms
    }

    /// How many HTTP requests this client has sent (REST round trips).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// Requests that got no usable answer (the request failed, not a
    /// command: `unauthorized`, `transport`, `timeout`, `protocol`), by kind,
    /// as [`UpstashError::kind`] names them.
    pub fn errors(&self) -> Vec<(&'static str, u64)> {
        UpstashError::KINDS.iter().zip(&self.errors).map(|(kind, n)| (*kind, n.load(Ordering::Relaxed))).collect()
    }

    /// The latest `upstash-sync-token` the server sent, which the next request
    /// sends back; `None` before the first answer.
    pub fn sync_token(&self) -> Option<String> {
        crate::sync::lock(&self.sync_token).clone()
    }

    /// Runs one command (`POST /` with the command as a JSON array).
    ///
    /// # Errors
    /// [`UpstashError::Command`] with Redis's text when the command fails;
    /// `Unauthorized`, `Transport`, `Timeout` or `Protocol` when the request does.
    pub async fn command(&self, command: &Command) -> Result<Reply, UpstashError> {
        let (status, body) = self.post("", command.args(), self.timeout_ms).await?;
        match status {
            200 | 400 => decode_outcome(&body, status)?,
            _ => Err(unexpected_status(status, &body)),
        }
    }

    /// Runs commands in order in one request (`POST /pipeline`), not atomically.
    ///
    /// Returns one outcome per command, in order; a command's failure is its
    /// own `Err(UpstashError::Command)` and does not stop the others.
    ///
    /// # Errors
    /// The outer error is for the request as a whole (auth, transport,
    /// timeout, a body not of the documented shape).
    pub async fn pipeline(&self, commands: &[Command]) -> Result<Vec<Result<Reply, UpstashError>>, UpstashError> {
        self.batch("/pipeline", commands, self.timeout_ms).await
    }

    /// [`pipeline`](Self::pipeline) with a timeout of `timeout_ms` for this
    /// request instead of the client's.
    ///
    /// # Errors
    /// As [`pipeline`](Self::pipeline).
    pub async fn pipeline_within(
        &self,
        commands: &[Command],
        timeout_ms: u64,
    ) -> Result<Vec<Result<Reply, UpstashError>>, UpstashError> {
        self.batch("/pipeline", commands, timeout_ms).await
    }

    /// Runs commands atomically in one request (`POST /multi-exec`, MULTI/EXEC).
    ///
    /// Returns one outcome per command; a run-time failure of one command is
    /// its own `Err` while the others still apply (Redis transaction semantics).
    ///
    /// # Errors
    /// [`UpstashError::Command`] (`EXECABORT ...`) when Redis discarded the
    /// whole transaction because a command was rejected while queuing: then
    /// nothing applied. Otherwise as [`pipeline`](Self::pipeline).
    pub async fn multi_exec(&self, commands: &[Command]) -> Result<Vec<Result<Reply, UpstashError>>, UpstashError> {
        self.batch("/multi-exec", commands, self.timeout_ms).await
    }

    /// Runs a Lua script: `EVALSHA`, then `EVAL` if Redis answers `NOSCRIPT`.
    ///
    /// # Errors
    /// As [`command`](Self::command); the script's own `redis.error_reply`
    /// arrives as [`UpstashError::Command`].
    pub async fn eval<K: ToString, A: ToString>(
        &self,
        script: &Script,
        keys: &[K],
        args: &[A],
    ) -> Result<Reply, UpstashError> {
        match self.command(&script.evalsha_command(keys, args)).await {
            Err(err) if err.is_noscript() => self.command(&script.eval_command(keys, args)).await,
            other => other,
        }
    }

    /// `PING`: succeeds when the database answers.
    ///
    /// # Errors
    /// As [`command`](Self::command).
    pub async fn ping(&self) -> Result<(), UpstashError> {
        self.command(&Command::new("PING")).await.map(|_| ())
    }

    async fn batch(
        &self,
        path: &str,
        commands: &[Command],
        timeout_ms: u64,
    ) -> Result<Vec<Result<Reply, UpstashError>>, UpstashError> {
        let bodies: Vec<&[String]> = commands.iter().map(Command::args).collect();
        let (status, body) = self.post(path, &bodies, timeout_ms).await?;
        match (status, &body) {
            (200, Json::Array(items)) if items.len() == commands.len() => {
                items.iter().map(|item| decode_outcome(item, status)).collect()
            }
            (200, _) => Err(UpstashError::Protocol {
                status,
                message: format!("expected an array of {} outcomes, got {body}", commands.len()),
            }),
            // A discarded transaction, an oversized request, a refused command.
            (400, _) => match decode_outcome(&body, status)? {
                Err(command_error) => Err(command_error),
                Ok(_) => Err(unexpected_status(status, &body)),
            },
            _ => Err(unexpected_status(status, &body)),
        }
    }

    /// POSTs `body` as JSON to `base_url + path`; answers the status and the JSON
    /// body, having already turned auth failures, 5xx and transport errors into
    /// errors.
    async fn post<B: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        timeout_ms: u64,
    ) -> Result<(u16, Json), UpstashError> {
        let answer = self.post_once(path, body, timeout_ms).await;
        if let Err(error) = &answer {
            let index = UpstashError::KINDS.iter().position(|k| *k == error.kind()).unwrap_or(0);
            self.errors[index].fetch_add(1, Ordering::Relaxed);
        }
        answer
    }

    async fn post_once<B: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
        timeout_ms: u64,
    ) -> Result<(u16, Json), UpstashError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| UpstashError::Protocol { status: 0, message: format!("cannot encode request: {e}") })?;
        let url = format!("{}{}", self.base_url, path);
        let sync_token = crate::sync::lock(&self.sync_token).clone();
        let mut headers = vec![
            ("Authorization", self.bearer.as_str()),
            ("Content-Type", "application/json"),
            (ENCODING_HEADER, "base64"),
        ];
        if let Some(token) = &sync_token {
            headers.push((SYNC_TOKEN_HEADER, token));
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        crate::trace::round_trip();
        let answer =
            self.transport.post(Post { url: &url, headers: &headers, body: payload, timeout_ms }).await.map_err(
                |failure| match failure {
                    Failure::Timeout => UpstashError::Timeout { timeout_ms },
                    Failure::Transport(message) => UpstashError::Transport { status: None, message },
                },
            )?;
        let status = answer.status;
        if let Some(token) = answer.sync_token {
            *crate::sync::lock(&self.sync_token) = Some(token);
        }
        let bytes = answer.body;
        let text = String::from_utf8_lossy(&bytes);
        let parsed: Option<Json> = serde_json::from_slice(&bytes).ok();
        if let Some(error) = failed_status(status, || server_text(parsed.as_ref(), text.trim().to_owned())) {
            return Err(error);
        }
        parsed.map(|json| (status, json)).ok_or_else(|| UpstashError::Protocol {
            status,
            message: format!("body is not JSON: {}", truncate(&text, 200)),
        })
    }
}

/// The error an answer's `status` alone makes of the request: a refused
/// token (401, 403) or a server failure (5xx), with `message()`; `None`
/// for any other status (its body says the rest).
fn failed_status(status: u16, message: impl FnOnce() -> String) -> Option<UpstashError> {
    match status {
        401 | 403 => Some(UpstashError::Unauthorized { status, message: message() }),
        500..=599 => Some(UpstashError::Transport { status: Some(status), message: message() }),
        _ => None,
    }
}

/// The server's text of a failed answer: its JSON `error`, else `otherwise`
/// (the body's text).
fn server_text(parsed: Option<&Json>, otherwise: String) -> String {
    parsed.and_then(|json| json.get("error")).and_then(Json::as_str).map_or(otherwise, str::to_owned)
}

/// The error for an answer of `status` (not 200) with `body`: a refused
/// token, a server failure, or a refusal with the server's text.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn status_error(status: u16, body: &[u8]) -> UpstashError {
    let text = String::from_utf8_lossy(body);
    let parsed = serde_json::from_slice::<Json>(body).ok();
    let message = || server_text(parsed.as_ref(), truncate(text.trim(), 200));
    failed_status(status, message).unwrap_or_else(|| UpstashError::Protocol { status, message: message() })
}

fn unexpected_status(status: u16, body: &Json) -> UpstashError {
    UpstashError::Protocol { status, message: format!("unexpected answer: {}", truncate(&body.to_string(), 200)) }
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
