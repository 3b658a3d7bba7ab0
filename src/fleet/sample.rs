//! [`Sample`]: counters by series.

use std::collections::BTreeMap;

/// One counter's series: a family and its labels, written the way
/// Prometheus writes a series (`ratelimit_decisions{limiter="client",outcome="allowed",reason="none"}`),
/// without the `edgecache_` prefix and `_total` suffix. Label values are
/// bounded by construction (tiers, outcomes, reasons, limiter names, status
/// classes): never a key or an identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Series(String);

impl Series {
    /// The series of `family` with `labels`, in the order given.
    ///
    /// Families and label names are `[a-z_]`; label values are escaped as
    /// the Prometheus text format escapes them (`\`, `"`, newline).
    pub fn new(family: &str, labels: &[(&str, &str)]) -> Series {
        if labels.is_empty() {
            return Series(family.to_owned());
        }
        let labels: Vec<String> = labels.iter().map(|(name, value)| format!("{name}=\"{}\"", escape(value))).collect();
        Series(format!("{family}{{{}}}", labels.join(",")))
    }

    /// Parses a series as [`as_str`](Self::as_str) wrote it; `None` for text
    /// that is not one (a field written by something else).
    pub fn parse(text: &str) -> Option<Series> {
        let family_end = text.find('{').unwrap_or(text.len());
        let family = &text[..family_end];
        let valid_family = !family.is_empty() && family.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let valid_labels = family_end == text.len() || text.ends_with('}');
        (valid_family && valid_labels).then(|| Series(text.to_owned()))
    }

    /// The series as text: the Redis hash field and the Prometheus series
    /// (after the prefix and suffix are added to the family).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family: the text before the labels.
    pub fn family(&self) -> &str {
        self.0.split('{').next().unwrap_or(&self.0)
    }

    /// The labels as written: `{…}`, or empty.
    pub fn labels(&self) -> &str {
        &self.0[self.family().len()..]
    }

    /// The value of label `name`, unescaped; `None` when it has none.
    pub fn label(&self, name: &str) -> Option<String> {
        let labels = self.labels().strip_prefix('{')?.strip_suffix('}')?;
        let mut rest = labels;
        while !rest.is_empty() {
            let (key, after) = rest.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, other)) => value.push(other),
                        None => return None,
                    },
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => value.push(c),
                }
            }
            let end = end?;
            if key == name {
                return Some(value);
            }
            rest = after[end + 1..].trim_start_matches(',');
        }
        None
    }
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Counters by series: what an isolate counted, a flush's deltas, or sums
/// over the fleet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sample {
    values: BTreeMap<Series, u64>,
}

impl Sample {
    /// An empty sample.
    pub fn new() -> Sample {
        Sample::default()
    }

    /// Adds `value` to the series of `family` with `labels`.
    pub fn add(&mut self, family: &str, labels: &[(&str, &str)], value: u64) {
        self.add_series(Series::new(family, labels), value);
    }

    /// Adds `value` to `series`.
    pub fn add_series(&mut self, series: Series, value: u64) {
        let slot = self.values.entry(series).or_insert(0);
        *slot = slot.saturating_add(value);
    }

    /// The value of a series (0 when absent).
    pub fn get(&self, family: &str, labels: &[(&str, &str)]) -> u64 {
        self.values.get(&Series::new(family, labels)).copied().unwrap_or(0)
    }

    /// The sum of every series of `family`.
    pub fn family_total(&self, family: &str) -> u64 {
        self.values.iter().filter(|(s, _)| s.family() == family).map(|(_, v)| *v).sum()
    }

    /// Every series and its value, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&Series, u64)> {
        self.values.iter().map(|(s, v)| (s, *v))
    }

    /// True when it holds nothing but zeros.
    pub fn is_empty(&self) -> bool {
        self.values.values().all(|v| *v == 0)
    }

    /// What grew since `earlier`, series by series (a series that shrank,
    /// as after a restart, counts from zero: its whole value).
    pub fn since(&self, earlier: &Sample) -> Sample {
        let values = self
            .values
            .iter()
            .filter_map(|(series, now)| {
                let before = earlier.values.get(series).copied().unwrap_or(0);
                let delta = if *now >= before { now - before } else { *now };
                (delta > 0).then(|| (series.clone(), delta))
            })
            .collect();
        Sample { values }
    }

    /// Adds every series of `other`.
    pub fn merge(&mut self, other: &Sample) {
        for (series, value) in other.iter() {
            self.add_series(series.clone(), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_reads_back_its_family_and_labels() {
        let s =
            Series::new("ratelimit_decisions", &[("limiter", "client"), ("outcome", "refused"), ("reason", "a\"b")]);
        assert_eq!(s.as_str(), r#"ratelimit_decisions{limiter="client",outcome="refused",reason="a\"b"}"#);
        assert_eq!(s.family(), "ratelimit_decisions");
        assert_eq!(s.label("outcome").as_deref(), Some("refused"));
        assert_eq!(s.label("reason").as_deref(), Some("a\"b"));
        assert_eq!(s.label("tier"), None);
        assert_eq!(Series::parse(s.as_str()), Some(s));
        assert_eq!(Series::parse("Not A Series"), None);
        assert_eq!(Series::new("isolate_flushes", &[]).labels(), "");
    }

    #[test]
    fn deltas_count_what_grew_and_a_reset_from_zero() {
        let mut before = Sample::new();
        before.add("cache_hits", &[("tier", "l1")], 10);
        before.add("cache_misses", &[], 5);
        let mut now = before.clone();
        now.add("cache_hits", &[("tier", "l1")], 3);
        now.add("http_responses", &[("class", "2xx")], 2);
        let delta = now.since(&before);
        assert_eq!(delta.get("cache_hits", &[("tier", "l1")]), 3);
        assert_eq!(delta.get("cache_misses", &[]), 0);
        assert_eq!(delta.get("http_responses", &[("class", "2xx")]), 2);
        let mut restarted = Sample::new();
        restarted.add("cache_misses", &[], 2);
        assert_eq!(restarted.since(&before).get("cache_misses", &[]), 2);
        assert_eq!(now.family_total("cache_hits"), 13);
    }
}
