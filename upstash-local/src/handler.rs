//! The HTTP side: methods, auth, body size limit, routing to single
//! commands, `/pipeline`, `/multi-exec`, the `/subscribe` streams and the
//! `/__local/stats` endpoints.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use http_body_util::BodyExt;
use redis::RedisError;
use serde_json::{json, Value as JsonValue};
use subtle::ConstantTimeEq;
use tokio::sync::watch;

use crate::encode::{reply_object, to_json, Encoding};
use crate::protocol::{parse_json_batch, parse_json_command, parse_path_command, query_params, refusal, Command};
use crate::redis_exec::{run_command, run_pipeline, run_transaction, Access, Redis, Reply, Transaction};
use crate::script_flags::ScriptFlags;
use crate::subscribe::{self, Subscription};
use crate::MAX_REQUEST_SIZE;

/// Header carrying a fresh opaque value on every response.
const SYNC_TOKEN_HEADER: &str = "upstash-sync-token";
/// upstash-local's own debugging endpoint: `GET` → `{"requests": n}`.
const STATS_PATH: &str = "/__local/stats";
/// upstash-local's own debugging endpoint: `POST` zeroes the request count.
const STATS_RESET_PATH: &str = "/__local/stats/reset";
/// How much of an oversized body is read and dropped before answering, so
/// the client gets the 400 rather than a reset connection.
const MAX_DRAIN: usize = 8 * MAX_REQUEST_SIZE;

