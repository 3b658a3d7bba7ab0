//! The envelope a cached value lives in, and how a read judges it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// A cached entry as stored (JSON): the value or "absent", when it stops
/// being fresh, how long it took to load, and the versions it was written under.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Entry {
    /// The value's JSON; `None` for a cached "absent" (negative caching).
    #[serde(rename = "v")]
    pub value: Option<Box<RawValue>>,
    /// Fresh until this time (ms since the epoch); after it, stale until the key expires.
    #[serde(rename = "f")]
    pub fresh_until_ms: u64,
    /// How long the loader took, in ms (XFetch's `delta`).
    #[serde(rename = "d", default)]
    pub delta_ms: u64,
    /// Version key → the version current when the entry was written.
    #[serde(rename = "s")]
    pub versions: BTreeMap<String, String>,
    /// The version keys of the tags the loader named (adaptive tags), so an
    /// isolate drops its L1 copy when it invalidates one of them. Their
    /// freshness is not judged here: invalidating such a tag bumps the
    /// entry's own version.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tag_keys: Vec<String>,
}

/// How a read judged an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// Current and within its TTL.
    Fresh,
    /// Current, past its TTL, within its grace period.
    Stale,
    /// No entry, or one whose versions are no longer current (invalidated).
    Unusable,
}

impl Entry {
    /// Parses a stored entry; `None` when it is not an entry of this format.
    pub fn decode(bytes: &[u8]) -> Option<Entry> {
        serde_json::from_slice(bytes).ok()
    }

    /// The stored form.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("an entry always serializes")
    }

    /// The value's JSON bytes; `None` for a cached "absent".
    pub fn value_bytes(&self) -> Option<Vec<u8>> {
        self.value.as_ref().map(|raw| raw.get().as_bytes().to_vec())
    }

    /// Roughly what the entry takes in memory, in bytes.
    pub fn weight_bytes(&self) -> usize {
        let value = self.value.as_ref().map_or(0, |raw| raw.get().len());
        value + self.versions.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>()
    }

    /// Judges the entry against the versions current now, `current[i]` being
    /// the value of `version_keys[i]` (`None` when absent).
    ///
    /// A version that is absent now counts as invalid, never as "0": an
    /// evicted version key must not resurrect entries it invalidated.
    pub fn judge(&self, version_keys: &[String], current: &[Option<String>], now_ms: u64) -> Judgement {
        let current_versions = version_keys.iter().zip(current).all(|(key, now)| match (now, self.versions.get(key)) {
            (Some(now), Some(stamped)) => now == stamped,
            _ => false,
        });
        if !current_versions {
            Judgement::Unusable
        } else if now_ms < self.fresh_until_ms {
            Judgement::Fresh
        } else {
            Judgement::Stale
        }
    }

    /// Probabilistic early expiration (XFetch; Vattani, Chierichetti and
    /// Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", VLDB 2015):
    /// true when `now - delta * beta * ln(rand) >= expiry`, so one reader
    /// refreshes shortly before expiry instead of many readers at it.
    /// `unit_random` is uniform in (0, 1].
    pub fn should_refresh_early(&self, now_ms: u64, beta: f64, unit_random: f64) -> bool {
        let lead_ms = -(self.delta_ms as f64) * beta * unit_random.ln();
        now_ms as f64 + lead_ms >= self.fresh_until_ms as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(versions: &[(&str, &str)]) -> Entry {
        Entry {
            value: Some(RawValue::from_string("{\"a\":1}".into()).unwrap()),
            fresh_until_ms: 1_000,
            delta_ms: 100,
            versions: versions.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            tag_keys: Vec::new(),
        }
    }

    #[test]
    fn judged_by_versions_then_time() {
        let keys = vec!["epoch".to_string(), "tag:a".to_string()];
        let e = entry(&[("epoch", "e1"), ("tag:a", "t1")]);
        let now = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(e.judge(&keys, &now(&["e1", "t1"]), 999), Judgement::Fresh);
        assert_eq!(e.judge(&keys, &now(&["e1", "t1"]), 1_000), Judgement::Stale);
        assert_eq!(e.judge(&keys, &now(&["e1", "t2"]), 0), Judgement::Unusable, "tag bumped");
        assert_eq!(e.judge(&keys, &[Some("e1".into()), None], 0), Judgement::Unusable, "tag version evicted");
        let more = vec!["epoch".to_string(), "tag:a".to_string(), "tag:b".to_string()];
        assert_eq!(e.judge(&more, &now(&["e1", "t1", "x"]), 0), Judgement::Unusable, "not stamped with tag:b");
    }

    #[test]
    fn round_trips_through_json() {
        let e = entry(&[("epoch", "e1")]);
        let back = Entry::decode(&e.encode()).unwrap();
        assert_eq!(back.value.unwrap().get(), "{\"a\":1}");
        assert!(Entry::decode(b"{\"a\":1}").is_none(), "a bare value is not an entry");
    }

    #[test]
    fn early_refresh_grows_likelier_near_expiry() {
        let e = entry(&[]);
        // With rand = 1, ln(1) = 0: refresh only at expiry.
        assert!(!e.should_refresh_early(999, 1.0, 1.0));
        assert!(e.should_refresh_early(1_000, 1.0, 1.0));
        // With rand = e^-2, the lead is 2 * delta = 200 ms.
        let r = (-2.0f64).exp();
        assert!(!e.should_refresh_early(799, 1.0, r));
        assert!(e.should_refresh_early(801, 1.0, r));
    }
}
