//! [`IsolateHistory`]: one isolate's counters by minute, in its own memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{FleetWindow, Sample, MAX_WINDOW_MINUTES};

/// One isolate's counters by minute, kept in its memory: what a worker
/// without Upstash (the memory provider) answers for its fleet, which is
/// this one isolate. Fed with a [`Recorder`](super::Recorder)'s
/// [`take`](super::Recorder::take)n deltas; holds at most a day of minutes.
#[derive(Debug, Default)]
pub struct IsolateHistory {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    minutes: BTreeMap<u64, Sample>,
    totals: Sample,
}

impl IsolateHistory {
    /// An empty history.
    pub fn new() -> IsolateHistory {
        IsolateHistory::default()
    }

    /// Adds `deltas` to the minute of `now_ms` and to the totals; forgets
    /// minutes older than [`MAX_WINDOW_MINUTES`].
    pub fn record(&self, deltas: &Sample, now_ms: u64) {
        let minute = now_ms / 60_000;
        let mut inner = crate::sync::lock(&self.inner);
        inner.minutes.entry(minute).or_default().merge(deltas);
        inner.totals.merge(deltas);
        let oldest = minute.saturating_sub(MAX_WINDOW_MINUTES - 1);
        inner.minutes = inner.minutes.split_off(&oldest);
    }

    /// The last `minutes` minutes up to `now_ms` (1 to
    /// [`MAX_WINDOW_MINUTES`]; clamped), as [`read_window`](super::read_window)
    /// answers them for a fleet: here, of one isolate.
    pub fn window(&self, now_ms: u64, minutes: u64) -> FleetWindow {
        let last = now_ms / 60_000;
        let first = (last + 1).saturating_sub(minutes.clamp(1, MAX_WINDOW_MINUTES));
        let inner = crate::sync::lock(&self.inner);
        let mut window = FleetWindow { totals: inner.totals.clone(), isolates: 1, ..FleetWindow::default() };
        for minute in first..=last {
            let sample = inner.minutes.get(&minute).cloned().unwrap_or_default();
            window.sum.merge(&sample);
            window.minutes.push((minute, sample));
        }
        window
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::fleet::Recorder;

    #[test]
    fn deltas_land_in_their_minute_and_old_minutes_are_forgotten() {
        let recorder = Recorder::new("app", "iso", Duration::from_secs(10), 0);
        let history = IsolateHistory::new();
        let mut counts = Sample::new();
        counts.add("cache_misses", &[], 2);
        history.record(&recorder.take(counts.clone(), 30_000), 30_000);
        counts.add("cache_misses", &[], 3);
        history.record(&recorder.take(counts.clone(), 90_000), 90_000);
        let window = history.window(90_000, 15);
        assert_eq!(window.minutes.len(), 2, "clamped at minute 0");
        assert_eq!(window.minutes[0], (0, history.window(30_000, 1).sum));
        assert_eq!(window.minutes[1].1.get("cache_misses", &[]), 3);
        assert_eq!(window.sum, window.totals);
        assert_eq!(window.isolates, 1);
        assert_eq!(history.window(90_000, 1).sum.get("cache_misses", &[]), 3, "the last minute alone");
        // A day and more later, the first minutes are gone; the totals stay.
        let later = (MAX_WINDOW_MINUTES + 5) * 60_000;
        counts.add("cache_misses", &[], 1);
        history.record(&recorder.take(counts, later), later);
        assert_eq!(crate::sync::lock(&history.inner).minutes.len(), 1);
        assert_eq!(history.window(later, MAX_WINDOW_MINUTES).sum.get("cache_misses", &[]), 1);
        assert_eq!(history.window(later, 1).totals.get("cache_misses", &[]), 6);
    }
}
