//! The Upstash backend: cache operations as Upstash REST commands.

use std::sync::Arc;

use async_trait::async_trait;

use super::{
    BackendKind, CacheBackend, CacheError, FencedWrite, InvalidationWrite, LeaseRequest, LeaseState, ReadsBeside,
};
use crate::keys::entry_version_key;
use crate::upstash::{Command, Reply, Script, UpstashClient};
use crate::Ttl;

fn fenced_set_script() -> &'static Script {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| Script::new(lua!("cache/scripts/fenced_set.lua")))
}

fn read_leased_script() -> &'static Script {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| Script::new(lua!("cache/scripts/read_leased.lua")))
}

/// Deletes a lease only if the token still holds it (a compare-and-delete:
/// an expired lease may belong to another reader by now).
fn release_lease_script() -> &'static Script {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| {
        Script::new("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0")
    })
}

/// Sent as `EVAL` inside the invalidation's `MULTI` (a lost script cannot
/// fail the transaction); only when the invalidation names tags.
const INVALIDATE_TAG_MEMBERS: &str = lua!("cache/scripts/invalidate_tag_members.lua");

/// How long a health check's key lives, in ms.
const HEALTH_KEY_TTL_MS: u64 = 10_000;

/// The keys and arguments of the fenced-write script for `write`.
fn fenced_invocation<'a>(write: &FencedWrite<'a>) -> Result<(Vec<&'a str>, Vec<String>), CacheError> {
    let mut keys = Vec::with_capacity(write.versions.len() + 1);
    keys.push(write.key);
    keys.extend(write.versions.iter().map(|v| v.key));
    let mut args = vec![as_text(write.value)?.to_owned(), write.ttl.as_millis().to_string()];
    args.push(write.version_ttl.as_millis().to_string());
    args.push(write.versions.len().to_string());
    match &write.adaptive {
        Some(adaptive) => {
            args.push(adaptive.refuse_within_ms.to_string());
            args.push(adaptive.member.to_owned());
            for (members, invalidated) in adaptive.tags {
                keys.push(members.as_str());
                keys.push(invalidated.as_str());
            }
        }
        None => args.extend([String::from("0"), String::new()]),
    }
    match write.lease {
        Some((lease_key, token)) => {
            keys.push(lease_key);
            args.push(token.to_owned());
        }
        None => args.push(String::new()),
    }
    for check in write.versions {
        args.push(check.seen.unwrap_or("").to_owned());
        args.push(check.create.to_owned());
    }
    Ok((keys, args))
}

fn as_text(value: &[u8]) -> Result<&str, CacheError> {
    std::str::from_utf8(value)
        .map_err(|_| CacheError::InvalidValue("Upstash REST carries UTF-8 text; encode binary values first".into()))
}

/// Cache operations on Upstash Redis: `GET`, `MGET`, `SET ... PX`, `DEL`,
/// `PING`, one REST round trip each.
///
/// Values are stored as Redis strings, so JSON written here reads the same
/// from @upstash/redis in a TypeScript worker sharing the database.
#[derive(Debug, Clone)]
pub struct UpstashBackend {
    client: Arc<UpstashClient>,
}

impl UpstashBackend {
    /// A backend over `client`.
    pub fn new(client: Arc<UpstashClient>) -> Self {
        UpstashBackend { client }
    }

    /// The REST client (to run scripts or count round trips).
    pub fn client(&self) -> &Arc<UpstashClient> {
        &self.client
    }
}

