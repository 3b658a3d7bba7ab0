//! Running commands on Redis: the users requests run as (see
//! [`crate::acl`]), each with its pool of connections; pipelines and
//! MULTI/EXEC transactions within a time limit and a reply budget;
//! dedicated connections for `/subscribe` and `/monitor`.
//!
//! Three users, when Redis lets upstash-local create them: the URL's own
//! (which creates the others, kills scripts, serves `/monitor` and runs
//! the `INFO` and `CONFIG` the REST API filters), the full-access token's
//! and the read-only token's. When the URL's user may not run `ACL
//! SETUSER` (a managed Redis, say), the full-access token runs as the
//! URL's user, with a warning at start-up: the REST layer's refusals then
//! stand alone, and scripts can reach what they refuse.
//!
//! Each request's commands go out in one write, followed by a `PING`: the
//! connection goes back to the pool only if every reply came and the
//! `PING` answered `PONG`, so a connection left in any other state (in a
//! transaction, subscribed, in the Lua debugger, replying to nothing) is
//! closed instead. A connection that failed, timed out, sent something
//! that is not RESP, or whose reply ran past the request's budget is
//! closed too.
//!
//! A request Redis has not answered within the command timeout gets an
//! error, and its connection is closed (Redis then frees whatever it was
//! blocked on). If the request ran a script or a function, upstash-local
//! also sends `SCRIPT KILL` (or `FUNCTION KILL`): Redis runs one script at a
//! time and answers every other client `BUSY` while it runs. Redis accepts
//! the kill once the script has run for its `busy-reply-threshold`
//! (`lua-time-limit`, 5 s by default), and only for a script that has not
//! written (a script that wrote can only be stopped by `SHUTDOWN NOSAVE`,
//! which upstash-local never sends; it says so on standard error).

use std::time::Duration;

use redis::aio::{Monitor, PubSub};
use redis::{Client, RedisError};

use crate::commands::{name, CodeKind};
use crate::limits::ReplyBudget;
use crate::pool::{Pool, CONNECT_TIMEOUT};
use crate::protocol::Command;
use crate::resp::Value;

mod exchange;
mod users;

pub(crate) use users::without_password;

/// The outcome of one command: its reply, or the error text Redis sent.
pub(crate) type Reply = Result<Value, String>;

/// The outcome of a MULTI/EXEC transaction.
pub(crate) enum Transaction {
    /// EXEC ran: one reply per command (run-time errors are per command).
    Committed(Vec<Reply>),
    /// Redis discarded the transaction (e.g. `EXECABORT ...`): nothing applied.
    Discarded(String),
}

/// Which token a request presented, and so which Redis user runs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// The full-access token: its ACL user (or the URL's own user).
    Full,
    /// The read-only token: the ACL user created for it.
    ReadOnly,
}

/// Why a request got no reply from Redis.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Redis could not be reached, or the connection failed.
    Unavailable(String),
    /// Redis did not answer within the command timeout.
    TimedOut(Duration),
    /// The replies would exceed the request's reply budget (this many bytes).
    TooLarge(usize),
    /// The connection answered strangely (not RESP, or not `PONG` to the
    /// `PING` after the commands): it was closed.
    Strange(String),
}

/// How long `SCRIPT KILL` may wait for Redis (which takes it only once the
/// script has run for its busy threshold).
const KILL_TIMEOUT: Duration = Duration::from_secs(60);
/// How long removing the users at a stop may take.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(2);
/// The reply budget of upstash-local's own commands (`COMMAND LIST`,
/// `ACL SETUSER`, `SCRIPT KILL`...).
const OWN_REPLY_BUDGET: usize = 4 * 1024 * 1024;

/// Connections to Redis, one pool per user. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Redis {
    /// The URL's own user.
    admin: User,
    /// The full-access token's user (the URL's own when Redis refused to
    /// create one: see `separate`).
    full: User,
    read_only: Option<User>,
    /// Whether `full` is a user of upstash-local's own.
    separate: bool,
    timeout: Duration,
}

/// One Redis user: how to open dedicated connections as it, and its pool.
#[derive(Clone)]
struct User {
    /// For pub/sub and MONITOR connections (the redis crate's).
    client: Client,
    pool: Pool,
    /// Its name and the `ACL SETUSER` that creates it, when upstash-local
    /// created it: sent again when Redis no longer knows the user (it
    /// restarted, say: users made by `ACL SETUSER` live in its memory).
    created: Option<(String, Command)>,
}

impl Redis {
    /// Runs `commands` in order, not atomically (an error in one does not
    /// stop the others), as the user for `access`, within the command
    /// timeout and `budget`. `code` says what kind of code the commands
    /// run, if any, so that a script still running at the timeout is
    /// killed. `INFO` and `CONFIG` from the full-access token run as the
    /// URL's user, in their place in the order.
    pub(crate) async fn run(
        &self,
        access: Access,
        commands: Vec<Command>,
        code: &[CodeKind],
        budget: &mut ReplyBudget,
    ) -> Result<Vec<Reply>, Failure> {
        let mut replies = Vec::with_capacity(commands.len());
        let mut commands = commands.into_iter().peekable();
        while let Some(first) = commands.next() {
            let admin = self.runs_as_admin(access, &first);
            let mut segment = vec![first];
            while let Some(next) = commands.next_if(|next| self.runs_as_admin(access, next) == admin) {
                segment.push(next);
            }
            let user = if admin { &self.admin } else { self.user(access) };
            let values = self.exchange(self.checkout(user).await?, segment, false, code, budget).await?;
            replies.extend(values.into_iter().map(to_reply));
        }
        Ok(replies)
    }

