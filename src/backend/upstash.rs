//! The Upstash backend: cache operations as Upstash REST commands.

use std::sync::Arc;

use async_trait::async_trait;

use super::{BackendKind, CacheBackend, CacheError};
use crate::upstash::{Command, UpstashClient};
use crate::Ttl;

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
        Ok(self
            .client
            .command(&Command::new("GET").arg(key))
            .await?
            .into_bytes()?)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Vec<u8>>>, CacheError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let reply = self
            .client
            .command(&Command::new("MGET").args_from(keys))
            .await?;
        reply
            .into_array()?
            .into_iter()
            .map(|item| Ok(item.into_bytes()?))
            .collect()
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Ttl) -> Result<(), CacheError> {
        let text = std::str::from_utf8(value).map_err(|_| {
            CacheError::InvalidValue(
                "Upstash REST carries UTF-8 text; encode binary values first".into(),
            )
        })?;
        self.client
            .command(
                &Command::new("SET")
                    .arg(key)
                    .arg(text)
                    .arg("PX")
                    .arg(ttl.as_millis()),
            )
            .await?;
        Ok(())
    }

    async fn delete(&self, keys: &[&str]) -> Result<u64, CacheError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let deleted = self
            .client
            .command(&Command::new("DEL").args_from(keys))
            .await?
            .into_int()?;
        Ok(u64::try_from(deleted).unwrap_or(0))
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(self.client.ping().await?)
    }
}