#[cfg_attr(target_arch = "wasm32", async_trait(?Send))]
#[cfg_attr(not(target_arch = "wasm32"), async_trait)]
impl CacheBackend for UpstashBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Upstash
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.client.command(&Command::new("GET").arg(key)).await?.into_bytes()?)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let reply = self.client.command(&Command::new("MGET").args_from(keys)).await?;
        reply.into_array()?.into_iter().map(|item| Ok(item.into_bytes()?)).collect()
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Ttl) -> Result<(), CacheError> {
        let text = std::str::from_utf8(value).map_err(|_| {
            CacheError::InvalidValue("Upstash REST carries UTF-8 text; encode binary values first".into())
        })?;
        self.client.command(&Command::new("SET").arg(key).arg(text).arg("PX").arg(ttl.as_millis())).await?;
        Ok(())
    }

    async fn delete(&self, keys: &[&str]) -> Result<u64, CacheError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let deleted = self.client.command(&Command::new("DEL").args_from(keys)).await?.into_int()?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    async fn set_fenced(&self, write: &FencedWrite<'_>) -> Result<bool, CacheError> {
        let (keys, args) = fenced_invocation(write)?;
        let written = self.client.eval(fenced_set_script(), &keys, &args).await?.into_int()?;
        Ok(written == 1)
    }

    async fn get_many_leased(
        &self,
        keys: &[&str],
        lease: &LeaseRequest<'_>,
    ) -> Result<(Vec<Option<Vec<u8>>>, LeaseState), CacheError> {
        let mut all = keys.to_vec();
        all.push(lease.key);
        let args = [lease.token.to_owned(), lease.ttl.as_millis().to_string(), lease.now_ms.to_string()];
        let mut items = self.client.eval(read_leased_script(), &all, &args).await?.into_array()?;
        let lease = match items.pop().map(|reply| reply.into_int()).transpose()? {
            Some(1) => LeaseState::Taken,
            Some(2) => LeaseState::HeldByOther,
            _ => LeaseState::NotNeeded,
        };
        let values = items.into_iter().map(|v| v.into_bytes()).collect::<Result<_, _>>()?;
        Ok((values, lease))
    }

    async fn release_lease(&self, lease_key: &str, token: &str) -> Result<(), CacheError> {
        self.client.eval(release_lease_script(), &[lease_key], &[token]).await?;
        Ok(())
    }

    async fn get_many_batch(&self, reads: &[Vec<&str>]) -> Result<Vec<Vec<Option<Vec<u8>>>>, CacheError> {
        let commands: Vec<Command> = reads.iter().map(|keys| Command::new("MGET").args_from(keys)).collect();
        let outcomes = self.client.pipeline(&commands).await?;
        outcomes
            .into_iter()
            .map(|outcome| outcome?.into_array()?.into_iter().map(|v| Ok(v.into_bytes()?)).collect())
            .collect()
    }

    async fn set_fenced_batch(&self, writes: &[FencedWrite<'_>]) -> Result<Vec<Result<bool, CacheError>>, CacheError> {
        let script = fenced_set_script();
        let invocations: Vec<(Vec<&str>, Vec<String>)> =
            writes.iter().map(fenced_invocation).collect::<Result<_, _>>()?;
        let commands: Vec<Command> = invocations.iter().map(|(k, a)| script.evalsha_command(k, a)).collect();
        let mut outcomes = self.client.pipeline(&commands).await?;
        // A script Redis lost (NOSCRIPT): one more pipeline sends those as EVAL.
        let lost: Vec<usize> =
            (0..outcomes.len()).filter(|&i| matches!(&outcomes[i], Err(e) if e.is_noscript())).collect();
        if !lost.is_empty() {
            let retries: Vec<Command> =
                lost.iter().map(|&i| script.eval_command(&invocations[i].0, &invocations[i].1)).collect();
            for (i, outcome) in lost.into_iter().zip(self.client.pipeline(&retries).await?) {
                outcomes[i] = outcome;
            }
        }
        Ok(outcomes.into_iter().map(|outcome| Ok(outcome?.into_int()? == 1)).collect())
    }

    async fn invalidate(&self, write: &InvalidationWrite<'_>) -> Result<(), CacheError> {
        let version_ttl_ms = write.version_ttl.as_millis();
        let mut commands = Vec::with_capacity(write.bumps.len() + 2);
        // An entry whose own version is bumped here is unusable to every
        // reader (each read checks it), so deleting it too would only free
        // its bytes before its TTL does, for one more billed command.
        let bumped = |key: &&str| write.bumps.iter().any(|(version, _)| *version == entry_version_key(key));
        let deletes: Vec<&str> = write.deletes.iter().copied().filter(|key| !bumped(key)).collect();
        if !deletes.is_empty() {
            commands.push(Command::new("DEL").args_from(&deletes));
        }
        for (key, version) in write.bumps {
            commands.push(Command::new("SET").arg(key).arg(version).arg("PX").arg(version_ttl_ms));
        }
        if !write.tag_members.is_empty() {
            let keys = write.tag_members.iter().flat_map(|(members, invalidated)| [members, invalidated]);
            let eval = Command::new("EVAL").arg(INVALIDATE_TAG_MEMBERS).arg(write.tag_members.len() * 2);
            commands.push(eval.args_from(keys).arg(write.member_version).arg(version_ttl_ms));
        }
        if let Some((channel, message)) = write.publish {
            commands.push(Command::new("PUBLISH").arg(channel).arg(message));
        }
        match commands.len() {
            0 => Ok(()),
            1 => self.client.command(&commands[0]).await.map(|_| ()).map_err(Into::into),
            _ => {
                // One round trip; atomic, so a reader never sees half of it.
                for outcome in self.client.multi_exec(&commands).await? {
                    outcome?;
                }
                Ok(())
            }
        }
    }

    async fn check_writable(&self, key: &str) -> Result<(), CacheError> {
        // A key of this check's own, so checks of other isolates cannot
        // interleave; a pipeline, not MULTI, so a refused SET reports its own
        // error (NOPERM) rather than EXECABORT.
        let nonce = format!("{:016x}", crate::random::random_u64());
        let key = format!("{key}:{nonce}");
        let write = Command::new("SET").arg(&key).arg(&nonce).arg("PX").arg(HEALTH_KEY_TTL_MS);
        let mut outcomes = self.client.pipeline(&[write, Command::new("GET").arg(&key)]).await?;
        let read = outcomes.pop().expect("two outcomes");
        outcomes.pop().expect("two outcomes")?;
        let read = read?.into_bytes()?;
        match read {
            Some(value) if value == nonce.as_bytes() => Ok(()),
            _ => Err(CacheError::InvalidValue("the health check key did not read back as written".into())),
        }
    }

    fn reads_beside(&self) -> bool {
        true
    }

    async fn get_many_beside(
        &self,
        command: Option<&Command>,
        reads: &[Vec<&str>],
        timeout_ms: Option<u64>,
    ) -> ReadsBeside {
        let mut pipeline: Vec<Command> = command.into_iter().cloned().collect();
        pipeline.extend(reads.iter().map(|keys| Command::new("MGET").args_from(keys)));
        let timeout_ms = timeout_ms.map_or(self.client.timeout_ms(), |t| t.min(self.client.timeout_ms()));
        match self.client.pipeline_within(&pipeline, timeout_ms).await {
            Ok(mut outcomes) => {
                let values = outcomes.split_off(usize::from(command.is_some()));
                let reads = values
                    .into_iter()
                    .map(|read| {
                        read.and_then(|reply| {
                            reply.into_array()?.into_iter().map(Reply::into_bytes).collect::<Result<Vec<_>, _>>()
                        })
                        .map_err(CacheError::from)
                    })
                    .collect();
                ReadsBeside { command: outcomes.pop(), reads: Ok(reads) }
            }
            Err(error) => {
                ReadsBeside { command: command.map(|_| Err(error.clone())), reads: Err(CacheError::from(error)) }
            }
        }
    }

    fn upstash_client(&self) -> Option<&Arc<UpstashClient>> {
        Some(&self.client)
    }
}
