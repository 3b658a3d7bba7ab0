// @ts-check
// The shapes of what the dashboard reads, for editors and `tsc --checkJs`:
// GET /admin/stats (src/app/handlers/admin_stats.rs, src/cache/stats.rs),
// GET /admin/stats?scope=cluster (src/app/fleet_view.rs) and the health
// check (src/app/handlers/health.rs, as www/js/api.js answers it). Types
// only: import them with `@typedef {import("./types.js").IsolateStats} IsolateStats`.

// ------------------------------------------------ GET /admin/stats (isolate)

/**
 * This isolate's cache counters (StatsSnapshot, plus what the handler adds).
 * @typedef {object} CacheStats
 * @property {number} l1Hits reads answered by the in-isolate tier
 * @property {number} l2Hits reads answered by Upstash
 * @property {number} hits l1Hits + l2Hits
 * @property {number} misses reads that ran the loader (D1)
 * @property {number} staleServed reads answered with a stale entry
 * @property {number} coalesced reads that waited for another read's load
 * @property {number} negativeHits hits on a cached "absent" (in l1Hits/l2Hits too)
 * @property {number} fencedRefusals write-backs refused after an invalidation
 * @property {number} backendErrors failed backend calls
 * @property {number} misconfigured backend calls refused for their token
 * @property {number} breakerSkips backend calls skipped by the open breaker
 * @property {number} bypasses reads sent to D1 with the cache off or failing
 * @property {number} leasesTaken
 * @property {number} leaseWaits
 * @property {number} loadMs milliseconds spent in loaders
 * @property {number} hitRate 0 to 1; 0 before any read
 * @property {number} hitRatePercent
 * @property {number | null} l1MaxStalenessMs how stale an L1 entry may be, null without L1
 * @property {MemoryUsage | null} memory the in-isolate tier, null without one
 */

/**
 * @typedef {object} MemoryUsage
 * @property {number} entries
 * @property {number} bytes
 * @property {number} maxEntries
 * @property {number} maxBytes
 */

/** @typedef {"none" | "cache_block" | "timeout" | "backend_error" | "backend_misconfigured" | "circuit_open" | "local_fallback" | "deny_list"} Reason */

/**
 * One limiter of this isolate.
 * @typedef {object} LimiterStats
 * @property {number} limit
 * @property {number} windowMs
 * @property {string} algorithm
 * @property {number} allowed
 * @property {number} refused refused by Redis's answer
 * @property {number} refusedByOtherLimit held back because the other limit of its pair refused
 * @property {number} refusedFromBlockCache
 * @property {number} failedOpen
 * @property {number} failedClosed
 * @property {number} localAllowed decided in this isolate while Upstash could not answer
 * @property {number} localRefused
 * @property {Record<Reason, number>} byReason
 */

/**
 * @typedef {object} Responses
 * @property {number} total
 * @property {Record<"1xx" | "2xx" | "3xx" | "4xx" | "5xx", number>} byStatusClass
 */

/**
 * Upstash's own figures (DBSIZE, INFO), or the error of asking for them.
 * @typedef {object} UpstashFigures
 * @property {number} latencyMs
 * @property {string} [error]
 * @property {number | null} [dbsize]
 * @property {number | null} [usedMemoryBytes]
 * @property {string | null} [usedMemoryHuman]
 * @property {number | null} [evictedKeys]
 */

/**
 * @typedef {object} IsolateStats
 * @property {"isolate"} scope
 * @property {number} timestampMs
 * @property {string} timestamp
 * @property {{ id: string, startedAtMs: number }} isolate
 * @property {Responses} responses
 * @property {CacheStats} cache
 * @property {Record<string, LimiterStats> | null} limiter by name (client, auth, tenant, key, llm_slots, llm); null with rate limiting off
 * @property {{ open: boolean, openForMs: number, consecutiveFailures: number, failuresToOpen: number, cooldownMs: number }} breaker
 * @property {{ kind: "upstash" | "memory" | "none", failing: boolean, failures: number, misconfigured: boolean, misconfigurations: number, lastError: string | null }} backend
 * @property {{ depth: number | null, error?: string }} outbox
 * @property {UpstashFigures | null} upstash null without Upstash
 * @property {{ keyPrefix: string, eventsChannel: string | null, rateLimiting: boolean, healthCacheMs: number, cacheScope: "isolate" | "shared" }} settings
 */

