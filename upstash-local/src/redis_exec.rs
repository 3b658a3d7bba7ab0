//! Running commands on Redis: the users (full access and read-only ACL
//! user), each with its pool of connections; pipelines and MULTI/EXEC
//! transactions within a time limit; dedicated connections for
//! `/subscribe` and `/monitor`.
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

use anyhow::anyhow;
use redis::aio::{ConnectionLike, Monitor, PubSub};
use redis::{Client, Cmd, IntoConnectionInfo, Pipeline, RedisError, ServerError, Value};

use crate::commands::CodeKind;
use crate::pool::{Pool, CONNECT_TIMEOUT};
use crate::protocol::Command;

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
    /// The full-access token: the Redis URL's own user.
    Full,
    /// The read-only token: the ACL user created for it.
    ReadOnly,
}

/// Why a request got no reply from Redis.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Redis could not be reached, or the connection failed.
    Unavailable(RedisError),
    /// Redis did not answer within the command timeout.
    TimedOut(Duration),
}

/// How long `SCRIPT KILL` may wait for Redis (which takes it only once the
/// script has run for its busy threshold).
const KILL_TIMEOUT: Duration = Duration::from_secs(60);

/// Connections to Redis, one pool per access level. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Redis {
    full: User,
    read_only: Option<User>,
    timeout: Duration,
}

/// One Redis user: how to open dedicated connections as it, and its pool.
#[derive(Clone)]
struct User {
    client: Client,
    pool: Pool,
}

impl Redis {
    /// Connects to `url` (failing fast if unreachable) and, when a read-only
    /// token is given, creates its ACL user and connects as that user too.
    /// Each user gets a pool of up to `connections` connections; a request
    /// waits at most `timeout` for Redis's answer. Errors name the URL
    /// without its password and never show the token.
    pub(crate) async fn connect(
        url: &str,
        read_only_token: Option<&str>,
        connections: u32,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let shown = without_password(url);
        let info = url.into_connection_info().map_err(|err| anyhow!("invalid Redis URL {shown}: {err}"))?;
        let full = User::connect(Client::open(info.clone())?, connections, timeout)
            .await
            .map_err(|err| anyhow!("cannot connect to Redis at {shown}: {err}"))?;
        let mut redis = Self { full, read_only: None, timeout };

        if let Some(token) = read_only_token {
            let user = read_only_user_name(token);
            let select_db = info.redis_settings().db() != 0;
            let acl = read_only_acl(&user, token, select_db);
            // Redis may quote the rule, and so the token, in its error.
            let hidden = |why: String| why.replace(token, "<read-only token>");
            let failed = |why: String| anyhow!("ACL SETUSER {user} failed on Redis at {shown}: {}", hidden(why));
            let replies = redis.run(Access::Full, vec![acl], &[]).await.map_err(|err| failed(format!("{err:?}")))?;
            if let Some(Err(text)) = replies.into_iter().next() {
                return Err(failed(text));
            }
            let settings = info.redis_settings().clone().set_username(&user).set_password(token);
            let client = Client::open(info.clone().set_redis_settings(settings))?;
            let connected = User::connect(client, connections, timeout)
                .await
                .map_err(|err| anyhow!("cannot connect to Redis at {shown} as read-only user {user}: {err}"))?;
            redis.read_only = Some(connected);
        }
        Ok(redis)
    }

    /// Runs `commands` in order in one round trip, not atomically (an error
    /// in one does not stop the others), as the user for `access`, within
    /// the command timeout. `code` says what kind of code the commands run,
    /// if any, so that a script still running at the timeout is killed.
    pub(crate) async fn run(
        &self,
        access: Access,
        commands: Vec<Command>,
        code: &[CodeKind],
    ) -> Result<Vec<Reply>, Failure> {
        let count = commands.len();
        let pipe = pipeline(commands, false);
        let values = self.send(access, pipe, count, code).await?;
        Ok(values.into_iter().map(to_reply).collect())
    }

