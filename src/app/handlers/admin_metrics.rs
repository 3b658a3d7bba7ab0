//! `GET /admin/metrics`: the fleet's counters as a Prometheus scrape
//! (OpenMetrics when the scraper's `Accept` asks for it), in one Upstash
//! round trip: the running totals every isolate flushes into, and the
//! isolates that reported in the last 5 minutes (`edgecache_isolates`).
//! Without Upstash, this isolate's own counters (each isolate counts on its
//! own; `x-edgecache-scope: isolate` says so).

use worker::Response;

use super::RequestContext;
use crate::app::error::ApiError;
use crate::app::fleet::sample;
use crate::app::fleet_view::METRICS_ISOLATES_MINUTES;
use crate::app::incoming::Incoming;
use crate::fleet::{prometheus, read_totals, Format};

/// The scrape.
///
/// # Errors
/// 503 when Upstash cannot be read; 500 when the answer cannot be built.
pub async fn get(rc: &RequestContext, req: &Incoming) -> Result<Response, ApiError> {
    let state = &rc.state;
    let format = Format::from_accept(req.header("accept")?.as_deref());
    let (totals, isolates, scope) = match state.fleet.upstash() {
        Some((client, prefix)) => {
            let now_ms = crate::clock::now_ms();
            let (totals, isolates) =
                read_totals(client, prefix, now_ms, METRICS_ISOLATES_MINUTES).await.map_err(|error| {
                    ApiError::unavailable("the fleet's counters cannot be read from Upstash", error.summary())
                })?;
            (totals, isolates, "cluster")
        }
        None => (sample(state), 1, "isolate"),
    };
    let mut response = Response::ok(prometheus(&totals, isolates, format))?;
    let headers = response.headers_mut();
    headers.set("content-type", format.content_type())?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-edgecache-scope", scope)?;
    Ok(response)
}