// ------------------------------------- GET /admin/stats?scope=cluster&minutes=N

/**
 * The fleet's cache counters over the window.
 * @typedef {object} FleetCache
 * @property {number} l1Hits
 * @property {number} l2Hits
 * @property {number} hits
 * @property {number} misses
 * @property {number} staleServed
 * @property {number} coalesced
 * @property {number} negativeHits
 * @property {number} bypasses
 * @property {number} fencedRefusals
 * @property {number} backendErrors
 * @property {number} misconfigured
 * @property {number} breakerSkips
 * @property {number} loaderRuns
 * @property {number} loadMs
 * @property {number} reads hits + staleServed + misses + bypasses
 * @property {number} hitRate
 * @property {number} hitRatePercent
 */

/**
 * @typedef {object} FleetLimiter
 * @property {number} allowed
 * @property {number} refused
 * @property {Record<Reason, number>} allowedByReason
 * @property {Record<Reason, number>} refusedByReason
 */

/**
 * @typedef {object} FleetCounters
 * @property {FleetCache} cache
 * @property {Responses} responses
 * @property {Record<string, FleetLimiter>} limiter
 * @property {{ requests: number, errors: Record<"unauthorized" | "command" | "transport" | "timeout" | "protocol", number> }} upstash
 */

/**
 * One minute of the window.
 * @typedef {object} SeriesPoint
 * @property {number} minute
 * @property {number} atMs the minute's start
 * @property {number} seconds the seconds it covers (60; the current minute's so far)
 * @property {number} requests
 * @property {number} reads
 * @property {number} hits
 * @property {number | null} hitRate null without reads
 * @property {number} refused
 * @property {number} upstashRequests
 */

/**
 * @typedef {object} ClusterStats
 * @property {"cluster"} scope
 * @property {boolean} fleet false without Upstash: the answering isolate's own counters
 * @property {string | null} note why `fleet` is false
 * @property {number} timestampMs
 * @property {string} timestamp
 * @property {{ minutes: number, fromMs: number, toMs: number }} window
 * @property {number} flushIntervalMs
 * @property {number} isolates isolates that reported in the window
 * @property {{ id: string, startedAtMs: number }} isolate
 * @property {FleetCounters} sum over the window
 * @property {FleetCounters} totals since the counters began
 * @property {SeriesPoint[]} series
 * @property {{ hits: number, misses: number, hitRate: number, memoryUsed: string | null, evictedKeys: number | null, keyCount: number | null }} stats seed 002's getStats() fields
 * @property {UpstashFigures | null} upstash
 * @property {{ keyPrefix: string, rateLimiting: boolean, cacheScope: "isolate" | "shared" }} settings
 */

// ---------------------------------------------------------------- health

/**
 * The health check as api.js's health() answers it: `reachable` false when
 * the worker did not answer at all.
 * @typedef {object} Health
 * @property {boolean} reachable
 * @property {boolean} healthy
 * @property {number} [status]
 * @property {string} [backend]
 * @property {number} [latencyMs]
 * @property {number} [ageMs]
 * @property {string} [error]
 */

// ------------------------------------------------------------ the chart

/**
 * A point of the chart: rates per second over the `seconds` before `t`.
 * @typedef {object} RatePoint
 * @property {number} t
 * @property {number | null} rps
 * @property {number} reads
 * @property {number | null} hitRate
 * @property {number} seconds
 */

export {};
