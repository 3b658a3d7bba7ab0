//! The HTTP side: methods, auth (and what a token in the query string may
//! do), body size and time limits, routing to single commands, `/pipeline`,
//! `/multi-exec`, the event streams and the `/__local/stats` endpoints.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use futures_util::stream;
use http_body_util::BodyExt;
use redis::RedisError;
use serde_json::json;
use tokio::sync::{watch, OwnedSemaphorePermit};

use crate::commands::{is_read_only, name, refusal, runs_code, CodeKind};
use crate::emulated::{self, adjustment, Adjust};
use crate::encode::{write_reply_object, Encoding};
use crate::limits::{Admission, ReplyBudget};
use crate::protocol::{parse_json_batch, parse_json_command, parse_path_command, query_params, Command};
use crate::redis_exec::{Access, Failure, Redis, Reply, Transaction};
use crate::script_flags::ScriptFlags;
use crate::streams::{self, Subscription};
use crate::tokens::Tokens;
use crate::{Limits, MAX_REQUEST_SIZE};

/// Header carrying a fresh opaque value on every response.
const SYNC_TOKEN_HEADER: &str = "upstash-sync-token";
/// upstash-local's own debugging endpoint: `GET` → `{"requests": n}`.
const STATS_PATH: &str = "/__local/stats";
/// upstash-local's own debugging endpoint: `POST` zeroes the request count.
const STATS_RESET_PATH: &str = "/__local/stats/reset";
/// Upstash's `MONITOR` as an event stream.
const MONITOR_PATH: &str = "/monitor";
/// How much of an oversized body is read and dropped before answering, so
/// the client gets the 400 rather than a reset connection.
const MAX_DRAIN: usize = 8 * MAX_REQUEST_SIZE;

/// Everything a request handler needs.
pub(crate) struct AppState {
    pub(crate) redis: Redis,
    /// The tokens, as digests.
    pub(crate) tokens: Tokens,
    pub(crate) limits: Limits,
    /// Requests (and body bytes) being worked on.
    pub(crate) admission: Admission,
    /// Requests served, except the stats endpoints' own.
    pub(crate) requests: Arc<AtomicU64>,
    /// Responses sent, for `upstash-sync-token`.
    pub(crate) responses: AtomicU64,
    /// Scripts whose Upstash-only shebang flag was removed.
    pub(crate) scripts: ScriptFlags,
    /// Turns true when the server shuts down: event streams end then.
    pub(crate) closing: watch::Receiver<bool>,
}

/// Who sent a request, by its token.
#[derive(Clone, Copy, Debug)]
struct Auth {
    access: Access,
    /// The token came in the query string (`?_token=`), where any web page
    /// can put it (an `<img>` or a form needs no script): it may then only
    /// read. A token in the `Authorization` header cannot be set by another
    /// site without the browser asking first (a CORS preflight, which
    /// upstash-local never grants).
    in_query: bool,
}

/// The whole HTTP API: every path goes through one handler.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new().fallback(handle).layer(DefaultBodyLimit::disable()).with_state(state)
}

async fn handle(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let path = request.uri().path();
    if path != STATS_PATH && path != STATS_RESET_PATH {
        state.requests.fetch_add(1, Ordering::Relaxed);
    }
    let mut response = respond(&state, request).await;
    let sync = state.responses.fetch_add(1, Ordering::Relaxed) + 1;
    if let Ok(value) = HeaderValue::from_str(&format!("local-{sync}")) {
        response.headers_mut().insert(SYNC_TOKEN_HEADER, value);
    }
    response
}

