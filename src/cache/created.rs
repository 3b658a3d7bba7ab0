//! The version this isolate gives a version key it finds absent, so that
//! write-backs that all found a shared key absent (a namespace epoch, a tag)
//! create the same version and do not refuse each other.
//!
//! A fenced write that read a version key as absent creates it. With a fresh
//! random version per write, two write-backs that both read the key absent
//! (say, a tenant default and a user override of one request, both tagged
//! with the tenant) would refuse each other: the first creates `v1`, and the
//! second finds `v1` where its read saw nothing. So the isolate picks one
//! version per absent key and every write that creates that key uses it; the
//! fence accepts a key that holds exactly the version the write would have
//! created. That is safe because the version is random and only writes that
//! read the key as absent ever write it: an invalidation in between sets a
//! version of its own and the write is refused. Writes in other isolates pick
//! their own version and may still be refused once, which costs a later
//! miss, never a stale read.

use std::sync::Arc;

use crate::clock::Clock;
use crate::clocked_lru::{ClockedLru, Weigh};

/// How long a chosen version is kept, in ms: longer than any read and
/// write-back of one request.
const KEEP_MS: u64 = 30_000;
/// Most versions kept.
const MAX_KEPT: usize = 1024;

#[derive(Debug, Clone)]
struct Chosen(String);

impl Weigh for Chosen {
    fn weight_bytes(&self) -> usize {
        self.0.len()
    }
}

/// A new random version, unique enough that two writers never pick the same.
pub(super) fn new_version(now_ms: u64) -> String {
    format!("{now_ms:x}.{:016x}", crate::random::random_u64())
}

/// The versions one cache (per isolate) gives absent version keys.
pub(super) struct CreatedVersions {
    chosen: ClockedLru<Chosen>,
}

impl CreatedVersions {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        CreatedVersions { chosen: ClockedLru::new(MAX_KEPT, MAX_KEPT * 256, clock) }
    }

    /// The version to create `key` with: the one chosen before, if kept, or
    /// `fresh` (then kept).
    pub fn for_key(&self, key: &str, fresh: impl FnOnce() -> String) -> String {
        let mut chosen = self.chosen.lock();
        if let Some(Chosen(version)) = chosen.get(key) {
            return version;
        }
        let version = fresh();
        let expires_at_ms = chosen.now_ms().saturating_add(KEEP_MS);
        chosen.put(key, Chosen(version.clone()), expires_at_ms);
        version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn one_version_per_absent_key_while_kept() {
        let clock = ManualClock::new(1_000);
        let created = CreatedVersions::new(Arc::new(clock.clone()));
        assert_eq!(created.for_key("p:~epoch", || "v1".into()), "v1");
        assert_eq!(created.for_key("p:~epoch", || "v2".into()), "v1", "the same key: the same version");
        assert_eq!(created.for_key("p:~tag:t", || "v3".into()), "v3");
        clock.advance_ms(KEEP_MS + 1);
        assert_eq!(created.for_key("p:~epoch", || "v4".into()), "v4");
    }
}
