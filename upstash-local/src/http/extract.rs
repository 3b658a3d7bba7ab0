//! What every request goes through before its handler runs, once, as
//! axum extractors: its method, its token (and what a token in the query
//! string may do), its body within the size and time limits, a place among
//! the requests in flight, and its commands or event stream, parsed.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::http::{HeaderMap, Method, Uri};
use http_body_util::BodyExt;
use tokio::sync::OwnedSemaphorePermit;

use super::{AppState, Error, MONITOR_PATH};
use crate::commands::{is_read_only, name};
use crate::encode::Encoding;
use crate::limits::ReplyBudget;
use crate::protocol::{parse_json_batch, parse_json_command, parse_path_command, query_params, Command};
use crate::redis_exec::Access;
use crate::streams::Subscription;
use crate::MAX_REQUEST_SIZE;

/// How much of an oversized body is read and dropped before answering, so
/// the client gets the 400 rather than a reset connection.
const MAX_DRAIN: usize = 8 * MAX_REQUEST_SIZE;

/// Who sent a request, by its token.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Auth {
    /// Which token it presented.
    pub(crate) access: Access,
    /// The token came in the query string (`?_token=`), where any web page
    /// can put it (an `<img>` or a form needs no script): it may then only
    /// read. A token in the `Authorization` header cannot be set by another
    /// site without the browser asking first (a CORS preflight, which
    /// upstash-local never grants).
    pub(crate) in_query: bool,
}

/// A request past the checks every path makes, in this order: a method
/// upstash-local serves (`GET`/`HEAD`, `POST`/`PUT`; else 405), a valid
/// token (else 401), its body read within [`crate::Limits::body_read_timeout`]
/// (else 408) and [`MAX_REQUEST_SIZE`] (else 400), then a place among the
/// requests in flight.
pub(crate) struct Received {
    /// Who sent it.
    pub(crate) auth: Auth,
    method: Method,
    uri: Uri,
    body: Vec<u8>,
    /// Whether the body is part of the request (`POST`, `PUT`): a path-style
    /// command takes it as an argument then.
    has_body: bool,
    budget: ReplyBudget,
    place: OwnedSemaphorePermit,
}

impl FromRequest<Arc<AppState>> for Received {
    type Rejection = Error;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Error> {
        let (parts, body) = request.into_parts();
        let has_body = match parts.method {
            Method::GET | Method::HEAD => false,
            Method::POST | Method::PUT => true,
            _ => return Err(Error::MethodNotAllowed),
        };
        let auth = authorize(state, &parts.headers, parts.uri.query()).ok_or(Error::Unauthorized)?;
        let (body, body_share) = receive_body(state, body, has_body, content_length(&parts.headers)).await?;
        let place = state.admission.request().await;
        let encoding = Encoding::from_headers(&parts.headers);
        // Holds the body's share until the commands are sent, then the reply's.
        let budget = ReplyBudget::new(&state.limits, &state.admission, encoding, body_share);
        Ok(Received { auth, method: parts.method, uri: parts.uri, body, has_body, budget, place })
    }
}

impl Received {
    /// The commands `parsed` from this request (a 400 with the parser's text
    /// if they could not be), if its token may run them all: a token in the
    /// query string may only run read-only commands (else 401).
    fn into_commands(self, parsed: Result<Vec<Command>, String>) -> Result<Commands, Error> {
        let list = parsed.map_err(Error::BadRequest)?;
        if self.auth.in_query {
            if let Some(write) = list.iter().find(|command| !is_read_only(command)) {
                return Err(Error::NotReadOnly(name(write)));
            }
        }
        Ok(Commands { auth: self.auth, list, budget: self.budget, place: self.place })
    }

    /// The event stream `streamed` (a 400 with its text if the path named
    /// none, e.g. no channel), for `GET` and `POST` only (else 405). A
    /// stream gives back its body's share and its place in flight at once.
    fn into_stream(self, streamed: Result<Streamed, String>) -> Result<Stream, Error> {
        let streamed = streamed.map_err(Error::BadRequest)?;
        match self.method {
            Method::GET | Method::POST => Ok(Stream { auth: self.auth, streamed }),
            _ => Err(Error::MethodNotAllowed),
        }
    }
}

/// A request's commands, parsed and allowed to its token, with what running
/// them takes. Built by the [`JsonCommand`], [`JsonBatch`] and [`PathStyle`]
/// extractors.
pub(crate) struct Commands {
    /// Who sent them.
    pub(crate) auth: Auth,
    /// The commands, in order: at most [`crate::MAX_COMMANDS_PER_REQUEST`]
    /// of them, with [`crate::MAX_ARGUMENTS_PER_REQUEST`] arguments in all.
    pub(crate) list: Vec<Command>,
    /// How much reply they may get; holds the body's share of the byte
    /// budget until they are sent to Redis.
    pub(crate) budget: ReplyBudget,
    /// The request's place among those in flight, held until its answer is
    /// built.
    pub(crate) place: OwnedSemaphorePermit,
}

/// `POST /`: one command, the body's JSON array (`["SET","k","v"]`).
pub(crate) struct JsonCommand(pub(crate) Commands);

impl FromRequest<Arc<AppState>> for JsonCommand {
    type Rejection = Error;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Error> {
        let mut received = Received::from_request(request, state).await?;
        let parsed = parse_json_command(&std::mem::take(&mut received.body)).map(|command| vec![command]);
        received.into_commands(parsed).map(JsonCommand)
    }
}