async fn respond(state: &AppState, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let has_body = match parts.method {
        Method::GET | Method::HEAD => false,
        Method::POST | Method::PUT => true,
        _ => return error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
    };
    let query = parts.uri.query();
    let Some(auth) = authorize(state, &parts.headers, query) else {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    let (body, body_share) = match receive_body(state, body, has_body, content_length(&parts.headers)).await {
        Ok(received) => received,
        Err(response) => return response,
    };
    let place = state.admission.request().await;
    let encoding = Encoding::from_headers(&parts.headers);
    // Holds the body's share until the commands are sent, then the reply's.
    let budget = ReplyBudget::new(&state.limits, &state.admission, encoding, body_share);

    match parts.uri.path() {
        STATS_PATH if !has_body => {
            let requests = state.requests.load(Ordering::Relaxed);
            (StatusCode::OK, Json(json!({ "requests": requests }))).into_response()
        }
        STATS_RESET_PATH if has_body && !auth.in_query => {
            state.requests.store(0, Ordering::Relaxed);
            (StatusCode::OK, Json(json!({ "result": "OK" }))).into_response()
        }
        STATS_RESET_PATH if has_body => query_token_refused("__local/stats/reset"),
        STATS_PATH | STATS_RESET_PATH => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        "/pipeline" => {
            let commands = parse_json_batch(&body);
            drop(body);
            pipeline(state, auth, commands, budget).await
        }
        "/multi-exec" => {
            let commands = parse_json_batch(&body);
            drop(body);
            multi_exec(state, auth, commands, budget).await
        }
        "/" => {
            let command = parse_json_command(&body);
            drop(body);
            single(state, auth, command, budget).await
        }
        path if path.eq_ignore_ascii_case(MONITOR_PATH) => match parts.method {
            Method::GET | Method::POST => {
                drop((place, budget));
                monitor(state, auth).await
            }
            _ => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        },
        path => match Subscription::from_path(path) {
            Some(Ok(subscription)) if matches!(parts.method, Method::GET | Method::POST) => {
                drop((place, budget));
                subscribe(state, auth, subscription).await
            }
            Some(Ok(_)) => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
            Some(Err(text)) => error(StatusCode::BAD_REQUEST, text),
            None => {
                let command = parse_path_command(path, query, has_body.then_some(body));
                single(state, auth, command, budget).await
            }
        },
    }
}

/// Which access the presented token grants: `Authorization: Bearer <token>`,
/// else the `_token` query parameter. Compared in constant time, as
/// fixed-size digests (see [`Tokens`]).
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

/// The request's `content-length`, if it sent a valid one.
/// The body, read within the body timeout (408 after it), with its share of
/// the large-body budget. Both are held until the response is built (the
/// body's bytes and what is made of them), except by event streams, which
/// give them back once started.
async fn receive_body(
    state: &AppState,
    body: Body,
    has_body: bool,
    expected: Option<usize>,
) -> Result<(Vec<u8>, Option<OwnedSemaphorePermit>), Response> {
    let body_share = match has_body {
        true => state.admission.body(expected).await,
        false => None,
    };
    match tokio::time::timeout(state.limits.body_read_timeout, read_body(body, expected)).await {
        Ok(Ok(body)) => Ok((body, body_share)),
        Ok(Err(response)) => Err(response),
        Err(_) => {
            let within = state.limits.body_read_timeout.as_millis();
            Err(error(StatusCode::REQUEST_TIMEOUT, format!("ERR request body not received within {within} ms")))
        }
    }
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Reads the whole body, refusing more than [`MAX_REQUEST_SIZE`] bytes;
/// room for `expected` bytes (the `content-length`) is made at once.
async fn read_body(mut body: Body, expected: Option<usize>) -> Result<Vec<u8>, Response> {
    let mut data = Vec::with_capacity(expected.filter(|&length| length <= MAX_REQUEST_SIZE).unwrap_or(0));
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|err| error(StatusCode::BAD_REQUEST, format!("ERR failed to read the request body: {err}")))?;
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
        return Err(error(StatusCode::BAD_REQUEST, "ERR max request size exceeded"));
    }
    Ok(data)
}

/// The 401 for a request whose token came in the query string and whose
/// command `what` is not read-only.
fn query_token_refused(what: &str) -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        format!(
            "ERR '{what}' is not read-only: a token in the query string (_token) may only run read-only commands; \
             send it in the Authorization header"
        ),
    )
}

/// The first of `commands` a query-string token may not run, if any.
fn first_write(auth: Auth, commands: &[Command]) -> Option<Response> {
    if !auth.in_query {
        return None;
    }
    commands.iter().find(|command| !is_read_only(command)).map(|command| query_token_refused(&name(command)))
}

