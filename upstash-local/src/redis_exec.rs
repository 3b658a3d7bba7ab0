//! Running commands on Redis: the connections (full access and read-only
//! ACL user), single commands, pipelines and MULTI/EXEC transactions, and
//! dedicated pub/sub connections for `/subscribe`.

use std::time::Duration;

use anyhow::anyhow;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::{Client, Cmd, IntoConnectionInfo, Pipeline, RedisError, ServerError, Value};

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

/// How long opening a connection to Redis may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Connections to Redis, one per access level. Cheap to clone; each is a
/// multiplexed connection that reconnects after Redis comes back.
#[derive(Clone)]
pub(crate) struct Redis {
    full: User,
    read_only: Option<User>,
}

/// One Redis user: how to open connections as it, and its shared connection.
#[derive(Clone)]
struct User {
    client: Client,
    shared: ConnectionManager,
}

impl Redis {
    /// Connects to `url` (failing fast if unreachable) and, when a read-only
    /// token is given, creates its ACL user and connects as that user too.
    /// Errors name the URL without its password and never show the token.
    pub(crate) async fn connect(url: &str, read_only_token: Option<&str>) -> anyhow::Result<Self> {
        let shown = without_password(url);
        let info = url.into_connection_info().map_err(|err| anyhow!("invalid Redis URL {shown}: {err}"))?;
        let full = User::connect(Client::open(info.clone())?)
            .await
            .map_err(|err| anyhow!("cannot connect to Redis at {shown}: {err}"))?;

        let read_only = match read_only_token {
            None => None,
            Some(token) => {
                let user = read_only_user_name(token);
                let select_db = info.redis_settings().db() != 0;
                let acl = read_only_acl(&user, token, select_db);
                // Redis may quote the rule, and so the token, in its error.
                let hidden = |why: String| why.replace(token, "<read-only token>");
                let failed = |why: String| anyhow!("ACL SETUSER {user} failed on Redis at {shown}: {}", hidden(why));
                let reply = run_command(&mut full.shared.clone(), &acl).await.map_err(|err| failed(err.to_string()))?;
                if let Err(text) = reply {
                    return Err(failed(text));
                }
                let settings = info.redis_settings().clone().set_username(&user).set_password(token);
                let client = Client::open(info.clone().set_redis_settings(settings))?;
                let connected = User::connect(client)
                    .await
                    .map_err(|err| anyhow!("cannot connect to Redis at {shown} as read-only user {user}: {err}"))?;
                Some(connected)
            }
        };
        Ok(Self { full, read_only })
    }

    /// The connection for `access`.
    pub(crate) fn connection(&self, access: Access) -> ConnectionManager {
        self.user(access).shared.clone()
    }

    /// A new connection of its own for pub/sub, as the user for `access`.
    /// It closes when the returned value (or its message stream) is dropped.
    pub(crate) async fn pubsub(&self, access: Access) -> Result<PubSub, RedisError> {
        match tokio::time::timeout(CONNECT_TIMEOUT, self.user(access).client.get_async_pubsub()).await {
            Ok(pubsub) => pubsub,
            Err(_) => Err(RedisError::from((
                redis::ErrorKind::Io,
                "timed out connecting for pub/sub",
                format!("no connection within {CONNECT_TIMEOUT:?}"),
            ))),
        }
    }

    fn user(&self, access: Access) -> &User {
        match (access, &self.read_only) {
            (Access::ReadOnly, Some(read_only)) => read_only,
            _ => &self.full,
        }
    }
}

impl User {
    async fn connect(client: Client) -> redis::RedisResult<User> {
        let shared = connect_manager(client.clone()).await?;
        Ok(User { client, shared })
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

async fn connect_manager(client: Client) -> redis::RedisResult<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(1)
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(Duration::from_secs(30)));
    let mut manager = ConnectionManager::new_with_config(client, config).await?;
    redis::cmd("PING").query_async::<()>(&mut manager).await?;
    Ok(manager)
}

/// The ACL user name for a read-only token: derived from its SHA-1, so that
/// several upstash-local processes sharing one Redis never clobber each other.
pub(crate) fn read_only_user_name(token: &str) -> String {
    let hex = sha1_smol::Sha1::from(token).digest().to_string();
    format!("upstash-local-ro-{}", &hex[..12])
}

/// `ACL SETUSER` for a user that can only read (plus PING, ECHO, EVALSHA and
/// the read-only script commands, MULTI/EXEC so read-only transactions work,
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

fn to_cmd(command: &Command) -> Cmd {
    let mut cmd = Cmd::new();
    for arg in command {
        cmd.arg(arg.as_slice());
    }
    cmd
}

fn to_reply(value: Value) -> Reply {
    match value {
        Value::ServerError(err) => Err(error_text(&err)),
        value => Ok(value),
    }
}

/// Sends `pipe` (errors kept as values) and returns one value per command.
async fn send(pipe: &mut Pipeline, con: &mut ConnectionManager) -> Result<Vec<Value>, RedisError> {
    match pipe.ignore_errors().query_async::<Value>(con).await? {
        Value::Array(values) if values.len() == pipe.len() => Ok(values),
        other => {
            Err(RedisError::from((redis::ErrorKind::Client, "unexpected reply shape from Redis", format!("{other:?}"))))
        }
    }
}

/// Runs one command. `Err` means Redis could not be reached.
pub(crate) async fn run_command(con: &mut ConnectionManager, command: &Command) -> Result<Reply, RedisError> {
    let mut replies = run_pipeline(con, std::slice::from_ref(command)).await?;
    Ok(replies.remove(0))
}

/// Runs commands in order in one round trip, not atomically: an error in one
/// does not stop the others. `Err` means Redis could not be reached.
pub(crate) async fn run_pipeline(con: &mut ConnectionManager, commands: &[Command]) -> Result<Vec<Reply>, RedisError> {
    let mut pipe = redis::pipe();
    for command in commands {
        pipe.add_command(to_cmd(command));
    }
    Ok(send(&mut pipe, con).await?.into_iter().map(to_reply).collect())
}

/// Runs commands atomically: MULTI, the commands and EXEC go out as one
/// contiguous pipeline, so nothing else on the shared connection interleaves.
/// `Err` means Redis could not be reached.
pub(crate) async fn run_transaction(
    con: &mut ConnectionManager,
    commands: &[Command],
) -> Result<Transaction, RedisError> {
    let mut pipe = redis::pipe();
    pipe.cmd("MULTI");
    for command in commands {
        pipe.add_command(to_cmd(command));
    }
    pipe.cmd("EXEC");
    let mut values = send(&mut pipe, con).await?;
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
