//! The Redis users requests run as: made at start-up (and again should
//! Redis forget them), removed at a stop.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::anyhow;
use redis::{Client, ConnectionInfo, IntoConnectionInfo};

use super::{failure_text, is_unknown_user, Failure, Redis, User, CLEANUP_TIMEOUT, OWN_REPLY_BUDGET};
use crate::acl::{self, Role};
use crate::encode::Encoding;
use crate::limits::ReplyBudget;
use crate::pool::{read_error_text, Checkout, Pool, Target, CONNECT_TIMEOUT};
use crate::protocol::Command;
use crate::resp::Value;

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
    async fn known_commands(&self) -> Option<HashSet<String>> {
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
        known: Option<&HashSet<String>>,
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
    pub(super) async fn setuser(&self, setuser: &Command) -> Result<(), String> {
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
    pub(super) async fn checkout(&self, user: &User) -> Result<Checkout, Failure> {
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
