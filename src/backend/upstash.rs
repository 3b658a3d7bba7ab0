//! The Upstash backend: cache operations as Upstash REST commands.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BackendKind, CacheBackend, CacheError, FencedWrite, InvalidationWrite};
use crate::upstash::{Command, Script, UpstashClient};
use crate::Ttl;

fn fenced_set_script() -> &'static Script {
    static SCRIPT: std::sync::OnceLock<Script> = std::sync::OnceLock::new();
    SCRIPT.get_or_init(|| Script::new(include_str!("../cache/scripts/fenced_set.lua")))
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
        let mut keys = Vec::with_capacity(write.versions.len() + 1);
        keys.push(write.key);
        keys.extend(write.versions.iter().map(|v| v.key));
        let ttl_ms = write.ttl.as_millis().to_string();
        let version_ttl_ms = write.version_ttl.as_millis().to_string();
        let mut args: Vec<&str> = vec![as_text(write.value)?, &ttl_ms, &version_ttl_ms];
        for check in write.versions {
            args.push(check.seen.unwrap_or(""));
            args.push(check.create);
        }
        let written = self.client.eval(fenced_set_script(), &keys, &args).await?.into_int()?;
        Ok(written == 1)
    }

    async fn invalidate(&self, write: &InvalidationWrite<'_>) -> Result<(), CacheError> {
        let version_ttl_ms = write.version_ttl.as_millis();
        let mut commands = Vec::with_capacity(write.bumps.len() + 2);
        if !write.deletes.is_empty() {
            commands.push(Command::new("DEL").args_from(write.deletes));
        }
        for (key, version) in write.bumps {
            commands.push(Command::new("SET").arg(key).arg(version).arg("PX").arg(version_ttl_ms));
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

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(self.client.ping().await?)
    }

    fn upstash_client(&self) -> Option<&Arc<UpstashClient>> {
        Some(&self.client)
    }
}