/// Commands ready for Redis: scripts' Upstash-only flags removed,
/// `FLUSHALL` made `FLUSHDB` (for the full-access token: the read-only one
/// is refused either, in Redis's words), with how each reply is reshaped
/// and which run code.
struct Prepared {
    commands: Vec<Command>,
    adjust: Vec<Option<Adjust>>,
    code: Vec<CodeKind>,
}

fn prepare(state: &AppState, auth: Auth, mut commands: Vec<Command>) -> Prepared {
    let db = state.redis.db();
    let adjust = commands
        .iter_mut()
        .map(|command| {
            if auth.access == Access::Full {
                emulated::rewrite(command);
            }
            state.scripts.rewrite(command).map(Adjust::Replace).or_else(|| adjustment(command, db))
        })
        .collect();
    let code = commands.iter().filter_map(runs_code).collect();
    Prepared { commands, adjust, code }
}

async fn single(state: &AppState, auth: Auth, command: Result<Command, String>, mut budget: ReplyBudget) -> Response {
    let command = match command {
        Ok(command) => command,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    if let Some(refused) = first_write(auth, std::slice::from_ref(&command)) {
        return refused;
    }
    if let Some(why) = refusal(&command) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let Prepared { commands, mut adjust, code } = prepare(state, auth, vec![command]);
    match state.redis.run(auth.access, commands, &code, &mut budget).await {
        Ok(mut replies) => match adjusted(replies.remove(0), adjust.remove(0)) {
            Ok(value) => {
                let mut body = Vec::new();
                write_reply_object(&mut body, Ok(value), budget.encoding());
                answer(body, budget)
            }
            Err(text) => error(StatusCode::BAD_REQUEST, text),
        },
        Err(failure) => failed(failure),
    }
}

async fn pipeline(
    state: &AppState,
    auth: Auth,
    commands: Result<Vec<Command>, String>,
    mut budget: ReplyBudget,
) -> Response {
    let commands = match commands {
        Ok(commands) => commands,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    if let Some(refused) = first_write(auth, &commands) {
        return refused;
    }
    let refusals: Vec<Option<String>> = commands.iter().map(refusal).collect();
    let allowed: Vec<Command> = commands
        .into_iter()
        .zip(&refusals)
        .filter(|(_, refused)| refused.is_none())
        .map(|(command, _)| command)
        .collect();
    let Prepared { commands, adjust, code } = prepare(state, auth, allowed);
    let replies = if commands.is_empty() {
        Vec::new()
    } else {
        match state.redis.run(auth.access, commands, &code, &mut budget).await {
            Ok(replies) => replies,
            Err(failure) => return failed(failure),
        }
    };
    let mut replies = replies.into_iter().zip(adjust).map(|(reply, adjust)| adjusted(reply, adjust));
    let items = refusals.into_iter().map(|refused| match refused {
        Some(why) => Err(why),
        None => replies.next().unwrap_or_else(|| Err("ERR missing reply from Redis".to_string())),
    });
    let body = array_of_reply_objects(items, budget.encoding());
    answer(body, budget)
}

/// `[{"result": ...}, {"error": ...}, ...]`, each reply given up as it is written.
fn array_of_reply_objects(replies: impl Iterator<Item = Reply>, encoding: Encoding) -> Vec<u8> {
    let mut body = vec![b'['];
    for (index, reply) in replies.enumerate() {
        if index > 0 {
            body.push(b',');
        }
        write_reply_object(&mut body, reply, encoding);
    }
    body.push(b']');
    body
}

async fn multi_exec(
    state: &AppState,
    auth: Auth,
    commands: Result<Vec<Command>, String>,
    mut budget: ReplyBudget,
) -> Response {
    let commands = match commands {
        Ok(commands) => commands,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    if let Some(refused) = first_write(auth, &commands) {
        return refused;
    }
    if let Some(why) = commands.iter().find_map(refusal) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let Prepared { commands, adjust, code } = prepare(state, auth, commands);
    match state.redis.run_transaction(auth.access, commands, &code, &mut budget).await {
        Ok(Transaction::Committed(replies)) => {
            let replies = replies.into_iter().zip(adjust).map(|(reply, adjust)| adjusted(reply, adjust));
            let body = array_of_reply_objects(replies, budget.encoding());
            answer(body, budget)
        }
        Ok(Transaction::Discarded(text)) => error(StatusCode::BAD_REQUEST, text),
        Err(failure) => failed(failure),
    }
}

/// `/subscribe/<channel>...` or `/psubscribe/<pattern>...`: an event stream
/// (any request body, such as @upstash/redis's `[]`, is ignored). Listening
/// is reading: a query-string token may.
async fn subscribe(state: &AppState, auth: Auth, subscription: Subscription) -> Response {
    let streamed = streams::subscribe(
        &state.redis,
        auth.access,
        subscription,
        state.closing.clone(),
        state.limits.keep_alive_interval,
    )
    .await;
    stream_response(streamed)
}

/// `/monitor`: every command Redis runs, as an event stream. Only for the
/// full-access token in the `Authorization` header: it shows every client's
/// commands and their arguments.
async fn monitor(state: &AppState, auth: Auth) -> Response {
    if auth.in_query {
        return query_token_refused("monitor");
    }
    if auth.access == Access::ReadOnly {
        return error(StatusCode::BAD_REQUEST, "NOPERM this user has no permissions to run the 'monitor' command");
    }
    stream_response(streams::monitor(&state.redis, state.closing.clone(), state.limits.keep_alive_interval).await)
}

fn stream_response(streamed: Result<Response, RedisError>) -> Response {
    match streamed {
        Ok(response) => response,
        Err(err) if streams::is_refusal(&err) => error(StatusCode::BAD_REQUEST, server_error_text(&err)),
        Err(err) => failed(Failure::Unavailable(err.to_string())),
    }
}

/// Redis's reply as the client sees it: reshaped when `adjust` says so
/// and the command succeeded.
fn adjusted(reply: Reply, adjust: Option<Adjust>) -> Reply {
    match (reply, adjust) {
        (Ok(value), Some(adjust)) => Ok(adjust.apply(value)),
        (reply, _) => reply,
    }
}

/// A 200 with `body` (JSON). A large answer keeps its reply's share of the
/// byte budget until it is sent: the share goes when the client has taken
/// the body (the server asks for more of it only then).
fn answer(body: Vec<u8>, budget: ReplyBudget) -> Response {
    let headers = [(CONTENT_TYPE, "application/json")];
    let Some(share) = budget.into_share() else {
        return (StatusCode::OK, headers, body).into_response();
    };
    let chunks = stream::unfold((Some(Bytes::from(body)), Some(share)), |(next, share)| async move {
        match next {
            Some(bytes) => Some((Ok::<_, Infallible>(bytes), (None, share))),
            None => {
                drop(share);
                None
            }
        }
    });
    (StatusCode::OK, headers, Body::from_stream(chunks)).into_response()
}

fn error(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "error": text.into() }))).into_response()
}

