//! [`prometheus`]: the fleet's totals as a scrape.

use std::fmt::Write as _;

use super::Sample;

/// The exposition format of a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`),
    /// chosen when a scraper's `Accept` asks for it.
    OpenMetrics,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when it names it.
    pub fn from_accept(accept: Option<&str>) -> Format {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => Format::OpenMetrics,
            _ => Format::Prometheus,
        }
    }

    /// The response's `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }
}

/// What each family counts, for `# HELP` (and the families every scrape
/// shows, at 0 before anything was counted).
const FAMILIES: &[(&str, &str)] = &[
    ("cache_hits", "Cache reads answered from the cache, by tier (l1: the isolate's memory; l2: Upstash)."),
    ("cache_misses", "Cache reads that ran the loader (the backing store)."),
    ("cache_stale_served", "Cache reads answered with a stale entry within its grace."),
    ("cache_coalesced", "Cache reads that shared another read's load (single-flight)."),
    ("cache_bypasses", "Cache reads that went to the backing store because the cache was off or failing."),
    ("cache_fenced_refusals", "Write-backs refused because an invalidation ran since the read."),
    ("cache_errors", "Cache backend calls that failed, by kind."),
    ("ratelimit_decisions", "Rate-limit decisions, by limiter, outcome and reason."),
    ("upstash_requests", "REST requests sent to Upstash."),
    ("upstash_errors", "Upstash calls that failed, by kind."),
    ("http_responses", "Responses of the worker, by status class."),
    ("loader_runs", "Loads of the backing store on a cache miss."),
    ("loader_duration_ms", "Milliseconds spent in loads of the backing store."),
];

/// The fleet's `totals` as a scrape: every family as a counter
/// `edgecache_{family}_total`, and `edgecache_isolates` (a gauge: isolates
/// that reported in the window read). Labels are the series' own (bounded:
/// tiers, outcomes, reasons, limiter names, status classes).
pub fn prometheus(totals: &Sample, isolates: u64, format: Format) -> String {
    let mut out = String::new();
    let mut families: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
    for (series, _) in totals.iter() {
        if !families.contains(&series.family()) {
            families.push(series.family());
        }
    }
    for family in families {
        let help = FAMILIES.iter().find(|(f, _)| *f == family).map_or("A counter of edgecache.", |(_, h)| *h);
        let name = format!("edgecache_{family}");
        let declared = match format {
            Format::Prometheus => format!("{name}_total"),
            Format::OpenMetrics => name.clone(),
        };
        let _ = writeln!(out, "# HELP {declared} {help}");
        let _ = writeln!(out, "# TYPE {declared} counter");
        let mut any = false;
        for (series, value) in totals.iter().filter(|(s, _)| s.family() == family) {
            let _ = writeln!(out, "{name}_total{} {value}", series.labels());
            any = true;
        }
        if !any {
            let _ = writeln!(out, "{name}_total 0");
        }
    }
    let _ = writeln!(out, "# HELP edgecache_isolates Isolates that reported counters in the window read.");
    let _ = writeln!(out, "# TYPE edgecache_isolates gauge");
    let _ = writeln!(out, "edgecache_isolates {isolates}");
    if format == Format::OpenMetrics {
        out.push_str("# EOF\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_counters_with_their_labels_and_every_one_is_shown() {
        let mut totals = Sample::new();
        totals.add("cache_hits", &[("tier", "l1")], 7);
        totals.add("ratelimit_decisions", &[("limiter", "client"), ("outcome", "refused"), ("reason", "none")], 2);
        let text = prometheus(&totals, 3, Format::Prometheus);
        assert!(text.contains("# TYPE edgecache_cache_hits_total counter\nedgecache_cache_hits_total{tier=\"l1\"} 7\n"));
        assert!(text.contains(
            "edgecache_ratelimit_decisions_total{limiter=\"client\",outcome=\"refused\",reason=\"none\"} 2\n"
        ));
        assert!(text.contains("edgecache_cache_misses_total 0\n"), "a family with nothing counted yet");
        assert!(text.ends_with("edgecache_isolates 3\n"));
        let open = prometheus(&totals, 3, Format::OpenMetrics);
        assert!(open.contains("# TYPE edgecache_cache_hits counter\nedgecache_cache_hits_total{tier=\"l1\"} 7\n"));
        assert!(open.ends_with("# EOF\n"));
        assert_eq!(Format::from_accept(Some("application/openmetrics-text; version=1.0.0")), Format::OpenMetrics);
        assert_eq!(Format::from_accept(Some("text/plain")), Format::Prometheus);
    }
}