    /// Runs `commands` atomically: MULTI, the commands and EXEC go out as
    /// one pipeline on a connection of this request's own. Otherwise as
    /// [`Redis::run`].
    pub(crate) async fn run_transaction(
        &self,
        access: Access,
        commands: Vec<Command>,
        code: &[CodeKind],
    ) -> Result<Transaction, Failure> {
        let count = commands.len() + 2;
        let pipe = pipeline(commands, true);
        let mut values = self.send(access, pipe, count, code).await?;
        // MULTI itself only fails if the URL's Redis user may not run it (the
        // read-only user may); the commands then ran outside any transaction,
        // and all this can do is report MULTI's error.
        if let Value::ServerError(err) = &values[0] {
            return Ok(Transaction::Discarded(error_text(err)));
        }
        Ok(match values.pop() {
            Some(Value::Array(replies)) => Transaction::Committed(replies.into_iter().map(to_reply).collect()),
            Some(Value::ServerError(err)) => Transaction::Discarded(error_text(&err)),
            other => Transaction::Discarded(format!("ERR unexpected EXEC reply from Redis: {other:?}")),
        })
    }

    /// Sends `pipe` (of `count` commands) on a pooled connection and waits
    /// for every reply, within the command timeout.
    async fn send(
        &self,
        access: Access,
        pipe: Pipeline,
        count: usize,
        code: &[CodeKind],
    ) -> Result<Vec<Value>, Failure> {
        let mut conn = self.user(access).pool.get().await.map_err(Failure::Unavailable)?;
        match tokio::time::timeout(self.timeout, send(&pipe, count, conn.connection())).await {
            Ok(Ok(values)) => Ok(values),
            Ok(Err(err)) => {
                conn.discard();
                Err(Failure::Unavailable(err))
            }
            Err(_) => {
                conn.discard();
                for kind in dedup(code) {
                    self.kill(kind);
                }
                Err(Failure::TimedOut(self.timeout))
            }
        }
    }

    /// Sends `SCRIPT KILL` (or `FUNCTION KILL`) in the background, as the
    /// URL's user (the read-only user may not).
    fn kill(&self, kind: CodeKind) {
        let pool = self.full.pool.clone();
        tokio::spawn(async move {
            let command = match kind {
                CodeKind::Script => "SCRIPT",
                CodeKind::Function => "FUNCTION",
            };
            let mut cmd = redis::cmd(command);
            cmd.arg("KILL");
            let outcome = async {
                let mut conn = pool.get().await?;
                let reply = cmd.query_async::<Value>(conn.connection()).await;
                if reply.as_ref().is_err_and(|err| err.code().is_none()) {
                    conn.discard();
                }
                reply
            };
            match tokio::time::timeout(KILL_TIMEOUT, outcome).await {
                // Killed, or it ended by itself (NOTBUSY) in the meantime.
                Ok(Ok(_)) => {}
                Ok(Err(err)) if err.code() == Some("NOTBUSY") => {}
                Ok(Err(err)) => {
                    eprintln!("upstash-local: {command} KILL of code past the command timeout failed: {err}")
                }
                Err(_) => eprintln!("upstash-local: {command} KILL got no answer within {KILL_TIMEOUT:?}"),
            }
        });
    }

    /// A new connection of its own for pub/sub, as the user for `access`.
    /// It closes when the returned value (or its message stream) is dropped.
    pub(crate) async fn pubsub(&self, access: Access) -> Result<PubSub, RedisError> {
        connect_within(self.user(access).client.get_async_pubsub()).await
    }

    /// A new connection of its own in MONITOR mode, as the URL's user.
    pub(crate) async fn monitor(&self) -> Result<Monitor, RedisError> {
        connect_within(self.full.client.get_async_monitor()).await
    }

