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

use anyhow::anyhow;
use redis::aio::{Monitor, PubSub};
use redis::{Client, ConnectionInfo, IntoConnectionInfo, RedisError};

use crate::acl::{self, Role};
use crate::commands::{changes_connection_state, name, CodeKind};
use crate::encode::Encoding;
use crate::limits::ReplyBudget;
use crate::pool::{read_error_text, Checkout, Pool, Target, CONNECT_TIMEOUT};
use crate::protocol::Command;
use crate::resp::{ReadError, Value};

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
    /// Connects to `url` (failing fast if unreachable), creates the users
    /// for `token` and `read_only_token` and connects as them. Each user
    /// gets a pool of up to `connections` connections; a request waits at
    /// most `timeout` for Redis's answer. Errors name the URL without its
    /// password and never show a token or a password.
    pub(crate) async fn connect(
        url: &str,
        token: &str,
        read_only_token: Option<&str>,
        connections: u32,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let shown = without_password(url);
        let info = url.into_connection_info().map_err(|err| anyhow!("invalid Redis URL {shown}: {err}"))?;
        let target = Target::from_info(&info).map_err(|why| anyhow!("cannot serve Redis at {shown}: {why}"))?;
        let admin = User::connect(&info, target.clone(), None, connections, timeout)
            .await
            .map_err(|err| anyhow!("cannot connect to Redis at {shown}: {err}"))?;
        let mut redis = Self { admin: admin.clone(), full: admin, read_only: None, separate: false, timeout };
        let known = redis.known_commands().await;

        match redis.create_user(Role::Full, token, &shown, &info, &target, known.as_ref(), connections).await {
            Ok(user) => {
                redis.full = user;
                redis.separate = true;
            }
            Err(why) => eprintln!(
                "upstash-local: warning: {why}; the full-access token runs as the Redis URL's own user instead, \
                 so scripts (EVAL, FCALL) can reach commands the REST API refuses (MIGRATE, SELECT, SWAPDB, \
                 SLOWLOG, INFO...); give it a Redis user that may run ACL SETUSER to make them a boundary"
            ),
        }
        if let Some(token) = read_only_token {
            let user =
                redis.create_user(Role::ReadOnly, token, &shown, &info, &target, known.as_ref(), connections).await;
            redis.read_only = Some(user.map_err(|why| anyhow!("{why}"))?);
        }
        Ok(redis)
    }

    /// The commands the server knows (`COMMAND LIST`), if it says.
    async fn known_commands(&self) -> Option<std::collections::HashSet<String>> {
        let list = vec![b"COMMAND".to_vec(), b"LIST".to_vec()];
        match self.own_commands(vec![list]).await.ok()?.pop()? {
            Value::Array(names) => Some(acl::known_commands(names.into_iter().filter_map(|name| match name {
                Value::Bulk(name) => Some(name),
                _ => None,
            }))),
            _ => None,
        }
    }

    /// Creates (or resets) `role`'s user for `token` and connects as it.
    /// Errors say what failed, on which Redis, without a password.
    #[allow(clippy::too_many_arguments)]
    async fn create_user(
        &self,
        role: Role,
        token: &str,
        shown: &str,
        info: &ConnectionInfo,
        target: &Target,
        known: Option<&std::collections::HashSet<String>>,
        connections: u32,
    ) -> Result<User, String> {
        let name = acl::user_name(role, token);
        let password = acl::password(role, token);
        let setuser = acl::setuser(role, &name, &password, target.db(), known);
        let hidden = |why: String| why.replace(&password, "<password>").replace(token, "<token>");
        self.setuser(&setuser).await.map_err(|why| format!("{why} on Redis at {shown}"))?;
        let settings =
            info.redis_settings().clone().set_username(&name).set_password(&password).set_skip_set_lib_name();
        let user_info = info.clone().set_redis_settings(settings);
        let created = Some((name.clone(), setuser));
        User::connect(&user_info, target.as_user(&name, &password), created, connections, self.timeout)
            .await
            .map_err(|err| format!("cannot connect to Redis at {shown} as {name}: {}", hidden(err)))
    }

    /// Sends `setuser` (an `ACL SETUSER`) as the URL's user. Errors name the
    /// user, and quote Redis (which names the rule it refused, never a
    /// password: rules carry its hash).
    async fn setuser(&self, setuser: &Command) -> Result<(), String> {
        let name = String::from_utf8_lossy(&setuser[2]);
        let refused = |why: String| format!("ACL SETUSER {name} failed: {why}");
        match self.own_commands(vec![setuser.clone()]).await {
            Ok(replies) => match replies.into_iter().next() {
                Some(Value::Error(text)) => Err(refused(text)),
                Some(_) => Ok(()),
                None => Err(refused("no reply".into())),
            },
            Err(failure) => Err(refused(failure_text(&failure))),
        }
    }

    /// A connection of `user`'s: if Redis no longer knows the user (it
    /// restarted), it is created again first.
    async fn checkout(&self, user: &User) -> Result<Checkout, Failure> {
        match user.pool.get().await {
            Ok(conn) => Ok(conn),
            Err(why) if is_unknown_user(&why) => {
                let Some((_, setuser)) = &user.created else {
                    return Err(Failure::Unavailable(why));
                };
                self.setuser(setuser).await.map_err(Failure::Unavailable)?;
                user.pool.get().await.map_err(Failure::Unavailable)
            }
            Err(why) => Err(Failure::Unavailable(why)),
        }
    }

    /// Runs upstash-local's own `commands` as the URL's user.
    async fn own_commands(&self, commands: Vec<Command>) -> Result<Vec<Value>, Failure> {
        let mut budget = ReplyBudget::unshared(OWN_REPLY_BUDGET, Encoding::Lossy);
        let conn = self.admin.pool.get().await.map_err(Failure::Unavailable)?;
        self.exchange(conn, commands, false, &[], &mut budget).await
    }

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

    /// Sends `commands` (wrapped in MULTI/EXEC if `transaction`) and a
    /// `PING` on `conn`, and reads every reply within the command timeout
    /// and `budget`. The connection goes back to the pool only if the
    /// `PING` answered `PONG`.
    async fn exchange(
        &self,
        mut conn: Checkout,
        commands: Vec<Command>,
        transaction: bool,
        code: &[CodeKind],
        budget: &mut ReplyBudget,
    ) -> Result<Vec<Value>, Failure> {
        // Refused by the REST layer; should one get through, its connection goes.
        let changes_state = commands.iter().any(changes_connection_state);
        let mut batch = Vec::with_capacity(commands.len() + 3);
        if transaction {
            batch.push(vec![b"MULTI".to_vec()]);
        }
        batch.extend(commands);
        if transaction {
            batch.push(vec![b"EXEC".to_vec()]);
        }
        let count = batch.len();
        batch.push(vec![b"PING".to_vec()]);
        let exchanged = async {
            let connection = conn.connection();
            connection.send(&batch).await?;
            // Sent: the commands' bytes (and the body's share) are let go.
            drop(batch);
            budget.commands_sent();
            let mut values = Vec::with_capacity(count);
            for _ in 0..count {
                values.push(connection.read(budget).await?);
            }
            let sentinel = connection.read(budget).await?;
            Ok::<_, ReadError>((values, sentinel))
        };
        match tokio::time::timeout(self.timeout, exchanged).await {
            Ok(Ok((values, Value::Status(pong)))) if pong == "PONG" => {
                if changes_state {
                    conn.close();
                }
                Ok(values)
            }
            Ok(Ok((_, other))) => {
                conn.close();
                let why = format!("the connection answered {other:?} to a PING after the commands");
                eprintln!("upstash-local: closed a Redis connection in an unexpected state: {why}");
                Err(Failure::Strange(why))
            }
            Ok(Err(ReadError::TooLarge)) => {
                conn.close();
                Err(Failure::TooLarge(budget.limit()))
            }
            Ok(Err(ReadError::Protocol(why))) => {
                conn.close();
                eprintln!("upstash-local: closed a Redis connection in an unexpected state: {why}");
                Err(Failure::Strange(why))
            }
            Ok(Err(ReadError::Io(err))) => {
                conn.discard();
                Err(Failure::Unavailable(err.to_string()))
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
    /// URL's user.
    fn kill(&self, kind: CodeKind) {
        let redis = self.clone();
        tokio::spawn(async move {
            let command = match kind {
                CodeKind::Script => "SCRIPT",
                CodeKind::Function => "FUNCTION",
            };
            let kill = vec![command.as_bytes().to_vec(), b"KILL".to_vec()];
            match tokio::time::timeout(KILL_TIMEOUT, redis.own_commands_patiently(vec![kill])).await {
                // Killed, or it ended by itself (NOTBUSY) in the meantime.
                Ok(Ok(replies)) => match replies.first() {
                    Some(Value::Error(text)) if !text.starts_with("NOTBUSY") => {
                        eprintln!("upstash-local: {command} KILL of code past the command timeout failed: {text}")
                    }
                    _ => {}
                },
                Ok(Err(failure)) => eprintln!(
                    "upstash-local: {command} KILL of code past the command timeout failed: {}",
                    failure_text(&failure)
                ),
                Err(_) => eprintln!("upstash-local: {command} KILL got no answer within {KILL_TIMEOUT:?}"),
            }
        });
    }

    /// As [`Redis::own_commands`], waiting up to [`KILL_TIMEOUT`] for the
    /// answer rather than the command timeout (Redis takes `SCRIPT KILL`
    /// only once the script has run for its busy threshold).
    async fn own_commands_patiently(&self, commands: Vec<Command>) -> Result<Vec<Value>, Failure> {
        let patient = Redis { timeout: KILL_TIMEOUT, ..self.clone() };
        patient.own_commands(commands).await
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

    /// Removes the users upstash-local created, unless some client (another
    /// upstash-local with the same token, say) is still logged in as one:
    /// called when the server stops, once its own connections are closed.
    /// Gives up after [`CLEANUP_TIMEOUT`] (Redis gone, say), leaving them.
    pub(crate) async fn remove_users(&self) {
        let users: Vec<&User> = [Some(&self.full), self.read_only.as_ref()].into_iter().flatten().collect();
        for user in &users {
            user.pool.close_idle();
        }
        let names: Vec<&str> =
            users.iter().filter_map(|user| user.created.as_ref().map(|(name, _)| name.as_str())).collect();
        let cleanup = async {
            for name in names {
                // Closed connections leave Redis's client list a moment later.
                loop {
                    match self.logged_in(name).await {
                        Some(false) => {
                            let _ = self.own_commands(vec![acl::deluser(name)]).await;
                            break;
                        }
                        Some(true) => tokio::time::sleep(Duration::from_millis(50)).await,
                        None => return,
                    }
                }
            }
        };
        let _ = tokio::time::timeout(CLEANUP_TIMEOUT, cleanup).await;
    }

    /// Whether a client is logged in as `name` (`CLIENT LIST`'s `user=`).
    async fn logged_in(&self, name: &str) -> Option<bool> {
        let list = vec![b"CLIENT".to_vec(), b"LIST".to_vec()];
        match self.own_commands(vec![list]).await.ok()?.pop()? {
            Value::Bulk(text) => {
                let field = format!(" user={name} ");
                Some(String::from_utf8_lossy(&text).lines().any(|line| format!("{line} ").contains(&field)))
            }
            _ => None,
        }
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
    /// A pool for `target`, checked by a PING (so that startup fails fast).
    async fn connect(
        info: &ConnectionInfo,
        target: Target,
        created: Option<(String, Command)>,
        connections: u32,
        timeout: Duration,
    ) -> Result<User, String> {
        let pool = Pool::new(target, connections, timeout.max(CONNECT_TIMEOUT));
        let client = Client::open(info.clone()).map_err(|err| err.to_string())?;
        let user = User { client, pool, created };
        let mut conn = user.pool.get().await?;
        let mut budget = ReplyBudget::unshared(OWN_REPLY_BUDGET, Encoding::Lossy);
        let ping = async {
            let connection = conn.connection();
            connection.send(&[vec![b"PING".to_vec()]]).await?;
            connection.read(&mut budget).await
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, ping).await {
            Ok(Ok(Value::Status(pong))) if pong == "PONG" => Ok(user),
            Ok(Ok(Value::Error(text))) => Err(text),
            Ok(Ok(other)) => Err(format!("unexpected answer to PING: {other:?}")),
            Ok(Err(err)) => Err(read_error_text(&err)),
            Err(_) => Err(format!("no answer to PING within {CONNECT_TIMEOUT:?}")),
        }
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

fn to_reply(value: Value) -> Reply {
    match value {
        Value::Error(text) => Err(text),
        value => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::OwnRedis;

    fn cmd(args: &[&str]) -> Command {
        args.iter().map(|arg| arg.as_bytes().to_vec()).collect()
    }

    /// Commands the REST layer refuses reach Redis here directly: whatever
    /// state they leave a connection in, the next request on the pool (of
    /// one connection) gets a connection that answers as a fresh one.
    #[tokio::test]
    async fn a_connection_that_answers_strangely_is_not_reused() {
        let own = OwnRedis::start();
        let redis = Redis::connect(&own.url(), "a-token-0123456789", None, 1, Duration::from_secs(1)).await.unwrap();
        // As the URL's user, which may run them all: the REST layer and the
        // ACL user are not what is tested here.
        let admin = Redis { full: redis.admin.clone(), separate: false, ..redis.clone() };
        let budget = || ReplyBudget::unshared(1 << 20, Encoding::Lossy);
        for state in [
            &["MULTI"][..],
            &["SUBSCRIBE", "c"],
            &["CLIENT", "REPLY", "OFF"],
            &["SCRIPT", "DEBUG", "SYNC"],
            &["MONITOR"],
        ] {
            let _ = admin.run(Access::Full, vec![cmd(state)], &[], &mut budget()).await;
            let replies =
                admin.run(Access::Full, vec![cmd(&["SET", "k", "v"]), cmd(&["GET", "k"])], &[], &mut budget()).await;
            let replies = replies.unwrap_or_else(|_| panic!("after {state:?}: no answer"));
            assert_eq!(replies.len(), 2);
            assert!(matches!(&replies[1], Ok(Value::Bulk(v)) if v == b"v"), "after {state:?}: {replies:?}");
            let eval = admin.run(Access::Full, vec![cmd(&["EVAL", "return 1", "0"])], &[], &mut budget()).await;
            assert!(matches!(&eval.as_deref(), Ok([Ok(Value::Int(1))])), "after {state:?}: {eval:?}");
        }
    }

    #[test]
    fn passwords_are_left_out_of_urls_in_messages() {
        assert_eq!(without_password("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(without_password("redis://:s3cret@host:6379/2"), "redis://:***@host:6379/2");
        assert_eq!(without_password("rediss://me:p@ss@host"), "rediss://me:***@host");
        assert_eq!(without_password("redis://me@host"), "redis://me@host");
    }
}