/// The text of an error Redis sent, as Redis wrote it (`NOPERM ...`).
fn server_error_text(err: &RedisError) -> String {
    match (err.code(), err.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => err.to_string(),
    }
}

/// Redis could not be reached, failed, or did not answer in time: a 500,
/// like an Upstash outage.
fn failed(failure: Failure) -> Response {
    let text = match failure {
        Failure::TooLarge(limit) => {
            // Upstash's text for an answer over its limit (its docs: loading
            // a whole large list in one request "can throw the
            // max-request-size-limit exception"), with what happened.
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "ERR max request size exceeded: the reply to this request is over {limit} bytes (each string \
                     counted as its JSON text, each value 32 bytes more); its commands ran, their replies were \
                     dropped; ask for less at once"
                ),
            );
        }
        Failure::Strange(why) => format!(
            "ERR Redis left the connection in an unexpected state ({why}): it was closed; the commands may have run"
        ),
        Failure::Unavailable(err) => format!("ERR Redis unavailable: {err}"),
        Failure::TimedOut(within) => format!(
            "ERR no reply from Redis within {} ms: the request was abandoned (it may have run or may still run) \
             and its connection closed; a script or function it ran is killed",
            millis(within)
        ),
    };
    error(StatusCode::INTERNAL_SERVER_ERROR, text)
}

fn millis(duration: Duration) -> u128 {
    duration.as_millis()
}
