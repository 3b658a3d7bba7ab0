//! The invalidator: entries deleted and versions bumped in one round trip
//! (`MULTI/EXEC`), the event published, and the isolate's own L1 copies and
//! in-flight lookups of what it names dropped at once.

use super::created::new_version;
use super::events::InvalidationEvent;
use super::guarded::GuardedBackend;
use super::invalidation::Invalidation;
use super::reads::ReadPath;
use crate::backend::{CacheError, InvalidationWrite};
use crate::failure::FailurePolicy;
use crate::keys::{entry_version_key, epoch_key, tag_invalidated_key, tag_key, tag_members_key};
use crate::Ttl;

/// Whether a backend call consults the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BreakerRule {
    /// Skipped while the breaker is open.
    Respect,
    /// Sent anyway: the call doubles as the probe that finds the backend back.
    Bypass,
}

/// How this cache invalidates: under which prefix its tags live, how long
/// the versions it sets last, and where it publishes its events.
pub(super) struct Invalidator {
    key_prefix: String,
    version_ttl: Ttl,
    events_channel: Option<String>,
}

impl Invalidator {
    pub fn new(key_prefix: &str, version_ttl: Ttl, events_channel: Option<String>) -> Self {
        Invalidator { key_prefix: key_prefix.to_owned(), version_ttl, events_channel }
    }

    /// The channel its events are published on, if any.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn events_channel(&self) -> Option<&str> {
        self.events_channel.as_deref()
    }

    /// Applies `invalidation`, answering the versions it set (`None` when
    /// it was not applied; empty without a backend or with nothing to do).
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`].
    pub async fn invalidate_versions(
        &self,
        guarded: &GuardedBackend,
        reads: &ReadPath,
        invalidation: &Invalidation,
        policy: FailurePolicy,
        breaker: BreakerRule,
    ) -> Result<Option<Vec<(String, String)>>, CacheError> {
        let Some(backend) = guarded.backend() else { return Ok(Some(Vec::new())) };
        if invalidation.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let version_keys = self.version_keys_of(invalidation);
        reads.forget(&invalidation.keys, &version_keys);
        let now_ms = reads.now_ms();
        let versions: Vec<String> = version_keys.iter().map(|_| new_version(now_ms)).collect();
        let bumps: Vec<(&str, &str)> =
            version_keys.iter().map(String::as_str).zip(versions.iter().map(String::as_str)).collect();
        let deletes: Vec<&str> = invalidation.keys.iter().map(String::as_str).collect();
        let channel = self.events_channel.as_deref();
        let message = channel.map(|_| InvalidationEvent::new(invalidation.clone(), now_ms).to_json());
        let prefix = &self.key_prefix;
        let tag_members: Vec<(String, String)> = invalidation
            .tags
            .iter()
            .map(|tag| (tag_members_key(prefix, tag), tag_invalidated_key(prefix, tag)))
            .collect();
        let member_version = new_version(now_ms);
        let write = InvalidationWrite {
            deletes: &deletes,
            bumps: &bumps,
            version_ttl: self.version_ttl,
            publish: channel.zip(message.as_deref()),
            tag_members: &tag_members,
            member_version: &member_version,
        };
        let gate = match breaker {
            BreakerRule::Respect => guarded.gate(),
            BreakerRule::Bypass => Ok(backend),
        };
        let result = match gate {
            Ok(backend) => guarded.observe("invalidate", backend.invalidate(&write).await),
            Err(error) => Err(error),
        };
        match result {
            Ok(()) => Ok(Some(version_keys.into_iter().zip(versions).collect())),
            Err(error) if policy == FailurePolicy::FailClosed => Err(error),
            Err(CacheError::CircuitOpen) => {
                log::warn!("edgecache: invalidation skipped while the circuit breaker is open");
                Ok(None)
            }
            Err(_) => Ok(None),
        }
    }

    /// Drops `reads`' L1 copies and in-flight lookups of what
    /// `invalidation` names, without a backend call (an invalidation another
    /// instance applied).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn forget_locally(&self, reads: &ReadPath, invalidation: &Invalidation) {
        reads.forget(&invalidation.keys, &self.version_keys_of(invalidation));
    }

    /// The version keys `invalidation` moves. A key's own version moves too
    /// (not only a DEL), so a write fenced on a read from before the
    /// invalidation is refused.
    fn version_keys_of(&self, invalidation: &Invalidation) -> Vec<String> {
        invalidation
            .keys
            .iter()
            .map(|key| entry_version_key(key))
            .chain(invalidation.tags.iter().map(|tag| tag_key(&self.key_prefix, tag)))
            .chain(invalidation.namespaces.iter().map(|ns| epoch_key(ns)))
            .collect()
    }
}
