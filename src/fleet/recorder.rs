//! [`Recorder`]: an isolate's side of the fleet counters.

use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use super::{isolates_key, minute_key, totals_key, Sample, BUCKET_TTL_SECS};
use crate::upstash::{Script, UpstashClient, UpstashError};

/// Default flush interval (`STATS_FLUSH_INTERVAL_MS`): 10 s.
pub const DEFAULT_FLUSH_INTERVAL_MS: u64 = 10_000;

/// A flush not answered within this long (its request was cancelled, say)
/// no longer holds off the next one.
const STUCK_AFTER_MS: u64 = 30_000;

static FLUSH: LazyLock<Script> = LazyLock::new(|| Script::new(FLUSH_SOURCE));

const FLUSH_SOURCE: &str = r"
-- KEYS[1] the minute's hash, KEYS[2] the totals, KEYS[3] the minute's isolates.
-- ARGV[1] TTL in seconds, ARGV[2] the isolate's id, then series, delta pairs.
for i = 3, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
end
redis.call('PFADD', KEYS[3], ARGV[2])
for k = 1, 3 do redis.call('EXPIRE', KEYS[k], ARGV[1]) end
return #ARGV / 2 - 1
";

struct State {
    /// What the fleet has of this isolate's counts: the sample at the last
    /// flush that landed.
    flushed: Sample,
    last_flush_ms: u64,
    in_flight_since_ms: Option<u64>,
}

/// An isolate's recorder: decides when a flush is due and sends the deltas
/// since the last one that landed, so the fleet's sums equal the isolates'
/// own counters (within one interval). A flush that fails is sent again,
/// whole, by the next one; an isolate that dies loses at most what it
/// counted since its last flush.
///
/// Requests of an isolate share it, but none waits on another: a flush runs
/// in the `waitUntil` of the request that found it due, and the others only
/// read a flag.
pub struct Recorder {
    prefix: String,
    isolate_id: String,
    interval_ms: u64,
    state: Mutex<State>,
}

impl Recorder {
    /// A recorder of isolate `isolate_id` writing under `prefix`, flushing
    /// at most once per `interval` (whole milliseconds), the first time one
    /// `interval` after `now_ms`.
    pub fn new(prefix: &str, isolate_id: &str, interval: Duration, now_ms: u64) -> Recorder {
        Recorder {
            prefix: prefix.to_owned(),
            isolate_id: isolate_id.to_owned(),
            interval_ms: u64::try_from(interval.as_millis()).unwrap_or(u64::MAX).max(1),
            state: Mutex::new(State { flushed: Sample::new(), last_flush_ms: now_ms, in_flight_since_ms: None }),
        }
    }

    /// True when a flush is due at `now_ms` and none is under way.
    pub fn is_due(&self, now_ms: u64) -> bool {
        let state = crate::sync::lock(&self.state);
        let idle = state.in_flight_since_ms.is_none_or(|since| now_ms.saturating_sub(since) > STUCK_AFTER_MS);
        idle && now_ms.saturating_sub(state.last_flush_ms) >= self.interval_ms
    }

    /// Claims the flush due at `now_ms`: the deltas of `current` since the
    /// last flush that landed; `None` when no flush is due (or another is
    /// under way). Finish it with [`finish`](Self::finish).
    pub fn prepare(&self, current: Sample, now_ms: u64) -> Option<PreparedFlush> {
        if !self.is_due(now_ms) {
            return None;
        }
        let mut state = crate::sync::lock(&self.state);
        state.in_flight_since_ms = Some(now_ms);
        state.last_flush_ms = now_ms;
        let deltas = current.since(&state.flushed);
        let minute = now_ms / 60_000;
        let keys = vec![minute_key(&self.prefix, minute), totals_key(&self.prefix), isolates_key(&self.prefix, minute)];
        let mut args = vec![BUCKET_TTL_SECS.to_string(), self.isolate_id.clone()];
        for (series, delta) in deltas.iter() {
            args.push(series.as_str().to_owned());
            args.push(delta.to_string());
        }
        Some(PreparedFlush { current, keys, args, series: deltas.iter().count() })
    }

    /// Records how `flush` went: once it landed, later deltas count from
    /// its sample; if not, the next flush sends these deltas again.
    pub fn finish(&self, flush: PreparedFlush, landed: bool) {
        let mut state = crate::sync::lock(&self.state);
        state.in_flight_since_ms = None;
        if landed {
            state.flushed = flush.current;
        }
    }

