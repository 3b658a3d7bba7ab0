//! [`Invalidation`]: what one invalidation names (applied by `invalidator.rs`).

use serde::{Deserialize, Serialize};

use crate::keys::EntryKey;

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
