//! Fenced writes: an entry is stored only if no version it was read under
//! moved since (memcache leases on Redis; see the module docs).

use serde_json::value::RawValue;

use super::entry::Entry;
use super::invalidation::BreakerRule;
use super::options::EntryOptions;
use super::read::Fence;
use super::stats::Stats;
use super::{Cache, Invalidation};
use crate::backend::{CacheError, FencedWrite, VersionCheck};
use crate::failure::FailurePolicy;
use crate::keys::EntryKey;

impl Cache {
    /// Writes `value` (JSON; `None` caches "absent", which needs a
    /// `negative_ttl`) unless an invalidation moved a version since the read
    /// that produced `fence`. Answers whether it was written.
    ///
    /// # Errors
    /// [`CacheError`] when the backend fails, or the value is not JSON.
    pub async fn write_fenced(
        &self,
        key: &EntryKey,
        fence: &Fence,
        value: Option<&[u8]>,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        self.write_back(key, fence, value, 0, options).await
    }

    /// Update-after-write (write-through): after the backing store committed
    /// `value` for `key`, applies `invalidation` (the entry and its tags, in
    /// one round trip), then puts `value` in the cache, fenced on the
    /// versions the invalidation set, so a later writer's invalidation is
    /// never undone by this (older) value. Answers whether the invalidation
    /// was applied; the put is best effort (logged and counted).
    ///
    /// # Errors
    /// [`CacheError`] under [`FailurePolicy::FailClosed`], from either step.
    pub async fn update_after_write(
        &self,
        key: &EntryKey,
        invalidation: &Invalidation,
        value: &[u8],
        options: &EntryOptions,
        policy: FailurePolicy,
    ) -> Result<bool, CacheError> {
        let Some(bumped) = self.invalidate_versions(invalidation, policy, BreakerRule::Respect).await? else {
            return Ok(false);
        };
        let put = async {
            let (_, mut fence) = self.read(key).await?;
            fence.pin(&key.version_keys, &bumped);
            self.write_fenced(key, &fence, Some(value), options).await
        };
        match put.await {
            Err(error) if policy == FailurePolicy::FailClosed => Err(error),
            _ => Ok(true),
        }
    }

    /// Writes an entry back after a load that took `delta_ms` (XFetch's delta).
    pub(super) async fn write_back(
        &self,
        key: &EntryKey,
        fence: &Fence,
        value: Option<&[u8]>,
        delta_ms: u64,
        options: &EntryOptions,
    ) -> Result<bool, CacheError> {
        let Some(ttl) = options.ttl_for(value) else { return Ok(false) };
        let raw = match value {
            Some(bytes) => {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| CacheError::InvalidValue("value is not UTF-8 JSON".into()))?;
                Some(RawValue::from_string(text.to_owned()).map_err(|e| CacheError::InvalidValue(e.to_string()))?)
            }
            None => None,
        };
        let now_ms = self.now_ms();
        let created: Vec<String> = key.version_keys.iter().map(|_| super::invalidation::new_version(now_ms)).collect();
        let stamped = key.version_keys.iter().zip(&fence.seen).zip(&created);
        let versions =
            stamped.clone().map(|((k, seen), new)| (k.clone(), seen.clone().unwrap_or(new.clone()))).collect();
        let entry = Entry { value: raw, fresh_until_ms: now_ms + ttl.as_millis(), delta_ms, versions };
        let checks: Vec<VersionCheck<'_>> =
            stamped.map(|((k, seen), create)| VersionCheck { key: k, seen: seen.as_deref(), create }).collect();
        let stored_ttl = options.stored_ttl(ttl);
        let payload = entry.encode();
        let write = FencedWrite {
            key: &key.key,
            value: &payload,
            ttl: stored_ttl,
            version_ttl: self.inner.version_ttl.max(stored_ttl),
            versions: &checks,
        };
        let backend = self.guarded()?;
        let written = self.observe("write", backend.set_fenced(&write).await)?;
        if written {
            self.l1_put(key, entry, fence);
        } else {
            Stats::bump(&self.inner.stats.fenced_refusals);
        }
        Ok(written)
    }
}
