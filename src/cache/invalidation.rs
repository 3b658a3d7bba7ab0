//! Invalidation: entries deleted and versions bumped in one round trip, with
//! the isolate's own L1 copies and in-flight lookups of what it names
//! dropped at once.

use serde::{Deserialize, Serialize};

use super::events::InvalidationEvent;
use super::Cache;
use crate::backend::{CacheError, InvalidationWrite};
use crate::failure::FailurePolicy;
use crate::keys::{entry_version_key, epoch_key, tag_invalidated_key, tag_key, tag_members_key, EntryKey, KeySpace};

/// One invalidation: entries to delete, tags whose version to bump, and
/// namespaces whose epoch to bump (`clear`). All of it is O(1) per item:
/// no KEYS, no SCAN.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Invalidation {
    /// Full keys of entries to delete.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
    /// Tags to invalidate (every entry written under them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Namespaces (`{prefix}:{domain}:{entity}`) to clear; the prefix alone
    /// clears everything under it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

impl Invalidation {
    /// The invalidation of one entry (its key; its version moves too).
    pub fn of(key: &EntryKey) -> Self {
        Invalidation { keys: vec![key.key.clone()], ..Default::default() }
    }

    /// True when it does nothing.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.tags.is_empty() && self.namespaces.is_empty()
    }

    /// Clears every entry under `prefix`: its epoch is the namespace `prefix`.
    pub fn everything(prefix: &str) -> Self {
        Invalidation { namespaces: vec![prefix.to_owned()], ..Default::default() }
    }

    /// Adds everything `other` invalidates.
    pub fn merge(&mut self, other: Invalidation) {
        self.keys.extend(other.keys);
        self.tags.extend(other.tags);
        self.namespaces.extend(other.namespaces);
    }
}

/// Whether a backend call consults the circuit breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BreakerRule {
    /// Skipped while the breaker is open.
    Respect,
    /// Sent anyway: the call doubles as the probe that finds the backend back.
    Bypass,
}

/// A new random version, unique enough that two writers never pick the same.
pub(super) fn new_version(now_ms: u64) -> String {
    format!("{now_ms:x}.{:016x}", crate::random::random_u64())
}

impl Cache {
    /// Applies `invalidation` in one round trip: deletes its keys, bumps the
    /// versions of its keys, tags and namespaces, and publishes its event when
    /// an events channel is set. This isolate forgets the same at once: its L1
    /// copies and its in-flight lookups of what it names (a read that starts
    /// after this call is never handed a result loaded before it). Answers
    /// whether the backend applied it.
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`]; otherwise failures
    /// are logged, counted and answered as `Ok(false)`.
    pub async fn invalidate(&self, invalidation: &Invalidation, policy: FailurePolicy) -> Result<bool, CacheError> {
        Ok(self.invalidate_versions(invalidation, policy, BreakerRule::Respect).await?.is_some())
    }

    /// Applies invalidations left in an outbox by an outage: as
    /// [`invalidate`](Self::invalidate) under `Degrade`, but sent even while
    /// the circuit breaker is open (a drain doubles as a recovery probe), so
    /// the outbox empties as soon as the backend answers. Answers whether it ran.
    pub async fn apply_pending(&self, invalidation: &Invalidation) -> bool {
        matches!(self.invalidate_versions(invalidation, FailurePolicy::Degrade, BreakerRule::Bypass).await, Ok(Some(_)))
    }

    /// Invalidates every entry written under any of `tags`.
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn invalidate_tags(&self, tags: &[&str], policy: FailurePolicy) -> Result<bool, CacheError> {
        let invalidation = Invalidation { tags: tags.iter().map(|t| t.to_string()).collect(), ..Default::default() };
        self.invalidate(&invalidation, policy).await
    }

    /// Clears a namespace by bumping its epoch (no keys are listed or deleted;
    /// old entries expire by TTL).
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn clear(&self, space: &KeySpace, policy: FailurePolicy) -> Result<bool, CacheError> {
        let invalidation = Invalidation { namespaces: vec![space.as_str().to_owned()], ..Default::default() };
        self.invalidate(&invalidation, policy).await
    }

    /// Clears everything under this cache's key prefix with one version bump
    /// (the prefix's epoch, which every entry carries and every read checks
    /// in its one `MGET`): no keys are listed or deleted; old entries expire
    /// by TTL.
    ///
    /// # Errors
    /// As [`invalidate`](Self::invalidate).
    pub async fn clear_all(&self, policy: FailurePolicy) -> Result<bool, CacheError> {
        self.invalidate(&Invalidation::everything(&self.inner.key_prefix), policy).await
    }

    /// [`invalidate`](Self::invalidate), answering the versions it set
    /// (`None` when it was not applied).
    pub(super) async fn invalidate_versions(
        &self,
        invalidation: &Invalidation,
        policy: FailurePolicy,
        breaker: BreakerRule,
    ) -> Result<Option<Vec<(String, String)>>, CacheError> {
        let Some(backend) = self.inner.backend.as_ref() else { return Ok(Some(Vec::new())) };
        if invalidation.is_empty() {
            return Ok(Some(Vec::new()));
        }
        let version_keys = self.version_keys_of(invalidation);
        self.forget_locally(invalidation, &version_keys);
        let now_ms = self.now_ms();
        let versions: Vec<String> = version_keys.iter().map(|_| new_version(now_ms)).collect();
        let bumps: Vec<(&str, &str)> =
            version_keys.iter().map(String::as_str).zip(versions.iter().map(String::as_str)).collect();
        let deletes: Vec<&str> = invalidation.keys.iter().map(String::as_str).collect();
        let channel = self.inner.events_channel.as_deref();
        let message = channel.map(|_| InvalidationEvent::new(invalidation.clone(), now_ms).to_json());
        let prefix = &self.inner.key_prefix;
        let tag_members: Vec<(String, String)> = invalidation
            .tags
            .iter()
            .map(|tag| (tag_members_key(prefix, tag), tag_invalidated_key(prefix, tag)))
            .collect();
        let member_version = new_version(now_ms);
        let write = InvalidationWrite {
            deletes: &deletes,
            bumps: &bumps,
            version_ttl: self.inner.version_ttl,
            publish: channel.zip(message.as_deref()),
            tag_members: &tag_members,
            member_version: &member_version,
        };
        let gate = match breaker {
            BreakerRule::Respect => self.guarded(),
            BreakerRule::Bypass => Ok(backend),
        };
        let result = match gate {
            Ok(backend) => self.observe("invalidate", backend.invalidate(&write).await),
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

    /// Drops this isolate's L1 copies and in-flight lookups of what
    /// `invalidation` names (its keys, or entries carrying `version_keys`).
    /// The version keys `invalidation` moves. A key's own version moves too
    /// (not only a DEL), so a write fenced on a read from before the
    /// invalidation is refused.
    pub(super) fn version_keys_of(&self, invalidation: &Invalidation) -> Vec<String> {
        invalidation
            .keys
            .iter()
            .map(|key| entry_version_key(key))
            .chain(invalidation.tags.iter().map(|tag| tag_key(&self.inner.key_prefix, tag)))
            .chain(invalidation.namespaces.iter().map(|ns| epoch_key(ns)))
            .collect()
    }

    pub(super) fn forget_locally(&self, invalidation: &Invalidation, version_keys: &[String]) {
        if let Some(l1) = &self.inner.l1 {
            l1.forget(&invalidation.keys, version_keys);
        }
        self.inner.flights.end_where(|key, deps| {
            invalidation.keys.iter().any(|k| k == key) || deps.iter().any(|dep| version_keys.contains(dep))
        });
    }
}
