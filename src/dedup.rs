//! Cross-isolate deduplication: the first caller to claim an id wins, every
//! other caller (in any isolate, until the claim expires) is told it is a
//! duplicate. For webhooks and message handlers that a sender may deliver
//! twice.
//!
//! One `SET key 1 NX PX ttl`: Redis sets the key only if it is absent, so of
//! any number of concurrent claimers exactly one gets `OK`, the others
//! `nil` (the Redis documentation's "SET NX" lock pattern, without the
//! release: a claim is a record that the id was seen).

use std::sync::Arc;

use crate::config::ConfigError;
use crate::failure::FailurePolicy;
use crate::keys::{check_segment, escape_id};
use crate::upstash::{Command, UpstashClient, UpstashError};
use crate::Ttl;

/// What [`Dedup::claim`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller is the first: process the message.
    Claimed,
    /// Another caller claimed the id within its TTL: skip the message.
    Duplicate,
    /// The backend failed and the policy was [`FailurePolicy::Degrade`]:
    /// process the message, knowing it may be a duplicate.
    Unchecked,
}

/// Claims ids once across every isolate sharing an Upstash database.
///
/// ```no_run
/// # async fn example(client: std::sync::Arc<edgecache::upstash::UpstashClient>) -> Result<(), Box<dyn std::error::Error>> {
/// use edgecache::{dedup::{Claim, Dedup}, FailurePolicy, Ttl};
/// let webhooks = Dedup::new(client, "edgecache", "webhooks")?;
/// match webhooks.claim("evt_123", Ttl::try_from_secs(5)?, FailurePolicy::FailClosed).await? {
///     Claim::Claimed | Claim::Unchecked => { /* process it */ }
///     Claim::Duplicate => { /* already seen: acknowledge, do nothing */ }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Dedup {
    client: Arc<UpstashClient>,
    base: String,
}

impl Dedup {
    /// Claims under `{prefix}:~dedup:{name}:{escaped id}`.
    ///
    /// # Errors
    /// [`ConfigError`] when `prefix` or `name` is not 1 to 64 characters of
    /// `A-Z a-z 0-9 _ - .`.
    pub fn new(client: Arc<UpstashClient>, prefix: &str, name: &str) -> Result<Self, ConfigError> {
        check_segment("dedup prefix", prefix)?;
        check_segment("dedup name", name)?;
        Ok(Dedup { client, base: format!("{prefix}:~dedup:{name}") })
    }

    /// The key a claim of `id` sets.
    pub fn key(&self, id: &str) -> String {
        format!("{}:{}", self.base, escape_id(id))
    }

    /// Claims `id` for `ttl`: one round trip. Under `Degrade` a backend
    /// failure answers [`Claim::Unchecked`] (go on without the check); under
    /// `FailClosed` it is an error.
    ///
    /// # Errors
    /// [`UpstashError`] when the backend fails and `policy` is `FailClosed`.
    pub async fn claim(&self, id: &str, ttl: Ttl, policy: FailurePolicy) -> Result<Claim, UpstashError> {
        let command = Command::new("SET").arg(self.key(id)).arg(1).arg("NX").arg("PX").arg(ttl.as_millis());
        match self.client.command(&command).await {
            Ok(reply) if reply.is_ok_status() => Ok(Claim::Claimed),
            Ok(_) => Ok(Claim::Duplicate),
            Err(error) if policy == FailurePolicy::Degrade => {
                log::warn!("edgecache: dedup claim of {} unchecked: {error}", self.key(id));
                Ok(Claim::Unchecked)
            }
            Err(error) => Err(error),
        }
    }

    /// Gives `id` up (`DEL`), so that a redelivery is processed: for a
    /// handler that failed after claiming. One round trip.
    ///
    /// # Errors
    /// [`UpstashError`] when the backend fails.
    pub async fn release(&self, id: &str) -> Result<(), UpstashError> {
        self.client.command(&Command::new("DEL").arg(self.key(id))).await.map(|_| ())
    }
}