    /// Flushes now if due: [`prepare`](Self::prepare), one `EVALSHA` (a
    /// second round trip once after `NOSCRIPT`), [`finish`](Self::finish).
    /// Answers how many series were sent (`None`: nothing was due).
    ///
    /// # Errors
    /// The [`UpstashError`] of a flush that did not land (sent again next time).
    pub async fn flush(
        &self,
        client: &UpstashClient,
        current: Sample,
        now_ms: u64,
    ) -> Result<Option<usize>, UpstashError> {
        let Some(flush) = self.prepare(current, now_ms) else {
            return Ok(None);
        };
        self.send(client, flush).await.map(Some)
    }

    /// Sends a flush [`prepare`](Self::prepare) claimed, and
    /// [`finish`](Self::finish)es it: one `EVALSHA` (a second round trip
    /// once after `NOSCRIPT`). Claim the flush where the request is served,
    /// and send it where it may wait (`ctx.waitUntil`): the claim is
    /// synchronous, so no other request of the isolate claims the same.
    /// Answers how many series were sent.
    ///
    /// # Errors
    /// The [`UpstashError`] of a flush that did not land (sent again next time).
    pub async fn send(&self, client: &UpstashClient, flush: PreparedFlush) -> Result<usize, UpstashError> {
        let outcome = client.eval(&FLUSH, &flush.keys, &flush.args).await;
        let series = flush.series;
        self.finish(flush, outcome.is_ok());
        outcome.map(|_| series)
    }

    /// For a recorder whose flushes go nowhere that can fail (an isolate's
    /// own [`IsolateHistory`](super::IsolateHistory)): the deltas of
    /// `current` since the last call, counted as flushed at `now_ms`,
    /// whether or not a flush was due.
    pub fn take(&self, current: Sample, now_ms: u64) -> Sample {
        let mut state = crate::sync::lock(&self.state);
        let deltas = current.since(&state.flushed);
        state.flushed = current;
        state.last_flush_ms = now_ms;
        deltas
    }

    /// The flush interval, in milliseconds.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }
}

/// A flush claimed by [`Recorder::prepare`]: the deltas as the flush
/// script's keys and arguments.
#[derive(Debug)]
pub struct PreparedFlush {
    current: Sample,
    keys: Vec<String>,
    args: Vec<String>,
    series: usize,
}

impl PreparedFlush {
    /// The flush as one `EVALSHA` (for a caller's own pipeline).
    pub fn command(&self) -> crate::upstash::Command {
        FLUSH.evalsha_command(&self.keys, &self.args)
    }

    /// How many series changed since the last flush.
    pub fn series(&self) -> usize {
        self.series
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_are_spaced_by_the_interval_and_resend_what_did_not_land() {
        let recorder = Recorder::new("app", "iso1", Duration::from_secs(10), 0);
        let mut sample = Sample::new();
        sample.add("cache_misses", &[], 3);
        assert!(recorder.prepare(sample.clone(), 9_999).is_none(), "not due yet");
        let first = recorder.prepare(sample.clone(), 10_000).expect("due");
        assert_eq!(first.series(), 1);
        assert!(!recorder.is_due(25_000), "one under way");
        recorder.finish(first, false);
        sample.add("cache_misses", &[], 2);
        let second = recorder.prepare(sample.clone(), 25_000).expect("due again");
        assert!(second.args.ends_with(&["cache_misses".to_owned(), "5".to_owned()]), "the lost 3 and the new 2");
        recorder.finish(second, true);
        sample.add("cache_misses", &[], 1);
        let third = recorder.prepare(sample, 35_000).expect("due");
        assert!(third.args.ends_with(&["cache_misses".to_owned(), "1".to_owned()]));
        assert_eq!(third.keys[0], "app:fleet:m:0");
    }

    #[test]
    fn a_flush_that_never_finished_stops_holding_off_the_next() {
        let recorder = Recorder::new("app", "iso1", Duration::from_secs(10), 0);
        let _lost = recorder.prepare(Sample::new(), 10_000).expect("due");
        assert!(!recorder.is_due(30_000));
        assert!(recorder.is_due(40_001));
    }
}
