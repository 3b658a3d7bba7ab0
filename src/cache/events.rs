//! The event an invalidation publishes (`CACHE_EVENTS_CHANNEL`), so
//! services outside Workers that cache the same data hear of it.

use serde::{Deserialize, Serialize};

use super::invalidation::Invalidation;

/// Largest number of items an event may carry.
pub const MAX_EVENT_ITEMS: usize = 1_000;

/// The message published on the invalidation channel (`CACHE_EVENTS_CHANNEL`),
/// so services outside Workers that cache the same data hear of it. A typed,
/// versioned event that receivers validate before acting on it:
/// `{"type":"invalidate","version":1,"source":"edgecache","atMs":1700000000000,"keys":[...],"tags":[...],"namespaces":[...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvalidationEvent {
    /// Always `"invalidate"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Format version, 1.
    pub version: u32,
    /// Who published it.
    pub source: String,
    /// When, in ms since the Unix epoch.
    pub at_ms: u64,
    /// What was invalidated.
    #[serde(flatten)]
    pub invalidation: Invalidation,
}

/// Why a message is not a valid [`InvalidationEvent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid invalidation event: {0}")]
pub struct EventError(pub String);

impl InvalidationEvent {
    /// The event announcing `invalidation` at `at_ms`.
    pub fn new(invalidation: Invalidation, at_ms: u64) -> Self {
        InvalidationEvent { kind: "invalidate".into(), version: 1, source: "edgecache".into(), at_ms, invalidation }
    }

    /// The JSON text published.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an event always serializes")
    }

    /// Parses and validates a received message.
    ///
    /// # Errors
    /// [`EventError`] for a message that is not JSON of this shape, has
    /// another type or version, carries nothing, or more than [`MAX_EVENT_ITEMS`] items.
    pub fn parse(message: &str) -> Result<Self, EventError> {
        let event: InvalidationEvent = serde_json::from_str(message).map_err(|e| EventError(e.to_string()))?;
        if event.kind != "invalidate" || event.version != 1 {
            return Err(EventError(format!("unsupported type {:?} version {}", event.kind, event.version)));
        }
        let items = &event.invalidation;
        let count = items.keys.len() + items.tags.len() + items.namespaces.len();
        if count == 0 || count > MAX_EVENT_ITEMS {
            return Err(EventError(format!("must carry 1 to {MAX_EVENT_ITEMS} items, got {count}")));
        }
        let all = items.keys.iter().chain(&items.tags).chain(&items.namespaces);
        if let Some(bad) = all.into_iter().find(|s| s.is_empty() || s.len() > 1024) {
            return Err(EventError(format!("item {bad:?} must be 1 to 1024 bytes")));
        }
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_and_are_validated() {
        let event = InvalidationEvent::new(Invalidation { tags: vec!["tenant:acme".into()], ..Default::default() }, 7);
        let json = event.to_json();
        assert_eq!(json, r#"{"type":"invalidate","version":1,"source":"edgecache","atMs":7,"tags":["tenant:acme"]}"#);
        assert_eq!(InvalidationEvent::parse(&json).unwrap(), event);
        for bad in [
            r#"{"type":"invalidate","version":1,"source":"x","atMs":1}"#,
            r#"{"type":"other","version":1,"source":"x","atMs":1,"tags":["a"]}"#,
            r#"{"type":"invalidate","version":2,"source":"x","atMs":1,"tags":["a"]}"#,
            r#"{"type":"invalidate","version":1,"source":"x","atMs":1,"tags":[""]}"#,
            r#"{"type":"invalidate","version":1,"source":"x","atMs":1,"tags":["a"],"extra":1}"#,
            "not json",
        ] {
            assert!(InvalidationEvent::parse(bad).is_err(), "{bad}");
        }
    }
}