/// Everything a request handler needs.
pub(crate) struct AppState {
    pub(crate) redis: Redis,
    pub(crate) token: String,
    pub(crate) read_only_token: Option<String>,
    /// Requests served, except the stats endpoints' own.
    pub(crate) requests: Arc<AtomicU64>,
    /// Responses sent, for `upstash-sync-token`.
    pub(crate) responses: AtomicU64,
    /// Scripts whose Upstash-only shebang flag was removed.
    pub(crate) scripts: ScriptFlags,
    /// Turns true when the server shuts down: event streams end then.
    pub(crate) closing: watch::Receiver<bool>,
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
    let Some(access) = authorize(state, &parts.headers, query) else {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let encoding = Encoding::from_headers(&parts.headers);

    match parts.uri.path() {
        STATS_PATH if !has_body => {
            let requests = state.requests.load(Ordering::Relaxed);
            (StatusCode::OK, Json(json!({ "requests": requests }))).into_response()
        }
        STATS_RESET_PATH if has_body => {
            state.requests.store(0, Ordering::Relaxed);
            (StatusCode::OK, Json(json!({ "result": "OK" }))).into_response()
        }
        STATS_PATH | STATS_RESET_PATH => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
        "/pipeline" => pipeline(state, access, &body, encoding).await,
        "/multi-exec" => multi_exec(state, access, &body, encoding).await,
        "/" => single(state, access, parse_json_command(&body), encoding).await,
        path => match Subscription::from_path(path) {
            Some(Ok(subscription)) if matches!(parts.method, Method::GET | Method::POST) => {
                subscribe(state, access, subscription).await
            }
            Some(Ok(_)) => error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed"),
            Some(Err(text)) => error(StatusCode::BAD_REQUEST, text),
            None => {
                let body = has_body.then_some(body.as_slice());
                let command = parse_path_command(path, query, body);
                single(state, access, command, encoding).await
            }
        },
    }
}

/// Which access the presented token grants: `Authorization: Bearer <token>`,
/// else the `_token` query parameter. Compared in constant time.
fn authorize(state: &AppState, headers: &HeaderMap, query: Option<&str>) -> Option<Access> {
    let bearer = headers.get(AUTHORIZATION).and_then(|value| {
        let value = value.as_bytes();
        let scheme = value.get(..7)?;
        scheme.eq_ignore_ascii_case(b"bearer ").then(|| value[7..].to_vec())
    });
    let presented = bearer
        .or_else(|| query_params(query).into_iter().find(|(name, _)| name == b"_token").and_then(|(_, value)| value))?;
    let matches = |token: &str| bool::from(presented.as_slice().ct_eq(token.as_bytes()));
    if matches(&state.token) {
        Some(Access::Full)
    } else if state.read_only_token.as_deref().is_some_and(matches) {
        Some(Access::ReadOnly)
    } else {
        None
    }
}

/// Reads the whole body, refusing more than [`MAX_REQUEST_SIZE`] bytes.
async fn read_body(mut body: Body) -> Result<Vec<u8>, Response> {
    let mut data = Vec::new();
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

async fn single(state: &AppState, access: Access, command: Result<Command, String>, encoding: Encoding) -> Response {
    let mut command = match command {
        Ok(command) => command,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    if let Some(why) = refusal(&command) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let answer = state.scripts.rewrite(&mut command);
    match run_command(&mut state.redis.connection(access), &command).await {
        Ok(reply) => match answered(reply, answer) {
            Ok(value) => ok(json!({ "result": to_json(value, encoding) })),
            Err(text) => error(StatusCode::BAD_REQUEST, text),
        },
        Err(err) => redis_unavailable(err),
    }
}

/// `/subscribe/<channel>` or `/psubscribe/<pattern>`: an event stream (any
/// request body, such as @upstash/redis's `[]`, is ignored).
async fn subscribe(state: &AppState, access: Access, subscription: Subscription) -> Response {
    match subscribe::stream(&state.redis, access, subscription, state.closing.clone()).await {
        Ok(response) => response,
        Err(err) if subscribe::is_refusal(&err) => error(StatusCode::BAD_REQUEST, server_error_text(&err)),
        Err(err) => redis_unavailable(err),
    }
}

async fn pipeline(state: &AppState, access: Access, body: &[u8], encoding: Encoding) -> Response {
    let commands = match parse_json_batch(body) {
        Ok(commands) => commands,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    let refusals: Vec<Option<String>> = commands.iter().map(refusal).collect();
    let mut allowed: Vec<Command> = commands
        .into_iter()
        .zip(&refusals)
        .filter(|(_, refused)| refused.is_none())
        .map(|(command, _)| command)
        .collect();
    let answers: Vec<Option<Vec<u8>>> = allowed.iter_mut().map(|command| state.scripts.rewrite(command)).collect();
    let replies = if allowed.is_empty() {
        Vec::new()
    } else {
        match run_pipeline(&mut state.redis.connection(access), &allowed).await {
            Ok(replies) => replies,
            Err(err) => return redis_unavailable(err),
        }
    };
    let mut replies = replies.into_iter().zip(answers).map(|(reply, answer)| answered(reply, answer));
    let items = refusals
        .into_iter()
        .map(|refused| match refused {
            Some(why) => Err(why),
            None => replies.next().unwrap_or_else(|| Err("ERR missing reply from Redis".to_string())),
        })
        .map(|reply| reply_object(reply, encoding))
        .collect();
    ok(JsonValue::Array(items))
}

async fn multi_exec(state: &AppState, access: Access, body: &[u8], encoding: Encoding) -> Response {
    let mut commands = match parse_json_batch(body) {
        Ok(commands) => commands,
        Err(text) => return error(StatusCode::BAD_REQUEST, text),
    };
    if let Some(why) = commands.iter().find_map(refusal) {
        return error(StatusCode::BAD_REQUEST, why);
    }
    let answers: Vec<Option<Vec<u8>>> = commands.iter_mut().map(|command| state.scripts.rewrite(command)).collect();
    match run_transaction(&mut state.redis.connection(access), &commands).await {
        Ok(Transaction::Committed(replies)) => ok(JsonValue::Array(
            replies
                .into_iter()
                .zip(answers)
                .map(|(reply, answer)| reply_object(answered(reply, answer), encoding))
                .collect(),
        )),
        Ok(Transaction::Discarded(text)) => error(StatusCode::BAD_REQUEST, text),
        Err(err) => redis_unavailable(err),
    }
}

/// Redis's reply, or `answer` in its place when the command succeeded and a
/// rewrite says what the client must see instead.
fn answered(reply: Reply, answer: Option<Vec<u8>>) -> Reply {
    match (reply, answer) {
        (Ok(_), Some(answer)) => Ok(redis::Value::BulkString(answer)),
        (reply, _) => reply,
    }
}

fn ok(body: JsonValue) -> Response {
    (StatusCode::OK, Json(body)).into_response()
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

/// Redis could not be reached or answered unusably: a 5xx, like an Upstash outage.
fn redis_unavailable(err: RedisError) -> Response {
    error(StatusCode::INTERNAL_SERVER_ERROR, format!("ERR Redis unavailable: {err}"))
}
