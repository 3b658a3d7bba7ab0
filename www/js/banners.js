// @ts-check
// The plain-language problems at the top of the page, from the poller's
// state: stats unavailable, Upstash down or refusing the worker's token,
// /health silent, the breaker open, invalidations waiting, features off.

import { $, h } from "./dom.js";
import { duration, plural } from "./format.js";
import { LIMITER_ORDER } from "./tiles.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {import("./poller.js").PollState} PollState */

/**
 * What the rate limits do while Upstash cannot answer, as far as the counters tell.
 * @param {IsolateStats | null} s
 */
function limitsWhileDown(s) {
  const limiter = s?.limiter;
  if (!limiter) return "rate limiting is off.";
  const names = LIMITER_ORDER.filter((name) => limiter[name]);
  /** @param {"failedOpen" | "failedClosed" | "localAllowed" | "localRefused"} field */
  const sum = (field) => names.reduce((n, name) => n + (limiter[name][field] ?? 0), 0);
  const open = sum("failedOpen");
  const closed = sum("failedClosed");
  const local = sum("localAllowed") + sum("localRefused");
  if (local > open + closed) return "each isolate enforces the rate limits on its own (at most limit × isolates pass).";
  if (closed > open) return "rate limits fail closed: limited requests are refused.";
  if (open > 0) return "rate limits fail open: requests go through unlimited.";
  return "rate limits cannot be checked.";
}

/**
 * The banners, worst first.
 * @param {PollState} state
 * @returns {{ level: "bad" | "warn" | "info", text: string }[]}
 */
function problems({ stats: s, health: hl, statsError: e }) {
  /** @type {{ level: "bad" | "warn" | "info", text: string }[]} */
  const items = [];
  if (e) {
    const where = e.status ? ` (HTTP ${e.status}${e.requestId ? `, request ${e.requestId}` : ""})` : "";
    items.push({ level: "bad", text: `Stats are unavailable: ${e.message}${where}. Showing the last figures; retrying.` });
  }
  const upstashDown = (hl && hl.reachable && !hl.healthy) || s?.upstash?.error || s?.backend.failing;
  if (s && s.backend.misconfigured) {
    items.push({
      level: "bad",
      text: `Upstash refuses the worker's token (misconfigured): ${s.backend.lastError ?? "unauthorized"}. Check UPSTASH_REDIS_REST_TOKEN. Reads go to D1; ${limitsWhileDown(s)}`,
    });
  } else if (upstashDown) {
    const why = s?.upstash?.error || hl?.error || s?.backend.lastError || "no answer";
    items.push({
      level: "bad",
      text: `Upstash is down (${why}). The worker serves from D1 and its in-isolate cache; invalidations wait in the outbox; ${limitsWhileDown(s)} This page keeps working; figures from Upstash are missing.`,
    });
  }
  if (hl && !hl.reachable) items.push({ level: "bad", text: "The worker's /health does not answer." });
  if (!s) return items;
  if (s.breaker.open) items.push({ level: "warn", text: `The circuit breaker is open (${duration(s.breaker.openForMs)}): Upstash calls are skipped until it cools down.` });
  if (s.outbox.depth) items.push({ level: "warn", text: `${plural(s.outbox.depth, "invalidation")} waiting in the outbox for the cache to answer.` });
  if (s.backend.kind === "memory") items.push({ level: "info", text: "No Upstash configured: the cache is in-isolate memory only, and rate limiting and live events are off." });
  if (s.backend.kind === "none") items.push({ level: "info", text: "Caching is off on this worker: every read goes to D1." });
  if (!s.limiter && s.backend.kind !== "memory") items.push({ level: "info", text: "Rate limiting is off on this worker." });
  return items;
}

/** @param {PollState} state */
export function renderBanners(state) {
  $("banners").replaceChildren(
    ...problems(state).map((item) => h("p", { class: `banner ${item.level}`, role: item.level === "bad" ? "alert" : null, dataset: { level: item.level } }, item.text)),
  );
}