    fn user(&self, access: Access) -> &User {
        match (access, &self.read_only) {
            (Access::ReadOnly, Some(read_only)) => read_only,
            _ => &self.full,
        }
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

/// Each kind in `kinds` once.
fn dedup(kinds: &[CodeKind]) -> Vec<CodeKind> {
    let mut unique: Vec<CodeKind> = Vec::new();
    for kind in kinds {
        if !unique.contains(kind) {
            unique.push(*kind);
        }
    }
    unique
}

impl User {
    /// A pool for `client`, checked by a PING (so that startup fails fast).
    async fn connect(client: Client, connections: u32, timeout: Duration) -> redis::RedisResult<User> {
        let pool = Pool::new(client.clone(), connections, timeout.max(CONNECT_TIMEOUT));
        let ping = async {
            let mut conn = pool.get().await?;
            redis::cmd("PING").query_async::<()>(conn.connection()).await
        };
        connect_within(ping).await?;
        Ok(User { client, pool })
    }
}

/// `url` with its password, if any, replaced by `***`, for messages.
pub(crate) fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    // `user@host` alone names a user, without a password.
    match credentials.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// The ACL user name for a read-only token: derived from its SHA-1, so that
/// several upstash-local processes sharing one Redis never clobber each other.
pub(crate) fn read_only_user_name(token: &str) -> String {
    let hex = sha1_smol::Sha1::from(token).digest().to_string();
    format!("upstash-local-ro-{}", &hex[..12])
}

/// `ACL SETUSER` for a user that can only read (plus PING, ECHO, EVALSHA and
/// the read-only script and function commands, MULTI/EXEC so read-only transactions work,
/// and SUBSCRIBE/PSUBSCRIBE for `/subscribe`: listening is reading).
fn read_only_acl(user: &str, token: &str, select_db: bool) -> Command {
    let mut rules = vec![
        "ACL".to_string(),
        "SETUSER".to_string(),
        user.to_string(),
        "reset".to_string(),
        "on".to_string(),
        format!(">{token}"),
    ];
    rules.extend(
        [
            "~*",
            "&*",
            "+@read",
            "+ping",
            "+echo",
            "-keys",
            "-scan",
            "+evalsha",
            "+eval_ro",
            "+evalsha_ro",
            "+fcall_ro",
            "+multi",
            "+exec",
            "+discard",
            "+subscribe",
            "+psubscribe",
            "+unsubscribe",
            "+punsubscribe",
        ]
        .map(String::from),
    );
    if select_db {
        // Needed to select the URL's database when connecting; the REST
        // layer refuses SELECT itself.
        rules.push("+select".to_string());
    }
    rules.into_iter().map(String::into_bytes).collect()
}

/// Redis's error text exactly as sent, e.g. `WRONGTYPE Operation against a key
/// holding the wrong kind of value` (the redis crate splits code and detail).
pub(crate) fn error_text(err: &ServerError) -> String {
    match err.details() {
        Some(details) => format!("{} {}", err.code(), details),
        None => err.code().to_string(),
    }
}

/// `commands` as one pipeline (errors kept as values), wrapped in
/// MULTI/EXEC if `transaction`. Each command's bytes are released once
/// copied into the pipeline.
fn pipeline(commands: Vec<Command>, transaction: bool) -> Pipeline {
    let mut pipe = redis::pipe();
    if transaction {
        pipe.cmd("MULTI");
    }
    for command in commands {
        let mut cmd = Cmd::new();
        for arg in &command {
            cmd.arg(arg.as_slice());
        }
        pipe.add_command(cmd);
    }
    if transaction {
        pipe.cmd("EXEC");
    }
    pipe.ignore_errors();
    pipe
}

fn to_reply(value: Value) -> Reply {
    match value {
        Value::ServerError(err) => Err(error_text(&err)),
        value => Ok(value),
    }
}

/// Sends `pipe` and returns one value per command (`count` of them).
async fn send(pipe: &Pipeline, count: usize, con: &mut impl ConnectionLike) -> Result<Vec<Value>, RedisError> {
    match pipe.query_async::<Value>(con).await? {
        Value::Array(values) if values.len() == count => Ok(values),
        other => {
            Err(RedisError::from((redis::ErrorKind::Client, "unexpected reply shape from Redis", format!("{other:?}"))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_urls_in_messages() {
        assert_eq!(without_password("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(without_password("redis://:s3cret@host:6379/2"), "redis://:***@host:6379/2");
        assert_eq!(without_password("rediss://me:p@ss@host"), "rediss://me:***@host");
        assert_eq!(without_password("redis://me@host"), "redis://me@host");
    }
}
