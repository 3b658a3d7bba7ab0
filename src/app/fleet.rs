//! The worker's fleet counters: what an isolate counted, added to the
//! fleet's in Upstash at most once per `STATS_FLUSH_INTERVAL_MS`, off the
//! request path.
//!
//! After each response, the request looks at the recorder's flag (a lock
//! held for a comparison, no I/O). The one request that finds a flush due
//! claims it there, synchronously (so no other request of the isolate
//! claims the same deltas), and sends it in its own `ctx.waitUntil`: one
//! `EVALSHA`, never awaited by any request. A flush that fails is sent
//! again, whole, by the next one; none is tried while the circuit breaker
//! is open.
//!
//! Without Upstash (the memory provider, or caching off) there is no
//! fleet to add to: the isolate keeps its own minutes in memory
//! ([`IsolateHistory`]), and `scope=cluster` answers them as a fleet of
//! one, saying so.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use worker::Context;

use super::fleet_view::isolate_sample;
use super::state::AppState;
use crate::fleet::{FleetWindow, IsolateHistory, Recorder, Sample};
use crate::upstash::UpstashClient;
use crate::Cache;

/// An isolate's side of the fleet counters.
pub struct Fleet {
    recorder: Recorder,
    sink: Sink,
    /// True while flushes fail (logged once per outage).
    failing: Cell<bool>,
}

enum Sink {
    /// The fleet's counters in Upstash, under the cache's key prefix.
    Upstash { client: Arc<UpstashClient>, prefix: String },
    /// No Upstash: this isolate's own minutes.
    Isolate(IsolateHistory),
}

impl Fleet {
    /// The fleet counters of isolate `isolate_id` under the cache's key
    /// prefix, flushing at most once per `interval_ms` through the cache's
    /// Upstash client, else the limiters' (`limits_client`: caching off,
    /// rate limiting on), else into its own memory.
    pub fn new(
        cache: &Cache,
        limits_client: Option<&Arc<UpstashClient>>,
        isolate_id: &str,
        interval_ms: u64,
        now_ms: u64,
    ) -> Fleet {
        let prefix = cache.key_prefix().to_owned();
        let recorder = Recorder::new(&prefix, isolate_id, Duration::from_millis(interval_ms), now_ms);
        let sink = match cache.backend().and_then(|backend| backend.upstash_client()).or(limits_client) {
            Some(client) => Sink::Upstash { client: client.clone(), prefix },
            None => Sink::Isolate(IsolateHistory::new()),
        };
        Fleet { recorder, sink, failing: Cell::new(false) }
    }

    /// The Upstash client and key prefix the fleet's counters live under;
    /// `None` without Upstash.
    pub fn upstash(&self) -> Option<(&UpstashClient, &str)> {
        match &self.sink {
            Sink::Upstash { client, prefix } => Some((client, prefix)),
            Sink::Isolate(_) => None,
        }
    }

    /// `STATS_FLUSH_INTERVAL_MS`.
    pub fn interval_ms(&self) -> u64 {
        self.recorder.interval_ms()
    }

    /// Without Upstash: this isolate's last `minutes` minutes, its counts
    /// up to now included. `None` with Upstash (read the fleet's).
    pub fn isolate_window(&self, state: &AppState, now_ms: u64, minutes: u64) -> Option<FleetWindow> {
        let Sink::Isolate(history) = &self.sink else { return None };
        history.record(&self.recorder.take(sample(state), now_ms), now_ms);
        Some(history.window(now_ms, minutes))
    }
}

/// The isolate's counters now, as the fleet's series: the cache's, every
/// limiter's decisions, the responses by status class, and the REST
/// requests and failures of the cache's and the limiters' Upstash clients.
pub fn sample(state: &AppState) -> Sample {
    let limiters = state.limits.as_ref().map(|limits| limits.each()).unwrap_or_default();
    let mut clients: Vec<&UpstashClient> = limiters.iter().map(|limiter| limiter.client().as_ref()).collect();
    if let Some(client) = state.cache.backend().and_then(|backend| backend.upstash_client()) {
        clients.push(client);
    }
    isolate_sample(&state.cache.stats(), &limiters, state.responses.by_class(), &clients)
}

/// After a response: adds this isolate's counts to the fleet's if a flush
/// is due (see the module docs); otherwise does nothing but read a flag.
pub fn flush_later(state: &Rc<AppState>, ctx: &Context) {
    let fleet = &state.fleet;
    let now_ms = crate::clock::now_ms();
    if !fleet.recorder.is_due(now_ms) {
        return;
    }
    match &fleet.sink {
        Sink::Isolate(history) => history.record(&fleet.recorder.take(sample(state), now_ms), now_ms),
        Sink::Upstash { .. } => {
            // While the breaker is open Upstash is known down: keep counting,
            // and send it all once it closes.
            if state.cache.circuit_breaker().is_open() {
                return;
            }
            let Some(flush) = fleet.recorder.prepare(sample(state), now_ms) else { return };
            let state = state.clone();
            ctx.wait_until(async move {
                let fleet = &state.fleet;
                let Sink::Upstash { client, .. } = &fleet.sink else { return };
                match fleet.recorder.send(client, flush).await {
                    Ok(series) if fleet.failing.replace(false) => {
                        log::info!("edgecache: fleet counters are flushed again ({series} series)");
                    }
                    Ok(series) => log::debug!("edgecache: fleet counters flushed ({series} series)"),
                    Err(error) if !fleet.failing.replace(true) => log::warn!(
                        "edgecache: fleet counters could not be flushed ({}); they are sent again with the next flush",
                        error.summary()
                    ),
                    Err(_) => {}
                }
            });
        }
    }
}