/// `POST /pipeline` and `POST /multi-exec`: the body's JSON array of
/// commands (`[["SET","k","v"],["GET","k"]]`).
pub(crate) struct JsonBatch(pub(crate) Commands);

impl FromRequest<Arc<AppState>> for JsonBatch {
    type Rejection = Error;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Error> {
        let mut received = Received::from_request(request, state).await?;
        let parsed = parse_json_batch(&std::mem::take(&mut received.body));
        received.into_commands(parsed).map(JsonBatch)
    }
}

/// What a path no route names asks for: a path-style command (`GET
/// /get/key`, `POST /set/key` with the value as body, see
/// [`parse_path_command`]), or an event stream spelt in another case
/// (`/MONITOR`, `/Subscribe/news`) or without a channel (`/subscribe/`, a
/// 400), as a path-style `SUBSCRIBE` would be.
pub(crate) enum PathStyle {
    /// One command.
    Command(Commands),
    /// An event stream.
    Stream(Stream),
}

impl FromRequest<Arc<AppState>> for PathStyle {
    type Rejection = Error;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Error> {
        let mut received = Received::from_request(request, state).await?;
        if let Some(streamed) = Streamed::from_path(received.uri.path()) {
            return received.into_stream(streamed).map(PathStyle::Stream);
        }
        let body = std::mem::take(&mut received.body);
        let parsed = parse_path_command(received.uri.path(), received.uri.query(), received.has_body.then_some(body))
            .map(|command| vec![command]);
        received.into_commands(parsed).map(PathStyle::Command)
    }
}

/// `/monitor`, `/subscribe/<channel>...`, `/psubscribe/<pattern>...`: an
/// event stream (any request body, such as @upstash/redis's `[]`, is read
/// and ignored).
pub(crate) struct Stream {
    /// Who asked for it.
    pub(crate) auth: Auth,
    /// Which stream.
    pub(crate) streamed: Streamed,
}

impl FromRequest<Arc<AppState>> for Stream {
    type Rejection = Error;

    async fn from_request(request: Request, state: &Arc<AppState>) -> Result<Self, Error> {
        let received = Received::from_request(request, state).await?;
        let streamed = Streamed::from_path(received.uri.path())
            .unwrap_or_else(|| Err(format!("ERR no event stream at {}", received.uri.path())));
        received.into_stream(streamed)
    }
}

/// The event streams upstash-local serves.
pub(crate) enum Streamed {
    /// Redis `MONITOR`.
    Monitor,
    /// Redis pub/sub: channels or patterns.
    Subscription(Subscription),
}

impl Streamed {
    /// The stream `path` names, its first segment in any case (a 400's text
    /// when it names no channel or pattern); `None` when it names none.
    fn from_path(path: &str) -> Option<Result<Streamed, String>> {
        if path.eq_ignore_ascii_case(MONITOR_PATH) {
            return Some(Ok(Streamed::Monitor));
        }
        Subscription::from_path(path).map(|subscription| subscription.map(Streamed::Subscription))
    }
}

/// Which access the presented token grants: `Authorization: Bearer <token>`,
/// else the `_token` query parameter. Compared in constant time, as
/// fixed-size digests (see [`crate::tokens::Tokens`]).
fn authorize(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Option<Auth> {
    let bearer = headers.get(AUTHORIZATION).and_then(|value| {
        let value = value.as_bytes();
        let scheme = value.get(..7)?;
        scheme.eq_ignore_ascii_case(b"bearer ").then(|| value[7..].to_vec())
    });
    let in_query = bearer.is_none();
    let presented = bearer
        .or_else(|| query_params(query).into_iter().find(|(name, _)| name == b"_token").and_then(|(_, value)| value))?;
    let access = state.tokens.access(&presented)?;
    Some(Auth { access, in_query })
}

/// The body, read within the body timeout (408 after it), with its share of
/// the large-body budget (taken for `POST` and `PUT` only). Both are held
/// until the response is built (the body's bytes and what is made of them),
/// except by event streams, which give them back once started.
async fn receive_body(
    state: &AppState,
    body: Body,
    has_body: bool,
    expected: Option<usize>,
) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), Error> {
    let body_share = match has_body {
        true => state.admission.body(expected).await,
        false => None,
    };
    match tokio::time::timeout(state.limits.body_read_timeout, read_body(body, expected)).await {
        Ok(Ok(body)) => Ok((body, body_share)),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(Error::BodyTimeout(state.limits.body_read_timeout)),
    }
}

/// The request's `content-length`, if it sent a valid one.
fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Reads the whole body, refusing more than [`MAX_REQUEST_SIZE`] bytes;
/// room for `expected` bytes (the `content-length`) is made at once.
async fn read_body(mut body: Body, expected: Option<usize>) -> Result<Vec<u8>, Error> {
    let mut data = Vec::with_capacity(expected.filter(|&length| length <= MAX_REQUEST_SIZE).unwrap_or(0));
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|err| Error::bad_request(format!("ERR failed to read the request body: {err}")))?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len();
        if total <= MAX_REQUEST_SIZE {
            data.extend_from_slice(&chunk);
        } else if total > MAX_DRAIN {
            break;
        } else {
            data = Vec::new();
        }
    }
    if total > MAX_REQUEST_SIZE {
        return Err(Error::bad_request("ERR max request size exceeded"));
    }
    Ok(data)
}
