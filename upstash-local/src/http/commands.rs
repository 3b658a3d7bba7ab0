//! Running a request's commands: one (`/` and path-style), a pipeline, or a
//! MULTI/EXEC transaction; and answering their replies as Upstash does.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::extract::{Auth, Commands, JsonBatch, JsonCommand};
use super::{AppState, Error};
use crate::commands::{refusal, runs_code, CodeKind};
use crate::emulated::{self, adjustment, Adjust};
use crate::encode::{write_reply_object, Encoding};
use crate::limits::ReplyBudget;
use crate::protocol::Command;
use crate::redis_exec::{Access, Reply, Transaction};

/// `POST /` → `{"result": ...}`, or a 400 `{"error": ...}` with Redis's
/// text.
pub(crate) async fn command(
    State(state): State<Arc<AppState>>,
    JsonCommand(commands): JsonCommand,
) -> Result<Response, Error> {
    single(&state, commands).await
}

/// One command (of `/` or a path-style request): refused (400) if the REST
/// API refuses it, else run and answered `{"result": ...}`, or a 400 with
/// Redis's error.
pub(crate) async fn single(state: &AppState, commands: Commands) -> Result<Response, Error> {
    let Commands { auth, list, mut budget, place: _place } = commands;
    if let Some(why) = list.iter().find_map(refusal) {
        return Err(Error::BadRequest(why));
    }
    let Prepared { commands, adjust, code } = prepare(state, auth, list);
    let replies = state.redis.run(auth.access, commands, &code, &mut budget).await?;
    let reply = replies.into_iter().zip(adjust).map(|(reply, adjust)| adjusted(reply, adjust)).next();
    let value = reply.unwrap_or_else(missing_reply).map_err(Error::BadRequest)?;
    let mut body = Vec::new();
    write_reply_object(&mut body, Ok(value), budget.encoding());
    Ok(answer(body, budget))
}

/// `POST /pipeline` → `[{"result": ...}, {"error": ...}, ...]`: every
/// command runs, in order, not atomically; one the REST API refuses gets its
/// `{"error": ...}` in its place, unsent.
pub(crate) async fn pipeline(
    State(state): State<Arc<AppState>>,
    JsonBatch(commands): JsonBatch,
) -> Result<Response, Error> {
    let Commands { auth, list, mut budget, place: _place } = commands;
    let refusals: Vec<Option<String>> = list.iter().map(refusal).collect();
    let allowed: Vec<Command> =
        list.into_iter().zip(&refusals).filter(|(_, refused)| refused.is_none()).map(|(command, _)| command).collect();
    let Prepared { commands, adjust, code } = prepare(&state, auth, allowed);
    let replies = match commands.is_empty() {
        true => Vec::new(),
        false => state.redis.run(auth.access, commands, &code, &mut budget).await?,
    };
    let mut replies = replies.into_iter().zip(adjust).map(|(reply, adjust)| adjusted(reply, adjust));
    let items = refusals.into_iter().map(|refused| match refused {
        Some(why) => Err(why),
        None => replies.next().unwrap_or_else(missing_reply),
    });
    let body = array_of_reply_objects(items, budget.encoding());
    Ok(answer(body, budget))
}

/// `POST /multi-exec` → `[{"result": ...}, ...]`, run atomically: a command
/// the REST API refuses refuses the whole transaction (400), as does Redis
/// discarding it (`EXECABORT ...`).
pub(crate) async fn multi_exec(
    State(state): State<Arc<AppState>>,
    JsonBatch(commands): JsonBatch,
) -> Result<Response, Error> {
    let Commands { auth, list, mut budget, place: _place } = commands;
    if let Some(why) = list.iter().find_map(refusal) {
        return Err(Error::BadRequest(why));
    }
    let Prepared { commands, adjust, code } = prepare(&state, auth, list);
    match state.redis.run_transaction(auth.access, commands, &code, &mut budget).await? {
        Transaction::Committed(replies) => {
            let replies = replies.into_iter().zip(adjust).map(|(reply, adjust)| adjusted(reply, adjust));
            let body = array_of_reply_objects(replies, budget.encoding());
            Ok(answer(body, budget))
        }
        Transaction::Discarded(text) => Err(Error::BadRequest(text)),
    }
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

/// Redis's reply as the client sees it: reshaped when `adjust` says so
/// and the command succeeded.
fn adjusted(reply: Reply, adjust: Option<Adjust>) -> Reply {
    match (reply, adjust) {
        (Ok(value), Some(adjust)) => Ok(adjust.apply(value)),
        (reply, _) => reply,
    }
}

/// The reply of a command Redis did not answer (never expected: Redis
/// answers each command once).
fn missing_reply() -> Reply {
    Err("ERR missing reply from Redis".to_string())
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
