//! The HTTP side: the route table ([`router`]), the extractors every
//! request goes through (method, auth and what a token in the query string
//! may do, body size and time limits, parsing: see [`extract`]), the
//! handlers, and the errors they answer ([`Error`]). [`server`] serves it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::limits::Admission;
use crate::redis_exec::{Access, Redis};
use crate::script_flags::ScriptFlags;
use crate::streams;
use crate::tokens::Tokens;
use crate::Limits;

mod commands;
mod error;
mod extract;
pub(crate) mod server;

pub(crate) use error::Error;
use extract::{PathStyle, Received, Stream, Streamed};

/// Header carrying a fresh opaque value on every response.
const SYNC_TOKEN_HEADER: &str = "upstash-sync-token";
/// upstash-local's own debugging endpoint: `GET` → `{"requests": n}`.
const STATS_PATH: &str = "/__local/stats";
/// upstash-local's own debugging endpoint: `POST` zeroes the request count.
const STATS_RESET_PATH: &str = "/__local/stats/reset";
/// Upstash's `MONITOR` as an event stream.
const MONITOR_PATH: &str = "/monitor";

/// Everything a request handler needs.
pub(crate) struct AppState {
    /// The Redis requests run on.
    pub(crate) redis: Redis,
    /// The tokens, as digests.
    pub(crate) tokens: Tokens,
    /// The limits the server runs within.
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

/// The whole HTTP API. Commands take `GET`, `HEAD`, `POST` and `PUT` (a
/// `GET` reads its body too: `GET /` with a JSON body runs it), event
/// streams `GET` and `POST`. Another method is a 405 before the token is
/// looked at (a `HEAD` of a stream, once it is: `get` routes take `HEAD`).
/// Every answer carries an `upstash-sync-token` header.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", command_methods(commands::command))
        .route("/pipeline", command_methods(commands::pipeline))
        .route("/multi-exec", command_methods(commands::multi_exec))
        .route(MONITOR_PATH, get(stream).post(stream))
        .route("/subscribe/{*channels}", get(stream).post(stream))
        .route("/psubscribe/{*patterns}", get(stream).post(stream))
        .route(STATS_PATH, get(stats))
        .route(STATS_RESET_PATH, post(reset_stats).put(reset_stats))
        // Path-style commands (`GET /get/key`): their paths are the commands.
        .fallback(path_style)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(state.clone(), count_and_sign))
        // Bodies are read by the extractors, within their own limits.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// The methods a command takes (`get` takes `HEAD` too).
fn command_methods<H, T>(handler: H) -> MethodRouter<Arc<AppState>>
where
    H: Handler<T, Arc<AppState>>,
    T: 'static,
{
    get(handler.clone()).post(handler.clone()).put(handler)
}

/// Counts the request (but the stats endpoints' own) and marks its answer
/// with a fresh `upstash-sync-token`.
async fn count_and_sign(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path != STATS_PATH && path != STATS_RESET_PATH {
        state.requests.fetch_add(1, Ordering::Relaxed);
    }
    let mut response = next.run(request).await;
    let sync = state.responses.fetch_add(1, Ordering::Relaxed) + 1;
    if let Ok(value) = HeaderValue::from_str(&format!("local-{sync}")) {
        response.headers_mut().insert(SYNC_TOKEN_HEADER, value);
    }
    response
}

/// A method the path does not take.
async fn method_not_allowed() -> Error {
    Error::MethodNotAllowed
}

/// Any path no route names: a path-style command, or an event stream's path
/// in another case (see [`PathStyle`]).
async fn path_style(State(state): State<Arc<AppState>>, request: PathStyle) -> Result<Response, Error> {
    match request {
        PathStyle::Command(commands) => commands::single(&state, commands).await,
        PathStyle::Stream(stream) => events(&state, stream).await,
    }
}

/// `/monitor`, `/subscribe/<channel>...`, `/psubscribe/<pattern>...`.
async fn stream(State(state): State<Arc<AppState>>, stream: Stream) -> Result<Response, Error> {
    events(&state, stream).await
}

/// An event stream, on a Redis connection of its own. Listening is reading:
/// a query-string token may subscribe. `MONITOR` is only for the full-access
/// token in the `Authorization` header: it shows every client's commands
/// and their arguments.
async fn events(state: &AppState, Stream { auth, streamed }: Stream) -> Result<Response, Error> {
    let (closing, keep_alive) = (state.closing.clone(), state.limits.keep_alive_interval);
    let started = match streamed {
        Streamed::Subscription(subscription) => {
            streams::subscribe(&state.redis, auth.access, subscription, closing, keep_alive).await
        }
        Streamed::Monitor if auth.in_query => return Err(Error::NotReadOnly("monitor".to_string())),
        Streamed::Monitor if auth.access == Access::ReadOnly => {
            return Err(Error::bad_request("NOPERM this user has no permissions to run the 'monitor' command"))
        }
        Streamed::Monitor => streams::monitor(&state.redis, closing, keep_alive).await,
    };
    started.map_err(Error::stream)
}

/// `GET /__local/stats` → `{"requests": n}`.
async fn stats(State(state): State<Arc<AppState>>, _: Received) -> Json<Value> {
    Json(json!({ "requests": state.requests.load(Ordering::Relaxed) }))
}

/// `POST /__local/stats/reset` → `{"result": "OK"}`, with the token in the
/// `Authorization` header (it changes something).
async fn reset_stats(State(state): State<Arc<AppState>>, received: Received) -> Result<Json<Value>, Error> {
    if received.auth.in_query {
        return Err(Error::NotReadOnly("__local/stats/reset".to_string()));
    }
    state.requests.store(0, Ordering::Relaxed);
    Ok(Json(json!({ "result": "OK" })))
}
