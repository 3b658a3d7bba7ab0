//! One request's exchange with Redis: its commands and a `PING` in one
//! write, every reply read within the command timeout and the reply budget,
//! and the connection kept only if it answered as a fresh one; code still
//! running at the timeout is killed.

use super::{failure_text, Failure, Redis, KILL_TIMEOUT, OWN_REPLY_BUDGET};
use crate::commands::{changes_connection_state, CodeKind};
use crate::encode::Encoding;
use crate::limits::ReplyBudget;
use crate::pool::Checkout;
use crate::protocol::Command;
use crate::resp::{ReadError, Value};

impl Redis {
    /// Runs upstash-local's own `commands` as the URL's user.
    pub(super) async fn own_commands(&self, commands: Vec<Command>) -> Result<Vec<Value>, Failure> {
        let mut budget = ReplyBudget::unshared(OWN_REPLY_BUDGET, Encoding::Lossy);
        let conn = self.admin.pool.get().await.map_err(Failure::Unavailable)?;
        self.exchange(conn, commands, false, &[], &mut budget).await
    }

    /// Sends `commands` (wrapped in MULTI/EXEC if `transaction`) and a
    /// `PING` on `conn`, and reads every reply within the command timeout
    /// and `budget`. The connection goes back to the pool only if the
    /// `PING` answered `PONG`; a `BUSY` answer (a script is running) leaves
    /// the replies as they came and closes the connection.
    pub(super) async fn exchange(
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
            // Redis is running a script past its busy threshold, and answers
            // everyone BUSY (the commands too): its state, not the
            // connection's. The replies stand; the connection, unchecked, goes.
            Ok(Ok((values, Value::Error(busy)))) if busy.starts_with("BUSY ") => {
                conn.close();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::redis_exec::Access;
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
}
