//! What one shared-tier read saw: the [`Fence`] a later write checks, the
//! [`Found`] entry and its judgement, and the keys the read fetches.

use super::entry::{Entry, Judgement};
use super::l1::Mark;
use crate::backend::LeaseState;
use crate::keys::EntryKey;

/// The versions a read saw, one per version key (`None`: absent); a later
/// [`Cache::write_fenced`](crate::Cache::write_fenced) is refused if any of
/// them moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub(super) seen: Vec<Option<String>>,
    /// Where the L1 invalidation log stood when the read began.
    pub(super) l1_mark: Mark,
    /// When the read was judged (ms, this cache's clock): a later write
    /// naming adaptive tags is refused if one was invalidated since.
    pub(super) read_at_ms: u64,
    /// The token of the lease this read took, released by the write.
    pub(super) lease_token: Option<String>,
}

impl Fence {
    /// Takes `versions` (key, version) as seen, for the keys among
    /// `version_keys`: a writer fences on the versions it set itself.
    pub(super) fn pin(&mut self, version_keys: &[String], versions: &[(String, String)]) {
        for (slot, key) in self.seen.iter_mut().zip(version_keys) {
            if let Some((_, version)) = versions.iter().find(|(k, _)| k == key) {
                *slot = Some(version.clone());
            }
        }
    }
}

/// What a read of the shared tier found.
pub(super) struct Found {
    pub entry: Option<Entry>,
    pub judgement: Judgement,
    pub fence: Fence,
    /// Whether the read took the entry's lease (reads with a lease only).
    pub lease: LeaseState,
}

/// The keys one read fetches: the entry, then its version keys.
pub(super) fn read_keys(key: &EntryKey) -> Vec<&str> {
    std::iter::once(key.key.as_str()).chain(key.version_keys.iter().map(String::as_str)).collect()
}

/// Judges what an `MGET` of [`read_keys`] answered at `now_ms`, for a read
/// that began at `l1_mark`.
pub(super) fn judge(key: &EntryKey, values: Vec<Option<Vec<u8>>>, l1_mark: Mark, now_ms: u64) -> Found {
    let mut values = values.into_iter();
    let entry = values.next().flatten().and_then(|bytes| Entry::decode(&bytes));
    let seen: Vec<Option<String>> =
        values.map(|v| v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned())).collect();
    let judgement = match &entry {
        Some(entry) => entry.judge(&key.version_keys, &seen, now_ms),
        None => Judgement::Unusable,
    };
    let fence = Fence { seen, l1_mark, read_at_ms: now_ms, lease_token: None };
    Found { entry, judgement, fence, lease: LeaseState::NotNeeded }
}