    /// Runs `commands` atomically: MULTI, the commands and EXEC go out in
    /// one write on a connection of this request's own. Otherwise as
    /// [`Redis::run`]; `INFO` and `CONFIG` from the full-access token run
    /// right after EXEC, if it committed.
    pub(crate) async fn run_transaction(
        &self,
        access: Access,
        commands: Vec<Command>,
        code: &[CodeKind],
        budget: &mut ReplyBudget,
    ) -> Result<Transaction, Failure> {
        let (admin, queued): (Vec<_>, Vec<_>) =
            commands.into_iter().enumerate().partition(|(_, command)| self.runs_as_admin(access, command));
        let (admin_at, admin): (Vec<usize>, Vec<Command>) = admin.into_iter().unzip();
        let queued: Vec<Command> = queued.into_iter().map(|(_, command)| command).collect();
        let mut replies = if queued.is_empty() {
            Vec::new()
        } else {
            let conn = self.checkout(self.user(access)).await?;
            let mut values = self.exchange(conn, queued, true, code, budget).await?;
            // MULTI itself only fails if the user may not run it; the
            // commands then ran outside any transaction, and all this can do
            // is report MULTI's error.
            if let Value::Error(text) = &values[0] {
                return Ok(Transaction::Discarded(text.clone()));
            }
            match values.pop() {
                Some(Value::Array(replies)) => replies.into_iter().map(to_reply).collect(),
                Some(Value::Error(text)) => return Ok(Transaction::Discarded(text)),
                other => return Ok(Transaction::Discarded(format!("ERR unexpected EXEC reply from Redis: {other:?}"))),
            }
        };
        if !admin.is_empty() {
            let values = self.exchange(self.checkout(&self.admin).await?, admin, false, &[], budget).await?;
            for (at, value) in admin_at.into_iter().zip(values) {
                replies.insert(at, to_reply(value));
            }
        }
        Ok(Transaction::Committed(replies))
    }

    /// Whether `command` from `access` runs as the URL's user: the `INFO`
    /// and `CONFIG` (`GET`, and `SET` of what the REST API lets through)
    /// that the full-access token's user may not run, for scripts' sake.
    fn runs_as_admin(&self, access: Access, command: &Command) -> bool {
        self.separate && access == Access::Full && matches!(name(command).as_str(), "info" | "config")
    }

    /// A new connection of its own for pub/sub, as the user for `access`.
    /// It closes when the returned value (or its message stream) is dropped.
    pub(crate) async fn pubsub(&self, access: Access) -> Result<PubSub, RedisError> {
        let user = self.user(access);
        match connect_within(user.client.get_async_pubsub()).await {
            Err(err) if is_unknown_user(&err.to_string()) && user.created.is_some() => {
                if let Some((_, setuser)) = &user.created {
                    let _ = self.setuser(setuser).await;
                }
                connect_within(user.client.get_async_pubsub()).await
            }
            connected => connected,
        }
    }

    /// A new connection of its own in MONITOR mode, as the URL's user.
    pub(crate) async fn monitor(&self) -> Result<Monitor, RedisError> {
        connect_within(self.admin.client.get_async_monitor()).await
    }

    /// The database the endpoint fronts (the URL's `/N`).
    pub(crate) fn db(&self) -> i64 {
        self.admin.pool.target().db()
    }

    fn user(&self, access: Access) -> &User {
        match (access, &self.read_only) {
            (Access::ReadOnly, Some(read_only)) => read_only,
            _ => &self.full,
        }
    }
}

/// Whether a failure to connect says the user is unknown to Redis, or its
/// password wrong (Redis does not tell the two apart).
fn is_unknown_user(why: &str) -> bool {
    why.contains("WRONGPASS")
}

/// What a failure says, for messages.
fn failure_text(failure: &Failure) -> String {
    match failure {
        Failure::Unavailable(text) | Failure::Strange(text) => text.clone(),
        Failure::TimedOut(within) => format!("no reply within {within:?}"),
        Failure::TooLarge(limit) => format!("a reply over {limit} bytes"),
    }
}

/// `connecting`, failing after [`CONNECT_TIMEOUT`].
async fn connect_within<T>(
    connecting: impl std::future::Future<Output = Result<T, RedisError>>,
) -> Result<T, RedisError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(connected) => connected,
        Err(_) => Err(RedisError::from((
            redis::ErrorKind::Io,
            "timed out connecting",
            format!("no connection within {CONNECT_TIMEOUT:?}"),
        ))),
    }
}

fn to_reply(value: Value) -> Reply {
    match value {
        Value::Error(text) => Err(text),
        value => Ok(value),
    }
}
